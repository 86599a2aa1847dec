//! Conversation tools against the sandbox: every result is checked against
//! the sandbox's state read back through the API, writes included.

use crate::common;

use common::{Harness, id_of};
use intercom_api::Method;
use serde_json::{Value, json};

async fn search_api(h: &Harness, query: Value) -> Value {
    h.post(
        "/conversations/search",
        json!({"query": query, "pagination": {"per_page": 150}}),
    )
    .await
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id_of(&c["id"]))
        .collect()
}

fn start_of_today_utc() -> i64 {
    let now = chrono::Utc::now();
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

async fn some_conversation(h: &Harness, query: Value) -> Value {
    let found = search_api(h, query.clone()).await;
    let first = found["conversations"]
        .as_array()
        .and_then(|c| c.first())
        .cloned();
    let id = id_of(
        &first.unwrap_or_else(|| panic!("the sandbox has no conversation matching {query}"))["id"],
    );
    h.get(&format!("/conversations/{id}")).await
}

async fn me_id(h: &Harness) -> String {
    id_of(&h.get("/me").await["id"])
}

async fn an_admin(h: &Harness, not: &str) -> Value {
    let admins = h.get("/admins").await;
    admins["admins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| id_of(&a["id"]) != not)
        .cloned()
        .expect("another admin")
}

async fn a_contact_with_email(h: &Harness) -> Value {
    let found = h
        .post("/contacts/search", json!({"query": {"field": "role", "operator": "=", "value": "user"}, "pagination": {"per_page": 50}}))
        .await;
    found["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"].as_str().is_some_and(|e| !e.is_empty()))
        .cloned()
        .expect("a user with email")
}

#[tokio::test]
async fn headline_show_open_conversations_from_today() {
    let h = Harness::start_scale(intercom_sandbox::Scale::Small).await;
    // One call, in the words a person uses.
    let out = h
        .ok(
            "search_conversations",
            json!({"open": true, "created_after": "today", "limit": 150}),
        )
        .await;
    let today = start_of_today_utc();
    let expected = search_api(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "open", "operator": "=", "value": true},
            {"field": "created_at", "operator": ">", "value": today},
        ]}),
    )
    .await;
    assert_eq!(out["total_count"], expected["total_count"]);
    let mut got = ids(&out, "conversations");
    let mut want = ids(&expected, "conversations");
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(
        !got.is_empty(),
        "the small sandbox has conversations from today"
    );
    for id in got.iter().take(10) {
        let c = h.get(&format!("/conversations/{id}")).await;
        assert_eq!(c["open"], true, "{id} is open");
        assert!(
            c["created_at"].as_i64().unwrap() >= today,
            "{id} was created today"
        );
    }
}

