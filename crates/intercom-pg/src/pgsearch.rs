//! Full-text search over the PostgreSQL mirror with Intercom's search filters applied in the
//! same query: the rules of `intercom_mirror::textsearch` (which the SQLite store follows),
//! in PostgreSQL's SQL. A conversation matches when one of its messages holds every word (the
//! `tsvector` index, `simple` configuration: whole words, no stemming); `>`/`<` include the
//! bound, string `=` is exact, `~ ^ $` ignore case, negative operators match missing values.

use std::collections::HashMap;

use intercom_mirror::textsearch::{decode_cursor, encode_cursor, query_sql, query_words};
use intercom_mirror::{
    ConversationTextHit, ConversationTextPage, ConversationTextSearch, MirrorError, MirrorResult,
};
use serde_json::Value;
use tokio_postgres::GenericClient;

use crate::error::Redactor;

type Param = Box<dyn tokio_postgres::types::ToSql + Sync + Send>;

/// Up to this many matching conversations, a page is read by joining the set of matches.
const FEW_MATCHES: i64 = 5_000;

/// A search turned into SQL, ready to run.
pub(crate) struct Plan {
    tsquery: String,
    conditions: String,
    params: Vec<Param>,
    cursor: Option<(i64, String)>,
    limit: usize,
}

fn invalid(message: String) -> MirrorError {
    MirrorError::Invalid(message)
}

/// The tsquery text for `words`: all required.
fn all_of(words: &[String]) -> String {
    words.join(" & ")
}

pub(crate) fn plan(search: &ConversationTextSearch) -> MirrorResult<Plan> {
    let words = query_words(&search.text);
    if words.is_empty() {
        return Err(invalid(format!(
            "search text {:?} has no words to look for; give one or more words",
            search.text
        )));
    }
    let tsquery = all_of(&words);
    let mut params: Vec<Param> = vec![Box::new(tsquery.clone())];
    // The text match is the `matched` set the queries join (see `run`); these narrow it.
    let mut conditions = vec!["TRUE".to_string()];
    if let Some(filter) = &search.filter {
        conditions.push(condition(filter, &mut params, 0)?);
    }
    if let Some(status) = &search.sla_status {
        let ph = push(&mut params, Box::new(status.clone()), "text");
        conditions.push(format!("c.sla_status = {ph}"));
    }
    let cursor = search.cursor.as_deref().map(decode_cursor).transpose()?;
    Ok(Plan {
        tsquery,
        conditions: conditions.join(" AND "),
        params,
        cursor,
        limit: search.limit.clamp(1, 150),
    })
}

