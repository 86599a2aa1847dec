//! The rules a file declares, after parsing and validation (see `parse.rs`).

use std::fmt;

use regex::Regex;
use serde::Serialize;

use super::template::{BodyTemplate, Template};

/// Webhook topics Intercom sends (API 2.16), plus the `*.created`/`*.updated`
/// changes that incremental sync logs.
pub const KNOWN_TOPICS: &[&str] = &[
    "conversation.user.created",
    "conversation.user.replied",
    "conversation.admin.replied",
    "conversation.admin.single.created",
    "conversation.admin.assigned",
    "conversation.admin.open.assigned",
    "conversation.admin.noted",
    "conversation.admin.closed",
    "conversation.admin.opened",
    "conversation.admin.snoozed",
    "conversation.admin.unsnoozed",
    "conversation.operator.replied",
    "conversation.deleted",
    "conversation.priority.updated",
    "conversation.rating.added",
    "conversation.read",
    "conversation.contact.attached",
    "conversation.contact.detached",
    "conversation_part.redacted",
    "conversation_part.tag.created",
    "ticket.created",
    "ticket.state.updated",
    "ticket.note.created",
    "ticket.admin.assigned",
    "ticket.team.assigned",
    "ticket.admin.replied",
    "ticket.contact.replied",
    "ticket.attribute.updated",
    "ticket.closed",
    "ticket.resolved",
    "ticket.rating.provided",
    "contact.user.created",
    "contact.user.updated",
    "contact.lead.created",
    "contact.lead.updated",
    "contact.archived",
    "contact.deleted",
    "contact.merged",
    "contact.email.updated",
    "contact.user.tag.created",
    "contact.user.tag.deleted",
    "company.created",
    "company.updated",
    "company.deleted",
    "company.contact.attached",
    "company.contact.detached",
    // Logged by incremental sync when it finds an object new or changed.
    "conversation.created",
    "conversation.updated",
    "ticket.updated",
    "contact.created",
    "contact.updated",
    "company.synced",
];

/// A whole rules file.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub settings: Settings,
    pub rules: Vec<Rule>,
}

impl RuleSet {
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// Enabled rules whose topics include `topic`.
    pub fn matching(&self, topic: &str) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.enabled && r.listens_to(topic))
            .collect()
    }
}

/// The `[settings]` table: how actions act and how far the engine lets them go.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Admin id or email the actions act as; `None` = the token's own admin.
    pub admin: Option<String>,
    /// Time zone of `business_hours` conditions that name none.
    pub timezone: chrono_tz::Tz,
    /// At most this many runs of one rule on one object within `rate_window_secs`.
    pub max_runs_per_object: u32,
    pub rate_window_secs: i64,
    /// How long after one of our writes its webhook is recognised as our own echo.
    pub echo_window_secs: i64,
    /// Attempts per action (1 = no retry).
    pub retry_attempts: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            admin: None,
            timezone: chrono_tz::UTC,
            max_runs_per_object: 5,
            rate_window_secs: 600,
            echo_window_secs: 300,
            retry_attempts: 3,
        }
    }
}

/// The kind of object a topic is about; decides which conditions and actions make sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectType {
    Conversation,
    Ticket,
    Contact,
    Company,
}

