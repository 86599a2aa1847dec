//! Conversations, their parts, statistics and rating, plus reply/update payloads.

use intercom_core::ids::Id;
use serde_json::{Map, Value, json};

use super::{ContactIdentifier, model};

/// Declares a string enum that keeps unknown wire values instead of failing.
macro_rules! open_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident => $wire:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant,)*
            /// A value this crate does not know (kept verbatim).
            Other(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Other(s) => s,
                }
            }

            /// Parses a wire value (unknown values become `Other`).
            pub fn parse(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                Ok(match <::serde_json::Value as ::serde::Deserialize>::deserialize(d)? {
                    ::serde_json::Value::String(s) => $name::parse(&s),
                    other => $name::Other(other.to_string()),
                })
            }
        }
    };
}
pub(crate) use open_enum;

open_enum! {
    /// Conversation priority (2.16).
    pub enum Priority {
        /// No priority.
        None => "none",
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
        /// Urgent.
        Urgent => "urgent",
    }
}

open_enum! {
    /// Conversation state.
    pub enum ConversationState {
        /// Open.
        Open => "open",
        /// Closed.
        Closed => "closed",
        /// Snoozed.
        Snoozed => "snoozed",
    }
}

model! {
    /// A conversation (retrieved, listed or searched).
    pub struct Conversation {
        /// `conversation`.
        pub r#type: Option<String>,
        /// Conversation id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Title.
        pub title: Option<String>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Since when the contact waits for an answer (null after an admin reply).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub waiting_since: Option<i64>,
        /// Snoozed until.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub snoozed_until: Option<i64>,
        /// Open flag.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub open: Option<bool>,
        /// `open`, `closed`, `snoozed`.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub state: Option<ConversationState>,
        /// Read by the contact.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub read: Option<bool>,
        /// Priority.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub priority: Option<Priority>,
        /// Assigned admin id; 0 = unassigned. Use [`Conversation::admin_assignee`].
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub admin_assignee_id: Option<i64>,
        /// Assigned team id; 0 = unassigned. Use [`Conversation::team_assignee`].
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub team_assignee_id: Option<i64>,
        /// Company the conversation is about.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub company: Option<super::Company>,
        /// Tags.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub tags: Option<super::TagList>,
        /// Rating.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub conversation_rating: Option<ConversationRating>,
        /// First message.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub source: Option<ConversationSource>,
        /// Participating contacts.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub contacts: Option<ConversationContacts>,
        /// Participating teammates.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub teammates: Option<ConversationTeammates>,
        /// Conversation custom attributes.
        #[serde(deserialize_with = "super::de::opt_map")]
        pub custom_attributes: Option<Map<String, Value>>,
        /// First reply of the contact.
        pub first_contact_reply: Option<Value>,
        /// SLA applied.
        pub sla_applied: Option<Value>,
        /// Statistics.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub statistics: Option<ConversationStatistics>,
        /// Parts (at most the 500 most recent; only on retrieve).
        #[serde(deserialize_with = "super::de::opt_object")]
        pub conversation_parts: Option<ConversationParts>,
        /// Linked tickets/conversations.
        pub linked_objects: Option<Value>,
        /// Fin took part.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub ai_agent_participated: Option<bool>,
        /// Fin details.
        pub ai_agent: Option<Value>,
        /// A sales agent took part.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub sales_agent_participated: Option<bool>,
        /// Channel `{initial, current}` (chat, email, phone...).
        pub channel: Option<Value>,
    }
}

impl Conversation {
    /// The assigned admin, `None` when unassigned (0 or null).
    pub fn admin_assignee(&self) -> Option<i64> {
        self.admin_assignee_id.filter(|id| *id != 0)
    }

    /// The assigned team, `None` when unassigned (0 or null).
    pub fn team_assignee(&self) -> Option<i64> {
        self.team_assignee_id.filter(|id| *id != 0)
    }

    /// Tag names.
    pub fn tag_names(&self) -> Vec<&str> {
        self.tags
            .as_ref()
            .map(|t| t.tags.iter().filter_map(|t| t.name.as_deref()).collect())
            .unwrap_or_default()
    }

