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

/// Every string and number in `v`, however deep.
fn leaves(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
        serde_json::Value::Number(n) => out.push(n.to_string()),
        serde_json::Value::Array(items) => items.iter().for_each(|x| leaves(x, out)),
        serde_json::Value::Object(map) => map.values().for_each(|x| leaves(x, out)),
        _ => {}
    }
}

/// `detail: "summary"` in so many words: the text is the same, and the structured copy leaves
/// out only fields the text carries in full, keeping what the output schema requires.
#[tokio::test]
async fn an_explicit_summary_drops_from_structured_content_only_what_the_text_carries() {
    let h = Harness::start().await;
    let newest = h.ok("search_conversations", json!({"limit": 5})).await["conversations"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let contact = h
        .ok("find_contact", json!({"role": "user", "limit": 1}))
        .await["contacts"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tools = h.client.peer().list_all_tools().await.unwrap();
    for (tool, args) in [
        ("get_conversation", json!({"id": newest})),
        ("find_contact", json!({"id": contact})),
        ("search_conversations", json!({"limit": 5})),
        ("search_tickets", json!({"limit": 5})),
    ] {
        let whole = h.client.call(tool, args.clone()).await.unwrap();
        let mut summary_args = args.clone();
        summary_args["detail"] = json!("summary");
        let slim = h.client.call(tool, summary_args).await.unwrap();
        let text = common::text(&whole);
        assert_eq!(text, common::text(&slim), "{tool}: the text is the same");
        let full = whole.structured_content.unwrap();
        let short = slim.structured_content.unwrap();
        let (full_size, short_size) = (full.to_string().len(), short.to_string().len());
        assert!(
            short_size < full_size,
            "{tool}: {short_size} >= {full_size}"
        );

        // Each field left out (at the top, or of a list's items) is written in the text.
        let mut gone = Vec::new();
        let mut compare = |a: &serde_json::Value, b: &serde_json::Value| {
            for (key, value) in a.as_object().unwrap() {
                if b.get(key).is_none() {
                    gone.push(key.clone());
                    let mut values = Vec::new();
                    leaves(value, &mut values);
                    for v in values {
                        assert!(
                            text.contains(&v),
                            "{tool}: `{key}` = `{v}` is not in the text"
                        );
                    }
                }
            }
        };
        compare(&full, &short);
        for list in ["conversations", "tickets"] {
            if let (Some(a), Some(b)) = (full.get(list), short.get(list)) {
                for (x, y) in a.as_array().unwrap().iter().zip(b.as_array().unwrap()) {
                    assert_eq!(x["id"], y["id"]);
                    compare(x, y);
                }
            }
        }
        assert!(!gone.is_empty(), "{tool}: nothing left out");

        // What the output schema requires is still there.
        let schema = tools
            .iter()
            .find(|t| t.name == tool)
            .unwrap()
            .output_schema
            .clone()
            .unwrap();
        for key in schema
            .get("required")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            assert!(
                short.get(key.as_str().unwrap()).is_some(),
                "{tool}: {key} required"
            );
        }
        // Without `detail` nothing changes: the same call answers the whole copy again.
        let again = h.client.call(tool, args).await.unwrap();
        assert_eq!(again.structured_content.unwrap(), full, "{tool}");
    }
}
