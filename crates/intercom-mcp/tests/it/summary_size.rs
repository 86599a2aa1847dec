//! A `get_conversation` summary of a 50-part conversation is at most a
//! quarter of the raw API JSON, and still keeps every message's author, time
//! and text (the budget for a model's context window).
//!
//! The summary a model reads is the text block. The structured copy (for
//! clients that consume `structuredContent` instead) carries the same facts
//! with JSON keys and is held to a third.

use crate::common;

use common::{Harness, id_of};
use serde_json::json;

#[tokio::test]
async fn summary_of_a_50_part_conversation_is_a_quarter_of_the_raw_json() {
    let h = Harness::start().await;
    let contact = h
        .post(
            "/contacts/search",
            json!({"query": {"field": "role", "operator": "=", "value": "user"}}),
        )
        .await["data"][0]
        .clone();
    let created = h
        .post("/conversations", json!({"from": {"type": "user", "id": id_of(&contact["id"])}, "body": "<p>Our dashboard export fails every night.</p>"}))
        .await;
    let id = id_of(&created["conversation_id"]);
    let me = id_of(&h.get("/me").await["id"]);
    for i in 0..50 {
        let body = if i % 2 == 0 {
            json!({"message_type": "comment", "type": "admin", "admin_id": me, "body": format!("<p>Reply {i}: we are looking into the <b>export</b> job, please hold on.</p>")})
        } else {
            json!({"message_type": "comment", "type": "user", "intercom_user_id": id_of(&contact["id"]), "body": format!("<p>Customer follow-up {i}: still failing this morning.</p>")})
        };
        let path = format!("/conversations/{id}/reply");
        h.post(&path, body).await;
    }
    let raw = h.get(&format!("/conversations/{id}")).await;
    let parts = raw["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap();
    assert!(parts.len() >= 50, "{} parts", parts.len());
    let raw_size = serde_json::to_string(&raw).unwrap().len();

    let result = h
        .client
        .call("get_conversation", json!({"id": id}))
        .await
        .unwrap();
    let structured = result.structured_content.clone().unwrap();
    let text = common::text(&result);
    let structured_size = serde_json::to_string(&structured).unwrap().len();
    println!(
        "raw {raw_size} bytes; summary text {} bytes; structured {structured_size} bytes",
        text.len()
    );
    assert!(
        text.len() * 4 <= raw_size,
        "summary {} bytes > raw {raw_size} / 4",
        text.len()
    );
    assert!(
        structured_size * 3 <= raw_size,
        "structured {structured_size} bytes > raw {raw_size} / 3"
    );
    for part in parts
        .iter()
        .filter(|p| p["body"].as_str().is_some_and(|b| !b.is_empty()))
    {
        let body = intercom_mcp_server::render::html_to_text(part["body"].as_str().unwrap());
        assert!(text.contains(&body), "the text keeps `{body}`");
    }

    let messages = structured["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        51,
        "the opening message and all 50 replies are kept"
    );
    assert!(structured.get("omitted").is_none());
    for (m, part) in messages[1..].iter().zip(
        parts
            .iter()
            .filter(|p| p["body"].as_str().is_some_and(|b| !b.is_empty())),
    ) {
        assert!(!m["author"].as_str().unwrap().is_empty());
        assert!(!m["at"].as_str().unwrap().is_empty());
        assert_eq!(
            m["text"],
            intercom_mcp_server::render::html_to_text(part["body"].as_str().unwrap())
        );
    }
}