#[tokio::test]
async fn search_by_assignee_team_tag_contact_and_words() {
    let h = Harness::start_scale(intercom_sandbox::Scale::Small).await;
    // Intercom reads `>` as "greater or equal" here, so pick an assigned one client-side.
    let assigned = search_api(
        &h,
        json!({"field": "admin_assignee_id", "operator": "!=", "value": 0}),
    )
    .await;
    let c = assigned["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !matches!(id_of(&c["team_assignee_id"]).as_str(), "" | "0"))
        .cloned()
        .expect("a conversation assigned to an admin and a team");
    let id = id_of(&c["id"]);
    let admin = h
        .get(&format!("/admins/{}", id_of(&c["admin_assignee_id"])))
        .await;
    let team = h
        .get(&format!("/teams/{}", id_of(&c["team_assignee_id"])))
        .await;

    let by_name = h
        .ok(
            "search_conversations",
            json!({"assignee": admin["name"], "team": team["name"], "limit": 150}),
        )
        .await;
    let found = by_name["conversations"].as_array().unwrap();
    assert!(
        found
            .iter()
            .all(|x| x["assignee"] == admin["name"] && x["team"] == team["name"])
    );
    let expected = search_api(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "admin_assignee_id", "operator": "=", "value": id_of(&admin["id"])},
            {"field": "team_assignee_id", "operator": "=", "value": id_of(&team["id"])},
        ]}),
    )
    .await;
    assert_eq!(by_name["total_count"], expected["total_count"]);

    let by_email = h
        .ok(
            "search_conversations",
            json!({"assignee": admin["email"], "limit": 150}),
        )
        .await;
    let expected = search_api(
        &h,
        json!({"field": "admin_assignee_id", "operator": "=", "value": id_of(&admin["id"])}),
    )
    .await;
    assert_eq!(by_email["total_count"], expected["total_count"]);

    let unassigned = h
        .ok(
            "search_conversations",
            json!({"assignee": "unassigned", "limit": 5}),
        )
        .await;
    for x in unassigned["conversations"].as_array().unwrap() {
        assert!(x.get("assignee").is_none(), "{x}");
    }

    // Tag by name.
    let recent = search_api(
        &h,
        json!({"field": "created_at", "operator": ">", "value": 0}),
    )
    .await;
    let tagged = recent["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tags"]["tags"].as_array().is_some_and(|t| !t.is_empty()))
        .cloned()
        .expect("a tagged conversation");
    let tag = &tagged["tags"]["tags"][0];
    let by_tag = h
        .ok(
            "search_conversations",
            json!({"tag": tag["name"], "limit": 150}),
        )
        .await;
    assert!(ids(&by_tag, "conversations").contains(&id_of(&tagged["id"])));
    assert!(
        by_tag["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&tag["name"]))),
        "every result carries the tag {}: {by_tag}",
        tag["name"]
    );

    // Contact email.
    let contact_id = id_of(&c["contacts"]["contacts"][0]["id"]);
    let contact = h.get(&format!("/contacts/{contact_id}")).await;
    if let Some(email) = contact["email"].as_str().filter(|e| !e.is_empty()) {
        let by_contact = h
            .ok(
                "search_conversations",
                json!({"contact_email": email, "limit": 150}),
            )
            .await;
        assert!(ids(&by_contact, "conversations").contains(&id));
    }

    // Words of the first message, ids in every form, raw query.
    let body = h.get(&format!("/conversations/{id}")).await["source"]["body"]
        .as_str()
        .unwrap()
        .to_string();
    let word = body
        .split(|ch: char| !ch.is_alphanumeric())
        .find(|w| w.len() > 5)
        .unwrap()
        .to_string();
    let by_text = h
        .ok("search_conversations", json!({"text": word, "limit": 150}))
        .await;
    assert!(
        ids(&by_text, "conversations").contains(&id),
        "searching `{word}`"
    );
    let by_ids = h.ok("search_conversations", json!({"ids": format!("conversation_{id}"), "query": {"field": "state", "operator": "=", "value": c["state"]}})).await;
    assert_eq!(ids(&by_ids, "conversations"), vec![id.clone()]);

    // Paging: cursor gives the next page, with no overlap.
    let p1 = h.ok("search_conversations", json!({"limit": "5"})).await;
    let cursor = p1["next_cursor"]
        .as_str()
        .expect("more than 5 conversations")
        .to_string();
    let p2 = h
        .ok(
            "search_conversations",
            json!({"limit": 5, "cursor": cursor}),
        )
        .await;
    let (a, b) = (ids(&p1, "conversations"), ids(&p2, "conversations"));
    assert_eq!(b.len(), 5);
    assert!(a.iter().all(|x| !b.contains(x)));

    // Bad input is explained, not sent.
    let err = h
        .err(
            "search_conversations",
            json!({"created_after": "the other day"}),
        )
        .await;
    assert!(err.contains("created_after") && err.contains("7d"), "{err}");
    let err = h
        .err("search_conversations", json!({"team": "No Such Team"}))
        .await;
    assert!(err.contains("list_teams"), "{err}");
    let err = h
        .err("search_conversations", json!({"priority": "extreme"}))
        .await;
    assert!(err.contains("urgent"), "{err}");
}

