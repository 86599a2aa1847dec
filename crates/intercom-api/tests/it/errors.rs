//! Error mapping (401/403/404/410/429) and token redaction everywhere.

use crate::common;

use std::time::Duration;

use common::*;
use intercom_api::{Client, ClientConfig, Error, Region, RetryPolicy, Secret};
use serde_json::json;

fn assert_no_token(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked in: {text}");
    // Also no recognisable fragment of it.
    assert!(
        !text.contains(&TOKEN[4..20]),
        "token fragment leaked in: {text}"
    );
}

#[tokio::test]
async fn unauthorized_names_the_target_and_what_to_check() {
    let server = scripted(|_, _| async move {
        reply(401, error_body("unauthorized", "Access Token Invalid"), &[])
    })
    .await;
    let err = client(&server.base).me().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("unauthorized"));
    let msg = err.to_string();
    assert!(msg.contains("access token"), "{msg}");
    assert!(msg.contains(&server.base), "names the base URL: {msg}");
    assert!(msg.contains("region"), "{msg}");
    assert!(msg.contains("req-0001"), "carries request_id: {msg}");
    assert_no_token(&msg);
    assert_no_token(&format!("{err:?}"));
}

#[test]
fn unauthorized_against_a_region_names_the_region() {
    let cfg = ClientConfig::builder(TOKEN)
        .region(Region::Eu)
        .build()
        .unwrap();
    assert_eq!(cfg.base_url().as_str(), "https://api.eu.intercom.io/");
    assert_eq!(
        cfg.describe_target(),
        "region eu (https://api.eu.intercom.io)"
    );
    let au = ClientConfig::new(TOKEN, "AU".parse().unwrap()).unwrap();
    assert_eq!(au.base_url().as_str(), "https://api.au.intercom.io/");
    let us = ClientConfig::new(TOKEN, Region::Us).unwrap();
    assert_eq!(us.base_url().as_str(), "https://api.intercom.io/");
    assert!("mars".parse::<Region>().is_err());
}

#[tokio::test]
async fn forbidden_explains_scope_or_plan() {
    let server = scripted(|_, _| async move {
        reply(
            403,
            error_body("api_plan_restricted", "Active subscription needed."),
            &[],
        )
    })
    .await;
    let err = client(&server.base)
        .list_articles(None, None)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("scope"), "{msg}");
    assert!(msg.contains("plan"), "{msg}");
    assert!(msg.contains("api_plan_restricted"), "{msg}");
}

#[tokio::test]
async fn not_found_names_the_object() {
    let server = scripted(|_, _| async move {
        reply(
            404,
            error_body("conversation_not_found", "Conversation not found"),
            &[],
        )
    })
    .await;
    let err = client(&server.base)
        .get_conversation(&id("98765"))
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert!(!err.is_retryable());
    let msg = err.to_string();
    assert!(
        msg.contains("conversation \"98765\" was not found"),
        "{msg}"
    );
    assert!(msg.contains("GET /conversations/98765"), "{msg}");
}

#[tokio::test]
async fn contact_merged_names_the_surviving_contact() {
    let server = scripted(|req, _| async move {
        let link = format!("<http://x{}>; rel=\"canonical\"", "/contacts/survivor42");
        assert_eq!(req.path, "/contacts/old1");
        reply(
            410,
            error_body("contact_merged", "Contact has been merged"),
            &[("Link", link)],
        )
    })
    .await;
    let err = client(&server.base)
        .get_contact(&id("old1"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(410));
    assert_eq!(
        err.api().unwrap().merged_into.as_deref(),
        Some("survivor42")
    );
    let msg = err.to_string();
    assert!(msg.contains("merged into contact survivor42"), "{msg}");
    assert!(msg.contains("\"old1\""), "{msg}");
}

#[tokio::test]
async fn validation_error_names_the_field() {
    let server = scripted(|_, _| async move {
        reply(
            422,
            json!({"type": "error.list", "request_id": "r9",
                   "errors": [{"code": "parameter_invalid", "message": "Email is invalid", "field": "email"}]}),
            &[],
        )
    })
    .await;
    let err = client(&server.base)
        .create_contact(&Default::default())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("field `email`"), "{msg}");
    assert!(msg.contains("Email is invalid"), "{msg}");
}

