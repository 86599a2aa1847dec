//! Retry policy: what is retried, what never is, and how the final error reads.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use intercom_api::{ContactInput, Error, TransportKind};
use serde_json::json;

#[tokio::test]
async fn get_is_retried_after_500_then_succeeds() {
    let server = scripted(|_, i| async move {
        if i == 0 {
            reply(500, error_body("server_error", "boom"), &[])
        } else {
            ok(json!({"type": "contact", "id": "c1", "email": "a@example.com"}))
        }
    })
    .await;
    let contact = client(&server.base).get_contact(&id("c1")).await.unwrap();
    assert_eq!(contact.email.as_deref(), Some("a@example.com"));
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn get_that_times_out_is_retried() {
    let server = scripted(|_, i| async move {
        if i == 0 {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        ok(json!({"type": "admin", "id": "7", "name": "Ann"}))
    })
    .await;
    let c = client_with(&server.base, fast_retry(3), Duration::from_millis(300));
    let admin = c.get_admin(&id("7")).await.unwrap();
    assert_eq!(admin.name.as_deref(), Some("Ann"));
    assert_eq!(server.count(), 2, "one timed-out attempt, one success");
}

#[tokio::test]
async fn create_post_reset_after_receipt_is_not_retried() {
    let (base, hits) = resetting_server().await;
    let c = client_with(&base, fast_retry(5), Duration::from_secs(5));
    let input = ContactInput {
        email: Some("new@example.com".into()),
        ..Default::default()
    };
    let err = c.create_contact(&input).await.unwrap_err();
    // The call has returned, and the client retries only within a call: every attempt it
    // made met the server's reset, which comes after the count.
    assert_eq!(
        *hits.lock().unwrap(),
        1,
        "the create must reach the server exactly once"
    );
    match &err {
        Error::Transport { kind, attempts, .. } => {
            assert_ne!(*kind, TransportKind::Connect);
            assert_eq!(*attempts, 1);
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(err.to_string().contains("POST /contacts"), "{err}");
    assert!(
        err.to_string().contains("was not repeated automatically"),
        "{err}"
    );
}

#[tokio::test]
async fn idempotent_get_reset_after_receipt_is_retried() {
    let (base, hits) = resetting_server().await;
    let c = client_with(&base, fast_retry(3), Duration::from_secs(5));
    let err = c.get_contact(&id("c1")).await.unwrap_err();
    assert_eq!(
        *hits.lock().unwrap(),
        3,
        "a GET may be repeated up to max_attempts"
    );
    assert_eq!(err.attempts(), Some(3));
    assert!(err.to_string().contains("after 3 attempt(s)"), "{err}");
}

#[tokio::test]
async fn create_post_is_retried_after_429() {
    let server = scripted(|_, i| async move {
        if i == 0 {
            let reset = unix_now() + 1;
            reply(
                429,
                error_body(
                    "rate_limit_exceeded",
                    "Exceeded rate limit of 167 in 10_seconds",
                ),
                &rate_headers(167, 0, reset),
            )
        } else {
            ok(json!({"type": "note", "id": "n1", "body": "<p>hello</p>"}))
        }
    })
    .await;
    let note = client(&server.base)
        .create_contact_note(&id("c1"), "<p>hello</p>", Some(&id("7")))
        .await
        .unwrap();
    assert_eq!(note.id.as_deref(), Some("n1"));
    assert_eq!(server.count(), 2);
    assert_eq!(server.request(0).json(), server.request(1).json());
}

#[tokio::test]
async fn create_post_is_not_retried_after_500() {
    let server =
        scripted(|_, _| async move { reply(500, error_body("server_error", "x"), &[]) }).await;
    let err = client(&server.base)
        .create_contact_note(&id("c1"), "hi", None)
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1, "a 500 may mean the note was created");
    assert_eq!(err.status(), Some(500));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn search_post_counts_as_idempotent() {
    let server = scripted(|_, i| async move {
        if i < 2 {
            reply(503, json!({}), &[])
        } else {
            ok(json!({"type": "conversation.list", "conversations": [{"id": "1"}], "total_count": 1}))
        }
    })
    .await;
    let req = intercom_api::SearchRequest::new(intercom_api::SearchQuery::field("open").eq(true));
    let page = client(&server.base)
        .search_conversations(&req)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn post_connect_error_is_retried_because_nothing_was_sent() {
    // Bind then drop a listener to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client_with(
        &format!("http://127.0.0.1:{port}"),
        fast_retry(3),
        Duration::from_secs(2),
    );
    let err = c
        .create_contact(&ContactInput::default())
        .await
        .unwrap_err();
    match &err {
        Error::Transport { kind, attempts, .. } => {
            assert_eq!(*kind, TransportKind::Connect);
            assert_eq!(*attempts, 3);
        }
        other => panic!("expected connect error, got {other:?}"),
    }
}

#[tokio::test]
async fn attempts_are_bounded_and_reported() {
    let server = scripted(|_, _| async move { reply(502, json!({}), &[]) }).await;
    let start = Instant::now();
    let err = client(&server.base).list_admins().await.unwrap_err();
    assert_eq!(server.count(), 4);
    assert_eq!(err.attempts(), Some(4));
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn total_time_bound_stops_retries() {
    let server = scripted(|_, _| async move { reply(503, json!({}), &[]) }).await;
    let mut policy = fast_retry(50);
    policy.initial_backoff = Duration::from_millis(200);
    policy.max_backoff = Duration::from_millis(200);
    policy.max_elapsed = Duration::from_millis(700);
    let c = client_with(&server.base, policy, Duration::from_secs(2));
    let start = Instant::now();
    let err = c.list_teams().await.unwrap_err();
    assert!(start.elapsed() < Duration::from_millis(1500));
    assert!(
        server.count() < 10,
        "stopped by the time bound, not attempts"
    );
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server =
        scripted(|_, _| async move { reply(400, error_body("parameter_invalid", "bad"), &[]) })
            .await;
    let err = client(&server.base)
        .get_contact(&id("c1"))
        .await
        .unwrap_err();
    assert_eq!(server.count(), 1);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn retry_after_header_is_honoured() {
    let server = scripted(|_, i| async move {
        if i == 0 {
            reply(503, json!({}), &[("Retry-After", "1".to_owned())])
        } else {
            ok(json!({"type": "team.list", "teams": []}))
        }
    })
    .await;
    let start = Instant::now();
    client(&server.base).list_teams().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_never_resending_client_does_not_repeat_a_put_whose_connection_dropped() {
    let (base, hits) = resetting_server().await;
    let c = client_with(&base, fast_retry(5), Duration::from_secs(5));
    let body = json!({"custom_attributes": {"plan": "pro"}});
    let update: intercom_api::ContactInput = serde_json::from_value(body.clone()).unwrap();
    let err = c
        .never_resending()
        .update_contact(&intercom_api::Id::new("c1").unwrap(), &update)
        .await
        .unwrap_err();
    // The call has returned: every attempt it made met the reset, which comes after the count.
    assert_eq!(
        *hits.lock().unwrap(),
        1,
        "the caller checks the target before resending"
    );
    assert!(err.is_retryable(), "{err}");
    // The plain form repeats a PUT: its effect is the same, but it lands more than once.
    c.send_json(intercom_api::Method::PUT, "/contacts/c1", &[], Some(body))
        .await
        .unwrap_err();
    assert_eq!(*hits.lock().unwrap(), 1 + 5);
}
