//! Argument tolerance shared by every tool.
//!
//! MCP clients (and the models behind them) differ in how they send values:
//! numbers arrive as strings, objects arrive as JSON text, ids arrive with the
//! `conversation_` prefix the hosted server uses or as a pasted inbox URL.
//! These helpers accept all of those forms and turn anything else into a
//! message that says what was expected.

use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::{Map, Value};
use std::fmt;

/// The kinds of object that can be referred to by id, with the prefix used in
/// `search`/`fetch` results (`conversation_123`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Conversation,
    Contact,
    Company,
    Ticket,
}

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Conversation => "conversation",
            IdKind::Contact => "contact",
            IdKind::Company => "company",
            IdKind::Ticket => "ticket",
        }
    }

    /// Path segments that name this kind in Intercom web-app URLs.
    fn url_segments(self) -> &'static [&'static str] {
        match self {
            IdKind::Conversation => &["conversation", "conversations"],
            IdKind::Contact => &["user", "users", "contact", "contacts", "lead", "leads"],
            IdKind::Company => &["company", "companies"],
            IdKind::Ticket => &["ticket", "tickets"],
        }
    }

    const ALL: [IdKind; 4] = [
        IdKind::Conversation,
        IdKind::Contact,
        IdKind::Company,
        IdKind::Ticket,
    ];
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// `conversation_123`, `contact_abc`.
pub fn prefixed(kind: IdKind, id: &str) -> String {
    format!("{}_{id}", kind.prefix())
}

/// Split a prefixed id (`ticket_9`) into its kind and raw id.
pub fn split_prefixed(raw: &str) -> Option<(IdKind, String)> {
    let raw = raw.trim();
    IdKind::ALL.into_iter().find_map(|kind| {
        raw.strip_prefix(kind.prefix())
            .and_then(|rest| rest.strip_prefix('_'))
            .filter(|rest| !rest.is_empty())
            .map(|rest| (kind, rest.to_string()))
    })
}

/// Find the id of `kind` in an Intercom web-app URL such as
/// `https://app.intercom.com/a/inbox/abc/inbox/shared/all/conversation/123`.
fn id_from_url(kind: IdKind, raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    // The last `<kind>/<id>` pair wins: inbox URLs nest views before the object.
    segments
        .windows(2)
        .rev()
        .find(|w| kind.url_segments().contains(&w[0]))
        .map(|w| w[1].to_string())
}

/// Normalise an id argument of `kind`: a raw id, a prefixed id or a URL.
pub fn normalize_id(kind: IdKind, raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(format!("the {kind} id is empty; pass an id such as `123`"));
    }
    if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        return id_from_url(kind, trimmed).ok_or_else(|| {
            format!("could not find a {kind} id in the URL `{trimmed}`; pass the id itself")
        });
    }
    match split_prefixed(trimmed) {
        Some((found, id)) if found == kind => Ok(id),
        Some((found, _)) => Err(format!(
            "`{trimmed}` is a {found} id, but a {kind} id is expected here"
        )),
        None => Ok(trimmed.to_string()),
    }
}

/// A scalar that may arrive as a JSON string or a number.
fn scalar_to_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

macro_rules! id_deserializers {
    ($($kind:ident => $required:ident, $optional:ident;)*) => {$(
        #[doc = concat!("Deserialize a required ", stringify!($kind), " id (raw, prefixed or URL).")]
        pub fn $required<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
            let value = Value::deserialize(d)?;
            let raw = scalar_to_string(&value)
                .ok_or_else(|| D::Error::custom(concat!("expected a ", stringify!($required), " string")))?;
            normalize_id(IdKind::$kind, &raw).map_err(D::Error::custom)
        }

        #[doc = concat!("Deserialize an optional ", stringify!($kind), " id (raw, prefixed or URL).")]
        pub fn $optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
            match Option::<Value>::deserialize(d)? {
                None | Some(Value::Null) => Ok(None),
                Some(value) => {
                    let raw = scalar_to_string(&value)
                        .ok_or_else(|| D::Error::custom(concat!("expected a ", stringify!($required), " string")))?;
                    normalize_id(IdKind::$kind, &raw).map(Some).map_err(D::Error::custom)
                }
            }
        }
    )*};
}

id_deserializers! {
    Conversation => conversation_id, opt_conversation_id;
    Contact => contact_id, opt_contact_id;
    Company => company_id, opt_company_id;
    Ticket => ticket_id, opt_ticket_id;
}

/// A required string that may arrive as a number.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = Value::deserialize(d)?;
    scalar_to_string(&value)
        .map(|s| s.trim().to_string())
        .ok_or_else(|| D::Error::custom(format!("expected text or a number, got {value}")))
}

/// Accept a string or a number as text (ids that clients send either way).
pub fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match scalar_to_string(&value) {
            Some(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            None => Err(D::Error::custom(format!(
                "expected text or a number, got {value}"
            ))),
        },
    }
}

/// Accept a number, or a string holding a number.
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a positive whole number, got {n}"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            s.trim().parse::<u32>().map(Some).map_err(|_| {
                D::Error::custom(format!("expected a positive whole number, got `{s}`"))
            })
        }
        Some(other) => Err(D::Error::custom(format!(
            "expected a positive whole number, got {other}"
        ))),
    }
}

/// Accept a number, or a string holding a number (seconds, counts).
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a whole number, got {n}"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected a whole number, got `{s}`"))),
        Some(other) => Err(D::Error::custom(format!(
            "expected a whole number, got {other}"
        ))),
    }
}