impl ObjectType {
    pub fn of_topic(topic: &str) -> Option<Self> {
        match topic.split('.').next()? {
            "conversation" | "conversation_part" => Some(Self::Conversation),
            "ticket" => Some(Self::Ticket),
            "contact" => Some(Self::Contact),
            "company" => Some(Self::Company),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conversation => "conversation",
            Self::Ticket => "ticket",
            Self::Contact => "contact",
            Self::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "conversation" | "conversations" => Some(Self::Conversation),
            "ticket" | "tickets" => Some(Self::Ticket),
            "contact" | "contacts" => Some(Self::Contact),
            "company" | "companies" => Some(Self::Company),
            _ => None,
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secret that signs outbound POSTs. Never printed.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One named rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub description: Option<String>,
    /// Line of the rule's `[[rules]]` header.
    pub line: usize,
    /// Exact topics, or prefixes written `conversation.*`.
    pub topics: Vec<String>,
    pub enabled: bool,
    pub dry_run: bool,
    /// Signs this rule's outbound POSTs.
    pub secret: Option<Secret>,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
}

impl Rule {
    pub fn listens_to(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| topic_matches(t, topic))
    }

    /// Object types this rule's topics can be about.
    pub fn object_types(&self) -> Vec<ObjectType> {
        let mut types: Vec<ObjectType> = Vec::new();
        for t in &self.topics {
            if let Some(ty) = ObjectType::of_topic(t)
                && !types.contains(&ty)
            {
                types.push(ty);
            }
        }
        types
    }

    /// The first of this rule's topics about `object`, for simulated events (`test_automation`).
    pub fn topic_for(&self, object: ObjectType) -> Option<String> {
        let pattern = self
            .topics
            .iter()
            .find(|t| ObjectType::of_topic(t) == Some(object))?;
        // A prefix such as `conversation.*` stands for its first real topic.
        KNOWN_TOPICS
            .iter()
            .find(|known| topic_matches(pattern, known))
            .map(|t| t.to_string())
            .or_else(|| Some(pattern.clone()))
    }

    pub fn needs_contact(&self) -> bool {
        self.conditions.iter().any(|c| c.test.needs("contact"))
            || self.actions.iter().any(|a| a.kind.needs("contact"))
    }

    pub fn needs_company(&self) -> bool {
        self.conditions.iter().any(|c| c.test.needs("company"))
            || self.actions.iter().any(|a| a.kind.needs("company"))
    }
}

/// `conversation.*` matches every conversation topic; anything else must be equal.
pub fn topic_matches(pattern: &str, topic: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => topic.starts_with(prefix),
        None => pattern == topic,
    }
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub line: usize,
    /// `not = true`: the condition holds when the test fails.
    pub negate: bool,
    pub test: ConditionTest,
}

#[derive(Debug, Clone)]
pub enum ConditionTest {
    /// Any of these words or phrases, case-insensitive (stored lowercase).
    TextContains(Vec<String>),
    TextMatches(Regex),
    /// Any of these tags, by name or id.
    Tag(Vec<String>),
    Priority(Vec<String>),
    State(Vec<String>),
    /// Team assignee by name or id; `unassigned` for none.
    Team(Vec<String>),
    /// Admin assignee by name, email or id; `unassigned` for none.
    Assignee(Vec<String>),
    Channel(Vec<String>),
    Attribute {
        path: Vec<String>,
        op: CompareOp,
        value: serde_json::Value,
    },
    BusinessHours(BusinessHours),
}

impl ConditionTest {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TextContains(_) => "text_contains",
            Self::TextMatches(_) => "text_matches",
            Self::Tag(_) => "tag",
            Self::Priority(_) => "priority",
            Self::State(_) => "state",
            Self::Team(_) => "team",
            Self::Assignee(_) => "assignee",
            Self::Channel(_) => "channel",
            Self::Attribute { .. } => "attribute",
            Self::BusinessHours(_) => "business_hours",
        }
    }

    fn needs(&self, root: &str) -> bool {
        matches!(self, Self::Attribute { path, .. } if path.first().map(String::as_str) == Some(root))
    }

    /// One line a person can read: `priority is urgent`.
    pub fn describe(&self) -> String {
        match self {
            Self::TextContains(words) => format!("text contains any of {words:?}"),
            Self::TextMatches(re) => format!("text matches /{}/", re.as_str()),
            Self::Tag(v) => format!("tagged any of {v:?}"),
            Self::Priority(v) => format!("priority is any of {v:?}"),
            Self::State(v) => format!("state is any of {v:?}"),
            Self::Team(v) => format!("team is any of {v:?}"),
            Self::Assignee(v) => format!("assignee is any of {v:?}"),
            Self::Channel(v) => format!("channel is any of {v:?}"),
            Self::Attribute { path, op, value } => match op {
                CompareOp::Exists => format!("{} exists", path.join(".")),
                _ => format!("{} {} {}", path.join("."), op.as_str(), value),
            },
            Self::BusinessHours(b) => format!("within business hours {} ({})", b.text, b.timezone),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
    In,
    Exists,
}

impl CompareOp {
    pub const ALL: [CompareOp; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Gt,
        Self::Ge,
        Self::Lt,
        Self::Le,
        Self::Contains,
        Self::In,
        Self::Exists,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Contains => "contains",
            Self::In => "in",
            Self::Exists => "exists",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.as_str() == s)
    }
}

