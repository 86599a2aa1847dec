//! Conversations with parts whose timeline, state and statistics agree with each other.

use serde_json::{Value, json};

use super::calendar;
use super::people::{Activity, Customers, Directory};
use super::random::{DAY, Gen, HOUR, IdSequence, MINUTE, object, paragraph};
use super::statistics::compute_statistics;
use super::vocab::{self, TOPICS, Topic};

/// Typed facts about a generated conversation, for the ticket generator.
pub struct ConversationFacts {
    pub id: String,
    pub contact: usize,
    pub created_at: i64,
    pub team: Option<usize>,
    pub admin: Option<usize>,
}

pub struct ConversationSet {
    pub conversations: Vec<Value>,
    pub facts: Vec<ConversationFacts>,
    pub contact_activity: Vec<Activity>,
    /// Continues after the last conversation id; tickets share the id space, as in Intercom.
    pub ids: IdSequence,
    pub part_ids: IdSequence,
}

/// Who wrote a part.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Contact,
    Admin(usize),
    /// The workflow bot (routing, timers) or the AI agent when `ai` is set.
    Bot {
        ai: bool,
    },
}

/// Shared context for building conversations and tickets.
pub struct Cast<'a> {
    pub directory: &'a Directory,
    pub customers: &'a Customers,
    /// Part authors for each admin, built once.
    pub admin_authors: Vec<Value>,
    /// `{id, name}` of each team, for team response times in statistics.
    pub team_names: Vec<Value>,
}

impl<'a> Cast<'a> {
    pub fn new(directory: &'a Directory, customers: &'a Customers) -> Self {
        let mut cast = Cast {
            directory,
            customers,
            admin_authors: Vec::new(),
            team_names: Vec::new(),
        };
        cast.admin_authors = (0..directory.admins.len())
            .map(|index| cast.author(Actor::Admin(index), 0))
            .collect();
        cast.team_names = directory
            .teams
            .iter()
            .map(|team| json!({"id": team.id, "name": team.name}))
            .collect();
        cast
    }

    /// Author object for a part (`conversation_part_author`).
    pub fn author(&self, actor: Actor, contact: usize) -> Value {
        match actor {
            Actor::Contact => {
                let info = &self.customers.contact_info[contact];
                json!({
                    "type": info.role.as_str(),
                    "id": info.id,
                    "name": info.name,
                    "email": info.email,
                    "from_ai_agent": false,
                    "is_ai_answer": false,
                })
            }
            Actor::Admin(index) => {
                let admin = &self.directory.admins[index];
                json!({
                    "type": "admin",
                    "id": admin.id,
                    "name": admin.name,
                    "email": admin.email,
                    "from_ai_agent": false,
                    "is_ai_answer": false,
                })
            }
            Actor::Bot { ai } => json!({
                "type": "bot",
                "id": self.directory.bot_id,
                "name": if ai { "Fin" } else { "Operator" },
                "email": self.directory.bot_email,
                "from_ai_agent": ai,
                "is_ai_answer": ai,
            }),
        }
    }

    pub fn contact_reference(&self, contact: usize) -> Value {
        let info = &self.customers.contact_info[contact];
        json!({"type": "contact", "id": info.id, "external_id": info.external_id})
    }

    /// Picks a contact that already existed at `at`, favouring a core of frequent writers.
    pub fn pick_contact(&self, rng: &mut Gen, at: i64) -> usize {
        let contacts = &self.customers.contact_info;
        for _ in 0..12 {
            let skewed = (rng.unit() * rng.unit() * contacts.len() as f64) as usize;
            let candidate = if rng.chance(0.5) {
                skewed
            } else {
                rng.index(contacts.len())
            };
            if contacts[candidate.min(contacts.len() - 1)].created_at <= at {
                return candidate.min(contacts.len() - 1);
            }
        }
        (0..contacts.len())
            .min_by_key(|&i| contacts[i].created_at)
            .unwrap_or(0)
    }

    /// An admin of `team` (any admin if the team is empty), preferring those not away.
    pub fn team_member(&self, rng: &mut Gen, team: usize) -> usize {
        let members = &self.directory.teams[team].admin_idx;
        let present: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&a| !self.directory.admins[a].away)
            .collect();
        if !present.is_empty() {
            present[rng.index(present.len())]
        } else if !members.is_empty() {
            members[rng.index(members.len())]
        } else {
            rng.index(self.directory.admins.len())
        }
    }
}

