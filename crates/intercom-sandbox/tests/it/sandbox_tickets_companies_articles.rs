//! Tickets, companies and articles: writes read back, errors, searches and lists.

use crate::common;

use std::collections::HashSet;

use common::Harness;
use reqwest::Method;
use serde_json::{Value, json};

async fn customer_type(h: &Harness) -> Value {
    let types = h.ok(Method::GET, "/ticket_types", None).await;
    types["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == "Customer")
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn ticket_lifecycle_reads_back() {
    let h = Harness::start().await;
    let admin = h.admin_id().await;
    let contact = h.new_contact("ticket@example.org").await;
    let kind = customer_type(&h).await;
    let type_id = kind["id"].as_str().unwrap();

    let missing_title = h
        .post(
            "/tickets",
            json!({"ticket_type_id": type_id, "contacts": [{"id": contact}]}),
        )
        .await;
    assert_eq!(missing_title.status, 400, "{}", missing_title.body);
    let unknown_attr = h
        .post(
            "/tickets",
            json!({"ticket_type_id": type_id, "contacts": [{"id": contact}], "ticket_attributes": {"_default_title_": "x", "nope": 1}}),
        )
        .await;
    assert_eq!(unknown_attr.status, 400);

    let ticket = h
        .ok(
            Method::POST,
            "/tickets",
            Some(json!({
                "ticket_type_id": type_id,
                "contacts": [{"email": "ticket@example.org"}],
                "ticket_attributes": {"_default_title_": "Login broken", "_default_description_": "SSO fails"},
            })),
        )
        .await;
    let id = ticket["id"].as_str().unwrap().to_string();
    assert_eq!(ticket["category"], "Customer");
    assert_eq!(ticket["ticket_state"]["category"], "submitted");
    assert_eq!(ticket["admin_assignee_id"], 0);
    assert_eq!(ticket["contacts"]["contacts"][0]["id"], contact.as_str());

    let states = kind["ticket_states"]["data"].as_array().unwrap();
    let in_progress = states
        .iter()
        .find(|s| s["category"] == "in_progress")
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let bad_state = h
        .put(&format!("/tickets/{id}"), json!({"ticket_state_id": "1"}))
        .await;
    assert_eq!(bad_state.code(), "ticket_state_id_invalid");
    let bad_assignee = h
        .put(
            &format!("/tickets/{id}"),
            json!({"assignee_id": "1", "admin_id": admin}),
        )
        .await;
    assert_eq!(bad_assignee.code(), "assignee_not_found");

    let updated = h
        .ok(
            Method::PUT,
            &format!("/tickets/{id}"),
            Some(json!({"ticket_state_id": in_progress, "admin_id": admin, "assignee_id": admin, "ticket_attributes": {"_default_title_": "Login broken (SSO)"}})),
        )
        .await;
    assert_eq!(updated["ticket_state"]["id"], in_progress);
    assert_eq!(updated["admin_assignee_id"], admin.parse::<i64>().unwrap());
    assert_eq!(
        updated["previous_ticket_state_id"],
        ticket["ticket_state"]["id"]
    );
    let part_types: Vec<&str> = updated["ticket_parts"]["ticket_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_type"].as_str().unwrap())
        .collect();
    assert_eq!(part_types, ["ticket_state_updated_by_admin", "assignment"]);

    let reply = h
        .ok(
            Method::POST,
            &format!("/tickets/{id}/reply"),
            Some(json!({"message_type": "comment", "type": "admin", "admin_id": admin, "body": "On it"})),
        )
        .await;
    assert_eq!(reply["type"], "ticket_part");
    assert_eq!(reply["part_type"], "comment");
    let user_reply = h
        .ok(
            Method::POST,
            &format!("/tickets/{id}/reply"),
            Some(json!({"message_type": "comment", "type": "user", "intercom_user_id": contact, "body": "Thanks"})),
        )
        .await;
    assert_eq!(user_reply["author"]["id"], contact.as_str());

    let back = h.ok(Method::GET, &format!("/tickets/{id}"), None).await;
    assert_eq!(back["ticket_parts"]["total_count"], 4);
    assert_eq!(
        back["ticket_attributes"]["_default_title_"],
        "Login broken (SSO)"
    );

    let tag = h
        .ok(Method::POST, "/tags", Some(json!({"name": "sso"})))
        .await;
    let tag_id = tag["id"].as_str().unwrap();
    h.ok(
        Method::POST,
        &format!("/tickets/{id}/tags"),
        Some(json!({"id": tag_id, "admin_id": admin})),
    )
    .await;
    let search = |query: Value| {
        h.ok(
            Method::POST,
            "/tickets/search",
            Some(json!({"query": query, "pagination": {"per_page": 150}})),
        )
    };
    let found = search(json!({"operator": "AND", "value": [
        {"field": "state", "operator": "=", "value": "in_progress"},
        {"field": "category", "operator": "=", "value": "request"},
        {"field": "contact_ids", "operator": "=", "value": contact},
        {"field": "title", "operator": "~", "value": "sso"},
        {"field": "admin_assignee_id", "operator": "=", "value": admin},
    ]}))
    .await;
    assert_eq!(found["type"], "ticket.list");
    let ids: HashSet<&str> = found["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, HashSet::from([id.as_str()]));
    let by_tag = search(json!({"field": "tag_ids", "operator": "=", "value": tag_id})).await;
    assert_eq!(by_tag["total_count"], 1);
    h.ok(
        Method::DELETE,
        &format!("/tickets/{id}/tags/{tag_id}"),
        Some(json!({"admin_id": admin})),
    )
    .await;
    assert_eq!(
        search(json!({"field": "tag_ids", "operator": "=", "value": tag_id})).await["total_count"],
        0
    );

    assert_eq!(h.get("/tickets/1").await.code(), "ticket_not_found");
}

#[tokio::test]
async fn back_office_tickets_refuse_user_replies() {
    let h = Harness::start().await;
    let contact = h.new_contact("backoffice@example.org").await;
    let types = h.ok(Method::GET, "/ticket_types", None).await;
    let Some(kind) = types["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == "Back-office")
    else {
        panic!("the seeded workspace has a Back-office ticket type");
    };
    let ticket = h
        .ok(
            Method::POST,
            "/tickets",
            Some(json!({"ticket_type_id": kind["id"], "contacts": [{"id": contact}], "ticket_attributes": {"_default_title_": "Refund"}})),
        )
        .await;
    let refused = h
        .post(
            &format!("/tickets/{}/reply", ticket["id"].as_str().unwrap()),
            json!({"message_type": "comment", "type": "user", "intercom_user_id": contact, "body": "hi"}),
        )
        .await;
    assert_eq!(refused.code(), "parameter_mismatch");
}

#[tokio::test]
async fn companies_upsert_retrieve_list_scroll_delete() {
    let h = Harness::start().await;
    let created = h
        .ok(
            Method::POST,
            "/companies",
            Some(json!({"company_id": "acme-1", "name": "Acme", "plan": "pro", "size": 40})),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["plan"]["name"], "pro");
    let again = h
        .ok(
            Method::POST,
            "/companies",
            Some(json!({"company_id": "acme-1", "industry": "Retail"})),
        )
        .await;
    assert_eq!(again["id"], id.as_str(), "upsert keyed on company_id");
    assert_eq!(again["name"], "Acme");
    assert_eq!(again["industry"], "Retail");

    // Lookups answer the spec's `company_list` holding the one company.
    let by_company_id = h
        .ok(Method::GET, "/companies?company_id=acme-1", None)
        .await;
    assert_eq!(by_company_id["type"], "list");
    assert_eq!(by_company_id["total_count"], 1);
    assert_eq!(by_company_id["data"][0]["id"], id.as_str());
    let by_name = h.ok(Method::GET, "/companies?name=Acme", None).await;
    assert_eq!(by_name["data"][0]["id"], id.as_str());
    assert_eq!(
        h.get("/companies?company_id=nope").await.code(),
        "company_not_found"
    );
    let updated = h
        .ok(
            Method::PUT,
            &format!("/companies/{id}"),
            Some(json!({"monthly_spend": 99})),
        )
        .await;
    assert_eq!(updated["monthly_spend"], 99);
    assert_eq!(
        h.ok(Method::GET, &format!("/companies/{id}"), None).await["monthly_spend"],
        99
    );
    let wrong = h
        .put(&format!("/companies/{id}"), json!({"size": "big"}))
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        h.post("/companies", json!({"name": "No id"})).await.code(),
        "parameter_not_found"
    );

    let listed = h
        .ok(Method::GET, "/companies?per_page=3&page=2", None)
        .await;
    assert_eq!(listed["type"], "list");
    assert_eq!(listed["pages"]["page"], 2);
    assert!(listed["data"].as_array().unwrap().len() <= 3);
    let total = listed["total_count"].as_u64().unwrap();

    let mut scrolled = HashSet::new();
    let first = h.ok(Method::GET, "/companies/scroll", None).await;
    let param = first["scroll_param"].as_str().unwrap().to_string();
    scrolled.extend(
        first["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string()),
    );
    assert_eq!(h.get("/companies/scroll").await.code(), "scroll_exists");
    loop {
        let page = h
            .ok(
                Method::GET,
                &format!("/companies/scroll?scroll_param={param}"),
                None,
            )
            .await;
        let data = page["data"].as_array().unwrap();
        if data.is_empty() {
            break;
        }
        scrolled.extend(data.iter().map(|c| c["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(scrolled.len() as u64, total);

    let deleted = h
        .ok(Method::DELETE, &format!("/companies/{id}"), None)
        .await;
    assert_eq!(
        deleted,
        json!({"id": id, "object": "company", "deleted": true})
    );
    assert_eq!(h.get(&format!("/companies/{id}")).await.status, 404);
    let companies_list = h
        .ok(Method::POST, "/companies/list?per_page=60", None)
        .await;
    assert!(
        companies_list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["user_count"].as_i64().unwrap() > 0)
    );
}

#[tokio::test]
async fn articles_crud_and_search() {
    let h = Harness::start().await;
    let admin = h.admin_id().await;
    let missing_author = h.post("/articles", json!({"title": "x"})).await;
    assert_eq!(missing_author.code(), "parameter_not_found");
    let article = h
        .ok(
            Method::POST,
            "/articles",
            Some(json!({"title": "Rotating API keys", "body": "<p>Rotate keys from settings</p>", "author_id": admin.parse::<i64>().unwrap(), "state": "published"})),
        )
        .await;
    let id = article["id"].as_str().unwrap();
    assert!(
        article["url"]
            .as_str()
            .unwrap()
            .contains("rotating-api-keys")
    );
    let updated = h
        .ok(
            Method::PUT,
            &format!("/articles/{id}"),
            Some(json!({"title": "Rotating API tokens"})),
        )
        .await;
    assert_eq!(updated["title"], "Rotating API tokens");
    assert_eq!(
        h.ok(Method::GET, &format!("/articles/{id}"), None).await["title"],
        "Rotating API tokens"
    );

    let found = h
        .ok(
            Method::GET,
            "/articles/search?phrase=rotate%20settings&highlight=true",
            None,
        )
        .await;
    assert_eq!(found["type"], "list");
    let articles = found["data"]["articles"].as_array().unwrap();
    assert!(articles.iter().any(|a| a["id"] == id));
    assert!(
        found["data"]["highlights"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["article_id"] == id)
    );
    let drafts = h
        .ok(
            Method::GET,
            "/articles/search?phrase=rotate&state=draft",
            None,
        )
        .await;
    assert!(
        !drafts["data"]["articles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == id)
    );

    let listed = h.ok(Method::GET, "/articles", None).await;
    assert!(listed["total_count"].as_u64().unwrap() >= 1);
    assert_eq!(
        h.ok(Method::DELETE, &format!("/articles/{id}"), None).await["deleted"],
        true
    );
    assert_eq!(h.get(&format!("/articles/{id}")).await.status, 404);
}

#[tokio::test]
async fn company_segments_notes_and_conversation_delete() {
    let h = Harness::start().await;
    let list = h.ok(Method::GET, "/companies?per_page=1", None).await;
    let company = list["data"][0]["id"].as_str().unwrap();
    let segments = h
        .ok(Method::GET, &format!("/companies/{company}/segments"), None)
        .await;
    assert_eq!(segments["type"], "list");
    assert!(segments["data"].is_array());
    let notes = h
        .ok(Method::GET, &format!("/companies/{company}/notes"), None)
        .await;
    assert_eq!(notes["type"], "list");
    assert_eq!(
        h.get("/companies/nope/segments").await.code(),
        "company_not_found"
    );

    let (id, _) = h
        .new_conversation("delete@example.org", "Please forget this")
        .await;
    let deleted = h
        .ok(Method::DELETE, &format!("/conversations/{id}"), None)
        .await;
    assert_eq!(
        deleted,
        json!({"id": id, "object": "conversation", "deleted": true})
    );
    assert_eq!(h.get(&format!("/conversations/{id}")).await.status, 404);
    let search = h
        .ok(
            Method::POST,
            "/conversations/search",
            Some(json!({"query": {"field": "id", "operator": "=", "value": id}})),
        )
        .await;
    assert_eq!(search["total_count"], 0);
}
