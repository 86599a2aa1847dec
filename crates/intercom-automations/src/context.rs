//! What a rule sees of one event: the event, its object, looked-up context
//! (contact, company, admins, teams, tags) and the message text.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use super::rules::ObjectType;
use super::template::Fields;
use intercom_mirror::columns::{id_string, plain_text};

/// One event a rule may react to: a webhook notification or a change found by sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The notification id (`notif_…`), unique per event; sync changes get `sync:…` ids.
    pub id: String,
    pub topic: String,
    /// When it happened (Unix seconds).
    pub created_at: i64,
    /// The object the event is about, as Intercom sent it (may be only its id).
    pub item: Value,
}

impl Event {
    /// Read a webhook envelope (`{type: "notification_event", id, topic, created_at, data: {item}}`).
    pub fn from_envelope(envelope: &Value) -> Option<Self> {
        Some(Self {
            id: envelope.get("id")?.as_str()?.to_string(),
            topic: envelope.get("topic")?.as_str()?.to_string(),
            created_at: envelope
                .get("created_at")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            item: envelope
                .pointer("/data/item")
                .cloned()
                .unwrap_or(Value::Null),
        })
    }

    pub fn object_type(&self) -> Option<ObjectType> {
        ObjectType::of_topic(&self.topic)
    }

    pub fn object_id(&self) -> Option<String> {
        self.item.get("id").and_then(id_string)
    }
}

/// An admin of the shared workspace directory.
pub type AdminEntry = intercom_api::DirectoryAdmin;

/// What conditions and actions look names up in: the shared workspace directory
/// (admins, teams, tags; [`intercom_api::Directory`]) and the ticket types.
#[derive(Debug, Clone, Default)]
pub struct RuleDirectory {
    pub workspace: Arc<intercom_api::Directory>,
    pub ticket_types: Arc<Vec<NamedEntry>>,
}

impl std::ops::Deref for RuleDirectory {
    type Target = intercom_api::Directory;

