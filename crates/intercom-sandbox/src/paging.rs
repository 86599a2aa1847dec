//! Cursor pagination (`pages.next.starting_after`) shared by lists and searches.
//!
//! Results are ordered by a sort key plus the object's insertion sequence; the cursor
//! names the last row returned, so inserts and deletes between pages never repeat or skip
//! rows that did not move.

use std::cmp::Ordering;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::errors::{ApiError, ApiResult};

/// A sortable value: nulls first, then numbers, then strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Null,
    Int(i64),
    Str(String),
}

impl SortKey {
    pub fn from_json(v: Option<&Value>) -> SortKey {
        match v {
            Some(Value::Number(n)) => SortKey::Int(
                n.as_i64()
                    .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
            ),
            Some(Value::String(s)) => SortKey::Str(s.to_lowercase()),
            Some(Value::Bool(b)) => SortKey::Int(*b as i64),
            _ => SortKey::Null,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            SortKey::Null => Value::Null,
            SortKey::Int(i) => json!(i),
            SortKey::Str(s) => json!(s),
        }
    }

    fn from_cursor(v: &Value) -> SortKey {
        match v {
            Value::Number(n) => SortKey::Int(n.as_i64().unwrap_or(0)),
            Value::String(s) => SortKey::Str(s.clone()),
            _ => SortKey::Null,
        }
    }
}

/// Where the previous page stopped.
#[derive(Debug, Clone)]
pub struct Cursor {
    key: SortKey,
    seq: u64,
    page: u64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let raw = json!([self.key.to_json(), self.seq, self.page]).to_string();
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(text: &str) -> ApiResult<Cursor> {
        let invalid = || {
            ApiError::invalid(
                "starting_after",
                "starting_after is not a cursor this API returned",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| invalid())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let parts = value
            .as_array()
            .filter(|a| a.len() == 3)
            .ok_or_else(invalid)?;
        Ok(Cursor {
            key: SortKey::from_cursor(&parts[0]),
            seq: parts[1].as_u64().ok_or_else(invalid)?,
            page: parts[2].as_u64().ok_or_else(invalid)?,
        })
    }
}

/// Reads a `per_page` value with Intercom's default and maximum.
pub fn per_page(value: Option<i64>, default: usize, max: usize) -> ApiResult<usize> {
    match value {
        None => Ok(default),
        Some(n) if n < 1 => Err(ApiError::invalid(
            "per_page",
            format!("per_page must be between 1 and {max}"),
        )),
        Some(n) => Ok((n as usize).min(max)),
    }
}

/// One page of results.
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    pages: Value,
}

impl<T> Page<T> {
    /// The `pages` object Intercom returns (`type`, `page`, `per_page`, `total_pages`, `next`).
    pub fn pages(&self) -> Value {
        self.pages.clone()
    }
}

/// Sorts `rows` (key, seq, item) and cuts the page that follows `after`.
pub fn paginate<T>(
    mut rows: Vec<(SortKey, u64, T)>,
    descending: bool,
    per_page: usize,
    after: Option<&str>,
) -> ApiResult<Page<T>> {
    let cursor = after
        .filter(|s| !s.trim().is_empty())
        .map(Cursor::decode)
        .transpose()?;
    let order = |a_key: &SortKey, a_seq: u64, b_key: &SortKey, b_seq: u64| -> Ordering {
        let natural = a_key.cmp(b_key).then(a_seq.cmp(&b_seq));
        if descending {
            natural.reverse()
        } else {
            natural
        }
    };
    rows.sort_unstable_by(|a, b| order(&a.0, a.1, &b.0, b.1));
    let total = rows.len();
    let start = match &cursor {
        None => 0,
        Some(c) => rows.partition_point(|r| order(&r.0, r.1, &c.key, c.seq) != Ordering::Greater),
    };
    let page_no = cursor.as_ref().map(|c| c.page + 1).unwrap_or(1);
    let end = (start + per_page).min(total);
    let has_more = end < total;
    let next = if has_more && end > start {
        let last = &rows[end - 1];
        Some(Cursor {
            key: last.0.clone(),
            seq: last.1,
            page: page_no,
        })
    } else {
        None
    };
    let items: Vec<T> = rows
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .map(|r| r.2)
        .collect();
    let total_pages = total.div_ceil(per_page);
    let mut pages = json!({
        "type": "pages",
        "page": page_no,
        "per_page": per_page,
        "total_pages": total_pages,
    });
    if let Some(next) = next {
        pages["next"] = json!({"per_page": per_page, "starting_after": next.encode()});
    }
    Ok(Page {
        items,
        total,
        pages,
    })
}
