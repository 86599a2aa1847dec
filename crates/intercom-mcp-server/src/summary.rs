//! `detail: "summary"`, asked for in so many words, also makes the structured copy of an
//! answer short: it leaves out the fields the text block already carries in full. Without
//! `detail` (or with `full`) the structured content stays whole.
//!
//! A field goes only when three things hold: it is one this module names for the tool, the
//! tool's output schema does not require it (so what is left still validates), and every
//! value in it (each string and number, however deep) is written in the text: in a list, on
//! the text line that names the item's id. A message the text cut, or a value it rounded,
//! stays.

use rmcp::model::CallToolResult;
use serde_json::{Map, Value};

/// Top-level fields to drop, and list fields whose items lose some fields.
struct Slim {
    tool: &'static str,
    fields: &'static [&'static str],
    items: Option<(&'static str, &'static [&'static str])>,
}

const SLIMS: &[Slim] = &[
    Slim {
        tool: "get_conversation",
        fields: &[
            "title",
            "priority",
            "sla",
            "assignee",
            "team",
            "contacts",
            "tags",
            "channel",
            "messages",
            "updated_at",
        ],
        items: None,
    },
    Slim {
        tool: "get_ticket",
        fields: &[
            "ticket_number",
            "description",
            "admin_assignee",
            "team_assignee",
            "severity",
            "customer",
            "created_at",
            "updated_at",
            "snoozed_until",
            "attributes",
            "parts",
        ],
        items: None,
    },
    Slim {
        tool: "find_contact",
        fields: &[
            "name",
            "email",
            "phone",
            "external_id",
            "location",
            "owner",
            "created_at",
            "last_seen_at",
            "last_replied_at",
            "tags",
            "companies",
            "custom_attributes",
            "notes",
        ],
        items: None,
    },
    Slim {
        tool: "get_article",
        fields: &[
            "title",
            "description",
            "body",
            "url",
            "author",
            "created_at",
            "updated_at",
        ],
        items: None,
    },
    Slim {
        tool: "search_conversations",
        fields: &[],
        items: Some((
            "conversations",
            &[
                "title", "assignee", "team", "from", "preview", "sla", "snippet",
            ],
        )),
    },
    Slim {
        tool: "search_tickets",
        fields: &[],
        items: Some((
            "tickets",
            &["admin_assignee", "severity", "customer", "team_assignee"],
        )),
    },
];

/// Whether the arguments ask for `detail: "summary"` in so many words.
pub fn asks_for_summary(arguments: Option<&Map<String, Value>>) -> bool {
    arguments
        .and_then(|a| a.get("detail"))
        .and_then(Value::as_str)
        .is_some_and(|d| {
            matches!(
                d.trim().to_ascii_lowercase().as_str(),
                "summary" | "short" | "brief"
            )
        })
}

/// Leaves out of `result`'s structured content what its text carries in full (see the module
/// documentation); `schema` is the tool's output schema.
pub fn slim(tool: &str, schema: Option<&Map<String, Value>>, result: &mut CallToolResult) {
    let Some(rule) = SLIMS.iter().find(|s| s.tool == tool) else {
        return;
    };
    let text: String = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    let Some(Value::Object(structured)) = result.structured_content.as_mut() else {
        return;
    };
    let empty = Map::new();
    let schema = schema.unwrap_or(&empty);
    let required = |object: &Map<String, Value>| -> Vec<String> {
        object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    // A profile is a choice of shapes (`anyOf`): a field required by any shape stays.
    let mut top_required = required(schema);
    for key in ["anyOf", "oneOf"] {
        for branch in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(def) = resolve(schema, branch) {
                top_required.extend(required(def));
            }
        }
    }
    drop_carried(structured, rule.fields, &top_required, &text);
    if let Some((list, fields)) = rule.items {
        let item_required = item_schema(schema, list).map(required).unwrap_or_default();
        if let Some(Value::Array(items)) = structured.get_mut(list) {
            for item in items.iter_mut() {
                let Value::Object(item) = item else { continue };
                let Some(id) = item.get("id").and_then(Value::as_str) else {
                    continue;
                };
                let line: String = text
                    .lines()
                    .filter(|l| l.contains(id))
                    .collect::<Vec<_>>()
                    .join("\n");
                if !line.is_empty() {
                    drop_carried(item, fields, &item_required, &line);
                }
            }
        }
    }
}

fn drop_carried(object: &mut Map<String, Value>, fields: &[&str], required: &[String], text: &str) {
    for field in fields {
        if required.iter().any(|r| r == field) {
            continue;
        }
        if object.get(*field).is_some_and(|v| carried(v, text)) {
            object.remove(*field);
        }
    }
}

/// Every string and number in `value` is written in `text`.
fn carried(value: &Value, text: &str) -> bool {
    match value {
        Value::Null | Value::Bool(_) => true,
        Value::String(s) => s.trim().is_empty() || text.contains(s.trim()),
        Value::Number(n) => text.contains(&n.to_string()),
        Value::Array(items) => items.iter().all(|v| carried(v, text)),
        Value::Object(map) => map.values().all(|v| carried(v, text)),
    }
}

/// `{"$ref": "#/$defs/X"}` resolved against the root schema; any other object as it is.
fn resolve<'a>(root: &'a Map<String, Value>, node: &'a Value) -> Option<&'a Map<String, Value>> {
    let node = node.as_object()?;
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.strip_prefix("#/$defs/")?;
            root.get("$defs")?.get(name)?.as_object()
        }
        None => Some(node),
    }
}