#[tokio::test]
async fn non_json_error_bodies_still_read_well() {
    let server = scripted(|_, _| async move {
        axum::response::IntoResponse::into_response((
            axum::http::StatusCode::BAD_GATEWAY,
            "<html>upstream down</html>",
        ))
    })
    .await;
    let c = client_with(&server.base, RetryPolicy::none(), Duration::from_secs(2));
    let err = c.list_teams().await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("502"), "{msg}");
    assert!(msg.contains("upstream down"), "{msg}");
}

#[tokio::test]
async fn token_is_sent_but_never_printed() {
    // The server echoes the Authorization header back in an error message, the worst case.
    let server = scripted(|req, _| async move {
        let auth = req.headers["authorization"].to_str().unwrap().to_owned();
        reply(
            400,
            error_body("bad_request", &format!("bad header {auth}")),
            &[],
        )
    })
    .await;
    let c = client(&server.base);
    let err = c.me().await.unwrap_err();
    let sent = server.request(0);
    assert_eq!(
        sent.headers["authorization"].to_str().unwrap(),
        format!("Bearer {TOKEN}")
    );
    for text in [
        format!("{err}"),
        format!("{err:?}"),
        format!("{c:?}"),
        format!("{:?}", c.config()),
        format!("{}", c.config().token()),
        format!("{:?}", Secret::new(TOKEN)),
        format!("{:?}", ClientConfig::builder(TOKEN)),
    ] {
        assert_no_token(&text);
    }
    assert!(format!("{err}").contains("Bearer ***"), "{err}");
}

#[tokio::test]
async fn transport_errors_do_not_print_the_token() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client_with(
        &format!("http://127.0.0.1:{port}"),
        RetryPolicy::none(),
        Duration::from_secs(1),
    );
    let err = c.me().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }));
    let msg = err.to_string();
    assert!(msg.contains("could not connect"), "{msg}");
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert_no_token(&msg);
    assert_no_token(&format!("{err:?}"));
}

#[tokio::test]
async fn every_request_carries_version_user_agent_and_auth() {
    let server = scripted(|_, _| async move { ok(json!({"type": "admin", "id": "1"})) }).await;
    client(&server.base).me().await.unwrap();
    let req = server.request(0);
    assert_eq!(req.path, "/me");
    assert_eq!(req.headers["intercom-version"], "2.16");
    let ua = req.headers["user-agent"].to_str().unwrap();
    assert!(ua.starts_with("intercom-mcp/"), "{ua}");
    assert_eq!(req.headers["accept"], "application/json");
}

#[test]
fn bad_configuration_is_refused_clearly() {
    let e = ClientConfig::builder("  ").build().unwrap_err();
    assert!(e.to_string().contains("token is empty"), "{e}");
    let e = ClientConfig::builder(format!("{TOKEN}\n"))
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("control characters"), "{e}");
    assert_no_token(&e.to_string());
    let e = ClientConfig::builder(TOKEN)
        .base_url("ftp://x")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("http(s)"), "{e}");
    let e = ClientConfig::builder(TOKEN)
        .base_url("https://user:pw@example.com")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("credentials"), "{e}");
}

#[tokio::test]
async fn base_url_with_path_prefix_is_kept() {
    let server = scripted(|_, _| async move { ok(json!({"type": "admin", "id": "1"})) }).await;
    common::install_crypto_provider();
    let c = Client::new(
        ClientConfig::builder(TOKEN)
            .base_url(format!("{}/proxy/intercom/", server.base))
            .build()
            .unwrap(),
    )
    .unwrap();
    c.get_admin(&id("a b")).await.unwrap();
    assert_eq!(server.request(0).path, "/proxy/intercom/admins/a%20b");
    // An id that would change the path cannot be built at all.
    assert!(intercom_api::Id::new("a b/c").is_err());
}

