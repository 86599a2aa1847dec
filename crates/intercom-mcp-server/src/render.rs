//! Rendering Intercom objects for a model's context window: HTML to plain
//! text, ISO-8601 times, ids resolved to names, system parts folded, long
//! threads cut from the middle with explicit counts.
//!
//! Conversations and tickets share the transcript code here.

use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::workspace_context::{Names, id_string};
use intercom_core::dates::iso;

/// How much of an object to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// Messages with author, time and text; system events counted, not listed.
    #[default]
    Summary,
    /// Everything: system events, part ids, attachments, statistics, custom attributes.
    Full,
}

/// Accept `detail` case-insensitively (`"Full"`, `"FULL"`).
pub fn opt_detail<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Detail>, D::Error> {
    use serde::de::Error;
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => match s.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "summary" | "short" | "brief" => Ok(Some(Detail::Summary)),
            "full" | "all" | "complete" => Ok(Some(Detail::Full)),
            other => Err(D::Error::custom(format!(
                "unknown detail `{other}`; use summary or full"
            ))),
        },
    }
}

/// HTML (Intercom message bodies) to plain text; blank runs collapsed.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return html.trim().to_string();
    }
    let text = html2text::config::plain()
        .no_table_borders()
        .string_from_read(html.as_bytes(), 10_000)
        .unwrap_or_else(|_| html.to_string());
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}

/// A Unix-seconds field as ISO-8601 in the workspace zone.
pub fn time_field(v: &Value, key: &str, tz: Tz) -> Option<String> {
    v.get(key)
        .and_then(Value::as_i64)
        .filter(|t| *t > 0)
        .map(|t| iso(t, tz))
}

/// One message of a conversation or ticket.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Message {
    /// Part id (full detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Who wrote it: a name, or `admin 12` / `contact abc` when unknown.
    pub author: String,
    /// `admin`, `user`, `lead`, `bot` or `team`.
    pub author_type: String,
    /// When, ISO-8601.
    pub at: String,
    /// `comment` is omitted; otherwise `note`, `close`, `assignment`... for parts with text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The message as plain text.
    pub text: String,
    /// Attachment names and URLs (full detail only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// A system event without text (assignment, state change), folded into one line.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Event {
    pub at: String,
    pub event: String,
}

/// What was cut from the middle of a long thread.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Omission {
    /// How many messages were left out.
    pub omitted_messages: usize,
    /// 1-based positions of the first and last omitted message.
    pub from_message: usize,
    pub to_message: usize,
    /// How to see them.
    pub how_to_see: String,
}

/// A thread of messages ready to show.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Transcript {
    /// Messages in order (the middle may be cut; see `omitted`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
    /// Messages in the whole thread.
    pub message_count: usize,
    /// System events without text; listed with detail=full, counted otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    pub event_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omitted: Option<Omission>,
}

/// Who wrote a part, as a readable name.
pub fn author_of(author: &Value, names: &Names) -> (String, String) {
    let kind = author
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    let id = id_string(author.get("id"));
    let name = author
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| {
            (kind == "admin")
                .then(|| names.admin_name(&id).map(str::to_string))
                .flatten()
        })
        .or_else(|| {
            author
                .get("email")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| format!("{kind} {id}"));
    (name, kind)
}

fn describe_event(part: &Value, names: &Names) -> String {
    let kind = part
        .get("part_type")
        .and_then(Value::as_str)
        .unwrap_or("event");
    let (who, _) = author_of(part.get("author").unwrap_or(&Value::Null), names);
    let target = part.get("assigned_to").filter(|v| !v.is_null()).map(|a| {
        let id = id_string(a.get("id"));
        match a.get("type").and_then(Value::as_str) {
            Some("team") => names.describe_team(&id),
            Some("nobody_admin") => "nobody".to_string(),
            _ if id == "0" || id.is_empty() => "nobody".to_string(),
            _ => names.describe_admin(&id),
        }
    });
    match (kind, target) {
        ("assignment" | "away_mode_assignment" | "default_assignment", Some(t)) => {
            format!("{who} assigned it to {t}")
        }
        ("close", _) => format!("{who} closed it"),
        ("open", _) => format!("{who} reopened it"),
        ("snoozed", _) => format!("{who} snoozed it"),
        ("unsnoozed" | "timer_unsnooze", _) => "it was unsnoozed".to_string(),
        (other, Some(t)) => format!("{who}: {} ({t})", other.replace('_', " ")),
        (other, None) => format!("{who}: {}", other.replace('_', " ")),
    }
}

