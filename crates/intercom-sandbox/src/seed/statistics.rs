//! `conversation_statistics` derived from a conversation's source and parts.
//!
//! Public so the server can recompute statistics after replies, assignments and closes,
//! keeping them consistent with the parts the same way the seed does.

use serde_json::{Map, Value, json};

fn is_contact(author_type: &str) -> bool {
    matches!(author_type, "user" | "lead" | "contact")
}

fn is_assignment(part_type: &str) -> bool {
    matches!(
        part_type,
        "assignment" | "default_assignment" | "assign_and_reopen" | "away_mode_assignment"
    )
}

fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2
    })
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Computes the `statistics` object of `conversation` from its `source`, `created_at` and
/// `conversation_parts`. `teams` are team objects, used to name teams in response times.
/// Fields that do not apply yet (no admin reply, never closed...) are left out rather than
/// set to null, because the schema declares them as non-nullable integers.
pub fn compute_statistics(conversation: &Value, teams: &[Value]) -> Value {
    let created_at = conversation["created_at"].as_i64().unwrap_or(0);
    let no_parts = Vec::new();
    let parts = conversation
        .pointer("/conversation_parts/conversation_parts")
        .and_then(Value::as_array)
        .unwrap_or(&no_parts);

    let mut first_contact_reply_at =
        is_contact(str_at(conversation, "/source/author/type")).then_some(created_at);
    let mut last_contact_reply_at = first_contact_reply_at;
    let mut waiting_since = first_contact_reply_at;
    let mut first_admin_reply_at = None;
    let mut last_admin_reply_at = None;
    let mut first_assignment_at = None;
    let mut last_assignment_at = None;
    let mut last_assignment_before_reply = None;
    let mut last_assignment_admin_reply_at = None;
    let mut awaiting_reply_after_assignment = false;
    let mut count_assignments = 0;
    let mut first_close_at = None;
    let mut last_close_at = None;
    let mut last_closed_by_id = None;
    let mut count_reopens = 0;
    let mut state = "open";
    let mut reply_times = Vec::new();
    // (team id, assigned at, first response time once known)
    let mut team_responses: Vec<(String, i64, Option<i64>)> = Vec::new();

    for part in parts {
        let at = part["created_at"].as_i64().unwrap_or(created_at);
        let part_type = part["part_type"].as_str().unwrap_or("");
        let author_type = str_at(part, "/author/type");
        let is_comment = part_type == "comment";

        if is_comment && is_contact(author_type) {
            first_contact_reply_at.get_or_insert(at);
            last_contact_reply_at = Some(at);
            waiting_since.get_or_insert(at);
        } else if is_comment && author_type == "admin" && first_contact_reply_at.is_some() {
            first_admin_reply_at.get_or_insert(at);
            last_admin_reply_at = Some(at);
            if let Some(since) = waiting_since.take() {
                reply_times.push(at - since);
            }
            if awaiting_reply_after_assignment {
                last_assignment_admin_reply_at = Some(at);
                awaiting_reply_after_assignment = false;
            }
            for (_, assigned_at, response) in team_responses.iter_mut() {
                response.get_or_insert(at - *assigned_at);
            }
        } else if is_assignment(part_type) && first_contact_reply_at.is_some() {
            count_assignments += 1;
            first_assignment_at.get_or_insert(at);
            last_assignment_at = Some(at);
            if first_admin_reply_at.is_none() {
                last_assignment_before_reply = Some(at);
            }
            awaiting_reply_after_assignment = true;
            if str_at(part, "/assigned_to/type") == "team" {
                let team_id = str_at(part, "/assigned_to/id").to_string();
                if !team_responses.iter().any(|(id, _, _)| *id == team_id) {
                    team_responses.push((team_id, at, None));
                }
            }
        } else if part_type == "close" {
            first_close_at.get_or_insert(at);
            last_close_at = Some(at);
            last_closed_by_id = part
                .pointer("/author/id")
                .and_then(Value::as_str)
                .map(str::to_string);
        }

        let part_state = part["state"].as_str().unwrap_or(state);
        if state == "closed" && part_state == "open" {
            count_reopens += 1;
        }
        state = match part_state {
            "closed" => "closed",
            "snoozed" => "snoozed",
            _ => "open",
        };
    }

    let since_start = |at: i64| at - first_contact_reply_at.unwrap_or(created_at);
    let mut stats = Map::with_capacity(24);
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            stats.insert(key.to_string(), value);
        }
    };
    put("type", Some(json!("conversation_statistics")));
    put(
        "time_to_assignment",
        last_assignment_before_reply.map(|at| json!(since_start(at))),
    );
    put(
        "time_to_admin_reply",
        first_admin_reply_at.map(|at| json!(since_start(at))),
    );
    put(
        "time_to_first_close",
        first_close_at.map(|at| json!(since_start(at))),
    );
    put(
        "time_to_last_close",
        last_close_at.map(|at| json!(since_start(at))),
    );
    put(
        "median_time_to_reply",
        median(&mut reply_times).map(|m| json!(m)),
    );
    put(
        "first_contact_reply_at",
        first_contact_reply_at.map(|at| json!(at)),
    );
    put(
        "first_assignment_at",
        first_assignment_at.map(|at| json!(at)),
    );
    put(
        "first_admin_reply_at",
        first_admin_reply_at.map(|at| json!(at)),
    );
    put("first_close_at", first_close_at.map(|at| json!(at)));
    put("last_assignment_at", last_assignment_at.map(|at| json!(at)));
    put(
        "last_assignment_admin_reply_at",
        last_assignment_admin_reply_at.map(|at| json!(at)),
    );
    put(
        "last_contact_reply_at",
        last_contact_reply_at.map(|at| json!(at)),
    );
    put(
        "last_admin_reply_at",
        last_admin_reply_at.map(|at| json!(at)),
    );
    put("last_close_at", last_close_at.map(|at| json!(at)));
    put("last_closed_by_id", last_closed_by_id.map(Value::String));
    put("count_reopens", Some(json!(count_reopens)));
    put("count_assignments", Some(json!(count_assignments)));
    put("count_conversation_parts", Some(json!(parts.len())));
    let response_times: Vec<Value> = team_responses
        .iter()
        .filter_map(|(team_id, _, response)| {
            let response = (*response)?;
            let team_name = teams
                .iter()
                .find(|team| team["id"].as_str() == Some(team_id))
                .and_then(|team| team["name"].as_str())
                .unwrap_or("");
            Some(json!({
                "team_id": team_id.parse::<i64>().unwrap_or(0),
                "team_name": team_name,
                "response_time": response,
            }))
        })
        .collect();
    put(
        "assigned_team_first_response_time",
        Some(json!(response_times)),
    );
    put(
        "assigned_team_first_response_time_in_office_hours",
        Some(json!(response_times)),
    );
    let handling_time = match (first_assignment_at, last_close_at) {
        (Some(assigned), Some(closed)) if closed >= assigned => Some(closed - assigned),
        _ => None,
    };
    put("handling_time", handling_time.map(|t| json!(t)));
    put(
        "adjusted_handling_time",
        Some(json!(handling_time.map(|t| t * 3 / 5))),
    );
    Value::Object(stats)
}