/// Weekly opening hours in one time zone.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    /// As written, for display.
    pub text: String,
    pub timezone: chrono_tz::Tz,
    /// (weekday 0 = Monday, start minute, end minute), end exclusive.
    pub windows: Vec<(u32, u32, u32)>,
}

#[derive(Debug, Clone)]
pub struct Action {
    pub line: usize,
    pub kind: ActionKind,
}

#[derive(Debug, Clone)]
pub enum ActionKind {
    AddTag(String),
    RemoveTag(String),
    AssignAdmin(String),
    /// Assign to the team; with `round_robin`, also to the next of its admins who is not away.
    AssignTeam {
        team: String,
        round_robin: bool,
    },
    Note(Template),
    Reply(Template),
    Snooze {
        seconds: i64,
    },
    Close(Option<Template>),
    CreateTicket {
        ticket_type: String,
        title: Option<Template>,
    },
    Post {
        url: url::Url,
        body: Option<BodyTemplate>,
    },
}

impl ActionKind {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AddTag(_) => "add_tag",
            Self::RemoveTag(_) => "remove_tag",
            Self::AssignAdmin(_) => "assign_admin",
            Self::AssignTeam { .. } => "assign_team",
            Self::Note(_) => "note",
            Self::Reply(_) => "reply",
            Self::Snooze { .. } => "snooze",
            Self::Close(_) => "close",
            Self::CreateTicket { .. } => "create_ticket",
            Self::Post { .. } => "post",
        }
    }

    /// One line a person can read: `assign_team "Billing" (round-robin)`.
    pub fn describe(&self) -> String {
        match self {
            Self::AddTag(t) => format!("add tag {t:?}"),
            Self::RemoveTag(t) => format!("remove tag {t:?}"),
            Self::AssignAdmin(a) => format!("assign to admin {a:?}"),
            Self::AssignTeam { team, round_robin } => format!(
                "assign to team {team:?}{}",
                if *round_robin {
                    " and round-robin to its available admins"
                } else {
                    ""
                }
            ),
            Self::Note(t) => format!("internal note {:?}", t.source()),
            Self::Reply(t) => format!("reply {:?}", t.source()),
            Self::Snooze { seconds } => format!("snooze for {seconds}s"),
            Self::Close(None) => "close".into(),
            Self::Close(Some(t)) => format!("close with message {:?}", t.source()),
            Self::CreateTicket { ticket_type, .. } => {
                format!("convert into a {ticket_type:?} ticket")
            }
            Self::Post { url, .. } => format!("POST signed JSON to {url}"),
        }
    }

    /// Object types the action can act on.
    pub fn applies_to(&self) -> &'static [ObjectType] {
        use ObjectType::*;
        match self {
            Self::AddTag(_) | Self::RemoveTag(_) | Self::Note(_) => {
                &[Conversation, Ticket, Contact]
            }
            Self::AssignAdmin(_)
            | Self::AssignTeam { .. }
            | Self::Reply(_)
            | Self::Snooze { .. }
            | Self::Close(_) => &[Conversation, Ticket],
            Self::CreateTicket { .. } => &[Conversation],
            Self::Post { .. } => &[Conversation, Ticket, Contact, Company],
        }
    }

    /// Whether running it twice does no harm, so a failure may be retried whatever it was.
    pub fn repeatable(&self) -> bool {
        !matches!(
            self,
            Self::Note(_) | Self::Reply(_) | Self::CreateTicket { .. } | Self::Close(Some(_))
        )
    }

    fn needs(&self, root: &str) -> bool {
        match self {
            Self::Note(t) | Self::Reply(t) | Self::Close(Some(t)) => t.uses_root(root),
            Self::CreateTicket { title: Some(t), .. } => t.uses_root(root),
            Self::Post { body: Some(b), .. } => b.uses_root(root),
            _ => false,
        }
    }
}
