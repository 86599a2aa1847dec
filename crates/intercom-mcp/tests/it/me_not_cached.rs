//! `/me` is nullable in the 2.16 spec. A null answer must not be kept for the
//! life of the process: the next call asks again and a valid admin is then used.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::get;
use axum::{Json, extract::State};
use intercom_api::{Client, ClientConfig};
use intercom_mcp_server::workspace_context::Workspace;
use serde_json::{Value, json};

async fn me(State(calls): State<Arc<AtomicUsize>>) -> Json<Value> {
    let n = calls.fetch_add(1, Ordering::SeqCst);
    match n {
        0 => Json(Value::Null),
        1 => Json(json!({"type": "admin", "name": "No Id"})),
        _ => Json(json!({"type": "admin", "id": "42", "name": "Ada", "email": "ada@example.com"})),
    }
}

#[tokio::test]
async fn null_then_idless_then_valid_me_is_retried_not_cached() {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/me", get(me))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = ClientConfig::builder("test-token")
        .base_url(&base)
        .build()
        .unwrap();
    let ws = Workspace::new(Client::new(config).unwrap(), Some(chrono_tz::Tz::UTC));

    let first = ws.my_admin_id().await.expect_err("a null /me is an error");
    assert!(
        first.message.contains("names no admin"),
        "{}",
        first.message
    );
    let second = ws
        .my_admin_id()
        .await
        .expect_err("an id-less /me is an error");
    assert!(
        second.message.contains("names no admin"),
        "{}",
        second.message
    );
    assert_eq!(ws.my_admin_id().await.unwrap(), "42");
    // Kept once valid: no further request.
    assert_eq!(ws.my_admin_id().await.unwrap(), "42");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "asked again after each unusable answer, then kept"
    );
}

/// `doctor` against a workspace whose `/me` names no admin says FAIL, never "OK".
#[tokio::test]
async fn doctor_fails_on_a_me_answer_that_names_no_admin() {
    for answer in [
        Value::Null,
        json!({"type": "admin", "name": "No Id", "id": ""}),
    ] {
        let app = Router::new().route("/me", get(move || async move { Json(answer) }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_intercom-mcp"))
            .args([
                "doctor",
                "--api-base",
                &base,
                "--access-token",
                "tok-secret",
            ])
            .env_remove("INTERCOM_ACCESS_TOKEN")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stdout}");
        assert!(
            stderr.contains("FAIL") && stderr.contains("names no admin"),
            "{stderr}"
        );
        assert!(
            !stdout.contains("OK") && !stdout.contains("Admin:"),
            "{stdout}"
        );
        assert!(!stderr.contains("tok-secret") && !stdout.contains("tok-secret"));
    }
}