    /// Contact ids.
    pub fn contact_ids(&self) -> Vec<&str> {
        self.contacts
            .as_ref()
            .map(|c| c.contacts.iter().filter_map(|c| c.id.as_deref()).collect())
            .unwrap_or_default()
    }

    /// The parts, oldest first (empty when not included).
    pub fn parts(&self) -> &[ConversationPart] {
        self.conversation_parts
            .as_ref()
            .map(|p| p.conversation_parts.as_slice())
            .unwrap_or_default()
    }
}

model! {
    /// `contact.list` of a conversation.
    pub struct ConversationContacts {
        /// `contact.list`.
        pub r#type: Option<String>,
        /// Contacts.
        #[serde(deserialize_with = "super::de::list")]
        pub contacts: Vec<super::ContactReference>,
    }
}

model! {
    /// `admin.list` of teammates who took part.
    pub struct ConversationTeammates {
        /// `admin.list`.
        pub r#type: Option<String>,
        /// Teammates.
        #[serde(deserialize_with = "super::de::list")]
        pub teammates: Vec<super::Reference>,
    }
}

model! {
    /// Author of a part or source.
    pub struct Author {
        /// `admin`, `user`, `lead`, `bot`, `team`.
        pub r#type: Option<String>,
        /// Id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Email.
        pub email: Option<String>,
        /// Written by Fin.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub from_ai_agent: Option<bool>,
        /// An AI answer.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub is_ai_answer: Option<bool>,
    }
}

model! {
    /// A file attached to a part.
    pub struct Attachment {
        /// `upload`.
        pub r#type: Option<String>,
        /// File name.
        pub name: Option<String>,
        /// URL.
        pub url: Option<String>,
        /// MIME type.
        pub content_type: Option<String>,
        /// Size in bytes.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub filesize: Option<i64>,
        /// Image width.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub width: Option<i64>,
        /// Image height.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub height: Option<i64>,
    }
}

model! {
    /// The message that started a conversation.
    pub struct ConversationSource {
        /// `conversation`, `email`, `push`...
        pub r#type: Option<String>,
        /// Id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// `customer_initiated`, `admin_initiated`, `automated`...
        pub delivered_as: Option<String>,
        /// Subject.
        pub subject: Option<String>,
        /// HTML body.
        pub body: Option<String>,
        /// Author.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub author: Option<Author>,
        /// Attachments.
        #[serde(deserialize_with = "super::de::list")]
        pub attachments: Vec<Attachment>,
        /// Page URL it started on.
        pub url: Option<String>,
        /// Email recipients.
        pub recipients: Option<Value>,
        /// Email reply-to addresses.
        pub reply_to: Option<Value>,
        /// Redacted.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub redacted: Option<bool>,
    }
}

model! {
    /// One part (message, note, action) of a conversation.
    pub struct ConversationPart {
        /// `conversation_part`.
        pub r#type: Option<String>,
        /// Part id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// `comment`, `note`, `assignment`, `close`, `open`, `snoozed`...
        pub part_type: Option<String>,
        /// HTML body.
        pub body: Option<String>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// When the contact was notified.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub notified_at: Option<i64>,
        /// Assignee set by this part.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub assigned_to: Option<super::Reference>,
        /// Author.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub author: Option<Author>,
        /// Attachments.
        #[serde(deserialize_with = "super::de::list")]
        pub attachments: Vec<Attachment>,
        /// External id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub external_id: Option<String>,
        /// Redacted.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub redacted: Option<bool>,
        /// Conversation state after this part.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub state: Option<ConversationState>,
        /// Tags on the part.
        #[serde(deserialize_with = "super::de::list")]
        pub tags: Vec<super::Tag>,
        /// Event details (attribute changes, links...).
        pub event_details: Option<Value>,
        /// Part metadata.
        pub metadata: Option<Value>,
        /// App package that created the part.
        pub app_package_code: Option<String>,
    }
}

model! {
    /// `conversation_part.list`.
    pub struct ConversationParts {
        /// `conversation_part.list`.
        pub r#type: Option<String>,
        /// Parts, oldest first.
        #[serde(deserialize_with = "super::de::list")]
        pub conversation_parts: Vec<ConversationPart>,
        /// Total parts (may exceed the 500 returned).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub total_count: Option<i64>,
    }
}