/// The schema of the items of the list property `list`.
fn item_schema<'a>(root: &'a Map<String, Value>, list: &str) -> Option<&'a Map<String, Value>> {
    let items = root.get("properties")?.get(list)?.get("items")?;
    resolve(root, items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::ContentBlock;
    use serde_json::json;

    fn result(structured: Value, text: &str) -> CallToolResult {
        let mut r = CallToolResult::structured(structured);
        r.content = vec![ContentBlock::text(text)];
        r
    }

    #[test]
    fn drops_only_what_the_text_carries_and_the_schema_does_not_require() {
        let schema = json!({
            "type": "object",
            "required": ["id", "title"],
            "properties": {"id": {}, "title": {}, "priority": {}, "messages": {}, "sla": {}}
        });
        let mut r = result(
            json!({
                "id": "1", "title": "Refund", "priority": "urgent", "sla": "missed",
                "messages": [{"author": "Ann", "text": "Hello there"}, {"author": "Bo", "text": "a long text the renderer cut"}]
            }),
            "Conversation 1 \"Refund\" priority urgent\n[t] Ann: Hello there\n[t] Bo: a long text…",
        );
        slim("get_conversation", schema.as_object(), &mut r);
        let s = r.structured_content.unwrap();
        assert_eq!(s["id"], "1");
        assert_eq!(s["title"], "Refund", "required: kept");
        assert!(s.get("priority").is_none(), "carried: dropped");
        assert_eq!(s["sla"], "missed", "not in the text: kept");
        assert!(
            s.get("messages").is_some(),
            "one message is cut in the text: kept"
        );
    }

    #[test]
    fn list_items_are_checked_against_their_own_line() {
        let schema = json!({
            "type": "object",
            "properties": {"tickets": {"type": "array", "items": {"$ref": "#/$defs/T"}}},
            "$defs": {"T": {"required": ["id"], "properties": {}}}
        });
        let mut r = result(
            json!({"tickets": [
                {"id": "7", "severity": "High", "customer": "Ann"},
                {"id": "8", "severity": "Low", "customer": "Ann"}
            ]}),
            "- 7 severity High, customer Ann\n- 8 customer Ann",
        );
        slim("search_tickets", schema.as_object(), &mut r);
        let s = r.structured_content.unwrap();
        assert_eq!(s["tickets"][0], json!({"id": "7"}));
        assert_eq!(s["tickets"][1], json!({"id": "8", "severity": "Low"}));
    }

    #[test]
    fn only_an_explicit_summary_counts() {
        assert!(asks_for_summary(json!({"detail": "summary"}).as_object()));
        assert!(asks_for_summary(json!({"detail": " Summary "}).as_object()));
        assert!(!asks_for_summary(json!({"detail": "full"}).as_object()));
        assert!(!asks_for_summary(json!({}).as_object()));
        assert!(!asks_for_summary(None));
    }
}
