//! Ticket tools against the sandbox: results are compared with the sandbox
//! read back through the API, and every write is read back.

use crate::common;

use common::{Harness, id_of};
use serde_json::{Value, json};

async fn search_api(h: &Harness, query: Value) -> Value {
    h.post(
        "/tickets/search",
        json!({"query": query, "pagination": {"per_page": 150}}),
    )
    .await
}

fn sorted_ids(list: &Value, key: &str) -> Vec<String> {
    let mut ids: Vec<String> = list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| id_of(&t["id"]))
        .collect();
    ids.sort();
    ids
}

async fn an_open_ticket(h: &Harness) -> Value {
    let found = search_api(h, json!({"field": "open", "operator": "=", "value": true})).await;
    found["tickets"][0].clone()
}

#[tokio::test]
async fn headline_update_ticket_status_to_resolved() {
    let h = Harness::start().await;
    let ticket = an_open_ticket(&h).await;
    let id = id_of(&ticket["id"]);
    assert_ne!(ticket["ticket_state"]["category"], "resolved");
    // One call, in the words a person uses.
    let out = h
        .ok(
            "update_ticket",
            json!({"id": format!("ticket_{id}"), "state": "resolved"}),
        )
        .await;
    assert_eq!(out["state"], "resolved");
    let stored = h.get(&format!("/tickets/{id}")).await;
    assert_eq!(stored["ticket_state"]["category"], "resolved");

    // A label works too, and an unknown state changes nothing.
    let states = h.get("/ticket_states").await;
    let in_progress = states["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["category"] == "in_progress")
        .unwrap()
        .clone();
    h.ok(
        "update_ticket",
        json!({"id": id, "state": in_progress["internal_label"]}),
    )
    .await;
    let stored = h.get(&format!("/tickets/{id}")).await;
    assert_eq!(stored["ticket_state"]["category"], "in_progress");
    let err = h
        .err("update_ticket", json!({"id": id, "state": "teleported"}))
        .await;
    assert!(
        err.contains("teleported") && err.contains("resolved"),
        "{err}"
    );
    let again = h.get(&format!("/tickets/{id}")).await;
    assert_eq!(again["ticket_state"]["id"], stored["ticket_state"]["id"]);
}

#[tokio::test]
async fn search_by_state_and_type_matches_the_api() {
    let h = Harness::start().await;
    for state in [
        "submitted",
        "in_progress",
        "waiting_on_customer",
        "resolved",
    ] {
        let out = h
            .ok("search_tickets", json!({"state": state, "limit": 150}))
            .await;
        let expected = search_api(
            &h,
            json!({"field": "state", "operator": "=", "value": state}),
        )
        .await;
        assert_eq!(out["total_count"], expected["total_count"], "{state}");
        assert_eq!(
            sorted_ids(&out, "tickets"),
            sorted_ids(&expected, "tickets")
        );
        for t in out["tickets"].as_array().unwrap() {
            assert_eq!(t["state"], state);
        }
    }
    let types = h.get("/ticket_types").await;
    let ty = &types["data"][0];
    let out = h
        .ok("search_tickets", json!({"type": ty["name"], "limit": 150}))
        .await;
    let expected = search_api(
        &h,
        json!({"field": "ticket_type_id", "operator": "=", "value": id_of(&ty["id"])}),
    )
    .await;
    assert_eq!(
        sorted_ids(&out, "tickets"),
        sorted_ids(&expected, "tickets")
    );
    let err = h.err("search_tickets", json!({"state": "lost"})).await;
    assert!(err.contains("submitted"), "{err}");
}

#[tokio::test]
async fn create_with_assignment_reply_and_read_back() {
    let h = Harness::start().await;
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
        .find(|c| c["email"].as_str().is_some_and(|e| !e.is_empty()))
        .unwrap()
        .clone();
    let types = h.get("/ticket_types").await;
    let ty = types["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == "Customer")
        .unwrap()
        .clone();
    let admins = h.get("/admins").await;
    let admin = admins["admins"][1].clone();
    let teams = h.get("/teams").await;
    let team = teams["teams"][0].clone();

    let before = search_api(
        &h,
        json!({"field": "created_at", "operator": ">", "value": 0}),
    )
    .await;
    let err = h
        .err(
            "create_ticket",
            json!({"type": "No Such Type", "contact": contact["email"], "title": "x"}),
        )
        .await;
    assert!(err.contains("No Such Type"), "{err}");
    let after_err = search_api(
        &h,
        json!({"field": "created_at", "operator": ">", "value": 0}),
    )
    .await;
    assert_eq!(
        after_err["total_count"], before["total_count"],
        "nothing created"
    );

    let out = h
        .ok(
            "create_ticket",
            json!({
                "type": ty["name"],
                "contact": contact["email"],
                "title": "Export fails with a timeout",
                "description": "Since Monday the CSV export never finishes.",
                "assignee": admin["email"],
                "team": team["name"],
            }),
        )
        .await;
    let id = id_of(&out["id"]);
    let stored = h.get(&format!("/tickets/{id}")).await;
    assert_eq!(
        stored["ticket_attributes"]["_default_title_"],
        "Export fails with a timeout"
    );
    assert_eq!(id_of(&stored["ticket_type"]["id"]), id_of(&ty["id"]));
    assert_eq!(id_of(&stored["admin_assignee_id"]), id_of(&admin["id"]));
    assert_eq!(id_of(&stored["team_assignee_id"]), id_of(&team["id"]));
    assert_eq!(
        id_of(&stored["contacts"]["contacts"][0]["id"]),
        id_of(&contact["id"])
    );

    let replied = h
        .ok(
            "reply_to_ticket",
            json!({"id": id, "body": "Reproduced on staging", "message_type": "note"}),
        )
        .await;
    assert!(
        replied["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["text"] == "Reproduced on staging")
    );
    let stored = h.get(&format!("/tickets/{id}")).await;
    let parts = stored["ticket_parts"]["ticket_parts"].as_array().unwrap();
    let last = parts.last().unwrap();
    assert_eq!(last["part_type"], "note");
    assert!(
        last["body"]
            .as_str()
            .unwrap()
            .contains("Reproduced on staging")
    );

    // Unassign, then read back.
    h.ok("update_ticket", json!({"id": id, "assignee": "unassigned"}))
        .await;
    let stored = h.get(&format!("/tickets/{id}")).await;
    assert_eq!(stored["admin_assignee_id"], 0);
}

#[tokio::test]
async fn types_states_and_queue() {
    let h = Harness::start().await;
    let types = h.ok("list_ticket_types", json!({})).await;
    let api_types = h.get("/ticket_types").await;
    assert_eq!(
        types["ticket_types"].as_array().unwrap().len(),
        api_types["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["archived"] != true)
            .count()
    );
    let states = h.ok("list_ticket_states", json!({})).await;
    let categories: Vec<&str> = states["ticket_states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["category"].as_str().unwrap())
        .collect();
    for c in [
        "submitted",
        "in_progress",
        "waiting_on_customer",
        "resolved",
    ] {
        assert!(categories.contains(&c), "{c} present");
    }

    let queue = h.ok("ticket_queue", json!({"limit": 150})).await;
    let open_tickets =
        search_api(&h, json!({"field": "open", "operator": "=", "value": true})).await;
    let open_conversations = h
        .post(
            "/conversations/search",
            json!({"query": {"field": "open", "operator": "=", "value": true}, "pagination": {"per_page": 150}}),
        )
        .await;
    assert_eq!(
        queue["total_open"].as_u64().unwrap(),
        open_tickets["total_count"].as_u64().unwrap()
            + open_conversations["total_count"].as_u64().unwrap()
    );
    // Priority never rises down the queue.
    let rank = |p: &str| {
        ["none", "low", "medium", "high", "urgent"]
            .iter()
            .position(|x| *x == p)
            .unwrap()
    };
    let items = queue["items"].as_array().unwrap();
    for pair in items.windows(2) {
        assert!(
            rank(pair[0]["priority"].as_str().unwrap())
                >= rank(pair[1]["priority"].as_str().unwrap()),
            "ordered by priority: {pair:?}"
        );
    }
    // An admin's queue holds only their work.
    let admin_item = items
        .iter()
        .find(|i| i["admin_assignee"].is_string())
        .expect("some assigned work");
    let admin_name = admin_item["admin_assignee"].as_str().unwrap().to_string();
    let mine = h
        .ok(
            "ticket_queue",
            json!({"assignee": admin_name, "limit": 150}),
        )
        .await;
    for i in mine["items"].as_array().unwrap() {
        assert_eq!(i["admin_assignee"].as_str(), Some(admin_name.as_str()));
    }
}