model! {
    /// Timing statistics of a conversation (seconds and Unix times).
    pub struct ConversationStatistics {
        /// `conversation_statistics`.
        pub r#type: Option<String>,
        /// Seconds to first assignment.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub time_to_assignment: Option<i64>,
        /// Seconds to first admin reply.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub time_to_admin_reply: Option<i64>,
        /// Seconds to first close.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub time_to_first_close: Option<i64>,
        /// Seconds to last close.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub time_to_last_close: Option<i64>,
        /// Median seconds to reply.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub median_time_to_reply: Option<i64>,
        /// First contact reply.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub first_contact_reply_at: Option<i64>,
        /// First assignment.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub first_assignment_at: Option<i64>,
        /// First admin reply.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub first_admin_reply_at: Option<i64>,
        /// First close.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub first_close_at: Option<i64>,
        /// Last assignment.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_assignment_at: Option<i64>,
        /// First admin reply after the last assignment.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_assignment_admin_reply_at: Option<i64>,
        /// Last contact reply.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_contact_reply_at: Option<i64>,
        /// Last admin reply.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_admin_reply_at: Option<i64>,
        /// Last close.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_close_at: Option<i64>,
        /// Admin who closed last.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub last_closed_by_id: Option<String>,
        /// Reopen count.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub count_reopens: Option<i64>,
        /// Assignment count.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub count_assignments: Option<i64>,
        /// Part count.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub count_conversation_parts: Option<i64>,
        /// Handling time (seconds).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub handling_time: Option<i64>,
        /// Handling time adjusted for idle periods (seconds).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub adjusted_handling_time: Option<i64>,
        /// First response time per assigned team.
        pub assigned_team_first_response_time: Option<Value>,
        /// First response time per assigned team, office hours only.
        pub assigned_team_first_response_time_in_office_hours: Option<Value>,
    }
}

model! {
    /// The contact's rating of a conversation.
    pub struct ConversationRating {
        /// Score 1-5.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub rating: Option<i64>,
        /// Remark.
        pub remark: Option<String>,
        /// Rated at.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Updated at.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Who rated.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub contact: Option<super::ContactReference>,
        /// Teammate rated.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub teammate: Option<super::Reference>,
    }
}

model! {
    /// Answer of `POST /conversations` (and `/messages`): the message that started it.
    pub struct Message {
        /// `user_message` or `admin_message`.
        pub r#type: Option<String>,
        /// Message id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Subject.
        pub subject: Option<String>,
        /// Body.
        pub body: Option<String>,
        /// `email`, `inapp`...
        pub message_type: Option<String>,
        /// The new conversation's id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub conversation_id: Option<String>,
    }
}

model! {
    /// Body of `PUT /conversations/{id}`.
    pub struct ConversationUpdate {
        /// Mark read/unread.
        pub read: Option<bool>,
        /// Title.
        pub title: Option<String>,
        /// Conversation custom attributes (only the keys given change).
        pub custom_attributes: Option<Map<String, Value>>,
        /// Company to associate.
        pub company_id: Option<String>,
    }
}

/// Kind of reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// Visible to the contact.
    Comment,
    /// Internal note (admins only).
    Note,
}

/// Who replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyAuthor {
    /// A teammate, by admin id.
    Admin(String),
    /// A contact.
    Contact(ContactIdentifier),
}

/// A reply to a conversation or ticket. Build with [`Reply::admin_comment`], [`Reply::admin_note`]
/// or [`Reply::contact_comment`].
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// Comment or note (contacts can only comment).
    pub kind: ReplyKind,
    /// Author.
    pub author: ReplyAuthor,
    /// HTML body.
    pub body: String,
    /// Attachment URLs (max 10).
    pub attachment_urls: Vec<String>,
    /// Backdated creation time.
    pub created_at: Option<i64>,
}

impl Reply {
    /// A comment by a teammate.
    pub fn admin_comment(admin_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self::new(
            ReplyKind::Comment,
            ReplyAuthor::Admin(admin_id.into()),
            body,
        )
    }

