//! Indexed columns pulled out of raw Intercom JSON.
//!
//! Every mirrored object keeps its raw JSON; the figures that queries filter,
//! sort or aggregate on are copied into typed columns so that analytics over a
//! million conversations never has to parse JSON.

use rusqlite::types::Value as Sql;
use serde_json::Value;

use super::store::ObjectKind;

/// The typed columns of one object kind, in table order (after `id`).
pub fn column_names(kind: ObjectKind) -> &'static [&'static str] {
    match kind {
        ObjectKind::Conversation => &[
            "created_at",
            "updated_at",
            "state",
            "open",
            "read",
            "priority",
            "title",
            "admin_assignee_id",
            "team_assignee_id",
            "waiting_since",
            "snoozed_until",
            "source_type",
            "source_delivered_as",
            "source_author_type",
            "source_author_id",
            "channel",
            "company_id",
            "contact_ids",
            "tag_ids",
            "first_contact_reply_at",
            "first_admin_reply_at",
            "time_to_admin_reply",
            "time_to_assignment",
            "time_to_first_close",
            "first_close_at",
            "last_close_at",
            "last_closed_by_id",
            "median_time_to_reply",
            "count_reopens",
            "count_assignments",
            "count_conversation_parts",
            "rating_score",
            "rating_remark",
            "rating_created_at",
            "rating_teammate_id",
            "sla_name",
            "sla_status",
            "ai_agent_participated",
        ],
        ObjectKind::Ticket => &[
            "created_at",
            "updated_at",
            "ticket_number",
            "category",
            "ticket_type_id",
            "ticket_state_id",
            "state_category",
            "title",
            "open",
            "admin_assignee_id",
            "team_assignee_id",
            "snoozed_until",
            "contact_ids",
        ],
        ObjectKind::Contact => &[
            "created_at",
            "updated_at",
            "role",
            "external_id",
            "email",
            "name",
            "owner_id",
            "last_seen_at",
        ],
        ObjectKind::Company => &[
            "created_at",
            "updated_at",
            "company_id",
            "name",
            "user_count",
        ],
        ObjectKind::Admin => &["email", "name"],
        ObjectKind::Team => &["name"],
        ObjectKind::Tag => &["name"],
    }
}

/// Values for [`column_names`] of `kind`, taken from the raw object.
pub fn column_values(kind: ObjectKind, raw: &Value) -> Vec<Sql> {
    match kind {
        ObjectKind::Conversation => conversation(raw),
        ObjectKind::Ticket => ticket(raw),
        ObjectKind::Contact => vec![
            int(raw, "/created_at"),
            int(raw, "/updated_at"),
            text(raw, "/role"),
            text(raw, "/external_id"),
            text(raw, "/email"),
            text(raw, "/name"),
            text(raw, "/owner_id"),
            int(raw, "/last_seen_at"),
        ],
        ObjectKind::Company => vec![
            int(raw, "/created_at"),
            int(raw, "/updated_at"),
            text(raw, "/company_id"),
            text(raw, "/name"),
            int(raw, "/user_count"),
        ],
        ObjectKind::Admin => vec![text(raw, "/email"), text(raw, "/name")],
        ObjectKind::Team | ObjectKind::Tag => vec![text(raw, "/name")],
    }
}

fn conversation(raw: &Value) -> Vec<Sql> {
    let stat = |name: &str| int(raw, &format!("/statistics/{name}"));
    vec![
        int(raw, "/created_at"),
        int(raw, "/updated_at"),
        text(raw, "/state"),
        boolean(raw, "/open"),
        boolean(raw, "/read"),
        text(raw, "/priority"),
        text(raw, "/title"),
        int(raw, "/admin_assignee_id"),
        int(raw, "/team_assignee_id"),
        int(raw, "/waiting_since"),
        int(raw, "/snoozed_until"),
        text(raw, "/source/type"),
        text(raw, "/source/delivered_as"),
        text(raw, "/source/author/type"),
        text(raw, "/source/author/id"),
        text(raw, "/channel/initial"),
        text(raw, "/company/id"),
        id_list(raw, "/contacts/contacts"),
        id_list(raw, "/tags/tags"),
        int(raw, "/statistics/first_contact_reply_at"),
        stat("first_admin_reply_at"),
        stat("time_to_admin_reply"),
        stat("time_to_assignment"),
        stat("time_to_first_close"),
        stat("first_close_at"),
        stat("last_close_at"),
        text(raw, "/statistics/last_closed_by_id"),
        stat("median_time_to_reply"),
        stat("count_reopens"),
        stat("count_assignments"),
        stat("count_conversation_parts"),
        int(raw, "/conversation_rating/rating"),
        text(raw, "/conversation_rating/remark"),
        int(raw, "/conversation_rating/created_at"),
        text(raw, "/conversation_rating/teammate/id"),
        text(raw, "/sla_applied/sla_name"),
        text(raw, "/sla_applied/sla_status"),
        boolean(raw, "/ai_agent_participated"),
    ]
}

