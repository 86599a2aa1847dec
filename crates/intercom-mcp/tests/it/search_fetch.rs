//! Hosted-compatible `search` and `fetch` against the sandbox.

use crate::common;

use common::{Harness, id_of};
use serde_json::json;

#[tokio::test]
async fn search_conversations_and_contacts_with_prefixed_ids_then_fetch() {
    let h = Harness::start().await;
    let out = h
        .ok(
            "search",
            json!({"query": "object_type:conversations state:open limit:5"}),
        )
        .await;
    let results = out["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 5);
    for r in results {
        let id = r["id"].as_str().unwrap();
        let raw = id.strip_prefix("conversation_").expect("prefixed id");
        assert_eq!(
            h.get(&format!("/conversations/{raw}")).await["state"],
            "open"
        );
        assert!(
            r["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/conversation/{raw}"))
        );
    }
    let expected = h
        .post(
            "/conversations/search",
            json!({"query": {"field": "state", "operator": "=", "value": "open"}}),
        )
        .await;
    assert_eq!(out["total_count"], expected["total_count"]);

    // fetch the first: the whole thread.
    let first = results[0]["id"].as_str().unwrap().to_string();
    let fetched = h.ok("fetch", json!({"id": first})).await;
    assert_eq!(fetched["id"], first);
    let raw = first.strip_prefix("conversation_").unwrap();
    let c = h.get(&format!("/conversations/{raw}")).await;
    let opening = intercom_mcp_server::render::html_to_text(c["source"]["body"].as_str().unwrap());
    assert!(
        fetched["text"].as_str().unwrap().contains(&opening),
        "fetch text has the first message"
    );

    // Contacts by email, with a contains filter.
    let contacts = h
        .post(
            "/contacts/search",
            json!({"query": {"field": "role", "operator": "=", "value": "user"}}),
        )
        .await;
    let contact = contacts["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"].as_str().is_some_and(|e| e.contains('@')))
        .unwrap()
        .clone();
    let email = contact["email"].as_str().unwrap();
    let out = h
        .ok(
            "search",
            json!({"query": format!("object_type:contacts email:{email}")}),
        )
        .await;
    assert_eq!(
        out["results"][0]["id"],
        format!("contact_{}", id_of(&contact["id"]))
    );
    let domain = email.split('@').nth(1).unwrap();
    let out = h
        .ok(
            "search",
            json!({"query": format!("object_type:contacts email:contains:{domain}")}),
        )
        .await;
    assert!(
        out["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == format!("contact_{}", id_of(&contact["id"])))
    );
    let fetched = h
        .ok(
            "fetch",
            json!({"id": format!("contact_{}", id_of(&contact["id"]))}),
        )
        .await;
    assert_eq!(fetched["metadata"]["email"], email);

    // A company.
    let companies = h.post("/companies/list", json!({})).await;
    let company = &companies["data"][0];
    let fetched = h
        .ok(
            "fetch",
            json!({"id": format!("company_{}", id_of(&company["id"]))}),
        )
        .await;
    assert_eq!(fetched["title"], company["name"]);

    // Dates in words inside the query string.
    let out = h
        .ok("search", json!({"query": "created_at:gt:30d limit:3"}))
        .await;
    assert!(out["results"].as_array().is_some());

    let err = h
        .err("search", json!({"query": "object_type:planets"}))
        .await;
    assert!(err.contains("object_type:conversations"), "{err}");
    let err = h.err("fetch", json!({"id": "ticket_1"})).await;
    assert!(err.contains("get_ticket"), "{err}");
}
