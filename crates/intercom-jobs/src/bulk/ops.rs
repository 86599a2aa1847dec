//! The operations a bulk job applies to each target, and how to tell whether an
//! item already took effect (so an ambiguous failure is never applied twice).

use intercom_api::{Assignee, Client, ContactInput, Id, Method};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use intercom_mirror::columns::id_string;

/// What a tag operation tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagObject {
    Contacts,
    Companies,
    Conversations,
}

impl TagObject {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().trim_end_matches('s') {
            "contact" => Ok(Self::Contacts),
            "company" | "companie" => Ok(Self::Companies),
            "conversation" => Ok(Self::Conversations),
            _ => Err(format!(
                "unknown object `{s}` to tag; use contacts, companies or conversations"
            )),
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            Self::Contacts => "contact",
            Self::Companies => "company",
            Self::Conversations => "conversation",
        }
    }
}

/// What to do to each conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum ConversationAction {
    Close {
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// Assign to an admin (`team: false`) or a team.
    Assign {
        assignee_id: String,
        team: bool,
        /// The assignee's name, for reports.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee_name: Option<String>,
    },
    Unassign,
    Snooze {
        until: i64,
    },
}

/// One bulk operation; serialised into the job so a resumed job does the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Operation {
    /// Set standard attributes (`name`, `phone`, ...) and `custom_attributes`; items
    /// may carry their own attributes (CSV rows), merged over these.
    UpdateContacts { attributes: Map<String, Value> },
    Tag {
        object: TagObject,
        tag_id: String,
        tag_name: String,
        remove: bool,
        admin_id: String,
    },
    ManageConversations {
        #[serde(flatten)]
        action: ConversationAction,
        admin_id: String,
    },
}

