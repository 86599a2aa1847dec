//! What every tool returns: structured content that matches the tool's
//! `outputSchema`, plus a compact text rendering for the model's context.
//!
//! Tools return `Result<Json<T>, ToolError>`, spelled out in the signature
//! (rmcp's macro reads the return type literally to derive `outputSchema`, so
//! an alias would lose the schema). `T` derives `Serialize + JsonSchema` and
//! implements [`Render`] (often with the default, generic rendering).

use rmcp::handler::server::tool::IntoCallToolResult;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Structured tool output.
///
/// Named `Json` on purpose: rmcp's `#[tool]` macro derives a tool's
/// `outputSchema` from a return type spelled `Json<T>` or `Result<Json<T>, E>`,
/// so this wrapper gets the schema for free while rendering its own text.
pub struct Json<T>(pub T);

/// Compact text for a model's context window.
pub trait Render: Serialize {
    /// The default rendering walks the structured value; override it where a
    /// purpose-made layout reads better (conversation transcripts).
    fn render(&self) -> String {
        serde_json::to_value(self)
            .map(|v| render_value(&v))
            .unwrap_or_default()
    }
}

impl<T: Serialize + JsonSchema + Render + 'static> IntoCallToolResult for Json<T> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, rmcp::ErrorData> {
        let text = self.0.render();
        let value = serde_json::to_value(&self.0).map_err(|e| {
            rmcp::ErrorData::internal_error(format!("could not serialise the result: {e}"), None)
        })?;
        let mut result = CallToolResult::structured(value);
        result.content = vec![ContentBlock::text(text)];
        Ok(result.into())
    }
}

pub use crate::error::{ErrorKind, ToolError};

/// Intercom's JSON of a typed object, which the generic renderers read: the same shape
/// serves answers from the client and objects stored by the mirror. Typed models keep
/// unknown fields, so nothing is lost on the way.
pub fn intercom_json<T: Serialize>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}

/// Paging arguments shared by list tools (`#[serde(flatten)]` them in).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct PageArgs {
    /// 1-150, default 20.
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl PageArgs {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 150;

    /// The limit clamped to what Intercom accepts.
    pub fn limit(&self) -> u32 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }

    pub fn cursor(&self) -> Option<&str> {
        self.cursor
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
    }
}

/// Paging information shared by list outputs (`#[serde(flatten)]` it in).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Paging {
    /// How many items match in total, when Intercom says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Paging {
    /// The total and next cursor of a page the client read.
    pub fn of<T>(page: &intercom_api::Page<T>) -> Self {
        Self {
            total_count: page.total_count,
            next_cursor: page.next_cursor.clone(),
        }
    }
}

/// Items of a list Intercom sent that could not be read (`null`, or not the expected
/// shape): left out of the list and counted, so one bad item does not fail the call
/// (`#[serde(flatten)]` it in).
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct Skipped {
    /// Items Intercom sent that could not be read and were left out; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_unreadable: Option<u64>,
}

impl Skipped {
    pub fn of(count: usize) -> Self {
        Self {
            skipped_unreadable: (count > 0).then_some(count as u64),
        }
    }

    /// A sentence for the text output, empty when nothing was left out.
    pub fn note(&self) -> String {
        match self.skipped_unreadable {
            Some(n) => format!(
                "\nNote: {n} item(s) Intercom sent could not be read (null or malformed) and are \
                 left out of this list."
            ),
            None => String::new(),
        }
    }
}

/// Acknowledgement for writes that have nothing richer to show.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Done {
    /// What was done, in one sentence.
    pub message: String,
}

impl Render for Done {
    fn render(&self) -> String {
        self.message.clone()
    }
}

/// Generic compact rendering of a JSON value: one `key: value` per line,
/// arrays of objects as one line per item, nulls and empty values dropped.
pub fn render_value(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                render_field(&mut out, key, v, 0);
            }
        }
        other => out.push_str(&inline(other)),
    }
    out.trim_end().to_string()
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_empty),
        _ => false,
    }
}

fn render_field(out: &mut String, key: &str, v: &Value, depth: usize) {
    if is_empty(v) {
        return;
    }
    let pad = "  ".repeat(depth);
    match v {
        Value::Array(items) if items.iter().any(Value::is_object) => {
            out.push_str(&format!("{pad}{key} ({}):\n", items.len()));
            for item in items {
                out.push_str(&format!("{pad}- {}\n", inline(item)));
            }
        }
        Value::Object(map) if depth == 0 && map.values().any(|x| x.is_object() || x.is_array()) => {
            out.push_str(&format!("{pad}{key}:\n"));
            for (k, x) in map {
                render_field(out, k, x, depth + 1);
            }
        }
        other => out.push_str(&format!("{pad}{key}: {}\n", inline(other))),
    }
}

/// One-line rendering: objects as `k=v; k=v`, arrays comma-separated.
pub fn inline(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.replace('\n', " "),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .filter(|x| !is_empty(x))
            .map(|x| match x {
                Value::Object(_) => format!("{{{}}}", inline(x)),
                _ => inline(x),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) => map
            .iter()
            .filter(|(_, x)| !is_empty(x))
            .map(|(k, x)| format!("{k}={}", inline(x)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generic_rendering_is_compact_and_drops_empties() {
        let v = json!({
            "admins": [{"id": "1", "name": "Ann", "away": false, "team_ids": []}],
            "total_count": 1,
            "next_cursor": null,
            "note": ""
        });
        let text = render_value(&v);
        assert_eq!(
            text,
            "admins (1):\n- id=1; name=Ann; away=false\ntotal_count: 1"
        );
    }

    #[test]
    fn page_args_clamp() {
        let p: PageArgs = serde_json::from_value(json!({"limit": "500", "cursor": " "})).unwrap();
        assert_eq!(p.limit(), 150);
        assert_eq!(p.cursor(), None);
        assert_eq!(PageArgs::default().limit(), 20);
    }
}