fn refs(params: &[Param]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

pub(crate) async fn run(
    client: &impl GenericClient,
    plan: Plan,
    redactor: &Redactor,
) -> MirrorResult<ConversationTextPage> {
    let q = |what: &'static str| {
        move |e: tokio_postgres::Error| MirrorError::Backend(redactor.query(what, &e).to_string())
    };
    let Plan {
        tsquery,
        conditions,
        mut params,
        cursor,
        limit,
    } = plan;
    // The conversations with a matching message, computed first (MATERIALIZED): planned as
    // one condition among others, a rare word could be checked conversation by conversation
    // down the whole table in page order.
    let matched = "WITH matched AS MATERIALIZED (
                       SELECT DISTINCT p.conversation_id FROM conversation_parts p
                       WHERE p.body_tsv @@ to_tsquery('simple', $1::text))";
    let total: i64 = client
        .query_one(
            &format!(
                "{matched} SELECT count(*) FROM conversations c
                 JOIN matched m ON m.conversation_id = c.id WHERE {conditions}"
            ),
            &refs(&params),
        )
        .await
        .map_err(q("count full-text matches"))?
        .get(0);
    let mut page_conditions = conditions;
    if let Some((at, id)) = cursor {
        let a = push(&mut params, Box::new(at), "bigint");
        let b = push(&mut params, Box::new(id), "text");
        page_conditions.push_str(&format!(
            " AND (COALESCE(c.created_at, 0) < {a}
                   OR (COALESCE(c.created_at, 0) = {a} AND c.id COLLATE \"C\" < {b} COLLATE \"C\"))"
        ));
    }
    // Few matches: join the matched set. Many: walk conversations newest first and stop at the
    // page's end, which finds matches at once (building the whole set would cost more).
    let page_from = if total <= FEW_MATCHES {
        format!(
            "{matched} SELECT c.id, COALESCE(c.created_at, 0), c.raw FROM conversations c
             JOIN matched m ON m.conversation_id = c.id"
        )
    } else {
        "SELECT c.id, COALESCE(c.created_at, 0), c.raw FROM conversations c".to_string()
    };
    if total > FEW_MATCHES {
        page_conditions.push_str(
            " AND c.id IN (SELECT p.conversation_id FROM conversation_parts p
                           WHERE p.body_tsv @@ to_tsquery('simple', $1::text))",
        );
    }
    let lim = push(&mut params, Box::new(limit as i64 + 1), "bigint");
    let mut rows: Vec<(String, i64, Value)> = client
        .query(
            &format!(
                "{page_from} WHERE {page_conditions}
                 ORDER BY COALESCE(c.created_at, 0) DESC, c.id COLLATE \"C\" DESC LIMIT {lim}"
            ),
            &refs(&params),
        )
        .await
        .map_err(q("search conversations"))?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = more
        .then(|| rows.last().map(|(id, at, _)| encode_cursor(*at, id)))
        .flatten();
    // The first matching message of each conversation on the page, with the words marked.
    let mut snippets: HashMap<String, (String, String)> = HashMap::new();
    if !rows.is_empty() {
        let ids: Vec<&str> = rows.iter().map(|(id, _, _)| id.as_str()).collect();
        for row in client
            .query(
                "SELECT DISTINCT ON (p.conversation_id) p.conversation_id, p.id,
                        ts_headline('simple', p.body_text, to_tsquery('simple', $1),
                                    'StartSel=[, StopSel=], MaxWords=24, MinWords=12, ShortWord=0')
                 FROM conversation_parts p
                 WHERE p.body_tsv @@ to_tsquery('simple', $1) AND p.conversation_id = ANY($2)
                 ORDER BY p.conversation_id, p.created_at, p.pk",
                &[&tsquery, &ids],
            )
            .await
            .map_err(q("mark the matching words"))?
        {
            snippets.insert(row.get(0), (row.get(1), row.get(2)));
        }
    }
    let hits = rows
        .into_iter()
        .map(|(id, _, raw)| {
            let (part_id, snippet) = snippets.remove(&id).unwrap_or_default();
            ConversationTextHit {
                conversation: raw,
                part_id,
                snippet: snippet.split_whitespace().collect::<Vec<_>>().join(" "),
            }
        })
        .collect();
    Ok(ConversationTextPage {
        total: total.max(0) as u64,
        hits,
        next_cursor,
    })
}

/// How a search field maps onto the mirror.
enum Column {
    Int(&'static str),
    Text(&'static str),
    /// A JSONB array of ids (`contact_ids`, `tag_ids`).
    IdArray(&'static str),
    /// Words of the opening message, through the full-text index.
    SourceWords,
    /// Any other path, read from the raw JSON (segments checked to be plain names).
    Json(Vec<String>),
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
        "open" => Int("c.open"),
        "read" => Int("c.read"),
        "ai_agent_participated" => Int("c.ai_agent_participated"),
        "admin_assignee_id" => Int("c.admin_assignee_id"),
        "team_assignee_id" => Int("c.team_assignee_id"),
        "source.type" => Text("c.source_type"),
        "source.delivered_as" => Text("c.source_delivered_as"),
        "source.author.type" => Text("c.source_author_type"),
        "source.author.id" => Text("c.source_author_id"),
        "source.body" => SourceWords,
        "channel_initiated" => Text("c.channel"),
        "contact_ids" => IdArray("c.contact_ids"),
        "tag_ids" => IdArray("c.tag_ids"),
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
        other => Json(other.split('.').map(str::to_string).collect()),
    }
}

fn push(params: &mut Vec<Param>, value: Param, ty: &str) -> String {
    params.push(value);
    format!("${}::{ty}", params.len())
}

/// A value as a parameter typed for comparing with a column of that kind: numbers stay
/// numbers against number columns (text that is not a number is compared as text), and
/// everything is text against text columns. Returns the placeholder and whether the column
/// side must be read as text.
fn value_param(v: &Value, numeric: bool, params: &mut Vec<Param>) -> (String, bool) {
    let as_text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => i64::from(*b).to_string(),
        other => other.to_string(),
    };
    if !numeric {
        return (push(params, Box::new(as_text(v)), "text"), false);
    }
    match v {
        Value::Bool(b) => (push(params, Box::new(i64::from(*b)), "bigint"), false),
        Value::Number(n) => match n.as_i64() {
            Some(i) => (push(params, Box::new(i), "bigint"), false),
            None => (
                push(params, Box::new(n.as_f64().unwrap_or(0.0)), "float8"),
                false,
            ),
        },
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(i) => (push(params, Box::new(i), "bigint"), false),
            Err(_) => (push(params, Box::new(s.clone()), "text"), true),
        },
        other => (push(params, Box::new(other.to_string()), "text"), true),
    }
}

fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

fn condition(q: &Value, params: &mut Vec<Param>, depth: usize) -> MirrorResult<String> {
    query_sql(q, params, depth, "TRUE", &mut leaf)
}

