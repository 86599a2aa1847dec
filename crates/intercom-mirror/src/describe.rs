//! What a change to an object was, in words: the event log records it beside the
//! topic, so `recent_events` can say "state open → closed; new note by Ann Lee"
//! rather than only "conversation.updated".

use serde_json::Value;

use crate::store::ObjectKind;

/// Fields of conversations and tickets worth naming when they change.
const TRACKED: &[(&str, &str)] = &[
    ("state", "state"),
    ("priority", "priority"),
    ("admin_assignee_id", "assignee admin"),
    ("team_assignee_id", "team"),
    ("snoozed_until", "snoozed until"),
    ("read", "read"),
    ("title", "title"),
];

/// Fields every object changes on its own, not worth naming.
const NOISE: &[&str] = &[
    "updated_at",
    "type",
    "statistics",
    "waiting_since",
    "last_seen_at",
];

/// The changes from `old` to `new` (the stored copy and the incoming one, parts not
/// included), plus one line per new conversation part. Empty for a new object.
pub fn describe_change(
    kind: ObjectKind,
    old: Option<&Value>,
    new: &Value,
    new_parts: &[&Value],
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(old) = old else {
        return out;
    };
    match kind {
        ObjectKind::Conversation | ObjectKind::Ticket => {
            for (field, label) in TRACKED {
                let (before, after) = (word(old.get(*field)), word(new.get(*field)));
                if before != after {
                    out.push(format!("{label} {before} → {after}"));
                }
            }
            if kind == ObjectKind::Ticket {
                let state = |v: &Value| {
                    word(
                        v.pointer("/ticket_state/internal_label")
                            .or_else(|| v.pointer("/ticket_state/category")),
                    )
                };
                let (before, after) = (state(old), state(new));
                if before != after {
                    out.push(format!("ticket state {before} → {after}"));
                }
            }
            let (before, after) = (tag_names(old), tag_names(new));
            let added: Vec<&String> = after.iter().filter(|t| !before.contains(t)).collect();
            let removed: Vec<&String> = before.iter().filter(|t| !after.contains(t)).collect();
            if !added.is_empty() || !removed.is_empty() {
                let mut tags = Vec::new();
                tags.extend(added.iter().map(|t| format!("+{t}")));
                tags.extend(removed.iter().map(|t| format!("-{t}")));
                out.push(format!("tags {}", tags.join(" ")));
            }
        }
        _ => {
            let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
                return out;
            };
            let mut fields: Vec<&str> = new
                .iter()
                .filter(|(k, v)| !NOISE.contains(&k.as_str()) && old.get(*k) != Some(*v))
                .map(|(k, _)| k.as_str())
                .chain(
                    old.keys()
                        .filter(|k| !NOISE.contains(&k.as_str()) && !new.contains_key(*k))
                        .map(String::as_str),
                )
                .collect();
            fields.sort_unstable();
            fields.dedup();
            if !fields.is_empty() {
                out.push(format!("changed: {}", fields.join(", ")));
            }
        }
    }
    for part in new_parts {
        let kind = part
            .get("part_type")
            .and_then(Value::as_str)
            .unwrap_or("part");
        let author = part
            .pointer("/author/name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .or_else(|| {
                part.pointer("/author/id")
                    .and_then(intercom_core::ids::id_text)
                    .map(|id| format!("{} {id}", word(part.pointer("/author/type"))))
            })
            .unwrap_or_else(|| "someone".to_owned());
        out.push(format!("new {kind} by {author}"));
    }
    out
}

/// A field's value as one word: `none` when absent, null or an unassigned `0`.
fn word(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "none".to_owned(),
        Some(Value::String(s)) if s.is_empty() || s == "0" => "none".to_owned(),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => "none".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn tag_names(v: &Value) -> Vec<String> {
    v.pointer("/tags/tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_state_assignee_tags_and_new_parts() {
        let old = json!({"id": "1", "state": "open", "admin_assignee_id": 0, "updated_at": 1,
                         "tags": {"tags": [{"name": "billing"}]}});
        let new = json!({"id": "1", "state": "closed", "admin_assignee_id": 7, "updated_at": 2,
                         "tags": {"tags": [{"name": "vip"}]}});
        let part =
            json!({"part_type": "note", "author": {"type": "admin", "id": "7", "name": "Ann Lee"}});
        let said = describe_change(ObjectKind::Conversation, Some(&old), &new, &[&part]);
        assert_eq!(
            said,
            vec![
                "state open → closed",
                "assignee admin none → 7",
                "tags +vip -billing",
                "new note by Ann Lee",
            ]
        );
        assert!(describe_change(ObjectKind::Conversation, None, &new, &[]).is_empty());
    }

    #[test]
    fn other_objects_name_the_fields_that_changed() {
        let old = json!({"id": "c", "name": "Ada", "email": "a@x.io", "updated_at": 1});
        let new =
            json!({"id": "c", "name": "Ada L", "email": "a@x.io", "updated_at": 2, "phone": "1"});
        assert_eq!(
            describe_change(ObjectKind::Contact, Some(&old), &new, &[]),
            vec!["changed: name, phone"]
        );
    }
}