    /// An internal note by a teammate.
    pub fn admin_note(admin_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self::new(ReplyKind::Note, ReplyAuthor::Admin(admin_id.into()), body)
    }

    /// A comment by a contact.
    pub fn contact_comment(contact: ContactIdentifier, body: impl Into<String>) -> Self {
        Self::new(ReplyKind::Comment, ReplyAuthor::Contact(contact), body)
    }

    fn new(kind: ReplyKind, author: ReplyAuthor, body: impl Into<String>) -> Self {
        Reply {
            kind,
            author,
            body: body.into(),
            attachment_urls: Vec::new(),
            created_at: None,
        }
    }

    /// The request body Intercom expects.
    pub fn to_json(&self) -> Value {
        let message_type = match self.kind {
            ReplyKind::Comment => "comment",
            ReplyKind::Note => "note",
        };
        let mut body = json!({"message_type": message_type, "body": self.body});
        let obj = body.as_object_mut().expect("literal object");
        match &self.author {
            ReplyAuthor::Admin(id) => {
                obj.insert("type".into(), json!("admin"));
                obj.insert("admin_id".into(), json!(id));
            }
            ReplyAuthor::Contact(who) => {
                obj.insert("type".into(), json!("user"));
                let (k, v) = match who {
                    ContactIdentifier::Id(v) => ("intercom_user_id", v.as_str()),
                    ContactIdentifier::ExternalId(v) => ("user_id", v.as_str()),
                    ContactIdentifier::Email(v) => ("email", v.as_str()),
                };
                obj.insert(k.into(), json!(v));
            }
        }
        if !self.attachment_urls.is_empty() {
            obj.insert("attachment_urls".into(), json!(self.attachment_urls));
        }
        if let Some(t) = self.created_at {
            obj.insert("created_at".into(), json!(t));
        }
        body
    }
}

/// Assignment target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// An admin id (`0` unassigns).
    Admin(Id),
    /// A team id (`0` unassigns).
    Team(Id),
}

model! {
    /// Body of `POST /conversations/{id}/convert`, but for the ticket type, which
    /// [`Client::convert_conversation_to_ticket`](crate::Client::convert_conversation_to_ticket)
    /// takes as an [`Id`].
    pub struct ConvertToTicket {
        /// Initial ticket state.
        pub ticket_state_id: Option<Id>,
        /// Ticket attributes.
        pub attributes: Option<Map<String, Value>>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_conversation_parses_and_keeps_unknown_fields() {
        let raw = json!({
            "type": "conversation", "id": 123, "priority": "urgent", "state": "snoozed",
            "admin_assignee_id": "0", "team_assignee_id": null, "open": true,
            "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "9", "name": "vip"}]},
            "brand_new_field": {"x": 1}
        });
        let c: Conversation = serde_json::from_value(raw).unwrap();
        assert_eq!(c.id.as_deref(), Some("123"));
        assert_eq!(c.priority, Some(Priority::Urgent));
        assert_eq!(c.state, Some(ConversationState::Snoozed));
        assert_eq!(c.admin_assignee_id, Some(0));
        assert_eq!(c.admin_assignee(), None);
        assert_eq!(c.tag_names(), vec!["vip"]);
        assert_eq!(c.extra["brand_new_field"], json!({"x": 1}));
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["brand_new_field"], json!({"x": 1}));
        assert_eq!(back["priority"], json!("urgent"));
    }

    #[test]
    fn unknown_priority_is_kept() {
        let c: Conversation = serde_json::from_value(json!({"priority": "not_priority"})).unwrap();
        assert_eq!(c.priority, Some(Priority::Other("not_priority".into())));
    }

    #[test]
    fn reply_bodies() {
        let r = Reply::admin_note("7", "<p>hi</p>").to_json();
        assert_eq!(
            r,
            json!({"message_type":"note","body":"<p>hi</p>","type":"admin","admin_id":"7"})
        );
        let r = Reply::contact_comment(ContactIdentifier::Email("a@b.c".into()), "x").to_json();
        assert_eq!(r["type"], "user");
        assert_eq!(r["email"], "a@b.c");
    }
}
