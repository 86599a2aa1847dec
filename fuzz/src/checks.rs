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

/// Lists the tools' argument types once: `tool_args` decodes each, and `TOOL_ARG_TYPES`
/// and `tool_arg_schemas` describe them (a test checks every tool of the catalogue is here).
macro_rules! tool_arg_types {
    ($($module:ident :: $name:ident),* $(,)?) => {
        /// Every argument type `tool_args` decodes, by name.
        pub const TOOL_ARG_TYPES: &[&str] = &[$(stringify!($name)),*];

        fn decode_every_tool_args(value: &Value) {
            use intercom_mcp_server::tools::*;
            $(decode::<$module::$name>(value);)*
        }

        /// Each type's input schema, as rmcp derives a tool's from its argument type.
        pub fn tool_arg_schemas() -> Vec<(&'static str, std::sync::Arc<serde_json::Map<String, Value>>)> {
            use intercom_mcp_server::tools::*;
            vec![$((
                stringify!($name),
                rmcp::handler::server::common::schema_for_type::<$module::$name>(),
            )),*]
        }
    };
}

fn decode<T: serde::de::DeserializeOwned>(value: &Value) {
    let _ = serde_json::from_value::<T>(value.clone());
}

tool_arg_types![
    conversations::SearchConversationsArgs,
    conversations::GetConversationArgs,
    conversations::CreateConversationArgs,
    conversations::ReplyArgs,
    conversations::ManageArgs,
    conversations::UpdateConversationArgs,
    conversations::TagConversationArgs,
    conversations::ConvertArgs,
    tickets::SearchTicketsArgs,
    tickets::GetTicketArgs,
    tickets::CreateTicketArgs,
    tickets::UpdateTicketArgs,
    tickets::ReplyToTicketArgs,
    tickets::TicketQueueArgs,
    tickets::NoArgs,
    contacts::FindContactArgs,
    contacts::SearchContactsArgs,
    contacts::ContactFields,
    contacts::UpdateContactArgs,
    contacts::MergeContactsArgs,
    contacts::ArchiveContactArgs,
    contacts::AddContactNoteArgs,
    contacts::TagContactArgs,
    contacts::AttachToCompanyArgs,
    companies::ListCompaniesArgs,
    companies::GetCompanyArgs,
    companies::UpsertCompanyArgs,
    companies::ListCompanyContactsArgs,
    articles::ListArticlesArgs,
    articles::SearchArticlesArgs,
    articles::GetArticleArgs,
    articles::ArticleFields,
    articles::UpdateArticleArgs,
    workspace::ListAdminsArgs,
    workspace::ListTagsArgs,
    workspace::CreateTagArgs,
    workspace::ListDataAttributesArgs,
    search_fetch::SearchArgs,
    search_fetch::FetchArgs,
    bulk::BulkUpdateContactsArgs,
    bulk::BulkTagArgs,
    bulk::BulkManageArgs,
    bulk::BulkJobStatusArgs,
    realtime::RecentEventsArgs,
    analytics::SupportMetricsArgs,
    automations::ListAutomationsArgs,
    automations::TestAutomationArgs,
    automations::AutomationLogArgs,
];

/// Tool-argument decoding: the same JSON into every tool's argument type.
pub fn tool_args(data: &[u8]) {
    decode_every_tool_args(&as_json(data));
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