/// Accept `true`/`false`, or the strings `"true"`, `"false"`, `"yes"`, `"no"`, `"1"`, `"0"`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "true" | "yes" | "1" => Ok(Some(true)),
            "false" | "no" | "0" => Ok(Some(false)),
            _ => Err(D::Error::custom(format!(
                "expected true or false, got `{s}`"
            ))),
        },
        Some(other) => Err(D::Error::custom(format!(
            "expected true or false, got {other}"
        ))),
    }
}

/// Accept a JSON object, or a string containing a JSON object.
pub fn opt_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            _ => Err(D::Error::custom(format!(
                "expected a JSON object such as {{\"key\": \"value\"}}, got `{s}`"
            ))),
        },
        Some(other) => Err(D::Error::custom(format!(
            "expected a JSON object, got {other}"
        ))),
    }
}

/// Accept any JSON value; a string that holds a JSON object or array is parsed.
pub fn opt_json<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.starts_with('{') || t.starts_with('[') {
                serde_json::from_str(t)
                    .map(Some)
                    .map_err(|e| D::Error::custom(format!("the JSON text is not valid: {e}")))
            } else {
                Ok(Some(Value::String(s)))
            }
        }
        Some(other) => Ok(Some(other)),
    }
}

/// Accept a list of strings as an array, a comma-separated string, or a JSON
/// array in a string; numbers become strings.
pub fn opt_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    fn items<E: serde::de::Error>(values: Vec<Value>) -> Result<Vec<String>, E> {
        values
            .iter()
            .map(|v| {
                scalar_to_string(v).ok_or_else(|| {
                    E::custom(format!("expected a string or number in the list, got {v}"))
                })
            })
            .collect()
    }
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(values)) => items(values).map(Some),
        Some(Value::Number(n)) => Ok(Some(vec![n.to_string()])),
        Some(Value::String(s)) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if t.starts_with('[') {
                let values: Vec<Value> = serde_json::from_str(t)
                    .map_err(|e| D::Error::custom(format!("the JSON list is not valid: {e}")))?;
                return items(values).map(Some);
            }
            Ok(Some(
                t.split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
            ))
        }
        Some(other) => Err(D::Error::custom(format!("expected a list, got {other}"))),
    }
}

/// Like [`opt_string_list`] but every item is normalised as an id of `kind`.
pub fn normalize_ids(kind: IdKind, ids: &[String]) -> Result<Vec<String>, String> {
    ids.iter().map(|id| normalize_id(kind, id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_conversation_id")]
        conversation: Option<String>,
        #[serde(default, deserialize_with = "opt_u32")]
        limit: Option<u32>,
        #[serde(default, deserialize_with = "opt_bool")]
        open: Option<bool>,
        #[serde(default, deserialize_with = "opt_object")]
        attrs: Option<Map<String, Value>>,
        #[serde(default, deserialize_with = "opt_string_list")]
        ids: Option<Vec<String>>,
    }

    fn probe(v: Value) -> Result<Probe, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn ids_in_every_form() {
        for raw in [
            json!(123),
            json!("123"),
            json!(" conversation_123 "),
            json!("https://app.intercom.com/a/inbox/abc1/inbox/shared/all/conversation/123"),
            json!("https://app.intercom.com/a/inbox/abc1/inbox/conversation/123?view=List"),
        ] {
            let p = probe(json!({ "conversation": raw })).unwrap();
            assert_eq!(p.conversation.as_deref(), Some("123"), "{raw}");
        }
    }

    #[test]
    fn wrong_prefix_is_a_clear_error() {
        let err = probe(json!({"conversation": "contact_abc"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("contact id") && err.contains("conversation id"),
            "{err}"
        );
    }

    #[test]
    fn url_without_an_id_is_rejected() {
        let err =
            normalize_id(IdKind::Conversation, "https://app.intercom.com/a/inbox/x").unwrap_err();
        assert!(err.contains("could not find"), "{err}");
    }

    #[test]
    fn contact_and_company_urls() {
        assert_eq!(
            normalize_id(
                IdKind::Contact,
                "https://app.intercom.com/a/apps/abc/users/65f0a1/all-conversations"
            )
            .unwrap(),
            "65f0a1"
        );
        assert_eq!(normalize_id(IdKind::Company, "company_x").unwrap(), "x");
        assert_eq!(normalize_id(IdKind::Ticket, "ticket_9").unwrap(), "9");
    }

    #[test]
    fn numbers_bools_objects_lists_as_strings() {
        let p = probe(json!({
            "limit": "25", "open": "true",
            "attrs": "{\"plan\": \"pro\"}", "ids": "1, 2,3"
        }))
        .unwrap();
        assert_eq!(p.limit, Some(25));
        assert_eq!(p.open, Some(true));
        assert_eq!(p.attrs.unwrap()["plan"], "pro");
        assert_eq!(p.ids.unwrap(), vec!["1", "2", "3"]);
        let p = probe(json!({"ids": "[\"a\", 7]"})).unwrap();
        assert_eq!(p.ids.unwrap(), vec!["a", "7"]);
    }

    #[test]
    fn bad_values_say_what_was_expected() {
        let err = probe(json!({"limit": "many"})).unwrap_err().to_string();
        assert!(
            err.contains("whole number") && err.contains("many"),
            "{err}"
        );
        let err = probe(json!({"attrs": "not json"})).unwrap_err().to_string();
        assert!(err.contains("JSON object"), "{err}");
    }

    #[test]
    fn split_prefixed_ids() {
        assert_eq!(
            split_prefixed("contact_abc"),
            Some((IdKind::Contact, "abc".into()))
        );
        assert_eq!(
            split_prefixed("company_x_y"),
            Some((IdKind::Company, "x_y".into()))
        );
        assert_eq!(split_prefixed("123"), None);
        assert_eq!(split_prefixed("ticket_"), None);
    }
}