#[tokio::test]
async fn a_ticket_without_a_usable_contact_is_not_sent() {
    let server = scripted(|_, _| async move { ok(json!({"type": "ticket", "id": "1"})) }).await;
    let c = client(&server.base);
    let none = c
        .create_ticket(&id("3"), &intercom_api::TicketCreate::default())
        .await
        .unwrap_err();
    assert!(matches!(none, Error::InvalidRequest(_)), "{none:?}");
    let blank = c
        .create_ticket(
            &id("3"),
            &intercom_api::TicketCreate {
                contacts: vec![intercom_api::TicketContactInput {
                    email: Some(" ".into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        blank.to_string().contains("id, external_id or email"),
        "{blank}"
    );
    assert_eq!(server.count(), 0, "nothing reached Intercom");
}

#[tokio::test]
async fn a_tag_record_without_an_id_is_an_error_not_an_empty_id() {
    let server = scripted(|_, _| async move { ok(json!({"type": "tag", "name": "vip"})) }).await;
    let c = client(&server.base);
    let tags = vec![intercom_api::Tag {
        name: Some("vip".into()),
        ..Default::default()
    }];
    let err = c.resolve_tag_in(&tags, "VIP", false).await.unwrap_err();
    assert!(matches!(err, Error::InvalidId(_)), "{err:?}");
    assert!(err.to_string().contains("the tag `VIP` has no id"), "{err}");
    // Created, but the answer names no id: applied, never an empty id used later.
    let err = c.resolve_tag_in(&[], "new", true).await.unwrap_err();
    assert!(err.is_applied_but_unreadable(), "{err:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_2xx_body_that_is_not_json_is_a_decode_error() {
    let server = scripted(|_, _| async move {
        axum::response::IntoResponse::into_response("<html>maintenance</html>")
    })
    .await;
    let err = client(&server.base)
        .get_contact(&id("c1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("GET /contacts/c1"), "{msg}");
    // A read changed nothing: it must not claim a write landed, nor name internal functions.
    assert!(!msg.contains("applied"), "{msg}");
    assert!(!msg.contains("Applied"), "{msg}");
    assert!(msg.contains("Nothing was changed"), "{msg}");
    assert!(!msg.contains("send_json"), "{msg}");
    assert!(
        !msg.contains("intercom_api::"),
        "names the object, not the module: {msg}"
    );
    assert!(!err.is_applied_but_unreadable());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_write_whose_answer_cannot_be_read_is_reported_as_applied() {
    let server = scripted(|_, _| async move { ok(json!(null)) }).await;
    let err = client(&server.base)
        .update_ticket(&id("t42"), &intercom_api::TicketUpdate::default())
        .await
        .unwrap_err();
    assert!(err.is_applied_but_unreadable(), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("Applied"), "{msg}");
    assert!(
        msg.contains("PUT /tickets/t42"),
        "names the id it was sent to: {msg}"
    );
    assert!(msg.contains("could not be read"), "{msg}");
    assert!(!msg.contains("send_json"), "{msg}");
    assert!(!msg.contains("intercom_api::"), "{msg}");
    // Not repeated: the write landed once.
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_validation_problem_reaches_the_caller_in_full() {
    // Prism's answer to a request that breaks the spec: a problem document whose messages,
    // together, run far past any short excerpt.
    let long = format!(
        "Request body property from.id must match format \"uuid\"{}",
        " and more".repeat(40)
    );
    let body = json!({
        "type": "https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY",
        "title": "Invalid request",
        "status": 422,
        "detail": "Your request is not valid and no HTTP validation response was found in the spec, so Prism is generating this error for you.",
        "validation": [
            {"location": ["body", "from", "id"], "severity": "Error", "code": "format", "message": long},
            {"location": ["body", "monthly_spend"], "severity": "Error", "code": "type", "message": "Request body property monthly_spend must be integer"}
        ]
    });
    let server = scripted(move |_, _| {
        let body = body.clone();
        async move { reply(422, body, &[]) }
    })
    .await;
    let err = client(&server.base)
        .get_contact(&id("c1"))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&long), "the whole first message: {msg}");
    assert!(msg.contains("(field `body.from.id`)"), "{msg}");
    assert!(msg.contains("monthly_spend must be integer"), "{msg}");
    assert!(msg.contains("(field `body.monthly_spend`)"), "{msg}");
    assert!(msg.contains("Invalid request"), "{msg}");
    assert_eq!(err.status(), Some(422));
}

#[tokio::test]
async fn a_long_plain_text_error_says_how_much_was_left_out() {
    let page = "x".repeat(5_000);
    let server = scripted(move |_, _| {
        let page = page.clone();
        async move {
            axum::response::IntoResponse::into_response((axum::http::StatusCode::BAD_GATEWAY, page))
        }
    })
    .await;
    let err = client_with(&server.base, fast_retry(1), Duration::from_secs(5))
        .get_contact(&id("c1"))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("(3000 more characters)"), "{msg}");
}