/// Spreads conversation start times over the last 90 days with a guaranteed share today and on
/// each of the previous 7 days (local days of the workspace time zone), oldest first.
fn creation_times(rng: &mut Gen, count: usize) -> Vec<i64> {
    let days = calendar::recent_days(vocab::TIME_ZONE, rng.now, 90);
    let per_recent_day = (count / 50).max(1);
    let mut times = Vec::with_capacity(count);
    for index in 0..count {
        let day = if index < per_recent_day * 8 {
            days[index % 8]
        } else {
            // Fewer conversations at weekends, as in a real B2B inbox.
            loop {
                let day = days[rng.index(days.len())];
                if !day.weekend || rng.chance(0.4) {
                    break day;
                }
            }
        };
        // Business hours are busier: two thirds land between 08:00 and 18:00 local time.
        let at = if rng.chance(0.66) {
            day.start + rng.between(8 * HOUR, 18 * HOUR)
        } else {
            day.start + rng.between(0, DAY - 1)
        };
        let at = if at > day.end {
            rng.between(day.start, day.end)
        } else {
            at
        };
        times.push(at);
    }
    times.sort_unstable();
    times
}

/// Delay before an admin answers.
fn admin_delay(rng: &mut Gen) -> i64 {
    match rng.weighted(&[35, 30, 20, 12, 3]) {
        0 => rng.between(MINUTE, 10 * MINUTE),
        1 => rng.between(10 * MINUTE, HOUR),
        2 => rng.between(HOUR, 4 * HOUR),
        3 => rng.between(4 * HOUR, DAY),
        _ => rng.between(DAY, 3 * DAY),
    }
}

/// Delay before the customer writes back.
fn contact_delay(rng: &mut Gen) -> i64 {
    match rng.weighted(&[50, 30, 20]) {
        0 => rng.between(2 * MINUTE, 30 * MINUTE),
        1 => rng.between(30 * MINUTE, 4 * HOUR),
        _ => rng.between(4 * HOUR, 2 * DAY),
    }
}

/// Accumulates parts, refusing any that would lie in the future or exceed the part budget.
struct Thread<'a, 'b> {
    cast: &'a Cast<'b>,
    part_ids: &'a mut IdSequence,
    contact: usize,
    parts: Vec<Value>,
    budget: usize,
    now: i64,
    at: i64,
    state: &'static str,
    /// First contact message not yet answered by an admin.
    waiting_since: Option<i64>,
    participants: Vec<usize>,
    contact_author: Value,
}

impl Thread<'_, '_> {
    fn has_room(&self, after: i64) -> bool {
        self.parts.len() < self.budget && self.at + after <= self.now
    }

    /// Adds a part `after` seconds after the previous one; false when it does not fit.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        after: i64,
        rng: &mut Gen,
        part_type: &str,
        actor: Actor,
        body: Option<String>,
        assigned_to: Option<Value>,
        state: &'static str,
    ) -> bool {
        if !self.has_room(after) {
            return false;
        }
        self.at += after;
        self.state = state;
        if let Actor::Admin(index) = actor
            && !self.participants.contains(&index)
        {
            self.participants.push(index);
        }
        if part_type == "comment" {
            match actor {
                Actor::Contact => {
                    self.waiting_since.get_or_insert(self.at);
                }
                Actor::Admin(_) => self.waiting_since = None,
                Actor::Bot { .. } => {}
            }
        }
        let author = match actor {
            Actor::Contact => self.contact_author.clone(),
            Actor::Admin(index) => self.cast.admin_authors[index].clone(),
            Actor::Bot { .. } => self.cast.author(actor, self.contact),
        };
        let at = Value::from(self.at);
        self.parts.push(object([
            ("type", Value::from("conversation_part")),
            ("id", Value::String(self.part_ids.take(rng, 4).to_string())),
            ("part_type", Value::from(part_type)),
            ("body", body.map_or(Value::Null, Value::String)),
            ("created_at", at.clone()),
            ("updated_at", at.clone()),
            ("notified_at", at),
            ("assigned_to", assigned_to.unwrap_or(Value::Null)),
            ("author", author),
            ("attachments", Value::Array(Vec::new())),
            ("external_id", Value::Null),
            ("redacted", Value::Bool(false)),
            ("email_message_metadata", Value::Null),
            ("state", Value::from(state)),
            ("tags", Value::Array(Vec::new())),
            ("event_details", Value::Null),
            ("app_package_code", Value::Null),
        ]));
        true
    }

    fn close(&mut self, after: i64, rng: &mut Gen, admin: usize) -> bool {
        self.push(
            after,
            rng,
            "close",
            Actor::Admin(admin),
            None,
            None,
            "closed",
        )
    }

    fn comment(&mut self, after: i64, rng: &mut Gen, actor: Actor, text: &str) -> bool {
        self.push(
            after,
            rng,
            "comment",
            actor,
            Some(paragraph(text)),
            None,
            "open",
        )
    }
}

