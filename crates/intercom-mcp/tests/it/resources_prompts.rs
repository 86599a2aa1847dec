//! MCP resources and prompts through a real client session.

use crate::common;

use common::{Harness, id_of};
use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams, ResourceContents};
use serde_json::json;

fn text_of(contents: &[ResourceContents]) -> String {
    contents
        .iter()
        .map(|c| match c {
            ResourceContents::TextResourceContents { text, .. } => text.clone(),
            other => panic!("expected text, got {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn resources_read_from_the_workspace() {
    let h = Harness::start().await;
    let peer = h.client.peer();
    let templates = peer.list_all_resource_templates().await.unwrap();
    let uris: Vec<String> = templates.iter().map(|t| t.uri_template.clone()).collect();
    for kind in ["conversations", "tickets", "contacts", "companies"] {
        assert!(
            uris.contains(&format!("intercom://{kind}/{{id}}")),
            "{uris:?}"
        );
    }
    let resources = peer.list_all_resources().await.unwrap();
    assert!(resources.iter().any(|r| r.uri == "intercom://workspace"));

    let ws = peer
        .read_resource(ReadResourceRequestParams::new("intercom://workspace"))
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&text_of(&ws.contents)).unwrap();
    let admins = h.get("/admins").await;
    assert_eq!(
        body["admins"].as_array().unwrap().len(),
        admins["admins"].as_array().unwrap().len()
    );
    let states = h.get("/ticket_states").await;
    assert_eq!(
        body["ticket_states"].as_array().unwrap().len(),
        states["data"].as_array().unwrap().len()
    );

    let found = h
        .post(
            "/conversations/search",
            json!({"query": {"field": "state", "operator": "=", "value": "open"}}),
        )
        .await;
    let conv = &found["conversations"][0];
    let id = id_of(&conv["id"]);
    let read = peer
        .read_resource(ReadResourceRequestParams::new(format!(
            "intercom://conversations/{id}"
        )))
        .await
        .unwrap();
    let text = text_of(&read.contents);
    assert!(text.starts_with(&format!("Conversation {id}")), "{text}");

    let contact_id = id_of(&conv["contacts"]["contacts"][0]["id"]);
    let contact = h.get(&format!("/contacts/{contact_id}")).await;
    let read = peer
        .read_resource(ReadResourceRequestParams::new(format!(
            "intercom://contacts/{contact_id}"
        )))
        .await
        .unwrap();
    if let Some(email) = contact["email"].as_str() {
        assert!(text_of(&read.contents).contains(email));
    }

    let missing = peer
        .read_resource(ReadResourceRequestParams::new(
            "intercom://conversations/999999999",
        ))
        .await;
    assert!(missing.is_err(), "a missing object is a resource error");
    let bad = peer
        .read_resource(ReadResourceRequestParams::new("intercom://planets/1"))
        .await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn prompts_are_listed_and_filled() {
    let h = Harness::start().await;
    let peer = h.client.peer();
    let prompts = peer.list_all_prompts().await.unwrap();
    let names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["support_triage", "customer_360", "weekly_report"]
    );
    let got = peer
        .get_prompt(
            GetPromptRequestParams::new("customer_360").with_arguments(
                json!({"email": "jane@example.com"})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        )
        .await
        .unwrap();
    let text = serde_json::to_string(&got.messages).unwrap();
    assert!(text.contains("jane@example.com") && text.contains("search_conversations"));
    let missing = peer
        .get_prompt(GetPromptRequestParams::new("customer_360"))
        .await;
    assert!(missing.is_err(), "the required email is enforced");
}
