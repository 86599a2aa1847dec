//! One `null` or malformed item in a list Intercom sends does not fail the whole
//! tool: the readable items are listed and the output says how many were left out.

use crate::common;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::Request;
use intercom_mcp_server::inprocess::InProcessClient;
use serde_json::{Value, json};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Every list answer carries a `null` and one item of the wrong shape among good ones.
async fn answer(request: Request) -> Json<Value> {
    let path = request.uri().path().to_string();
    let recent = now() - 3_600;
    Json(match path.as_str() {
        "/me" => json!({"type": "admin", "id": "7", "name": "Ada", "email": "ada@example.com"}),
        "/ticket_types" => json!({"type": "list", "data": [
            null,
            {"type": "ticket_type", "id": "11", "name": "Bug", "category": "Customer", "archived": false},
            "not a ticket type",
        ]}),
        "/ticket_states" => json!({"type": "list", "data": [
            {"type": "ticket_state", "id": "21", "category": "submitted", "internal_label": "Submitted"},
            null,
        ]}),
        "/tickets/search" => json!({"type": "ticket.list", "total_count": 2, "tickets": [
            null,
            {"type": "ticket", "id": "31", "ticket_attributes": {"_default_title_": "Printer on fire"},
             "ticket_state": {"type": "ticket_state", "id": "21", "category": "submitted", "internal_label": "Submitted"},
             "created_at": recent, "updated_at": recent},
        ], "pages": {"type": "pages", "page": 1, "total_pages": 1}}),
        "/conversations/search" => {
            json!({"type": "conversation.list", "total_count": 2, "conversations": [
            null,
            {"type": "conversation", "id": "41", "created_at": recent, "updated_at": recent,
             "state": "open", "open": true, "admin_assignee_id": 7},
        ], "pages": {"type": "pages", "page": 1, "total_pages": 1}})
        }
        "/admins" => json!({"type": "admin.list", "admins": [
            null,
            {"type": "admin", "id": "7", "name": "Ada", "email": "ada@example.com"},
            {"type": "admin", "name": "Nobody without an id"},
        ]}),
        "/teams" => json!({"type": "team.list", "teams": []}),
        _ => json!({"type": "list", "data": []}),
    })
}

async fn client() -> InProcessClient {
    let app = Router::new().fallback(answer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let server = common::server_for(&base, "test-token", common::all_tools());
    InProcessClient::connect(server).await.unwrap()
}

async fn ok(client: &InProcessClient, tool: &str, args: Value) -> (Value, String) {
    let result = client.call(tool, args).await.unwrap();
    let text = common::text(&result);
    assert_ne!(result.is_error, Some(true), "{tool} failed: {text}");
    (result.structured_content.clone().unwrap(), text)
}

#[tokio::test]
async fn list_ticket_types_skips_unusable_items_and_says_so() {
    let client = client().await;
    let (out, text) = ok(&client, "list_ticket_types", json!({})).await;
    let types = out["ticket_types"].as_array().unwrap();
    assert_eq!(types.len(), 1, "{out}");
    assert_eq!(types[0]["name"], "Bug");
    assert_eq!(out["skipped_unreadable"], 2, "{out}");
    assert!(
        text.contains("2 item(s) Intercom sent could not be read"),
        "{text}"
    );
}

#[tokio::test]
async fn list_ticket_states_skips_unusable_items_and_says_so() {
    let client = client().await;
    let (out, text) = ok(&client, "list_ticket_states", json!({})).await;
    let states = out["ticket_states"].as_array().unwrap();
    assert_eq!(states.len(), 1, "{out}");
    assert_eq!(states[0]["internal_label"], "Submitted");
    assert_eq!(out["skipped_unreadable"], 1, "{out}");
    assert!(
        text.contains("1 item(s) Intercom sent could not be read"),
        "{text}"
    );
}

#[tokio::test]
async fn search_tickets_skips_unusable_items_and_says_so() {
    let client = client().await;
    let (out, text) = ok(&client, "search_tickets", json!({})).await;
    let tickets = out["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 1, "{out}");
    assert_eq!(tickets[0]["id"], "31");
    assert_eq!(out["skipped_unreadable"], 1, "{out}");
    assert!(text.contains("could not be read"), "{text}");
}

#[tokio::test]
async fn support_metrics_by_admin_skips_unusable_items_and_says_so() {
    let client = client().await;
    let (out, text) = ok(
        &client,
        "support_metrics",
        json!({"period": "last_7d", "source": "api", "group_by": "admin"}),
    )
    .await;
    let report = out.get("report").unwrap_or(&out);
    assert_eq!(report["source"]["conversations_examined"], 1, "{out}");
    // A null conversation, a null ticket, a null admin and an admin without an id.
    assert_eq!(report["source"]["skipped_unreadable"], 4, "{out}");
    let groups = report["groups"].as_array().unwrap();
    assert!(
        groups.iter().any(|g| g["label"] == "Ada"),
        "the readable admin names its group: {out}"
    );
    assert!(
        text.contains("4 object(s) Intercom sent could not be read"),
        "{text}"
    );
}