fn admin_reference(cast: &Cast, admin: usize) -> Value {
    json!({"type": "admin", "id": cast.directory.admins[admin].id})
}

fn team_reference(cast: &Cast, team: usize) -> Value {
    json!({"type": "team", "id": cast.directory.teams[team].id})
}

/// How the conversation started.
struct Origin {
    source_type: &'static str,
    channel: &'static str,
    admin_initiated: Option<usize>,
}

fn origin(rng: &mut Gen, cast: &Cast) -> Origin {
    if rng.chance(0.12) {
        let admin = rng.index(cast.directory.admins.len());
        let source_type = if rng.chance(0.5) {
            "email"
        } else {
            "conversation"
        };
        let channel = if source_type == "email" {
            "email"
        } else {
            "messenger"
        };
        return Origin {
            source_type,
            channel,
            admin_initiated: Some(admin),
        };
    }
    let (source_type, channel) = [
        ("conversation", "messenger"),
        ("email", "email"),
        ("whatsapp", "whatsapp"),
        ("twitter", "twitter"),
        ("facebook", "facebook"),
    ][rng.weighted(&[62, 25, 6, 4, 3])];
    Origin {
        source_type,
        channel,
        admin_initiated: None,
    }
}

const PRIORITIES: [&str; 5] = ["none", "low", "medium", "high", "urgent"];
const PROACTIVE_OPENERS: &[&str] = &[
    "Hi! I noticed your data import failed last night. Want me to take a look?",
    "Hello, your renewal is coming up next month. Do you have a few minutes to review your plan?",
    "Hi there, we shipped the scheduled exports you asked for. Let me know what you think!",
    "Hey! Just checking in: how is the team getting on with the new dashboards?",
];

struct Built {
    json: Value,
    facts: ConversationFacts,
    last_contact_reply: Option<i64>,
    last_admin_contact: Option<i64>,
}

