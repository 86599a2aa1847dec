//! A token without the write scope: Intercom answers 403 and the tool reports
//! it as a tool error that says what to do, without crashing or retrying the
//! write. A scripted Intercom stands in, since the sandbox grants every scope.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, extract::State};
use intercom_mcp_server::inprocess::InProcessClient;
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Counters {
    replies: Arc<AtomicUsize>,
}

async fn me() -> Json<Value> {
    Json(
        json!({"type": "admin", "id": "42", "name": "Read Only", "email": "ro@example.com",
                "app": {"id_code": "abc123", "name": "Scoped Workspace"}}),
    )
}

async fn admins() -> Json<Value> {
    Json(
        json!({"type": "admin.list", "admins": [{"type": "admin", "id": "42", "name": "Read Only", "email": "ro@example.com"}]}),
    )
}

async fn teams() -> Json<Value> {
    Json(json!({"type": "team.list", "teams": []}))
}

async fn forbidden_reply(State(c): State<Counters>) -> (StatusCode, Json<Value>) {
    c.replies.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::FORBIDDEN,
        Json(json!({"type": "error.list", "request_id": "req-403",
                    "errors": [{"code": "token_unauthorized", "message": "Token does not have the write_conversations scope"}]})),
    )
}

#[tokio::test]
async fn write_without_scope_is_a_clean_tool_error() {
    let counters = Counters::default();
    let app = Router::new()
        .route("/me", get(me))
        .route("/admins", get(admins))
        .route("/teams", get(teams))
        .route("/conversations/{id}/reply", post(forbidden_reply))
        .with_state(counters.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let server = common::server_for(&base, "read-only-token", common::all_tools());
    let client = InProcessClient::connect(server).await.unwrap();
    let result = client
        .call(
            "reply_to_conversation",
            json!({"id": "123", "body": "hello"}),
        )
        .await
        .expect("a tool error is a result, not a protocol error");
    assert_eq!(result.is_error, Some(true));
    let text = common::text(&result);
    assert!(
        text.contains("scope"),
        "says the token lacks a scope: {text}"
    );
    assert!(
        text.contains("req-403"),
        "keeps Intercom's request id: {text}"
    );
    assert!(
        !text.contains("read-only-token"),
        "never shows the token: {text}"
    );
    assert_eq!(
        counters.replies.load(Ordering::SeqCst),
        1,
        "a refused write is not retried"
    );

    // The server keeps serving after the failure.
    let ok = client.call("whoami", json!({})).await.unwrap();
    assert_ne!(ok.is_error, Some(true), "{}", common::text(&ok));
    assert!(common::text(&ok).contains("Scoped Workspace"));
    client.close().await;
}
