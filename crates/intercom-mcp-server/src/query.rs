//! Building Intercom search queries from tool arguments (shared by the
//! conversation, ticket and contact search tools and by `search`).

use serde_json::{Value, json};

use std::collections::HashSet;

use crate::output::ToolError;
use crate::workspace_context::{Workspace, id_string};
use intercom_api::{SearchQuery, SearchRequest};
use intercom_core::dates::Dates;

/// One `{field, operator, value}` filter.
pub fn filter(field: &str, operator: &str, value: impl Into<Value>) -> Value {
    json!({ "field": field, "operator": operator, "value": value.into() })
}

/// Intercom allows at most 15 filters per group.
const MAX_GROUP: usize = 15;

/// Combine filters with AND; an empty set matches everything.
pub fn all_of(mut filters: Vec<Value>) -> Result<Value, ToolError> {
    match filters.len() {
        0 => Ok(filter("created_at", ">", 0)),
        1 => Ok(filters.remove(0)),
        n if n > MAX_GROUP => Err(ToolError::invalid(format!(
            "too many filters ({n}); Intercom accepts at most {MAX_GROUP} per search, so drop some"
        ))),
        _ => Ok(json!({ "operator": "AND", "value": filters })),
    }
}

/// `created_after`-style filters from people's words.
pub fn date_filter(
    field: &str,
    operator: &str,
    words: Option<&str>,
    dates: &Dates,
    arg_name: &str,
) -> Result<Option<Value>, ToolError> {
    let Some(words) = words.map(str::trim).filter(|w| !w.is_empty()) else {
        return Ok(None);
    };
    let period = dates
        .period(words)
        .map_err(|e| ToolError::invalid(format!("{arg_name}: {e}")))?;
    // Intercom's conversation search reads `>`/`<` as "or equal": `after today`
    // starts at midnight, `before today` ends one second before it.
    let value = if operator == ">" {
        period.start
    } else {
        period.start - 1
    };
    Ok(Some(filter(field, operator, value)))
}

/// A comparison given as `>3600`, `<=60`, `gt:3600`, `=0`, a bare number, or
/// `{"operator": ">", "value": 3600}`.
pub fn comparison(field: &str, raw: &Value, arg_name: &str) -> Result<Value, ToolError> {
    let bad = || {
        ToolError::invalid(format!(
            "{arg_name}: expected a number of seconds with an optional comparison, such as \">3600\", \"<600\" or {{\"operator\": \">\", \"value\": 3600}}"
        ))
    };
    let (op, number) = match raw {
        Value::Number(n) => ("=".to_string(), n.as_i64().ok_or_else(bad)?),
        Value::Object(o) => {
            let op = o.get("operator").and_then(Value::as_str).ok_or_else(bad)?;
            let value = o.get("value").ok_or_else(bad)?;
            let n = value
                .as_i64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                .ok_or_else(bad)?;
            (op.to_string(), n)
        }
        Value::String(s) => {
            let s = s.trim();
            let (op, rest) = if let Some((word, rest)) = s.split_once(':') {
                (word.to_string(), rest)
            } else {
                let split = s
                    .find(|c: char| c.is_ascii_digit() || c == '-')
                    .ok_or_else(bad)?;
                (s[..split].trim().to_string(), &s[split..])
            };
            (
                if op.is_empty() { "=".into() } else { op },
                rest.trim().parse().map_err(|_| bad())?,
            )
        }
        _ => return Err(bad()),
    };
    let op = match op.to_ascii_lowercase().as_str() {
        "=" | "==" | "eq" => "=",
        "!=" | "neq" | "ne" => "!=",
        ">" | "gt" | ">=" | "gte" => ">",
        "<" | "lt" | "<=" | "lte" => "<",
        _ => return Err(bad()),
    };
    Ok(filter(field, op, number))
}

/// Every item of a search, read page by page up to `cap` items.
#[derive(Debug, Default)]
pub struct Scan {
    /// Items in the order Intercom returned them, each id once.
    pub items: Vec<Value>,
    /// Intercom's `total_count` from the first page.
    pub total_count: Option<u64>,
    /// Unreadable entries (`null`, malformed) found in pages and left out.
    pub nulls: usize,
    /// Items that came again on a later page (the data moved between pages) and were left out.
    pub duplicates: usize,
    /// False when `cap` or the page bound stopped the scan before the last page.
    pub complete: bool,
}