#[tokio::test]
async fn get_conversation_accepts_every_id_form_and_keeps_every_message() {
    let h = Harness::start().await;
    let c = some_conversation(
        &h,
        json!({"field": "state", "operator": "=", "value": "closed"}),
    )
    .await;
    let id = id_of(&c["id"]);
    let parts = c["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap();
    let with_text = parts
        .iter()
        .filter(|p| p["body"].as_str().is_some_and(|b| !b.trim().is_empty()))
        .count();
    for form in [
        json!(id),
        json!(format!("conversation_{id}")),
        json!(format!(
            "https://app.intercom.com/a/inbox/abc/inbox/shared/all/conversation/{id}"
        )),
    ] {
        let out = h.ok("get_conversation", json!({"id": form})).await;
        assert_eq!(out["id"], id);
        assert_eq!(out["state"], "closed");
        assert_eq!(
            out["message_count"],
            with_text + 1,
            "source + parts with text"
        );
        assert_eq!(out["event_count"], parts.len() - with_text);
    }
    let full = h
        .ok("get_conversation", json!({"id": id, "detail": "FULL"}))
        .await;
    assert_eq!(
        full["events"].as_array().unwrap().len(),
        parts.len() - with_text
    );
    assert!(full["statistics"].is_object());

    let err = h
        .err("get_conversation", json!({"id": "999999999999"}))
        .await;
    assert!(err.contains("not found"), "{err}");
    let err = h
        .err("get_conversation", json!({"id": "contact_abc"}))
        .await;
    assert!(err.contains("contact id"), "{err}");
}

#[tokio::test]
async fn long_conversations_are_cut_from_the_middle_with_counts() {
    let h = Harness::start().await;
    let c = some_conversation(
        &h,
        json!({"field": "state", "operator": "=", "value": "open"}),
    )
    .await;
    let id = id_of(&c["id"]);
    let me = me_id(&h).await;
    for i in 0..12 {
        h.post(
            &format!("/conversations/{id}/reply"),
            json!({"message_type": "note", "type": "admin", "admin_id": me, "body": format!("note number {i}")}),
        )
        .await;
    }
    let whole = h
        .ok("get_conversation", json!({"id": id, "max_messages": 500}))
        .await;
    let total = whole["message_count"].as_u64().unwrap() as usize;
    let cut = h
        .ok("get_conversation", json!({"id": id, "max_messages": 6}))
        .await;
    let shown = cut["messages"].as_array().unwrap();
    assert_eq!(shown.len(), 6);
    assert_eq!(cut["omitted"]["omitted_messages"], total - 6);
    assert_eq!(
        shown[5]["text"], "note number 11",
        "the newest message is kept"
    );
    assert_eq!(
        shown[0]["text"], whole["messages"][0]["text"],
        "the opening message is kept"
    );
    assert!(
        cut["omitted"]["how_to_see"]
            .as_str()
            .unwrap()
            .contains(&format!("max_messages={total}"))
    );
}

#[tokio::test]
async fn headline_create_a_conversation_for_a_user_and_assign_it_to_an_admin() {
    let h = Harness::start().await;
    let contact = a_contact_with_email(&h).await;
    let me = me_id(&h).await;
    let admin = an_admin(&h, &me).await;
    // One call: find the user by email, create, assign by admin name.
    let out = h
        .ok(
            "create_conversation",
            json!({"contact_email": contact["email"], "body": "My export to CSV keeps failing", "assignee": admin["name"]}),
        )
        .await;
    let id = out["id"].as_str().unwrap().to_string();
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(id_of(&c["admin_assignee_id"]), id_of(&admin["id"]));
    assert_eq!(
        id_of(&c["contacts"]["contacts"][0]["id"]),
        id_of(&contact["id"])
    );
    assert!(
        c["source"]["body"]
            .as_str()
            .unwrap()
            .contains("export to CSV")
    );
    assert_eq!(out["assignee"], admin["name"]);

    // By contact id, assigned to a team by name.
    let team = &h.get("/teams").await["teams"][0];
    let out = h.ok("create_conversation", json!({"contact_id": format!("contact_{}", id_of(&contact["id"])), "body": "Second question", "team": team["name"]})).await;
    let c = h
        .get(&format!("/conversations/{}", out["id"].as_str().unwrap()))
        .await;
    assert_eq!(id_of(&c["team_assignee_id"]), id_of(&team["id"]));

    // A bad assignee creates nothing.
    let before = search_api(
        &h,
        json!({"field": "contact_ids", "operator": "=", "value": id_of(&contact["id"])}),
    )
    .await["total_count"]
        .clone();
    let err = h
        .err(
            "create_conversation",
            json!({"contact_email": contact["email"], "body": "x", "assignee": "Nobody Atall"}),
        )
        .await;
    assert!(err.contains("list_admins"), "{err}");
    let after = search_api(
        &h,
        json!({"field": "contact_ids", "operator": "=", "value": id_of(&contact["id"])}),
    )
    .await["total_count"]
        .clone();
    assert_eq!(before, after, "nothing was created");

    let err = h
        .err(
            "create_conversation",
            json!({"contact_email": "nobody@nowhere.example", "body": "hi"}),
        )
        .await;
    assert!(err.contains("create_contact_if_missing"), "{err}");
    let out = h.ok("create_conversation", json!({"contact_email": "new.lead@nowhere.example", "body": "hi", "create_contact_if_missing": true})).await;
    let c = h
        .get(&format!("/conversations/{}", out["id"].as_str().unwrap()))
        .await;
    let lead = h
        .get(&format!(
            "/contacts/{}",
            id_of(&c["contacts"]["contacts"][0]["id"])
        ))
        .await;
    assert_eq!(lead["email"], "new.lead@nowhere.example");
}

#[tokio::test]
async fn reply_note_manage_update_tag_and_convert_are_read_back() {
    let h = Harness::start().await;
    let c = some_conversation(
        &h,
        json!({"field": "state", "operator": "=", "value": "open"}),
    )
    .await;
    let id = id_of(&c["id"]);
    let me = me_id(&h).await;
    let parts = |c: &Value| {
        c["conversation_parts"]["conversation_parts"]
            .as_array()
            .unwrap()
            .clone()
    };

    // Reply as the token's admin, then a note as another admin.
    let out = h
        .ok(
            "reply_to_conversation",
            json!({"id": id, "body": "<p>We are on it</p>"}),
        )
        .await;
    assert_eq!(out["message_type"], "comment");
    let after = h.get(&format!("/conversations/{id}")).await;
    let last = parts(&after).last().cloned().unwrap();
    assert_eq!(last["part_type"], "comment");
    assert_eq!(id_of(&last["author"]["id"]), me);
    assert!(last["body"].as_str().unwrap().contains("We are on it"));

    let other = an_admin(&h, &me).await;
    h.ok("reply_to_conversation", json!({"id": id, "body": "internal: check billing", "message_type": "note", "admin": other["email"]})).await;
    let last = parts(&h.get(&format!("/conversations/{id}")).await)
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["part_type"], "note");
    assert_eq!(id_of(&last["author"]["id"]), id_of(&other["id"]));

    // Manage: close, reopen, snooze, assign to team and admin, unassign.
    h.ok(
        "manage_conversation",
        json!({"id": id, "action": "close", "body": "Closing, thanks"}),
    )
    .await;
    assert_eq!(
        h.get(&format!("/conversations/{id}")).await["state"],
        "closed"
    );
    h.ok("manage_conversation", json!({"id": id, "action": "open"}))
        .await;
    assert_eq!(
        h.get(&format!("/conversations/{id}")).await["state"],
        "open"
    );
    let before = chrono::Utc::now().timestamp();
    let out = h
        .ok(
            "manage_conversation",
            json!({"id": id, "action": "snooze", "snoozed_until": "2h"}),
        )
        .await;
    assert_eq!(out["conversation"]["state"], "snoozed");
    let snoozed = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(snoozed["state"], "snoozed");
    let until = snoozed["snoozed_until"].as_i64().unwrap();
    assert!(
        (until - (before + 7200)).abs() < 60,
        "snoozed about two hours ahead: {until} vs {before}"
    );
    let err = h
        .err(
            "manage_conversation",
            json!({"id": id, "action": "snooze", "snoozed_until": "yesterday"}),
        )
        .await;
    assert!(err.contains("future"), "{err}");
    let team = &h.get("/teams").await["teams"][0];
    h.ok(
        "manage_conversation",
        json!({"id": id, "action": "assign", "team": team["name"], "assignee": other["name"]}),
    )
    .await;
    let assigned = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(id_of(&assigned["team_assignee_id"]), id_of(&team["id"]));
    assert_eq!(id_of(&assigned["admin_assignee_id"]), id_of(&other["id"]));
    h.ok(
        "manage_conversation",
        json!({"id": id, "action": "unassign"}),
    )
    .await;
    let unassigned = h.get(&format!("/conversations/{id}")).await;
    assert!(
        matches!(id_of(&unassigned["admin_assignee_id"]).as_str(), "" | "0"),
        "{}",
        unassigned["admin_assignee_id"]
    );
    let err = h
        .err(
            "manage_conversation",
            json!({"id": id, "action": "explode"}),
        )
        .await;
    assert!(
        err.contains("close, open, snooze, assign or unassign"),
        "{err}"
    );

    // Update title, read flag, custom attributes (given as JSON text).
    h.ok("update_conversation", json!({"id": id, "title": "Billing question", "read": "true", "custom_attributes": "{\"mcp_note\": \"checked\"}"})).await;
    let updated = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(updated["title"], "Billing question");
    assert_eq!(updated["read"], true);
    assert_eq!(updated["custom_attributes"]["mcp_note"], "checked");
    let err = h.err("update_conversation", json!({"id": id})).await;
    assert!(err.contains("nothing to update"), "{err}");

    // Tags: unknown name fails and changes nothing; create on request; remove.
    let tags_of = |c: &Value| {
        c["tags"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let existing = h.get("/tags").await["data"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let before_tags = tags_of(&h.get(&format!("/conversations/{id}")).await);
    let err = h
        .err(
            "tag_conversation",
            json!({"id": id, "add": [existing.clone(), "brand-new-tag"]}),
        )
        .await;
    assert!(
        err.contains("brand-new-tag") && err.contains("create_missing_tags"),
        "{err}"
    );
    assert_eq!(
        tags_of(&h.get(&format!("/conversations/{id}")).await),
        before_tags,
        "nothing was tagged"
    );
    h.ok(
        "tag_conversation",
        json!({"id": id, "add": format!("{existing}, brand-new-tag"), "create_missing_tags": true}),
    )
    .await;
    let tagged = tags_of(&h.get(&format!("/conversations/{id}")).await);
    assert!(
        tagged.contains(&existing) && tagged.contains(&"brand-new-tag".to_string()),
        "{tagged:?}"
    );
    h.ok(
        "tag_conversation",
        json!({"id": id, "remove": ["brand-new-tag"]}),
    )
    .await;
    let tagged = tags_of(&h.get(&format!("/conversations/{id}")).await);
    assert!(!tagged.contains(&"brand-new-tag".to_string()), "{tagged:?}");

    // Convert to a ticket by type name.
    let types = h.get("/ticket_types").await;
    let ticket_type = types["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == "Customer")
        .or_else(|| types["data"].as_array().unwrap().first())
        .cloned()
        .unwrap();
    let out = h
        .ok(
            "convert_conversation_to_ticket",
            json!({"id": id, "ticket_type": ticket_type["name"]}),
        )
        .await;
    let ticket = h
        .api
        .send_json(
            Method::GET,
            &format!("/tickets/{}", out["ticket_id"].as_str().unwrap()),
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        id_of(&ticket["ticket_type"]["id"]),
        id_of(&ticket_type["id"])
    );
    let err = h
        .err(
            "convert_conversation_to_ticket",
            json!({"id": id, "ticket_type": "Nonexistent Type"}),
        )
        .await;
    assert!(err.contains("the workspace has: Bug report"), "{err}");
}
