//! Conversations: creation, replies and management with Intercom's bookkeeping, read back
//! through retrieve and search.

use crate::common;

use std::collections::HashSet;

use common::Harness;
use reqwest::Method;
use serde_json::{Value, json};

fn parts(conversation: &Value) -> &Vec<Value> {
    conversation["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap()
}

async fn search(h: &Harness, query: Value) -> Value {
    h.search("/conversations/search", query).await
}

fn ids(result: &Value) -> HashSet<String> {
    common::ids_in(result, "conversations")
}

#[tokio::test]
async fn create_returns_a_user_message_and_the_conversation_reads_back() {
    let h = Harness::start().await;
    let contact = h.new_contact("conv@example.org").await;
    let message = h
        .ok(
            Method::POST,
            "/conversations",
            Some(json!({"from": {"type": "user", "id": contact}, "body": "I need support with exports"})),
        )
        .await;
    assert_eq!(message["type"], "user_message");
    assert_eq!(message["message_type"], "inapp");
    let id = message["conversation_id"].as_str().unwrap();
    assert!(id.chars().all(|c| c.is_ascii_digit()), "numeric-string id");

    let conversation = h
        .ok(Method::GET, &format!("/conversations/{id}"), None)
        .await;
    assert_eq!(conversation["type"], "conversation");
    assert_eq!(conversation["state"], "open");
    assert_eq!(conversation["admin_assignee_id"], 0);
    assert_eq!(conversation["source"]["author"]["id"], contact.as_str());
    assert_eq!(
        conversation["contacts"]["contacts"][0]["id"],
        contact.as_str()
    );
    assert!(conversation["waiting_since"].is_i64());
    assert_eq!(
        conversation["conversation_parts"]["type"],
        "conversation_part.list"
    );

    let unknown = h
        .post(
            "/conversations",
            json!({"from": {"type": "user", "id": "000000000000000000000000"}, "body": "hi"}),
        )
        .await;
    assert_eq!(unknown.status, 404);
    let no_body = h
        .post(
            "/conversations",
            json!({"from": {"type": "user", "id": contact}}),
        )
        .await;
    assert_eq!(no_body.code(), "parameter_not_found");
    assert_eq!(h.get("/conversations/1").await.status, 404);
}

#[tokio::test]
async fn replies_closes_reopens_and_assignments_keep_statistics() {
    let h = Harness::start().await;
    let admin = h.admin_id().await;
    let (id, contact) = h
        .new_conversation("stats@example.org", "Dashboards are slow")
        .await;
    let path = format!("/conversations/{id}");

    let replied = h
        .ok(
            Method::POST,
            &format!("{path}/reply"),
            Some(json!({"message_type": "comment", "type": "admin", "admin_id": admin, "body": "Looking into it"})),
        )
        .await;
    let last = parts(&replied).last().unwrap().clone();
    assert_eq!(last["part_type"], "comment");
    assert_eq!(last["author"]["id"], admin.as_str());
    assert_eq!(last["body"], "<p>Looking into it</p>");
    assert!(
        replied["waiting_since"].is_null(),
        "an admin reply answers the customer"
    );
    let stats = &replied["statistics"];
    assert!(stats["first_admin_reply_at"].is_i64());
    assert!(stats["time_to_admin_reply"].as_i64().unwrap() >= 0);
    assert!(
        replied["teammates"]["teammates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == admin)
    );

    let note = h
        .ok(
            Method::POST,
            &format!("{path}/reply"),
            Some(json!({"message_type": "note", "type": "admin", "admin_id": admin, "body": "internal"})),
        )
        .await;
    assert_eq!(parts(&note).last().unwrap()["part_type"], "note");

    let assigned = h
        .ok(
            Method::POST,
            &format!("{path}/parts"),
            Some(json!({"message_type": "assignment", "type": "admin", "admin_id": admin, "assignee_id": admin})),
        )
        .await;
    assert_eq!(assigned["admin_assignee_id"], admin.parse::<i64>().unwrap());
    assert!(assigned["statistics"]["first_assignment_at"].is_i64());
    assert_eq!(assigned["statistics"]["count_assignments"], 1);
    assert_eq!(
        parts(&assigned).last().unwrap()["assigned_to"]["id"],
        admin.as_str()
    );

    let closed = h
        .ok(
            Method::POST,
            &format!("{path}/parts"),
            Some(json!({"message_type": "close", "type": "admin", "admin_id": admin, "body": "Fixed"})),
        )
        .await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["open"], false);
    assert!(closed["statistics"]["first_close_at"].is_i64());
    assert!(closed["statistics"]["time_to_first_close"].is_i64());
    assert_eq!(closed["statistics"]["last_closed_by_id"], admin.as_str());

    // The customer writes again: the conversation reopens and counts a reopen.
    let user_reply = h
        .ok(
            Method::POST,
            &format!("{path}/reply"),
            Some(json!({"message_type": "comment", "type": "user", "intercom_user_id": contact, "body": "Broken again"})),
        )
        .await;
    assert_eq!(user_reply["state"], "open");
    assert_eq!(user_reply["statistics"]["count_reopens"], 1);
    assert!(user_reply["waiting_since"].is_i64());

    let snoozed = h
        .ok(
            Method::POST,
            &format!("{path}/parts"),
            Some(json!({"message_type": "snoozed", "admin_id": admin, "snoozed_until": h.sandbox.now() + 3600})),
        )
        .await;
    assert_eq!(snoozed["state"], "snoozed");
    assert!(snoozed["snoozed_until"].is_i64());
    let opened = h
        .ok(
            Method::POST,
            &format!("{path}/parts"),
            Some(json!({"message_type": "open", "admin_id": admin})),
        )
        .await;
    assert_eq!(opened["state"], "open");
    assert!(opened["snoozed_until"].is_null());

    let unassigned = h
        .ok(
            Method::POST,
            &format!("{path}/parts"),
            Some(json!({"message_type": "assignment", "type": "admin", "admin_id": admin, "assignee_id": "0"})),
        )
        .await;
    assert_eq!(unassigned["admin_assignee_id"], 0);

    // Everything above is what a fresh read shows.
    let back = h.ok(Method::GET, &path, None).await;
    assert_eq!(back["statistics"], unassigned["statistics"]);
    let types: Vec<&str> = parts(&back)
        .iter()
        .map(|p| p["part_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "comment",
            "note",
            "assignment",
            "close",
            "comment",
            "snoozed",
            "open",
            "assignment"
        ]
    );
    assert_eq!(back["statistics"]["count_conversation_parts"], 8);
    assert!(back["updated_at"].as_i64() >= back["created_at"].as_i64());

    let bad = h
        .post(
            &format!("{path}/parts"),
            json!({"message_type": "archive", "admin_id": admin}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let past = h
        .post(
            &format!("{path}/parts"),
            json!({"message_type": "snoozed", "admin_id": admin, "snoozed_until": 5}),
        )
        .await;
    assert_eq!(past.status, 400);
    let nobody = h
        .post(
            &format!("{path}/parts"),
            json!({"message_type": "open", "admin_id": "1"}),
        )
        .await;
    assert_eq!(nobody.code(), "admin_not_found");
    // The rejected requests added no part.
    assert_eq!(parts(&h.ok(Method::GET, &path, None).await).len(), 8);
}

#[tokio::test]
async fn tags_title_custom_attributes_and_search_see_writes() {
    let h = Harness::start().await;
    let admin = h.admin_id().await;
    let (id, _) = h
        .new_conversation("tags@example.org", "Export to CSV keeps failing")
        .await;
    let tag = h
        .ok(Method::POST, "/tags", Some(json!({"name": "exports-bug"})))
        .await;
    let tag_id = tag["id"].as_str().unwrap();
    let applied = h
        .ok(
            Method::POST,
            &format!("/conversations/{id}/tags"),
            Some(json!({"id": tag_id, "admin_id": admin})),
        )
        .await;
    assert_eq!(applied["applied_by"]["id"], admin.as_str());
    let by_tag = search(
        &h,
        json!({"field": "tag_ids", "operator": "=", "value": tag_id}),
    )
    .await;
    assert_eq!(ids(&by_tag), HashSet::from([id.clone()]));

    let updated = h
        .ok(
            Method::PUT,
            &format!("/conversations/{id}"),
            Some(json!({"title": "CSV export failure", "read": true, "custom_attributes": {"issue_type": "bug"}})),
        )
        .await;
    assert_eq!(updated["title"], "CSV export failure");
    let by_attr = search(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "custom_attributes.issue_type", "operator": "=", "value": "bug"},
            {"field": "tag_ids", "operator": "IN", "value": [tag_id]}
        ]}),
    )
    .await;
    assert_eq!(ids(&by_attr), HashSet::from([id.clone()]));
    let by_word = search(
        &h,
        json!({"field": "source.body", "operator": "=", "value": "CSV"}),
    )
    .await;
    assert!(ids(&by_word).contains(&id));
    let no_phrase = search(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "source.body", "operator": "=", "value": "keeps failing"},
            {"field": "id", "operator": "=", "value": id}
        ]}),
    )
    .await;
    assert_eq!(
        no_phrase["total_count"], 0,
        "source.body matches single words"
    );

    h.ok(
        Method::DELETE,
        &format!("/conversations/{id}/tags/{tag_id}"),
        Some(json!({"admin_id": admin})),
    )
    .await;
    assert_eq!(
        search(
            &h,
            json!({"field": "tag_ids", "operator": "=", "value": tag_id})
        )
        .await["total_count"],
        0
    );
    let list_item = search(&h, json!({"field": "id", "operator": "=", "value": id})).await;
    assert!(
        list_item["conversations"][0]
            .get("conversation_parts")
            .is_none(),
        "lists leave parts out"
    );
}