fn attachments(part: &Value) -> Vec<String> {
    part.get("attachments")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|a| {
                    let name = a
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("attachment");
                    match a.get("url").and_then(Value::as_str) {
                        Some(url) => format!("{name} <{url}>"),
                        None => name.to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Build a transcript from the opening message (`source`, may be null) and
/// the parts, keeping at most `max_messages` (first and last halves).
pub fn transcript(
    source: Option<&Value>,
    parts: &[Value],
    names: &Names,
    tz: Tz,
    detail: Detail,
    max_messages: usize,
    more_hint: &str,
) -> Transcript {
    let full = detail == Detail::Full;
    let mut messages = Vec::new();
    let mut events = Vec::new();
    if let Some(src) = source.filter(|s| !s.is_null()) {
        let body = src.get("body").and_then(Value::as_str).unwrap_or_default();
        let subject = src
            .get("subject")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let text = match (html_to_text(subject), html_to_text(body)) {
            (s, b) if s.is_empty() => b,
            (s, b) if b.is_empty() => s,
            (s, b) => format!("{s}\n{b}"),
        };
        if !text.is_empty() {
            let (author, author_type) = author_of(src.get("author").unwrap_or(&Value::Null), names);
            messages.push(Message {
                id: full
                    .then(|| id_string(src.get("id")))
                    .filter(|s| !s.is_empty()),
                author,
                author_type,
                at: time_field(src, "created_at", tz).unwrap_or_default(),
                kind: None,
                text,
                attachments: if full { attachments(src) } else { Vec::new() },
            });
        }
    }
    for part in parts {
        let body = part.get("body").and_then(Value::as_str).unwrap_or_default();
        let text = html_to_text(body);
        let at = time_field(part, "created_at", tz).unwrap_or_default();
        let files = attachments(part);
        if text.is_empty() && files.is_empty() {
            events.push(Event {
                at,
                event: describe_event(part, names),
            });
            continue;
        }
        let (author, author_type) = author_of(part.get("author").unwrap_or(&Value::Null), names);
        let kind = part
            .get("part_type")
            .and_then(Value::as_str)
            .filter(|k| *k != "comment")
            .map(str::to_string);
        messages.push(Message {
            id: full.then(|| id_string(part.get("id"))),
            author,
            author_type,
            at,
            kind,
            text,
            attachments: if full { files } else { Vec::new() },
        });
    }
    let message_count = messages.len();
    let event_count = events.len();
    let max = max_messages.max(2);
    let omitted = if message_count > max {
        let head = max / 2;
        let tail = max - head;
        let cut = message_count - head - tail;
        messages.drain(head..head + cut);
        Some(Omission {
            omitted_messages: cut,
            from_message: head + 1,
            to_message: head + cut,
            how_to_see: more_hint.replace("{needed}", &message_count.to_string()),
        })
    } else {
        None
    };
    Transcript {
        messages,
        message_count,
        events: if full { events } else { Vec::new() },
        event_count,
        omitted,
    }
}

impl Transcript {
    /// The thread as text lines.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let head = self
            .omitted
            .as_ref()
            .map(|o| o.from_message - 1)
            .unwrap_or(self.messages.len());
        for (i, m) in self.messages.iter().enumerate() {
            if i == head
                && let Some(o) = &self.omitted
            {
                out.push_str(&format!(
                    "… {} messages left out (#{}–#{}); {} …\n",
                    o.omitted_messages, o.from_message, o.to_message, o.how_to_see
                ));
            }
            let kind = m
                .kind
                .as_deref()
                .map(|k| format!(", {k}"))
                .unwrap_or_default();
            let at = if m.at.is_empty() {
                String::new()
            } else {
                format!("[{}] ", m.at)
            };
            out.push_str(&format!(
                "{at}{} ({}{kind}): {}\n",
                m.author, m.author_type, m.text
            ));
            for a in &m.attachments {
                out.push_str(&format!("  attachment: {a}\n"));
            }
        }
        if !self.events.is_empty() {
            out.push_str("Events:\n");
            for e in &self.events {
                out.push_str(&format!("  [{}] {}\n", e.at, e.event));
            }
        } else if self.event_count > 0 {
            out.push_str(&format!(
                "({} system events folded; detail=full lists them)\n",
                self.event_count
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace_context::AdminEntry;
    use serde_json::json;

    fn names() -> Names {
        Names {
            admins: vec![AdminEntry {
                id: "7".into(),
                name: "Ann Lee".into(),
                email: None,
                away: false,
                team_ids: vec![],
            }],
            teams: vec![intercom_api::DirectoryTeam {
                id: "3".into(),
                name: "Billing".into(),
                admin_ids: vec![],
            }],
            ..Names::default()
        }
    }

    #[test]
    fn html_becomes_plain_text() {
        let t = html_to_text("<p>Hello <b>there</b></p><p></p><p></p><p>Second &amp; last</p>");
        assert!(t.contains("Hello there"), "{t}");
        assert!(t.contains("Second & last"), "{t}");
        assert!(!t.contains('<'));
        assert_eq!(html_to_text("plain"), "plain");
    }

    fn part(i: i64, body: &str, part_type: &str) -> Value {
        json!({"id": i.to_string(), "part_type": part_type, "body": body, "created_at": 1_714_554_000 + i,
               "author": {"type": "admin", "id": "7", "name": ""},
               "assigned_to": if part_type == "assignment" { json!({"type": "team", "id": "3"}) } else { Value::Null }})
    }

    #[test]
    fn system_parts_fold_and_names_resolve() {
        let parts = vec![
            part(1, "<p>hi</p>", "comment"),
            part(2, "", "assignment"),
            part(3, "", "close"),
        ];
        let t = transcript(None, &parts, &names(), Tz::UTC, Detail::Summary, 50, "");
        assert_eq!(t.message_count, 1);
        assert_eq!(t.event_count, 2);
        assert!(t.events.is_empty());
        assert_eq!(t.messages[0].author, "Ann Lee");
        let full = transcript(None, &parts, &names(), Tz::UTC, Detail::Full, 50, "");
        assert_eq!(full.events[0].event, "Ann Lee assigned it to Billing");
        assert_eq!(full.events[1].event, "Ann Lee closed it");
    }

    #[test]
    fn long_threads_are_cut_from_the_middle_with_counts() {
        let parts: Vec<Value> = (1..=30)
            .map(|i| part(i, &format!("message {i}"), "comment"))
            .collect();
        let t = transcript(
            None,
            &parts,
            &names(),
            Tz::UTC,
            Detail::Summary,
            10,
            "use max_messages={needed}",
        );
        assert_eq!(t.messages.len(), 10);
        assert_eq!(t.messages[0].text, "message 1");
        assert_eq!(t.messages[4].text, "message 5");
        assert_eq!(t.messages[5].text, "message 26");
        let o = t.omitted.as_ref().unwrap();
        assert_eq!(
            (o.omitted_messages, o.from_message, o.to_message),
            (20, 6, 25)
        );
        assert_eq!(o.how_to_see, "use max_messages=30");
        let text = t.render();
        assert!(text.contains("20 messages left out (#6–#25)"), "{text}");
        let pos_cut = text.find("left out").unwrap();
        assert!(
            text.find("message 5").unwrap() < pos_cut && text.find("message 26").unwrap() > pos_cut
        );
    }
}
