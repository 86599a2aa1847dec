//! Segment membership. Intercom segments are saved filters, so membership follows a
//! contact's current data; the seeded workspace's segments are evaluated by their rule here.

use serde_json::Value;

use crate::store::State;

const DAY: i64 = 86_400;

fn tagged(state: &State, contact: &Value, tag_name: &str) -> bool {
    contact["tags"]["data"].as_array().is_some_and(|tags| {
        tags.iter().any(|t| {
            t["id"]
                .as_str()
                .and_then(|id| state.tags.get(id))
                .is_some_and(|tag| tag["name"].as_str() == Some(tag_name))
        })
    })
}

fn within(contact: &Value, field: &str, days: i64, now: i64) -> bool {
    contact[field]
        .as_i64()
        .is_some_and(|at| now - at <= days * DAY)
}

/// Whether `contact` belongs to `segment` now. Segments whose rule is unknown have no members.
pub fn contains(state: &State, segment: &Value, contact: &Value, now: i64) -> bool {
    let is_user = contact["role"] == "user";
    match segment["name"].as_str().unwrap_or_default() {
        "Active users (30 days)" => is_user && within(contact, "last_seen_at", 30, now),
        "New signups (7 days)" => within(contact, "signed_up_at", 7, now),
        "All leads" => contact["role"] == "lead",
        "Enterprise customers" => is_user && contact["custom_attributes"]["plan"] == "Enterprise",
        "Churn risk" => tagged(state, contact, "churn-risk"),
        "VIP" => tagged(state, contact, "vip"),
        _ => false,
    }
}

/// The segments `contact` belongs to.
pub fn of_contact(state: &State, contact: &Value, now: i64) -> Vec<Value> {
    state
        .segments
        .values()
        .filter(|s| contains(state, s, contact, now))
        .cloned()
        .collect()
}

/// How many contacts belong to `segment`.
pub fn count(state: &State, segment: &Value, now: i64) -> usize {
    state
        .contacts
        .values()
        .filter(|c| contains(state, segment, c, now))
        .count()
}