#[tokio::test]
async fn search_operators_on_numbers_and_states() {
    let h = Harness::start().await;
    let all = search(
        &h,
        json!({"field": "created_at", "operator": ">", "value": 0}),
    )
    .await;
    let total = all["total_count"].as_u64().unwrap();
    assert!(total > 0);
    let open = search(
        &h,
        json!({"field": "state", "operator": "=", "value": "open"}),
    )
    .await["total_count"]
        .as_u64()
        .unwrap();
    let not_open = search(
        &h,
        json!({"field": "state", "operator": "!=", "value": "open"}),
    )
    .await["total_count"]
        .as_u64()
        .unwrap();
    assert_eq!(open + not_open, total);
    let states = search(
        &h,
        json!({"field": "state", "operator": "IN", "value": ["closed", "snoozed"]}),
    )
    .await["total_count"]
        .as_u64()
        .unwrap();
    assert_eq!(states, not_open);
    let nin = search(
        &h,
        json!({"field": "state", "operator": "NIN", "value": ["closed", "snoozed"]}),
    )
    .await["total_count"]
        .as_u64()
        .unwrap();
    assert_eq!(nin, open);

    // `>` and `<` are documented as "or equal" for conversations.
    let one = &all["conversations"][0];
    let (cid, at) = (
        one["id"].as_str().unwrap(),
        one["created_at"].as_i64().unwrap(),
    );
    for op in [">", "<", "=", ">=", "<="] {
        let found = search(
            &h,
            json!({"operator": "AND", "value": [
                {"field": "created_at", "operator": op, "value": at},
                {"field": "id", "operator": "=", "value": cid}
            ]}),
        )
        .await;
        assert_eq!(found["total_count"], 1, "operator {op}");
    }
    let unassigned = search(
        &h,
        json!({"field": "admin_assignee_id", "operator": "=", "value": 0}),
    )
    .await;
    assert!(
        unassigned["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["admin_assignee_id"] == 0)
    );
    let stats = search(
        &h,
        json!({"field": "statistics.count_conversation_parts", "operator": ">", "value": 3}),
    )
    .await;
    assert!(stats["conversations"].as_array().unwrap().iter().all(|c| {
        c["statistics"]["count_conversation_parts"]
            .as_i64()
            .unwrap()
            >= 3
    }));
    let email = all["conversations"][0]["source"]["author"]["email"]
        .as_str()
        .unwrap_or("none");
    let by_email = search(
        &h,
        json!({"field": "source.author.email", "operator": "=", "value": email}),
    )
    .await;
    assert!(by_email["total_count"].as_u64().unwrap() >= 1);

    for bad in [
        json!({"field": "created_at", "operator": "~", "value": "1"}),
        json!({"field": "created_at", "operator": "=", "value": "foobar"}),
        json!({"field": "open", "operator": ">", "value": true}),
        json!({"field": "nope", "operator": "=", "value": 1}),
    ] {
        let resp = h
            .post("/conversations/search", json!({"query": bad.clone()}))
            .await;
        assert_eq!(resp.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn list_and_search_pages_are_disjoint_and_complete() {
    let h = Harness::start().await;
    for (path, is_search) in [
        ("/conversations?per_page=9", false),
        ("/conversations/search", true),
    ] {
        let mut seen = HashSet::new();
        let mut after: Option<String> = None;
        let mut total: u64;
        loop {
            let page = if is_search {
                let mut body = json!({"query": {"field": "open", "operator": "IN", "value": [true, false]}, "pagination": {"per_page": 9}});
                if let Some(c) = &after {
                    body["pagination"]["starting_after"] = json!(c);
                }
                h.ok(Method::POST, path, Some(body)).await
            } else {
                let p = match &after {
                    Some(c) => format!("{path}&starting_after={c}"),
                    None => path.to_string(),
                };
                h.ok(Method::GET, &p, None).await
            };
            assert_eq!(page["type"], "conversation.list");
            total = page["total_count"].as_u64().unwrap();
            for c in page["conversations"].as_array().unwrap() {
                assert!(seen.insert(c["id"].as_str().unwrap().to_string()));
            }
            match page["pages"]["next"]["starting_after"].as_str() {
                Some(c) => after = Some(c.to_string()),
                None => break,
            }
        }
        assert!(total > 9);
        assert_eq!(seen.len() as u64, total, "{path}");
    }
}

#[tokio::test]
async fn customers_and_conversion_to_ticket() {
    let h = Harness::start().await;
    let admin = h.admin_id().await;
    let (id, first) = h
        .new_conversation("group@example.org", "Please add my colleague")
        .await;
    let second = h.new_contact("colleague@example.org").await;
    let attached = h
        .ok(
            Method::POST,
            &format!("/conversations/{id}/customers"),
            Some(json!({"admin_id": admin, "customer": {"intercom_user_id": second}})),
        )
        .await;
    assert_eq!(
        attached["contacts"]["contacts"].as_array().unwrap().len(),
        2
    );
    let by_contact = search(
        &h,
        json!({"field": "contact_ids", "operator": "=", "value": second}),
    )
    .await;
    assert_eq!(ids(&by_contact), HashSet::from([id.clone()]));
    let detached = h
        .ok(
            Method::DELETE,
            &format!("/conversations/{id}/customers/{second}"),
            Some(json!({"admin_id": admin})),
        )
        .await;
    assert_eq!(
        detached["contacts"]["contacts"].as_array().unwrap().len(),
        1
    );
    let last = h
        .delete_with(
            &format!("/conversations/{id}/customers/{first}"),
            json!({"admin_id": admin}),
        )
        .await;
    assert_eq!(last.status, 422);

    let types = h.ok(Method::GET, "/ticket_types", None).await;
    let data = types["data"].as_array().unwrap();
    let customer = data.iter().find(|t| t["category"] == "Customer").unwrap()["id"]
        .as_str()
        .unwrap();
    let other = data.iter().find(|t| t["category"] != "Customer").unwrap()["id"]
        .as_str()
        .unwrap();
    let refused = h
        .post(
            &format!("/conversations/{id}/convert"),
            json!({"ticket_type_id": other}),
        )
        .await;
    assert_eq!(refused.status, 400);
    let ticket = h
        .ok(
            Method::POST,
            &format!("/conversations/{id}/convert"),
            Some(json!({"ticket_type_id": customer})),
        )
        .await;
    assert_eq!(ticket["type"], "ticket");
    assert_eq!(ticket["ticket_state"]["category"], "submitted");
    assert_eq!(ticket["linked_objects"]["data"][0]["id"], id.as_str());
    let ticket_id = ticket["id"].as_str().unwrap();
    let back = h
        .ok(Method::GET, &format!("/tickets/{ticket_id}"), None)
        .await;
    assert_eq!(back["contacts"]["contacts"][0]["id"], first.as_str());
    let conversation = h
        .ok(Method::GET, &format!("/conversations/{id}"), None)
        .await;
    assert!(
        conversation["linked_objects"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == ticket_id)
    );
}

#[tokio::test]
async fn retrieve_caps_parts_at_the_500_most_recent() {
    // A seeded conversation given 600 parts.
    let mut data = intercom_sandbox::seed::generate(intercom_sandbox::Scale::Tiny, 42, common::NOW);
    let conversation = &mut data.conversations[0];
    let id = conversation["id"].as_str().unwrap().to_string();
    let template = json!({
        "type": "conversation_part", "part_type": "note", "created_at": common::NOW - 1000,
        "updated_at": common::NOW - 1000, "notified_at": common::NOW - 1000, "assigned_to": null,
        "author": {"type": "admin", "id": "1", "name": "A", "email": "a@example.org"},
        "attachments": [], "external_id": null, "redacted": false, "state": "open",
    });
    let padded: Vec<Value> = (0..600)
        .map(|n| {
            let mut part = template.clone();
            part["id"] = json!(format!("{}", 90_000_000 + n));
            part["body"] = json!(format!("<p>note {n}</p>"));
            part
        })
        .collect();
    conversation["conversation_parts"] =
        json!({"type": "conversation_part.list", "conversation_parts": padded, "total_count": 600});
    let h = Harness {
        sandbox: intercom_sandbox::Sandbox::start_with_data(common::tiny(), data)
            .await
            .unwrap(),
        client: common::client(),
    };

    let retrieved = h
        .ok(Method::GET, &format!("/conversations/{id}"), None)
        .await;
    let shown = parts(&retrieved);
    assert_eq!(shown.len(), 500);
    assert_eq!(
        shown[0]["body"], "<p>note 100</p>",
        "the oldest 100 are left out"
    );
    assert_eq!(shown[499]["body"], "<p>note 599</p>");
    assert_eq!(retrieved["conversation_parts"]["total_count"], 500);
}

#[tokio::test]
async fn an_author_without_email_has_a_null_email() {
    let h = Harness::start().await;
    let lead = h
        .ok(
            Method::POST,
            "/contacts",
            Some(json!({"role": "lead", "name": "No Email"})),
        )
        .await;
    let message = h
        .ok(
            Method::POST,
            "/conversations",
            Some(json!({"from": {"type": "lead", "id": lead["id"]}, "body": "hello"})),
        )
        .await;
    let id = message["conversation_id"].as_str().unwrap();
    let conversation = h
        .ok(Method::GET, &format!("/conversations/{id}"), None)
        .await;
    assert_eq!(conversation["source"]["author"]["type"], "lead");
    assert!(conversation["source"]["author"]["email"].is_null());
}

/// A teammate's reply settles an active SLA (`hit` or `missed` against its target); a
/// note does not.
#[tokio::test]
async fn a_teammate_reply_settles_an_active_sla() {
    let h = Harness::with(intercom_sandbox::SandboxConfig {
        scale: intercom_sandbox::Scale::Small,
        ..common::tiny()
    })
    .await;
    let open = h
        .search(
            "/conversations/search",
            json!({"field": "state", "operator": "=", "value": "open"}),
        )
        .await;
    let active: Vec<Value> = open["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["sla_applied"]["sla_status"] == "active")
        .cloned()
        .collect();
    assert!(
        !active.is_empty(),
        "the seed has open conversations with an active SLA"
    );
    let admin = h.admin_id().await;
    let target = &active[0];
    let id = target["id"].as_str().unwrap();
    let reply = |message_type: &'static str| json!({"message_type": message_type, "type": "admin", "admin_id": admin, "body": "On it."});
    h.ok(
        Method::POST,
        &format!("/conversations/{id}/reply"),
        Some(reply("note")),
    )
    .await;
    let after_note = h
        .ok(Method::GET, &format!("/conversations/{id}"), None)
        .await;
    assert_eq!(after_note["sla_applied"]["sla_status"], "active");
    h.ok(
        Method::POST,
        &format!("/conversations/{id}/reply"),
        Some(reply("comment")),
    )
    .await;
    let after = h
        .ok(Method::GET, &format!("/conversations/{id}"), None)
        .await;
    let target_seconds = match after["sla_applied"]["sla_name"].as_str().unwrap() {
        "VIP first response" => 3_600,
        _ => 4 * 3_600,
    };
    let started = after["statistics"]["first_contact_reply_at"]
        .as_i64()
        .unwrap_or_else(|| after["created_at"].as_i64().unwrap());
    let replied = after["statistics"]["first_admin_reply_at"]
        .as_i64()
        .unwrap();
    let expected = if replied - started <= target_seconds {
        "hit"
    } else {
        "missed"
    };
    assert_eq!(after["sla_applied"]["sla_status"], expected, "{after}");
}