fn ticket(raw: &Value) -> Vec<Sql> {
    vec![
        int(raw, "/created_at"),
        int(raw, "/updated_at"),
        text(raw, "/ticket_id"),
        text(raw, "/category"),
        text(raw, "/ticket_type/id"),
        text(raw, "/ticket_state/id"),
        text(raw, "/ticket_state/category"),
        text(raw, "/ticket_attributes/_default_title_"),
        boolean(raw, "/open"),
        int(raw, "/admin_assignee_id"),
        int(raw, "/team_assignee_id"),
        int(raw, "/snoozed_until"),
        id_list(raw, "/contacts/contacts"),
    ]
}

/// Tag ids of a conversation, for the `conversation_tags` join table.
pub fn conversation_tag_ids(raw: &Value) -> Vec<String> {
    ids_at(raw, "/tags/tags")
}

/// An integer at `pointer`; Intercom sends some ids and figures as strings or floats.
fn int(raw: &Value, pointer: &str) -> Sql {
    match raw.pointer(pointer) {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.round() as i64))
            .map_or(Sql::Null, Sql::Integer),
        Some(Value::String(s)) => s.parse::<i64>().map_or(Sql::Null, Sql::Integer),
        Some(Value::Bool(b)) => Sql::Integer(i64::from(*b)),
        _ => Sql::Null,
    }
}

fn text(raw: &Value, pointer: &str) -> Sql {
    match raw.pointer(pointer) {
        Some(Value::String(s)) => Sql::Text(s.clone()),
        Some(Value::Number(n)) => Sql::Text(n.to_string()),
        Some(Value::Bool(b)) => Sql::Text(b.to_string()),
        _ => Sql::Null,
    }
}

fn boolean(raw: &Value, pointer: &str) -> Sql {
    match raw.pointer(pointer) {
        Some(Value::Bool(b)) => Sql::Integer(i64::from(*b)),
        _ => Sql::Null,
    }
}

/// A JSON array of the `id`s found in the list at `pointer`, e.g. `["12","40"]`.
fn id_list(raw: &Value, pointer: &str) -> Sql {
    let ids = ids_at(raw, pointer);
    Sql::Text(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
}

fn ids_at(raw: &Value, pointer: &str) -> Vec<String> {
    raw.pointer(pointer)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| id_string(item.get("id")?))
                .collect()
        })
        .unwrap_or_default()
}

/// An object's id as text whether Intercom sent it as a string or a number (the one
/// implementation, shared with the tools).
pub use intercom_core::ids::id_text as id_string;

/// Plain text of an HTML message body, for the full-text index.
///
/// Intercom bodies are simple HTML (`<p>`, `<a>`, `<br>`); dropping tags and
/// decoding the common entities is enough for word matching and much cheaper
/// than a full renderer when a million conversations are backfilled.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conversation_columns_match_names() {
        let raw = json!({"id":"1","created_at":10,"updated_at":20,"state":"open",
            "statistics":{"first_admin_reply_at":15,"count_reopens":2},
            "tags":{"tags":[{"id":"7"},{"id":8}]},"conversation_rating":{"rating":4}});
        let names = column_names(ObjectKind::Conversation);
        let values = column_values(ObjectKind::Conversation, &raw);
        assert_eq!(names.len(), values.len());
        let at = |n: &str| values[names.iter().position(|c| *c == n).unwrap()].clone();
        assert_eq!(at("first_admin_reply_at"), Sql::Integer(15));
        assert_eq!(at("count_reopens"), Sql::Integer(2));
        assert_eq!(at("tag_ids"), Sql::Text(r#"["7","8"]"#.into()));
        assert_eq!(at("rating_score"), Sql::Integer(4));
        assert_eq!(at("priority"), Sql::Null);
    }

    #[test]
    fn every_kind_has_matching_columns() {
        for kind in ObjectKind::ALL {
            assert_eq!(
                column_names(kind).len(),
                column_values(kind, &serde_json::json!({})).len(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn plain_text_strips_tags_and_entities() {
        assert_eq!(
            plain_text("<p>Refund&nbsp;for <b>order</b> &amp; shipping</p><p>thanks</p>"),
            "Refund for order & shipping thanks"
        );
    }
}
