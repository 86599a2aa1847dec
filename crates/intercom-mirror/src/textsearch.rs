//! Full-text search over mirrored conversations with Intercom's search filters applied in
//! the same SQL query, so the total is exact and pages follow one another with a cursor.
//!
//! A conversation matches when one of its messages (the opening message or any part)
//! holds every word of the text, as whole words (the index tokenizes on letters and
//! digits, without stemming). The other filters are an Intercom search query
//! (`{field, operator, value}` or an `AND`/`OR` group) translated to SQL over the
//! mirror's columns, with the conversation search's rules: `>`/`<` include the bound,
//! string `=` is exact, `~ ^ $` ignore case, negative operators match missing values.

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params_from_iter};
use serde_json::Value;

use super::store::{MirrorError, MirrorResult};

pub use super::store::{ConversationTextHit, ConversationTextPage, ConversationTextSearch};

const CURSOR_PREFIX: &str = "fts:";

/// Whether `cursor` is one this module made (as opposed to an Intercom search cursor).
pub fn is_text_cursor(cursor: &str) -> bool {
    cursor.starts_with(CURSOR_PREFIX)
}

pub fn encode_cursor(created_at: i64, id: &str) -> String {
    format!("{CURSOR_PREFIX}{created_at}:{id}")
}

pub fn decode_cursor(cursor: &str) -> MirrorResult<(i64, String)> {
    let bad = || {
        MirrorError::Invalid(format!(
            "cursor `{cursor}` is not a full-text search cursor; pass the next_cursor of the previous call with the same filters"
        ))
    };
    let rest = cursor.strip_prefix(CURSOR_PREFIX).ok_or_else(bad)?;
    let (at, id) = rest.split_once(':').ok_or_else(bad)?;
    Ok((at.parse().map_err(|_| bad())?, id.to_string()))
}

