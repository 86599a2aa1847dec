//! Deterministic generator of the sandbox's demo workspace ("Lumen Analytics", a B2B analytics
//! SaaS whose support team works in the `Europe/Dublin` time zone).
//!
//! Every object is a `serde_json::Value` in the exact shape Intercom API 2.16 returns from
//! `GET /{resource}/{id}` (checked against the OpenAPI schemas by `tests/seed_schema.rs`).
//! Times are relative to `now`, so "today" and "last week" always hold data; the same
//! `(scale, seed, now)` always yields the same workspace.
//!
//! What the workspace holds, at every scale:
//! - teams Billing, Technical Support, Sales, Onboarding, Enterprise; every admin sits in one or
//!   two of them and a few are in away mode (never the first two admins);
//! - 20 tags (`billing`, `bug`, `feature-request`, `vip`, `churn-risk`, `refund`, `outage`...);
//! - companies on Starter/Growth/Pro/Enterprise plans; users (mostly attached to a company, with
//!   an email at its domain) and leads; notes on about a fifth of contacts;
//! - conversations over the last 90 days with a guaranteed share on each of the last 8 local
//!   days (today included); about 1 in 100 is a long thread of 50-70 parts, the others have at
//!   most 12. Parts are `comment`, `note`, `assignment` (to a team by the Operator bot, then to
//!   an admin), `close`, `open`, `snoozed`, `timer_unsnooze`; some messenger conversations are
//!   first answered by the AI agent (Fin). State, `open`, `read`, `waiting_since`,
//!   `snoozed_until`, ratings, SLA status and `statistics` all follow from the parts;
//! - ticket types in the three categories with their states, and tickets in every state
//!   category, linked both ways with the conversation they came from (trackers link several);
//! - two help centers with published and draft articles.
//!
//! Statistics fields that do not apply yet (no admin reply, never closed...) are left out
//! rather than null, because the schema declares them as non-nullable integers.

mod articles;
mod calendar;
mod conversations;
mod people;
mod random;
mod statistics;
mod tickets;
mod vocab;

use serde_json::Value;

pub use statistics::compute_statistics;

/// The first-response target, in seconds, of an SLA the seed applies, by its name.
pub fn sla_target(name: &str) -> Option<i64> {
    vocab::SLA_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, target)| *target)
}

/// How big the generated workspace is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scale {
    /// A handful of each object, for unit tests.
    Tiny,
    /// The default demo: about 500 contacts and 2,000 conversations.
    #[default]
    Small,
    /// About 10,000 conversations.
    Medium,
    /// At least 100,000 conversations and 50,000 contacts, for load tests.
    Large,
}

impl std::str::FromStr for Scale {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "tiny" => Ok(Scale::Tiny),
            "small" => Ok(Scale::Small),
            "medium" => Ok(Scale::Medium),
            "large" => Ok(Scale::Large),
            other => Err(format!(
                "unknown sandbox scale '{other}': expected one of tiny, small, medium, large"
            )),
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scale::Tiny => "tiny",
            Scale::Small => "small",
            Scale::Medium => "medium",
            Scale::Large => "large",
        })
    }
}

/// Object counts for one scale.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    pub admins: usize,
    pub companies: usize,
    pub contacts: usize,
    pub conversations: usize,
    pub tickets: usize,
    pub articles: usize,
}

impl Scale {
    pub(crate) fn sizes(self) -> Sizes {
        match self {
            Scale::Tiny => Sizes {
                admins: 6,
                companies: 8,
                contacts: 30,
                conversations: 60,
                tickets: 15,
                articles: 6,
            },
            Scale::Small => Sizes {
                admins: 12,
                companies: 60,
                contacts: 500,
                conversations: 2_000,
                tickets: 150,
                articles: 24,
            },
            Scale::Medium => Sizes {
                admins: 30,
                companies: 500,
                contacts: 5_000,
                conversations: 10_000,
                tickets: 800,
                articles: 36,
            },
            Scale::Large => Sizes {
                admins: 80,
                companies: 5_000,
                contacts: 50_000,
                conversations: 100_000,
                tickets: 5_000,
                articles: 48,
            },
        }
    }
}

/// The whole seeded workspace.
#[derive(Clone, Debug)]
pub struct SeedData {
    pub app_id: String,
    pub workspace_name: String,
    pub time_zone: String,
    pub admins: Vec<Value>,
    pub teams: Vec<Value>,
    /// `tag` objects as `GET /tags/{id}` returns them.
    pub tags: Vec<Value>,
    pub segments: Vec<Value>,
    pub data_attributes: Vec<Value>,
    /// `conversation_attribute` objects (`GET /conversations/attributes`).
    pub conversation_attributes: Vec<Value>,
    pub companies: Vec<Value>,
    pub contacts: Vec<Value>,
    /// Note objects (schema `note`), each with `contact {type, id}`.
    pub notes: Vec<Value>,
    /// Full conversation objects including `conversation_parts`, oldest first.
    pub conversations: Vec<Value>,
    pub ticket_types: Vec<Value>,
    /// `ticket_state_detailed` objects as `GET /ticket_states` lists them.
    pub ticket_states: Vec<Value>,
    /// Full ticket objects including `ticket_parts`.
    pub tickets: Vec<Value>,
    pub articles: Vec<Value>,
    pub help_centers: Vec<Value>,
}

/// Generates the workspace for `scale`, deterministically from `seed`, with times relative to `now`
/// (Unix seconds).
pub fn generate(scale: Scale, seed: u64, now: i64) -> SeedData {
    let sizes = scale.sizes();
    let mut rng = random::Gen::new(seed, now);
    let app_id = rng.app_id();

    let directory = people::directory(&mut rng, &app_id, &sizes);
    let mut customers = people::customers(&mut rng, &app_id, &sizes, &directory);
    let mut conversation_set =
        conversations::generate(&mut rng, sizes.conversations, &directory, &customers);
    let ticketing = tickets::generate(
        &mut rng,
        &app_id,
        sizes.tickets,
        &directory,
        &customers,
        &mut conversation_set,
    );
    people::apply_activity(&mut customers, &conversation_set.contact_activity);
    let (help_centers, articles) =
        articles::generate(&mut rng, &app_id, sizes.articles, &directory);
    let segments = people::segments(&mut rng, &customers);
    let data_attributes = people::data_attributes(&directory, now);
    let conversation_attributes = conversations::conversation_attributes(&directory, now);

    SeedData {
        app_id,
        workspace_name: vocab::WORKSPACE_NAME.to_string(),
        time_zone: vocab::TIME_ZONE.to_string(),
        admins: directory.admins_json(),
        teams: directory.teams_json(),
        tags: directory.tags_json(),
        segments,
        data_attributes,
        conversation_attributes,
        companies: customers.companies,
        contacts: customers.contacts,
        notes: customers.notes,
        conversations: conversation_set.conversations,
        ticket_types: ticketing.ticket_types,
        ticket_states: ticketing.ticket_states,
        tickets: ticketing.tickets,
        articles,
        help_centers,
    }
}