/// What [`scan_search`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Searched {
    Conversations,
    Tickets,
}

/// One page of a typed search, as Intercom's JSON for the renderers.
struct ScanPage {
    items: Vec<Value>,
    total_count: Option<u64>,
    next_cursor: Option<String>,
    skipped: usize,
}

async fn search_page(
    ws: &Workspace,
    what: Searched,
    request: &SearchRequest,
) -> Result<ScanPage, ToolError> {
    fn page_of<T: serde::Serialize>(page: intercom_api::Page<T>) -> ScanPage {
        ScanPage {
            items: page
                .items
                .iter()
                .filter_map(|item| serde_json::to_value(item).ok())
                .collect(),
            total_count: page.total_count,
            next_cursor: page.next_cursor,
            skipped: page.skipped,
        }
    }
    let client = ws.api().client();
    Ok(match what {
        Searched::Conversations => page_of(client.search_conversations(request).await?),
        Searched::Tickets => page_of(client.search_tickets(request).await?),
    })
}

/// Page through a search for `query`, 150 items a page, keeping at most `cap` items.
/// Pages are bounded (`cap / 150 + 2`) and a cursor seen twice ends the scan.
pub async fn scan_search(
    ws: &Workspace,
    what: Searched,
    query: Value,
    cap: usize,
) -> Result<Scan, ToolError> {
    const PER_PAGE: u32 = 150;
    let query = SearchQuery::from_json(&query)?;
    let max_pages = cap / PER_PAGE as usize + 2;
    let mut scan = Scan::default();
    let mut seen_ids = HashSet::new();
    let mut seen_cursors = HashSet::new();
    let mut cursor: Option<String> = None;
    for page in 0..max_pages {
        let mut request = SearchRequest::new(query.clone()).per_page(PER_PAGE);
        if let Some(c) = &cursor {
            request = request.starting_after(c.clone());
        }
        let found = search_page(ws, what, &request).await?;
        if page == 0 {
            scan.total_count = found.total_count;
        }
        scan.nulls += found.skipped;
        for item in found.items {
            let id = id_string(item.get("id"));
            if !seen_ids.insert(id) {
                scan.duplicates += 1;
                continue;
            }
            if scan.items.len() == cap {
                return Ok(scan);
            }
            scan.items.push(item);
        }
        cursor = found.next_cursor;
        match &cursor {
            None => {
                scan.complete = true;
                return Ok(scan);
            }
            // A cursor that comes back would loop forever: stop, incomplete.
            Some(c) if !seen_cursors.insert(c.clone()) => return Ok(scan),
            Some(_) => {}
        }
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_in_every_form() {
        let f = |v: Value| comparison("statistics.time_to_admin_reply", &v, "x").unwrap();
        assert_eq!(f(json!(">3600"))["operator"], ">");
        assert_eq!(f(json!(">3600"))["value"], 3600);
        assert_eq!(f(json!("lt:60"))["operator"], "<");
        assert_eq!(f(json!(0))["operator"], "=");
        assert_eq!(f(json!({"operator": "gt", "value": "5"}))["value"], 5);
        assert!(comparison("f", &json!("soon"), "x").is_err());
    }

    #[test]
    fn groups() {
        assert_eq!(all_of(vec![]).unwrap()["field"], "created_at");
        let one = filter("state", "=", "open");
        assert_eq!(all_of(vec![one.clone()]).unwrap(), one);
        assert_eq!(
            all_of(vec![one.clone(), one.clone()]).unwrap()["operator"],
            "AND"
        );
        assert!(all_of(vec![one; 16]).is_err());
    }

    fn utc() -> Dates {
        Dates::now(chrono_tz::Tz::UTC)
    }

    #[test]
    fn dates_in_words() {
        let f = date_filter(
            "created_at",
            ">",
            Some("2024-05-01"),
            &utc(),
            "created_after",
        )
        .unwrap()
        .unwrap();
        assert_eq!(f["value"], 1_714_521_600);
        let f = date_filter(
            "created_at",
            "<",
            Some("2024-05-01"),
            &utc(),
            "created_before",
        )
        .unwrap()
        .unwrap();
        assert_eq!(f["value"], 1_714_521_600 - 1);
        assert!(date_filter("created_at", ">", Some("whenever"), &utc(), "created_after").is_err());
        assert!(
            date_filter("created_at", ">", None, &utc(), "created_after")
                .unwrap()
                .is_none()
        );
    }
}