    fn deref(&self) -> &Self::Target {
        &self.workspace
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NamedEntry {
    pub id: String,
    pub name: String,
}

impl RuleDirectory {
    pub fn ticket_type(&self, key: &str) -> Option<&NamedEntry> {
        self.ticket_types
            .iter()
            .find(|t| t.id == key || t.name.eq_ignore_ascii_case(key))
    }
}

/// Everything one event offers to conditions and templates.
#[derive(Debug, Clone)]
pub struct EventContext {
    pub event: Event,
    pub object_type: Option<ObjectType>,
    /// The full object: the event's item, or a fresh copy when the item was only an id.
    pub object: Value,
    pub contact: Option<Value>,
    pub company: Option<Value>,
    /// The admin actions act as.
    pub admin: Option<Value>,
    /// Plain text of the message the event is about.
    pub text: String,
}

impl EventContext {
    pub fn new(event: Event, object: Value) -> Self {
        let object_type = event.object_type();
        let text = message_text(&event.topic, object_type, &object);
        Self {
            event,
            object_type,
            object,
            contact: None,
            company: None,
            admin: None,
            text,
        }
    }

    pub fn object_id(&self) -> Option<String> {
        self.object
            .get("id")
            .and_then(id_string)
            .or_else(|| self.event.object_id())
    }

    /// The id of the contact the object is about (first contact of a conversation or ticket).
    pub fn contact_id(&self) -> Option<String> {
        match self.object_type? {
            ObjectType::Contact => self.object_id(),
            ObjectType::Conversation | ObjectType::Ticket => self
                .object
                .pointer("/contacts/contacts/0/id")
                .and_then(id_string),
            ObjectType::Company => None,
        }
    }

    /// The id of the company: the object itself, the conversation's company, or the contact's first.
    pub fn company_id(&self) -> Option<String> {
        if self.object_type == Some(ObjectType::Company) {
            return self.object_id();
        }
        self.object
            .pointer("/company/id")
            .or_else(|| self.object.get("company_id"))
            .and_then(id_string)
            .or_else(|| {
                self.contact
                    .as_ref()?
                    .pointer("/companies/data/0/id")
                    .and_then(id_string)
            })
    }

    fn root(&self, name: &str) -> Option<Value> {
        let is = |ty| self.object_type == Some(ty);
        match name {
            "event" => Some(json!({
                "id": self.event.id, "topic": self.event.topic, "created_at": self.event.created_at
            })),
            "object" => Some(self.object.clone()),
            "conversation" if is(ObjectType::Conversation) => Some(self.object.clone()),
            "ticket" if is(ObjectType::Ticket) => Some(self.object.clone()),
            "contact" if is(ObjectType::Contact) => Some(self.object.clone()),
            "company" if is(ObjectType::Company) => Some(self.object.clone()),
            "contact" => self.contact.clone(),
            "company" => self.company.clone(),
            "admin" => self.admin.clone(),
            "text" => Some(Value::String(self.text.clone())),
            _ => None,
        }
    }

    /// A dotted path; a missing field is looked for again among custom (and ticket) attributes.
    pub fn lookup(&self, path: &[String]) -> Option<Value> {
        let root = self.root(path.first()?)?;
        let rest = &path[1..];
        walk(&root, rest)
            .or_else(|| walk(root.get("custom_attributes")?, rest))
            .or_else(|| walk(root.get("ticket_attributes")?, rest))
            .cloned()
    }

    /// Bind the rule's name for templates (`{{rule.name}}`).
    pub fn fields<'a>(&'a self, rule: &'a str) -> RuleFields<'a> {
        RuleFields { ctx: self, rule }
    }
}

fn walk<'v>(mut value: &'v Value, path: &[String]) -> Option<&'v Value> {
    for key in path {
        value = match value {
            Value::Object(map) => map.get(key)?,
            Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Template fields of one rule run.
pub struct RuleFields<'a> {
    ctx: &'a EventContext,
    rule: &'a str,
}

impl Fields for RuleFields<'_> {
    fn field(&self, path: &[String]) -> Option<Value> {
        if path.first().map(String::as_str) == Some("rule") {
            let rule = json!({"name": self.rule});
            return walk(&rule, &path[1..]).cloned();
        }
        self.ctx.lookup(path)
    }
}

/// The text a message-level event is about: the newest part for replies and notes,
/// the opening message (with its subject) otherwise.
pub fn message_text(topic: &str, object_type: Option<ObjectType>, object: &Value) -> String {
    let body_of = |v: &Value| v.get("body").and_then(Value::as_str).map(plain_text);
    let latest_part = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_array)
            .and_then(|parts| {
                parts
                    .iter()
                    .rev()
                    .find_map(|p| body_of(p).filter(|b| !b.is_empty()))
            })
    };
    let is_part_event = topic.ends_with(".replied") || topic.ends_with(".noted");
    match object_type {
        Some(ObjectType::Conversation) => {
            let opening = || {
                let source = object.get("source")?;
                let subject = source
                    .get("subject")
                    .and_then(Value::as_str)
                    .map(plain_text)
                    .unwrap_or_default();
                let body = body_of(source).unwrap_or_default();
                Some(format!("{subject} {body}").trim().to_string())
            };
            let part = if is_part_event {
                latest_part("/conversation_parts/conversation_parts")
            } else {
                None
            };
            part.or_else(opening).unwrap_or_default()
        }
        Some(ObjectType::Ticket) => {
            let part = if is_part_event {
                latest_part("/ticket_parts/ticket_parts")
            } else {
                None
            };
            part.unwrap_or_else(|| {
                let attr = |name: &str| {
                    object
                        .pointer(&format!("/ticket_attributes/{name}"))
                        .and_then(Value::as_str)
                        .map(plain_text)
                        .unwrap_or_default()
                };
                format!(
                    "{} {}",
                    attr("_default_title_"),
                    attr("_default_description_")
                )
                .trim()
                .to_string()
            })
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_and_text() {
        let env = json!({"type": "notification_event", "id": "notif_1", "topic": "conversation.user.replied",
            "created_at": 100, "data": {"type": "notification_event_data", "item": {
                "type": "conversation", "id": "7",
                "source": {"subject": "", "body": "<p>first</p>"},
                "conversation_parts": {"conversation_parts": [
                    {"body": "<p>Where is my <b>invoice</b>?</p>"}, {"body": null}]}}}});
        let event = Event::from_envelope(&env).unwrap();
        assert_eq!(event.object_id().as_deref(), Some("7"));
        let ctx = EventContext::new(event.clone(), event.item.clone());
        assert_eq!(ctx.text, "Where is my invoice ?");
        let created = Event {
            topic: "conversation.user.created".into(),
            ..event
        };
        let ctx = EventContext::new(created.clone(), created.item.clone());
        assert_eq!(ctx.text, "first");
    }

    #[test]
    fn lookup_falls_back_to_custom_attributes() {
        let event = Event {
            id: "e".into(),
            topic: "conversation.user.created".into(),
            created_at: 1,
            item: json!({"id": "1", "contacts": {"contacts": [{"id": "c9"}]}}),
        };
        let mut ctx = EventContext::new(event.clone(), event.item.clone());
        ctx.contact = Some(json!({"id": "c9", "custom_attributes": {"plan": "pro"},
            "companies": {"data": [{"id": "co1"}]}}));
        let p = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(ctx.lookup(&p("contact.plan")), Some(json!("pro")));
        assert_eq!(ctx.lookup(&p("contact.id")), Some(json!("c9")));
        assert_eq!(ctx.lookup(&p("ticket.id")), None);
        assert_eq!(ctx.contact_id().as_deref(), Some("c9"));
        assert_eq!(ctx.company_id().as_deref(), Some("co1"));
        assert_eq!(ctx.fields("r1").field(&p("rule.name")), Some(json!("r1")));
    }
}