fn leaf(field: &str, op: &str, value: &Value, params: &mut Vec<Param>) -> MirrorResult<String> {
    let negative = matches!(op, "!=" | "NIN" | "!~");
    let positive_op = match op {
        "!=" => "=",
        "NIN" => "IN",
        "!~" => "~",
        other => other,
    };
    let positive = match column(field) {
        Column::IdArray(_) | Column::SourceWords if !matches!(positive_op, "=" | "IN") => {
            return Err(invalid(format!(
                "`{field}` takes =, !=, IN or NIN, not `{op}`"
            )));
        }
        Column::IdArray(col) => {
            let ids: Vec<String> = list(value)
                .iter()
                .map(|v| intercom_mirror::columns::id_string(v).unwrap_or_default())
                .collect();
            let ph = push(params, Box::new(ids), "text[]");
            format!("({col} ?| {ph})")
        }
        Column::SourceWords => {
            let words: Vec<String> = list(value)
                .iter()
                .filter_map(|v| v.as_str().map(query_words))
                .filter(|w| !w.is_empty())
                .map(|w| format!("({})", all_of(&w)))
                .collect();
            if words.is_empty() {
                return Err(invalid(format!("`{field}` needs a word to look for")));
            }
            let ph = push(params, Box::new(words.join(" | ")), "text");
            format!(
                "c.id IN (SELECT p.conversation_id FROM conversation_parts p
                          WHERE p.body_tsv @@ to_tsquery('simple', {ph}) AND p.part_type = 'source')"
            )
        }
        Column::Int(col) => scalar(col, true, positive_op, value, params, field)?,
        Column::Text(col) => scalar(col, false, positive_op, value, params, field)?,
        Column::Json(path) => {
            if path
                .iter()
                .any(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                return Err(invalid(format!("`{field}` is not a conversation field")));
            }
            let at = format!("'{{{}}}'", path.join(","));
            let numeric = value.is_number() || value.is_boolean();
            let expr = if numeric {
                format!(
                    "(CASE jsonb_typeof(c.raw #> {at})
                          WHEN 'number' THEN (c.raw #>> {at})::float8
                          WHEN 'boolean' THEN (CASE WHEN c.raw #>> {at} = 'true' THEN 1 ELSE 0 END)
                      END)"
                )
            } else {
                format!("(c.raw #>> {at})")
            };
            scalar(&expr, numeric, positive_op, value, params, field)?
        }
    };
    Ok(if negative {
        format!("NOT COALESCE({positive}, FALSE)")
    } else {
        format!("COALESCE({positive}, FALSE)")
    })
}

fn scalar(
    col: &str,
    numeric: bool,
    op: &str,
    value: &Value,
    params: &mut Vec<Param>,
    field: &str,
) -> MirrorResult<String> {
    let side = |as_text: bool| {
        if as_text {
            format!("({col})::text")
        } else {
            col.to_string()
        }
    };
    Ok(match op {
        "=" if value.is_null() => format!("({col} IS NULL)"),
        "=" => {
            let (ph, as_text) = value_param(value, numeric, params);
            format!("({} = {ph})", side(as_text))
        }
        "IN" => {
            let items = list(value);
            if items.is_empty() {
                return Ok("FALSE".into());
            }
            let tests: Vec<String> = items
                .iter()
                .map(|v| {
                    let (ph, as_text) = value_param(v, numeric, params);
                    format!("{} = {ph}", side(as_text))
                })
                .collect();
            format!("({})", tests.join(" OR "))
        }
        // Intercom's conversation search reads `>`/`<` as "or equal".
        ">" | ">=" | "<" | "<=" => {
            let (ph, as_text) = value_param(value, numeric, params);
            let cmp = if op.starts_with('>') { ">=" } else { "<=" };
            format!("({} {cmp} {ph})", side(as_text))
        }
        "~" | "^" | "$" => {
            let needle = value
                .as_str()
                .ok_or_else(|| invalid(format!("`{field}` with `{op}` takes text")))?
                .to_lowercase();
            let ph = push(params, Box::new(needle), "text");
            let hay = format!("lower(({col})::text)");
            match op {
                "~" => format!("(strpos({hay}, {ph}) > 0)"),
                "^" => format!("starts_with({hay}, {ph})"),
                _ => format!("(right({hay}, length({ph})) = {ph})"),
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
        assert!(sql.contains("c.created_at >= $2::bigint"), "{sql}");
        assert!(sql.contains("c.tag_ids ?| $3::text[]"), "{sql}");
        assert!(
            sql.contains("NOT COALESCE((c.admin_assignee_id = $4::bigint), FALSE)"),
            "{sql}"
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
}