#[allow(clippy::too_many_lines)]
fn build(
    rng: &mut Gen,
    cast: &Cast,
    ids: (String, String),
    created_at: i64,
    long: bool,
    part_ids: &mut IdSequence,
) -> Built {
    let now = rng.now;
    let (id, message_id) = ids;
    let topic_index = rng.index(TOPICS.len());
    let topic: &Topic = &TOPICS[topic_index];
    let contact = cast.pick_contact(rng, created_at);
    let contact_info = &cast.customers.contact_info[contact];
    let origin = origin(rng, cast);
    let team_for_topic = cast.directory.team_index(topic.team);
    // Long threads test truncation; others stay within the 2-12 parts of a typical inbox.
    let budget = if long {
        rng.between(53, 72) as usize
    } else {
        12
    };

    let mut thread = Thread {
        cast,
        part_ids,
        contact,
        parts: Vec::with_capacity(budget),
        budget,
        now,
        at: created_at,
        state: "open",
        waiting_since: None,
        participants: Vec::new(),
        contact_author: cast.author(Actor::Contact, contact),
    };
    let mut admin_assignee: Option<usize> = None;
    let mut team_assignee: Option<usize> = None;
    let mut ai_agent = Value::Null;
    let mut snoozed_until = Value::Null;
    let mut closed_by_bot = false;

    let (source_author, source_body) = match origin.admin_initiated {
        Some(admin) => {
            admin_assignee = Some(admin);
            thread.participants.push(admin);
            (
                cast.directory.admin_author(admin),
                rng.pick(PROACTIVE_OPENERS).to_string(),
            )
        }
        None => {
            thread.waiting_since = Some(created_at);
            let author = json!({
                "type": contact_info.role.as_str(),
                "id": contact_info.id,
                "name": contact_info.name,
                "email": contact_info.email,
            });
            (author, rng.pick(topic.openers).to_string())
        }
    };

    let gap = |normal: i64, rng: &mut Gen| {
        if long {
            rng.between(MINUTE, 15 * MINUTE)
        } else {
            normal
        }
    };

    if origin.admin_initiated.is_none() {
        // The AI agent answers a share of messenger conversations first.
        if origin.channel == "messenger" && !long && rng.chance(0.18) {
            let after = rng.between(5, 40);
            let answer = paragraph(rng.text(topic.admin_replies));
            let answered = thread.push(
                after,
                rng,
                "comment",
                Actor::Bot { ai: true },
                Some(answer),
                None,
                "open",
            );
            if answered {
                let resolved = rng.chance(0.45);
                let resolution = if resolved {
                    thread.push(
                        rng.between(2 * MINUTE, 20 * MINUTE),
                        rng,
                        "close",
                        Actor::Bot { ai: true },
                        None,
                        None,
                        "closed",
                    );
                    closed_by_bot = thread.state == "closed";
                    "assumed_resolution"
                } else {
                    thread.comment(
                        rng.between(MINUTE, 5 * MINUTE),
                        rng,
                        Actor::Contact,
                        "I'd like to talk to a person, please.",
                    );
                    "escalated"
                };
                let rated = rng.chance(0.3);
                ai_agent = json!({
                    "source_type": "workflow",
                    "source_title": "Fin first response",
                    "last_answer_type": "ai_answer",
                    "resolution_state": resolution,
                    "rating": if rated { json!(rng.between(3, 5)) } else { Value::Null },
                    "rating_remark": null,
                    "created_at": created_at,
                    "updated_at": thread.at,
                    "content_sources": { "type": "content_source.list", "total_count": 0, "content_sources": [] },
                });
            }
        }
        if !closed_by_bot && rng.chance(0.85) {
            let routed = thread.push(
                rng.between(10, 90),
                rng,
                "assignment",
                Actor::Bot { ai: false },
                None,
                Some(team_reference(cast, team_for_topic)),
                "open",
            );
            if routed {
                team_assignee = Some(team_for_topic);
                if rng.chance(0.7) {
                    let admin = cast.team_member(rng, team_for_topic);
                    let after = gap(rng.between(MINUTE, 45 * MINUTE), rng);
                    if thread.push(
                        after,
                        rng,
                        "assignment",
                        Actor::Admin(admin),
                        None,
                        Some(admin_reference(cast, admin)),
                        "open",
                    ) {
                        admin_assignee = Some(admin);
                    }
                }
            }
        }
    }

    let replier = |rng: &mut Gen, assignee: Option<usize>| {
        assignee.unwrap_or_else(|| cast.team_member(rng, team_for_topic))
    };

    if !closed_by_bot {
        let mut follow_up_chance: f64 = if origin.admin_initiated.is_some() {
            0.6
        } else {
            1.0
        };
        let mut round = 0;
        loop {
            if thread.waiting_since.is_some() {
                let admin = replier(rng, admin_assignee);
                if rng.chance(0.15) {
                    let after = gap(rng.between(MINUTE, 20 * MINUTE), rng);
                    let note = paragraph(rng.text(vocab::INTERNAL_NOTES));
                    thread.push(
                        after,
                        rng,
                        "note",
                        Actor::Admin(admin),
                        Some(note),
                        None,
                        "open",
                    );
                }
                let text = if round == 0 || rng.chance(0.5) {
                    rng.text(topic.admin_replies)
                } else {
                    rng.text(vocab::GENERIC_ADMIN_REPLIES)
                };
                let after = gap(admin_delay(rng), rng);
                if !thread.comment(after, rng, Actor::Admin(admin), text) {
                    break;
                }
                if admin_assignee.is_none() && rng.chance(0.5) {
                    admin_assignee = Some(admin);
                }
                round += 1;
                // Long threads keep going until just short of their budget, then wrap up.
                follow_up_chance = if long {
                    if thread.parts.len() + 3 < budget {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    0.55 / round as f64 + 0.1
                };
            } else {
                // Leave room for the answer and the close, so threads do not stop mid-exchange.
                if thread.parts.len() + 3 >= budget || !rng.chance(follow_up_chance) {
                    break;
                }
                let text = if rng.chance(0.6) {
                    rng.text(topic.user_followups)
                } else {
                    rng.text(vocab::GENERIC_USER_REPLIES)
                };
                let after = gap(contact_delay(rng), rng);
                if !thread.comment(after, rng, Actor::Contact, text) {
                    break;
                }
            }
        }

        // How the conversation ends, if the timeline still has room.
        if thread.waiting_since.is_none() && thread.state == "open" {
            let closer = replier(rng, admin_assignee);
            // Old conversations are nearly all wrapped up; recent ones are still being worked.
            let recent = now - thread.at < 5 * DAY;
            match rng.weighted(if recent { &[60, 12, 28] } else { &[94, 3, 3] }) {
                0 => {
                    let after = gap(
                        match rng.weighted(&[50, 35, 15]) {
                            0 => rng.between(MINUTE, 30 * MINUTE),
                            1 => rng.between(30 * MINUTE, DAY),
                            _ => rng.between(DAY, 3 * DAY),
                        },
                        rng,
                    );
                    let closed = thread.close(after, rng, closer);
                    // Some conversations reopen: the customer writes again, or a teammate
                    // reopens it to follow up.
                    if closed && !long && rng.chance(0.14) {
                        let after = rng.between(HOUR, 3 * DAY);
                        let reopened = if rng.chance(0.65) {
                            let text = rng.text(vocab::GENERIC_USER_REPLIES);
                            thread.comment(after, rng, Actor::Contact, text)
                        } else {
                            thread.push(
                                after,
                                rng,
                                "open",
                                Actor::Admin(closer),
                                None,
                                None,
                                "open",
                            )
                        };
                        if reopened {
                            let text = rng.text(vocab::GENERIC_ADMIN_REPLIES);
                            if thread.comment(admin_delay(rng), rng, Actor::Admin(closer), text) {
                                thread.close(rng.between(MINUTE, HOUR), rng, closer);
                            }
                        }
                    }
                }
                // Snoozing needs room for the wake-up part in case the timer already fired.
                1 if thread.parts.len() + 2 <= budget => {
                    let after = rng.between(MINUTE, 2 * HOUR);
                    if thread.push(
                        after,
                        rng,
                        "snoozed",
                        Actor::Admin(closer),
                        None,
                        None,
                        "snoozed",
                    ) {
                        let until = thread.at + rng.between(4 * HOUR, 3 * DAY);
                        if until <= now {
                            let woke = thread.push(
                                until - thread.at,
                                rng,
                                "timer_unsnooze",
                                Actor::Bot { ai: false },
                                None,
                                None,
                                "open",
                            );
                            // Back from snooze, the teammate checks in and usually wraps up.
                            let check_in =
                                "Just checking in: is everything working as expected now?";
                            if woke && rng.chance(0.7) {
                                let after = rng.between(5 * MINUTE, 2 * HOUR);
                                if thread.comment(after, rng, Actor::Admin(closer), check_in) {
                                    let after = rng.between(HOUR, DAY);
                                    thread.close(after, rng, closer);
                                }
                            }
                        } else {
                            snoozed_until = json!(until);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    let state = thread.state;
    let waiting_since = if state == "open" {
        thread.waiting_since
    } else {
        None
    };
    let read = match state {
        "closed" => true,
        _ if waiting_since.is_some() => rng.chance(0.35),
        _ => rng.chance(0.9),
    };
    let updated_at = thread.at;
    let priority = PRIORITIES[rng.weighted(&topic.priority_weights)];

    // Tags are applied by the assignee (or a teammate of the team) shortly after creation.
    let tagger = admin_assignee.or_else(|| team_assignee.map(|t| cast.team_member(rng, t)));
    let tags: Vec<Value> = match tagger {
        Some(admin) if rng.chance(0.8) => {
            let how_many = if rng.chance(0.6) { 1 } else { topic.tags.len() };
            let applied_at = (created_at + rng.between(MINUTE, 2 * HOUR)).min(now);
            let mut names: Vec<&str> = topic.tags[..how_many].to_vec();
            if contact_info.tag_names.contains(&"vip") && !names.contains(&"vip") {
                names.push("vip");
            }
            names
                .iter()
                .filter_map(|name| cast.directory.tag(name))
                .map(|tag| {
                    json!({
                        "type": "tag",
                        "id": tag.id,
                        "name": tag.name,
                        "applied_at": applied_at,
                        "applied_by": admin_reference(cast, admin),
                    })
                })
                .collect()
        }
        _ => Vec::new(),
    };

    let title = if origin.source_type == "email" || rng.chance(0.25) {
        json!(topic.title)
    } else {
        Value::Null
    };
    let subject = if origin.source_type == "email" {
        topic.title
    } else {
        ""
    };
    let url = (origin.channel == "messenger")
        .then(|| format!("https://app.{}/dashboards", vocab::WORKSPACE_DOMAIN));
    let mut custom_attributes = json!({ "issue_type": topic.issue_type });
    if state == "closed" {
        custom_attributes["resolution"] =
            json!(["solved", "solved", "workaround", "no_fix", "duplicate"][rng.index(5)]);
    }

    let teammates: Vec<Value> = thread
        .participants
        .iter()
        .map(|&a| admin_reference(cast, a))
        .collect();
    let parts = std::mem::take(&mut thread.parts);
    // Built with `object` (exact capacity, no re-serialization): this runs 100,000 times at
    // the large scale.
    let delivered_as = if origin.admin_initiated.is_some() {
        "admin_initiated"
    } else {
        "customer_initiated"
    };
    let source = object([
        ("type", Value::from(origin.source_type)),
        ("id", Value::String(message_id)),
        ("delivered_as", Value::from(delivered_as)),
        ("subject", Value::from(subject)),
        ("body", Value::String(paragraph(&source_body))),
        ("author", source_author),
        ("attachments", Value::Array(Vec::new())),
        ("url", url.map_or(Value::Null, Value::String)),
        ("redacted", Value::Bool(false)),
    ]);
    let admin_assignee_id =
        admin_assignee.map_or(0, |a| super::people::numeric(&cast.directory.admins[a].id));
    let team_assignee_id =
        team_assignee.map_or(0, |t| super::people::numeric(&cast.directory.teams[t].id));
    let ai_agent_participated = !ai_agent.is_null();
    let part_count = parts.len();
    let mut conversation = object([
        ("type", Value::from("conversation")),
        ("id", Value::String(id)),
        ("created_at", Value::from(created_at)),
        ("updated_at", Value::from(updated_at)),
        (
            "waiting_since",
            waiting_since.map_or(Value::Null, Value::from),
        ),
        ("snoozed_until", snoozed_until),
        ("source", source),
        (
            "contacts",
            json!({ "type": "contact.list", "contacts": [cast.contact_reference(contact)] }),
        ),
        ("first_contact_reply", Value::Null),
        ("admin_assignee_id", Value::from(admin_assignee_id)),
        ("team_assignee_id", Value::from(team_assignee_id)),
        ("open", Value::Bool(state != "closed")),
        ("state", Value::from(state)),
        ("read", Value::Bool(read)),
        (
            "tags",
            object([
                ("type", Value::from("tag.list")),
                ("tags", Value::Array(tags)),
            ]),
        ),
        ("priority", Value::from(priority)),
        ("sla_applied", Value::Null),
        ("statistics", Value::Null),
        ("conversation_rating", Value::Null),
        (
            "teammates",
            object([
                ("type", Value::from("admin.list")),
                ("teammates", Value::Array(teammates)),
            ]),
        ),
        ("title", title),
        ("custom_attributes", custom_attributes),
        (
            "linked_objects",
            json!({ "type": "list", "data": [], "total_count": 0, "has_more": false }),
        ),
        ("ai_agent", ai_agent),
        ("ai_agent_participated", Value::Bool(ai_agent_participated)),
        (
            "channel",
            json!({ "initial": origin.channel, "current": origin.channel }),
        ),
        (
            "conversation_parts",
            object([
                ("type", Value::from("conversation_part.list")),
                ("conversation_parts", Value::Array(parts)),
                ("total_count", Value::from(part_count)),
            ]),
        ),
    ]);

    let statistics = compute_statistics(&conversation, &cast.team_names);
    let first_contact_reply_at = statistics["first_contact_reply_at"].as_i64();
    if let Some(at) = first_contact_reply_at {
        conversation["first_contact_reply"] = json!({
            "created_at": at,
            "type": if origin.source_type == "email" { "email" } else { "conversation" },
            "url": conversation["source"]["url"].clone(),
        });
    }

    // SLA: targets depend on the customer; status follows from the first admin reply. As in
    // Intercom, an SLA past its target stays `active` until a teammate replies: `missed` is
    // applied at that reply, not when the target passes.
    if origin.admin_initiated.is_none() && rng.chance(0.35) {
        let vip = contact_info.tag_names.contains(&"vip");
        let (sla_name, target) = vocab::SLA_NAMES[if vip { 0 } else { 1 }];
        let started = first_contact_reply_at.unwrap_or(created_at);
        let status = match statistics["first_admin_reply_at"].as_i64() {
            Some(replied) if replied - started <= target => "hit",
            Some(_) => "missed",
            None if state == "closed" => "cancelled",
            None => "active",
        };
        conversation["sla_applied"] =
            json!({"type": "conversation_sla_summary", "sla_name": sla_name, "sla_status": status});
    }

    // Ratings arrive a little after a close by a teammate.
    if state == "closed" && origin.admin_initiated.is_none() && rng.chance(0.38) {
        let closed_at = statistics["last_close_at"].as_i64().unwrap_or(updated_at);
        let rated_at = closed_at + rng.between(2 * MINUTE, 3 * HOUR);
        let rater_admin = admin_assignee.or(thread.participants.first().copied());
        if rated_at <= now
            && let Some(admin) = rater_admin
        {
            let missed = conversation["sla_applied"]["sla_status"] == "missed";
            let score = 1 + rng.weighted(if missed {
                &[15, 20, 25, 25, 15]
            } else {
                &[3, 5, 12, 30, 50]
            }) as i64;
            let remarks: Vec<&str> = vocab::RATING_REMARKS
                .iter()
                .filter(|(s, _)| i64::from(*s) == score)
                .map(|(_, r)| *r)
                .collect();
            let remark = if !remarks.is_empty() && rng.chance(0.55) {
                remarks[rng.index(remarks.len())]
            } else {
                ""
            };
            conversation["conversation_rating"] = json!({
                "rating": score,
                "remark": remark,
                "created_at": rated_at,
                "updated_at": rated_at,
                "contact": cast.contact_reference(contact),
                "teammate": admin_reference(cast, admin),
            });
            conversation["updated_at"] = json!(rated_at);
        }
    }

    let last_admin_contact = statistics["last_admin_reply_at"]
        .as_i64()
        .or(origin.admin_initiated.map(|_| created_at));
    let last_contact_reply = statistics["last_contact_reply_at"].as_i64();
    conversation["statistics"] = statistics;
    let facts = ConversationFacts {
        id: conversation["id"].as_str().unwrap_or_default().to_string(),
        contact,
        created_at,
        team: team_assignee,
        admin: admin_assignee,
    };
    Built {
        json: conversation,
        facts,
        last_contact_reply,
        last_admin_contact,
    }
}

/// Part ids reserved per conversation, so conversations can be built independently.
const PART_IDS_PER_CONVERSATION: i64 = 400;

/// Below this many conversations a single thread is quicker than spawning workers.
const PARALLEL_THRESHOLD: usize = 400;

/// What a conversation is built from; drawn sequentially so the result does not depend on how
/// the work is split across threads.
struct Blueprint {
    created_at: i64,
    seed: u64,
    id: String,
    message_id: String,
    long: bool,
}

pub fn generate(
    rng: &mut Gen,
    count: usize,
    directory: &Directory,
    customers: &Customers,
) -> ConversationSet {
    let now = rng.now;
    let cast = Cast::new(directory, customers);
    let times = creation_times(rng, count);
    let mut ids = IdSequence::starting_at(rng.between(180_000_000, 190_000_000));
    let mut message_ids = IdSequence::starting_at(rng.between(2_000_000_000, 2_100_000_000));
    let part_base = rng.between(20_000_000_000, 21_000_000_000);
    let long_until = now - 3 * DAY;
    let blueprints: Vec<Blueprint> = times
        .into_iter()
        .enumerate()
        .map(|(index, created_at)| Blueprint {
            created_at,
            seed: rng.seed(),
            id: ids.take(rng, 3).to_string(),
            message_id: message_ids.take(rng, 9).to_string(),
            // One in a hundred conversations is a long thread, for testing truncation.
            long: index % 100 == 7 && created_at < long_until,
        })
        .collect();

    let build_range = |first: usize, blueprints: &[Blueprint]| -> Vec<Built> {
        blueprints
            .iter()
            .enumerate()
            .map(|(offset, plan)| {
                let mut local = Gen::new(plan.seed, now);
                let index = (first + offset) as i64;
                let mut part_ids =
                    IdSequence::starting_at(part_base + index * PART_IDS_PER_CONVERSATION);
                let ids = (plan.id.clone(), plan.message_id.clone());
                build(
                    &mut local,
                    &cast,
                    ids,
                    plan.created_at,
                    plan.long,
                    &mut part_ids,
                )
            })
            .collect()
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let built: Vec<Built> = if count < PARALLEL_THRESHOLD || workers == 1 {
        build_range(0, &blueprints)
    } else {
        let chunk = count.div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = blueprints
                .chunks(chunk)
                .enumerate()
                .map(|(n, slice)| {
                    let build_range = &build_range;
                    scope.spawn(move || build_range(n * chunk, slice))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };

    let mut conversations = Vec::with_capacity(count);
    let mut facts = Vec::with_capacity(count);
    let mut contact_activity = vec![Activity::default(); customers.contact_info.len()];
    for built in built {
        let activity = &mut contact_activity[built.facts.contact];
        if let Some(at) = built.last_contact_reply {
            activity.last_replied_at = Some(
                activity
                    .last_replied_at
                    .map_or(at, |prev: i64| prev.max(at)),
            );
        }
        if let Some(at) = built.last_admin_contact {
            activity.last_contacted_at = Some(
                activity
                    .last_contacted_at
                    .map_or(at, |prev: i64| prev.max(at)),
            );
        }
        conversations.push(built.json);
        facts.push(built.facts);
    }
    let part_ids =
        IdSequence::starting_at(part_base + (count as i64 + 1) * PART_IDS_PER_CONVERSATION);
    ConversationSet {
        conversations,
        facts,
        contact_activity,
        ids,
        part_ids,
    }
}

/// Resolutions a closed conversation records in its `resolution` attribute.
const RESOLUTIONS: [&str; 4] = ["solved", "workaround", "no_fix", "duplicate"];

/// The conversation attributes the seeded conversations carry (`issue_type`, `resolution`), as
/// `GET /conversations/attributes` lists them (schema `conversation_attribute`, list type).
pub fn conversation_attributes(directory: &Directory, now: i64) -> Vec<Value> {
    let creator = directory
        .admins
        .first()
        .map(|admin| admin.id.clone())
        .unwrap_or_default();
    let mut issue_types: Vec<&str> = Vec::new();
    for topic in TOPICS {
        if !issue_types.contains(&topic.issue_type) {
            issue_types.push(topic.issue_type);
        }
    }
    let attribute = |id: i64, name: &str, description: &str, labels: &[&str]| {
        let created_at = now - (300 - id * 11) * DAY;
        let options: Vec<Value> = labels
            .iter()
            .enumerate()
            .map(|(i, label)| {
                json!({
                    "id": format!("{:08x}-5e1d-4c0a-9b7e-{:012x}", id, i + 1),
                    "label": label,
                    "archived": false,
                })
            })
            .collect();
        json!({
            "type": "conversation_attribute",
            "id": id,
            "name": name,
            "description": description,
            "data_type": "list",
            "required": false,
            "visible_to_team_ids": [],
            "archived": false,
            "created_at": created_at,
            "updated_at": created_at + 2 * DAY,
            "admin_id": creator,
            "options": options,
        })
    };
    vec![
        attribute(
            3,
            "issue_type",
            "What the customer needs help with",
            &issue_types,
        ),
        attribute(
            4,
            "resolution",
            "How a closed conversation ended",
            &RESOLUTIONS,
        ),
    ]
}