/// Words of a free-text query, as FTS5 tokens (punctuation and operators dropped).
pub fn query_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The FTS5 expression for `words`: each quoted, all required.
fn fts_expression(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Run `search` against an open mirror connection.
pub fn search(
    conn: &Connection,
    search: &ConversationTextSearch,
) -> MirrorResult<ConversationTextPage> {
    let words = query_words(&search.text);
    if words.is_empty() {
        return Err(MirrorError::Invalid(format!(
            "search text {:?} has no words to look for; give one or more words",
            search.text
        )));
    }
    let fts = fts_expression(&words);
    let limit = search.limit.clamp(1, 150);
    let mut params: Vec<Sql> = vec![Sql::Text(fts.clone())];
    let mut conditions = vec![
        "c.id IN (SELECT p.conversation_id FROM parts_fts JOIN conversation_parts p ON p.pk = parts_fts.rowid WHERE parts_fts MATCH ?1)"
            .to_string(),
    ];
    if let Some(filter) = &search.filter {
        conditions.push(condition(filter, &mut params, 0)?);
    }
    if let Some(status) = &search.sla_status {
        params.push(Sql::Text(status.clone()));
        conditions.push(format!("c.sla_status = ?{}", params.len()));
    }
    let filtered = conditions.join(" AND ");
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM conversations c WHERE {filtered}"),
        params_from_iter(params.iter()),
        |r| r.get(0),
    )?;
    let mut page_conditions = filtered.clone();
    let mut page_params = params.clone();
    if let Some(cursor) = &search.cursor {
        let (at, id) = decode_cursor(cursor)?;
        page_params.push(Sql::Integer(at));
        let a = page_params.len();
        page_params.push(Sql::Text(id));
        let b = page_params.len();
        page_conditions.push_str(&format!(
            " AND (COALESCE(c.created_at, 0) < ?{a} OR (COALESCE(c.created_at, 0) = ?{a} AND c.id < ?{b}))"
        ));
    }
    page_params.push(Sql::Integer(limit as i64 + 1));
    let mut stmt = conn.prepare(&format!(
        "SELECT c.id, COALESCE(c.created_at, 0), c.raw FROM conversations c WHERE {page_conditions}
         ORDER BY COALESCE(c.created_at, 0) DESC, c.id DESC LIMIT ?{}",
        page_params.len()
    ))?;
    let mut rows = stmt
        .query_map(params_from_iter(page_params.iter()), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = more
        .then(|| rows.last().map(|(id, at, _)| encode_cursor(*at, id)))
        .flatten();
    // The matching message of each conversation on the page, in one query.
    let mut snippets = std::collections::HashMap::new();
    if !rows.is_empty() {
        let mut snippet_params: Vec<Sql> = vec![Sql::Text(fts)];
        let placeholders: Vec<String> = rows
            .iter()
            .map(|(id, _, _)| {
                snippet_params.push(Sql::Text(id.clone()));
                format!("?{}", snippet_params.len())
            })
            .collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT p.conversation_id, p.id, snippet(parts_fts, 0, '[', ']', '…', 24)
             FROM parts_fts JOIN conversation_parts p ON p.pk = parts_fts.rowid
             WHERE parts_fts MATCH ?1 AND p.conversation_id IN ({})
             ORDER BY p.created_at",
            placeholders.join(", ")
        ))?;
        let found = stmt
            .query_map(params_from_iter(snippet_params.iter()), |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (conversation, part, snippet) in found {
            snippets.entry(conversation).or_insert((part, snippet));
        }
    }
    let mut hits = Vec::with_capacity(rows.len());
    for (id, _, raw) in rows {
        let (part_id, snippet) = snippets.remove(&id).unwrap_or_default();
        hits.push(ConversationTextHit {
            conversation: serde_json::from_str(&raw)?,
            part_id,
            snippet: one_line(&snippet),
        });
    }
    Ok(ConversationTextPage {
        total: total.max(0) as u64,
        hits,
        next_cursor,
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a search field maps onto the mirror.
enum Column {
    /// A typed column of `conversations` (integer or text).
    Int(&'static str),
    Text(&'static str),
    /// 0/1 column.
    Bool(&'static str),
    /// A JSON array column of ids (`contact_ids`).
    IdArray(&'static str),
    /// Tags, through `conversation_tags`.
    Tags,
    /// Words of the opening message (`source.body`), through the full-text index.
    SourceWords,
    /// Any other path, read from the raw JSON.
    Json(String),
}

fn column(field: &str) -> Column {
    use Column::*;
    match field {
        "id" => Text("c.id"),
        "created_at" => Int("c.created_at"),
        "updated_at" => Int("c.updated_at"),
        "waiting_since" => Int("c.waiting_since"),
        "snoozed_until" => Int("c.snoozed_until"),
        "state" => Text("c.state"),
        "priority" => Text("c.priority"),
        "title" => Text("c.title"),
        "open" => Bool("c.open"),
        "read" => Bool("c.read"),
        "ai_agent_participated" => Bool("c.ai_agent_participated"),
        "admin_assignee_id" => Int("c.admin_assignee_id"),
        "team_assignee_id" => Int("c.team_assignee_id"),
        "source.type" => Text("c.source_type"),
        "source.delivered_as" => Text("c.source_delivered_as"),
        "source.author.type" => Text("c.source_author_type"),
        "source.author.id" => Text("c.source_author_id"),
        "source.body" => SourceWords,
        "channel_initiated" => Text("c.channel"),
        "contact_ids" => IdArray("c.contact_ids"),
        "tag_ids" => Tags,
        "statistics.first_contact_reply_at" => Int("c.first_contact_reply_at"),
        "statistics.first_admin_reply_at" => Int("c.first_admin_reply_at"),
        "statistics.time_to_admin_reply" => Int("c.time_to_admin_reply"),
        "statistics.time_to_assignment" => Int("c.time_to_assignment"),
        "statistics.time_to_first_close" => Int("c.time_to_first_close"),
        "statistics.first_close_at" => Int("c.first_close_at"),
        "statistics.last_close_at" => Int("c.last_close_at"),
        "statistics.last_closed_by_id" => Text("c.last_closed_by_id"),
        "statistics.median_time_to_reply" => Int("c.median_time_to_reply"),
        "statistics.count_reopens" => Int("c.count_reopens"),
        "statistics.count_assignments" => Int("c.count_assignments"),
        "statistics.count_conversation_parts" => Int("c.count_conversation_parts"),
        "conversation_rating.score" => Int("c.rating_score"),
        "conversation_rating.remark" => Text("c.rating_remark"),
        other => Json(other.to_string()),
    }
}

fn invalid(message: String) -> MirrorError {
    MirrorError::Invalid(message)
}

/// A query value as SQL: numbers stay numbers, numeric strings become numbers for
/// integer columns, booleans become 0/1.
fn sql_value(v: &Value, numeric: bool) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(Sql::Integer)
            .unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0))),
        Value::String(s) if numeric => s
            .trim()
            .parse::<i64>()
            .map(Sql::Integer)
            .unwrap_or_else(|_| Sql::Text(s.clone())),
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

/// A list value's items, or the value itself.
fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

/// One placeholder per id in `value` (a list or one id), the ids pushed as text.
fn id_placeholders(value: &Value, params: &mut Vec<Sql>) -> Vec<String> {
    list(value)
        .iter()
        .map(|v| {
            push(
                params,
                Sql::Text(crate::columns::id_string(v).unwrap_or_default()),
            )
        })
        .collect()
}

fn push(params: &mut Vec<Sql>, v: Sql) -> String {
    params.push(v);
    format!("?{}", params.len())
}

/// SQL for one Intercom filter or group.
fn condition(q: &Value, params: &mut Vec<Sql>, depth: usize) -> MirrorResult<String> {
    query_sql(q, params, depth, "1", &mut leaf)
}

/// SQL for an Intercom search query (a filter, or an AND/OR group of them nested at most three
/// deep) in any SQL dialect: `leaf` writes one filter, `always` is the dialect's true (an empty
/// group). Shared by the SQLite and PostgreSQL mirrors so both read a query the same way.
pub fn query_sql<P>(
    q: &Value,
    params: &mut P,
    depth: usize,
    always: &str,
    leaf: &mut impl FnMut(&str, &str, &Value, &mut P) -> MirrorResult<String>,
) -> MirrorResult<String> {
    let operator = q
        .get("operator")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let (None, Some(Value::Array(items))) = (q.get("field"), q.get("value")) {
        let joiner = match operator.to_ascii_uppercase().as_str() {
            "AND" => " AND ",
            "OR" => " OR ",
            other => {
                return Err(invalid(format!(
                    "a query group takes AND or OR, not `{other}`"
                )));
            }
        };
        if depth > 3 {
            return Err(invalid("query groups nest too deeply".into()));
        }
        if items.is_empty() {
            return Ok(always.into());
        }
        let parts = items
            .iter()
            .map(|i| query_sql(i, params, depth + 1, always, leaf))
            .collect::<MirrorResult<Vec<_>>>()?;
        return Ok(format!("({})", parts.join(joiner)));
    }
    let field = q
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("a query filter needs a field: {q}")))?;
    let value = q.get("value").cloned().unwrap_or(Value::Null);
    leaf(field, operator, &value, params)
}

fn leaf(field: &str, op: &str, value: &Value, params: &mut Vec<Sql>) -> MirrorResult<String> {
    let negative = matches!(op, "!=" | "NIN" | "!~");
    let positive_op = match op {
        "!=" => "=",
        "NIN" => "IN",
        "!~" => "~",
        other => other,
    };
    let positive = match column(field) {
        Column::Tags | Column::IdArray(_) | Column::SourceWords
            if !matches!(positive_op, "=" | "IN") =>
        {
            return Err(invalid(format!(
                "`{field}` takes =, !=, IN or NIN, not `{op}`"
            )));
        }
        Column::Tags => {
            let ph = id_placeholders(value, params);
            format!(
                "EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag_id IN ({}))",
                ph.join(", ")
            )
        }
        Column::IdArray(col) => {
            let ph = id_placeholders(value, params);
            format!(
                "EXISTS (SELECT 1 FROM json_each(COALESCE({col}, '[]')) j WHERE CAST(j.value AS TEXT) IN ({}))",
                ph.join(", ")
            )
        }
        Column::SourceWords => {
            let words: Vec<String> = list(value)
                .iter()
                .filter_map(|v| v.as_str().map(query_words))
                .filter(|w| !w.is_empty())
                .map(|w| format!("({})", fts_expression(&w)))
                .collect();
            if words.is_empty() {
                return Err(invalid(format!("`{field}` needs a word to look for")));
            }
            let ph = push(params, Sql::Text(words.join(" OR ")));
            format!(
                "c.id IN (SELECT p.conversation_id FROM parts_fts JOIN conversation_parts p ON p.pk = parts_fts.rowid WHERE parts_fts MATCH {ph} AND p.part_type = 'source')"
            )
        }
        Column::Int(col) => scalar(col, true, positive_op, value, params, field)?,
        Column::Bool(col) => scalar(col, true, positive_op, value, params, field)?,
        Column::Text(col) => scalar(col, false, positive_op, value, params, field)?,
        Column::Json(path) => {
            if !path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                return Err(invalid(format!("`{path}` is not a conversation field")));
            }
            let expr = format!("json_extract(c.raw, '$.{path}')");
            let numeric = value.is_number() || value.is_boolean();
            scalar(&expr, numeric, positive_op, value, params, field)?
        }
    };
    Ok(if negative {
        format!("NOT COALESCE({positive}, 0)")
    } else {
        format!("COALESCE({positive}, 0)")
    })
}

fn scalar(
    col: &str,
    numeric: bool,
    op: &str,
    value: &Value,
    params: &mut Vec<Sql>,
    field: &str,
) -> MirrorResult<String> {
    Ok(match op {
        "=" if value.is_null() => format!("({col} IS NULL)"),
        "=" => format!("({col} = {})", push(params, sql_value(value, numeric))),
        "IN" => {
            let items = value
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![value.clone()]);
            if items.is_empty() {
                return Ok("0".into());
            }
            let ph: Vec<String> = items
                .iter()
                .map(|v| push(params, sql_value(v, numeric)))
                .collect();
            format!("({col} IN ({}))", ph.join(", "))
        }
        // Intercom's conversation search reads `>`/`<` as "or equal".
        ">" | ">=" => format!("({col} >= {})", push(params, sql_value(value, true))),
        "<" | "<=" => format!("({col} <= {})", push(params, sql_value(value, true))),
        "~" | "^" | "$" => {
            let needle = value
                .as_str()
                .ok_or_else(|| invalid(format!("`{field}` with `{op}` takes text")))?
                .to_lowercase();
            let ph = push(params, Sql::Text(needle));
            match op {
                "~" => format!("(instr(lower({col}), {ph}) > 0)"),
                "^" => format!("(substr(lower({col}), 1, length({ph})) = {ph})"),
                _ => format!(
                    "(length({col}) >= length({ph}) AND substr(lower({col}), -length({ph})) = {ph})"
                ),
            }
        }
        other => {
            return Err(invalid(format!(
                "operator `{other}` is unknown; use = != IN NIN < <= > >= ~ !~ ^ $"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_translate_with_intercom_rules() {
        let mut params = Vec::new();
        let sql = condition(
            &json!({"operator": "AND", "value": [
                {"field": "state", "operator": "=", "value": "open"},
                {"field": "created_at", "operator": ">", "value": 100},
                {"field": "tag_ids", "operator": "IN", "value": ["7"]},
                {"field": "admin_assignee_id", "operator": "!=", "value": "0"},
            ]}),
            &mut params,
            0,
        )
        .unwrap();
        assert!(sql.contains("c.created_at >= ?2"), "{sql}");
        assert!(
            sql.contains("NOT COALESCE((c.admin_assignee_id = ?4), 0)"),
            "{sql}"
        );
        assert_eq!(params[3], Sql::Integer(0));
        assert!(
            condition(
                &json!({"field": "state", "operator": "<>", "value": 1}),
                &mut params,
                0
            )
            .is_err()
        );
        assert!(
            condition(
                &json!({"field": "x'); DROP", "operator": "=", "value": 1}),
                &mut params,
                0
            )
            .is_err()
        );
    }

    #[test]
    fn cursors_round_trip_and_reject_strangers() {
        let c = encode_cursor(1_700_000_000, "123");
        assert!(is_text_cursor(&c));
        assert_eq!(decode_cursor(&c).unwrap(), (1_700_000_000, "123".into()));
        assert!(decode_cursor("WzE3MDAwMDAwMDBd").is_err());
    }
}
