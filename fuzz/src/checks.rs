//! What each fuzz target exercises, shared with the stable smoke test
//! (`crates/intercom-mcp/tests/it/security_inputs.rs` includes this file): every
//! function takes arbitrary bytes and must return without panicking.

use serde_json::Value;

/// Bytes as JSON when they parse, else as a JSON string.
fn as_json(data: &[u8]) -> Value {
    serde_json::from_slice(data)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(data).into_owned()))
}

/// The search-query parser and validator (Intercom's nesting and size rules).
pub fn search_query(data: &[u8]) {
    let value = as_json(data);
    if let Ok(query) = intercom_api::SearchQuery::from_json(&value) {
        // A query that validated must serialise again.
        let _ = serde_json::to_string(&query).expect("a valid query serialises");
    }
}

/// The people's-words date parser, in UTC and a far-off time zone.
pub fn dates(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = intercom_core::dates::resolve(&text, chrono_tz::Tz::UTC);
    let _ = intercom_core::dates::resolve(&text, chrono_tz::Tz::Pacific__Kiritimati);
}

/// Tool-argument decoding: the same JSON into every public Args type.
pub fn tool_args(data: &[u8]) {
    use intercom_mcp_server::tools::{
        analytics, automations, bulk, conversations, realtime, search_fetch, tickets, workspace,
    };
    fn decode<T: serde::de::DeserializeOwned>(value: &Value) {
        let _ = serde_json::from_value::<T>(value.clone());
    }
    let value = as_json(data);
    decode::<conversations::SearchConversationsArgs>(&value);
    decode::<conversations::GetConversationArgs>(&value);
    decode::<conversations::CreateConversationArgs>(&value);
    decode::<conversations::ReplyArgs>(&value);
    decode::<conversations::ManageArgs>(&value);
    decode::<conversations::UpdateConversationArgs>(&value);
    decode::<conversations::TagConversationArgs>(&value);
    decode::<conversations::ConvertArgs>(&value);
    decode::<tickets::SearchTicketsArgs>(&value);
    decode::<tickets::GetTicketArgs>(&value);
    decode::<tickets::CreateTicketArgs>(&value);
    decode::<tickets::UpdateTicketArgs>(&value);
    decode::<tickets::ReplyToTicketArgs>(&value);
    decode::<tickets::TicketQueueArgs>(&value);
    decode::<workspace::ListAdminsArgs>(&value);
    decode::<workspace::ListTagsArgs>(&value);
    decode::<workspace::CreateTagArgs>(&value);
    decode::<workspace::ListDataAttributesArgs>(&value);
    decode::<search_fetch::SearchArgs>(&value);
    decode::<search_fetch::FetchArgs>(&value);
    decode::<bulk::BulkUpdateContactsArgs>(&value);
    decode::<bulk::BulkTagArgs>(&value);
    decode::<bulk::BulkManageArgs>(&value);
    decode::<bulk::BulkJobStatusArgs>(&value);
    decode::<realtime::RecentEventsArgs>(&value);
    decode::<analytics::SupportMetricsArgs>(&value);
    decode::<automations::ListAutomationsArgs>(&value);
    decode::<automations::TestAutomationArgs>(&value);
    decode::<automations::AutomationLogArgs>(&value);
}

/// The webhook signature check: arbitrary bodies and headers never verify
/// unless signed, and a body signed with the secret always does.
pub fn webhook(data: &[u8]) {
    use intercom_mirror::webhooks::{WebhookSecret, sign};
    let secret = WebhookSecret::new(b"fuzz-secret".to_vec()).expect("non-empty secret");
    let split = data.len() / 2;
    let (body, header) = data.split_at(split);
    let _ = secret.verify(body, header);
    let signed = sign(b"fuzz-secret", body);
    assert!(
        secret.verify(body, signed.as_bytes()),
        "a signed body verifies"
    );
    let _ = serde_json::from_slice::<Value>(body);
}

/// The webhook payload parser and what the mirror does with a notification: log it, apply
/// its item (any shape, any topic), and treat a second delivery of the same id as a
/// duplicate that changes nothing.
pub fn webhook_payload(store: &dyn intercom_mirror::MirrorStore, data: &[u8]) {
    use intercom_mirror::NotificationOutcome;
    let Ok(note) = intercom_mirror::webhooks::parse_notification(data) else {
        return;
    };
    if store.record_notifications(vec![note.clone()]).is_ok() {
        let again = store
            .record_notifications(vec![note])
            .expect("a repeated delivery is stored");
        assert!(
            matches!(again.as_slice(), [NotificationOutcome::Duplicate]),
            "a repeated delivery changes nothing"
        );
    }
}