impl Operation {
    pub fn kind(&self) -> &'static str {
        match self {
            Operation::UpdateContacts { .. } => "update_contacts",
            Operation::Tag { .. } => "tag",
            Operation::ManageConversations { .. } => "manage_conversations",
        }
    }

    /// One sentence for reports.
    pub fn describe(&self) -> String {
        match self {
            Operation::UpdateContacts { attributes } => {
                let names: Vec<&str> = attributes
                    .iter()
                    .flat_map(|(k, v)| match (k.as_str(), v) {
                        ("custom_attributes", Value::Object(custom)) => {
                            custom.keys().map(String::as_str).collect::<Vec<_>>()
                        }
                        _ => vec![k.as_str()],
                    })
                    .collect();
                if names.is_empty() {
                    "update contacts (attributes per item)".into()
                } else {
                    format!("update contacts: set {}", names.join(", "))
                }
            }
            Operation::Tag {
                object,
                tag_name,
                remove,
                ..
            } => format!(
                "{} tag `{tag_name}` {} {}",
                if *remove { "remove" } else { "add" },
                if *remove { "from" } else { "to" },
                match object {
                    TagObject::Contacts => "contacts",
                    TagObject::Companies => "companies",
                    TagObject::Conversations => "conversations",
                }
            ),
            Operation::ManageConversations { action, .. } => match action {
                ConversationAction::Close { .. } => "close conversations".into(),
                ConversationAction::Assign {
                    assignee_id,
                    team,
                    assignee_name,
                } => {
                    let what = if *team { "team" } else { "admin" };
                    match assignee_name {
                        Some(name) => {
                            format!("assign conversations to {name} ({what} {assignee_id})")
                        }
                        None => format!("assign conversations to {what} {assignee_id}"),
                    }
                }
                ConversationAction::Unassign => "unassign conversations".into(),
                ConversationAction::Snooze { until } => format!(
                    "snooze conversations until {}",
                    intercom_core::dates::iso(*until, chrono_tz::Tz::UTC)
                ),
            },
        }
    }

    /// The attributes to set on one contact: the job's, overridden by the item's.
    fn contact_update(&self, payload: Option<&Value>) -> Map<String, Value> {
        let Operation::UpdateContacts { attributes } = self else {
            return Map::new();
        };
        let mut merged = attributes.clone();
        if let Some(Value::Object(item)) = payload {
            for (key, value) in item {
                match (key.as_str(), value, merged.get_mut("custom_attributes")) {
                    ("custom_attributes", Value::Object(extra), Some(Value::Object(base))) => {
                        base.extend(extra.clone());
                    }
                    _ => {
                        merged.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        merged
    }

    /// Send the change for one target through the typed client, never resending a write
    /// that may have been processed ([`Client::never_resending`]): an ambiguous failure
    /// comes back here to be checked before any resend. An accepted write whose answer could
    /// not be read took effect, so it counts as applied.
    pub async fn apply(
        &self,
        client: &Client,
        id: &str,
        payload: Option<&Value>,
    ) -> intercom_api::Result<()> {
        let client = client.never_resending();
        let target = Id::new(id)?;
        let outcome = match self {
            Operation::UpdateContacts { .. } => {
                let update: ContactInput =
                    serde_json::from_value(Value::Object(self.contact_update(payload))).map_err(
                        |e| intercom_api::Error::InvalidRequest(format!("contact attributes: {e}")),
                    )?;
                client.update_contact(&target, &update).await.map(drop)
            }
            Operation::Tag {
                object,
                tag_id,
                tag_name,
                remove,
                admin_id,
            } => {
                let tag = Id::new(tag_id)?;
                match (object, remove) {
                    (TagObject::Contacts, false) => client.tag_contact(&target, &tag).await,
                    (TagObject::Contacts, true) => client.untag_contact(&target, &tag).await,
                    (TagObject::Conversations, false) => {
                        let admin = Id::new(admin_id)?;
                        client.tag_conversation(&target, &tag, &admin).await
                    }
                    (TagObject::Conversations, true) => {
                        let admin = Id::new(admin_id)?;
                        client.untag_conversation(&target, &tag, &admin).await
                    }
                    (TagObject::Companies, remove) => {
                        client.tag_company(tag_name, &target, *remove).await
                    }
                }
                .map(drop)
            }
            Operation::ManageConversations { action, admin_id } => {
                let admin = Id::new(admin_id)?;
                match action {
                    ConversationAction::Close { body } => {
                        client
                            .close_conversation(&target, &admin, body.as_deref())
                            .await
                    }
                    ConversationAction::Assign {
                        assignee_id, team, ..
                    } => {
                        let assignee_id = Id::new(assignee_id)?;
                        let assignee = if *team {
                            Assignee::Team(assignee_id)
                        } else {
                            Assignee::Admin(assignee_id)
                        };
                        client
                            .assign_conversation(&target, &admin, &assignee, None)
                            .await
                    }
                    ConversationAction::Unassign => {
                        client.unassign_conversation(&target, &admin).await
                    }
                    ConversationAction::Snooze { until } => {
                        client.snooze_conversation(&target, &admin, *until).await
                    }
                }
                .map(drop)
            }
        };
        match outcome {
            Err(e) if e.is_applied_but_unreadable() => Ok(()),
            other => other,
        }
    }

    /// Whether the target already shows the change (read back after an ambiguous failure).
    pub async fn already_applied(
        &self,
        client: &Client,
        id: &str,
        payload: Option<&Value>,
    ) -> intercom_api::Result<bool> {
        let id = path_segment(id);
        let path = match self {
            Operation::UpdateContacts { .. } => format!("/contacts/{id}"),
            Operation::Tag { object, .. } => match object {
                TagObject::Contacts => format!("/contacts/{id}/tags"),
                TagObject::Companies => format!("/companies/{id}"),
                TagObject::Conversations => format!("/conversations/{id}"),
            },
            Operation::ManageConversations { .. } => format!("/conversations/{id}"),
        };
        let object = client.send_json(Method::GET, &path, &[], None).await?;
        Ok(self.shows_change(&object, payload).unwrap_or(false))
    }

    /// Whether `object` (as Intercom returns it) already shows the change; `None` when it
    /// does not say (no tag list in it, for instance). Dry runs count these.
    pub fn shows_change(&self, object: &Value, payload: Option<&Value>) -> Option<bool> {
        match self {
            Operation::UpdateContacts { .. } => {
                Some(contact_matches(object, &self.contact_update(payload)))
            }
            Operation::Tag { tag_id, remove, .. } => {
                let tags = object
                    .pointer("/tags/tags")
                    .or_else(|| object.pointer("/tags/data"))
                    .or_else(|| object.get("data"))
                    .and_then(Value::as_array)?;
                let has = tags
                    .iter()
                    .any(|t| t.get("id").and_then(id_string).as_deref() == Some(tag_id.as_str()));
                // A contact's embedded list may be cut (`has_more`): absence then proves nothing.
                let cut = object
                    .pointer("/tags/has_more")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if !has && cut {
                    return None;
                }
                Some(has != *remove)
            }
            Operation::ManageConversations { action, .. } => {
                let state = object.get("state").and_then(Value::as_str)?;
                let admin = object.get("admin_assignee_id").and_then(id_string);
                let team = object.get("team_assignee_id").and_then(id_string);
                Some(match action {
                    ConversationAction::Close { .. } => state == "closed",
                    ConversationAction::Snooze { until } => {
                        state == "snoozed"
                            && object.get("snoozed_until").and_then(Value::as_i64) == Some(*until)
                    }
                    ConversationAction::Assign {
                        assignee_id,
                        team: false,
                        ..
                    } => admin.as_deref() == Some(assignee_id.as_str()),
                    ConversationAction::Assign {
                        assignee_id,
                        team: true,
                        ..
                    } => team.as_deref() == Some(assignee_id.as_str()),
                    ConversationAction::Unassign => matches!(admin.as_deref(), None | Some("0")),
                })
            }
        }
    }
}

/// Ids go into paths: keep them to one segment.
fn path_segment(id: &str) -> String {
    id.trim().replace(['/', '?', '#', '%'], "")
}

fn same_value(have: Option<&Value>, want: &Value) -> bool {
    match (have, want) {
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(have), want) => have == want,
        (None, Value::Null) => true,
        (None, _) => false,
    }
}

/// Whether `contact` already carries every attribute of `update`.
pub fn contact_matches(contact: &Value, update: &Map<String, Value>) -> bool {
    update.iter().all(|(key, want)| match (key.as_str(), want) {
        ("custom_attributes", Value::Object(custom)) => custom
            .iter()
            .all(|(k, v)| same_value(contact.pointer(&format!("/custom_attributes/{k}")), v)),
        _ => same_value(contact.get(key), want),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_round_trip_through_json() {
        let op = Operation::ManageConversations {
            action: ConversationAction::Assign {
                assignee_id: "7".into(),
                team: true,
                assignee_name: Some("Billing".into()),
            },
            admin_id: "1".into(),
        };
        let text = serde_json::to_value(&op).unwrap();
        assert_eq!(text["op"], "manage_conversations");
        assert_eq!(text["action"], "assign");
        assert_eq!(serde_json::from_value::<Operation>(text).unwrap(), op);
    }

    #[test]
    fn item_attributes_override_the_jobs() {
        let op = Operation::UpdateContacts {
            attributes: serde_json::from_value(
                json!({"name": "x", "custom_attributes": {"plan": "pro", "seats": 3}}),
            )
            .unwrap(),
        };
        let merged = op.contact_update(Some(
            &json!({"custom_attributes": {"seats": 5}, "phone": "1"}),
        ));
        assert_eq!(
            Value::Object(merged.clone()),
            json!({"name": "x", "custom_attributes": {"plan": "pro", "seats": 5}, "phone": "1"})
        );
        let contact =
            json!({"name": "x", "phone": "1", "custom_attributes": {"plan": "pro", "seats": 5.0}});
        assert!(contact_matches(&contact, &merged));
        let stale =
            json!({"name": "x", "phone": "1", "custom_attributes": {"plan": "pro", "seats": 4}});
        assert!(!contact_matches(&stale, &merged));
    }
}
