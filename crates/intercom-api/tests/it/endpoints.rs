//! Each typed endpoint sends the HTTP call Intercom documents (method, path, query, body) and
//! reads the answer back into its model.

use crate::common;

use common::*;
use intercom_api::{
    Assignee, CompanyInput, CompanyLookup, ContactIdentifier, ContactInput, ConversationUpdate,
    ConvertToTicket, DataAttributeModel, Reply, TicketAssignment, TicketContactInput, TicketCreate,
    TicketUpdate,
};
use serde_json::{Map, Value, json};

/// Answers by path with a minimal object of the right type.
async fn echo_server() -> Server {
    scripted(|req, _| async move {
        let p = req.path.as_str();
        let body = if p.ends_with("/tags") || p.contains("/tags/") {
            json!({"type": "tag", "id": "t1", "name": "vip"})
        } else if p.starts_with("/tickets") && p.ends_with("/reply") {
            json!({"type": "ticket_part", "id": "tp1", "part_type": "comment"})
        } else if p.starts_with("/tickets") || p.ends_with("/convert") {
            json!({"type": "ticket", "id": "tk1", "ticket_state": {"type": "ticket_state", "id": "s2", "category": "in_progress"}})
        } else if p.starts_with("/conversations") && req.method == "POST" && p == "/conversations" {
            json!({"type": "user_message", "id": "m1", "conversation_id": "cv9"})
        } else if p.starts_with("/conversations") {
            json!({"type": "conversation", "id": "cv1", "state": "open"})
        } else if p.contains("/companies") && p.starts_with("/contacts") {
            json!({"type": "company", "id": "co1"})
        } else if p.starts_with("/contacts") && p.ends_with("/notes") {
            json!({"type": "note", "id": "n1"})
        } else if p.ends_with("/archive") || p.ends_with("/unarchive") {
            json!({"type": "contact", "id": "c1", "archived": p.ends_with("/archive")})
        } else if p.starts_with("/contacts") {
            json!({"type": "contact", "id": "c1"})
        } else if p.starts_with("/companies") {
            json!({"type": "company", "id": "co1", "company_id": "acme"})
        } else if p.starts_with("/articles") {
            json!({"type": "article", "id": "a1"})
        } else {
            json!({"type": "list", "data": []})
        };
        ok(body)
    })
    .await
}

fn last(server: &Server) -> Recorded {
    server.request(server.count() - 1)
}

fn check(server: &Server, method: &str, path: &str, body: Value) {
    let r = last(server);
    assert_eq!((r.method.as_str(), r.path.as_str()), (method, path));
    assert_eq!(r.json(), body, "{method} {path}");
}

#[tokio::test]
async fn conversation_actions_send_documented_bodies() {
    let s = echo_server().await;
    let c = client(&s.base);

    let conv = c
        .reply_to_conversation(&id("cv1"), &Reply::admin_comment("7", "<p>Hi</p>"))
        .await
        .unwrap();
    assert_eq!(conv.id.as_deref(), Some("cv1"));
    check(
        &s,
        "POST",
        "/conversations/cv1/reply",
        json!({"message_type": "comment", "type": "admin", "admin_id": "7", "body": "<p>Hi</p>"}),
    );

    c.reply_to_conversation(
        &id("cv1"),
        &Reply::contact_comment(ContactIdentifier::Id(id("c1")), "thanks"),
    )
    .await
    .unwrap();
    check(
        &s,
        "POST",
        "/conversations/cv1/reply",
        json!({"message_type": "comment", "type": "user", "intercom_user_id": "c1", "body": "thanks"}),
    );

    c.close_conversation(&id("cv1"), &id("7"), Some("bye"))
        .await
        .unwrap();
    check(
        &s,
        "POST",
        "/conversations/cv1/parts",
        json!({"message_type": "close", "type": "admin", "admin_id": "7", "body": "bye"}),
    );

    c.open_conversation(&id("cv1"), &id("7")).await.unwrap();
    check(
        &s,
        "POST",
        "/conversations/cv1/parts",
        json!({"message_type": "open", "admin_id": "7"}),
    );

    c.snooze_conversation(&id("cv1"), &id("7"), 1_800_000_000)
        .await
        .unwrap();
    check(
        &s,
        "POST",
        "/conversations/cv1/parts",
        json!({"message_type": "snoozed", "admin_id": "7", "snoozed_until": 1_800_000_000}),
    );

    c.assign_conversation(&id("cv1"), &id("7"), &Assignee::Team(id("55")), None)
        .await
        .unwrap();
    check(
        &s,
        "POST",
        "/conversations/cv1/parts",
        json!({"message_type": "assignment", "type": "team", "admin_id": "7", "assignee_id": "55"}),
    );

    c.unassign_conversation(&id("cv1"), &id("7")).await.unwrap();
    check(
        &s,
        "POST",
        "/conversations/cv1/parts",
        json!({"message_type": "assignment", "type": "admin", "admin_id": "7", "assignee_id": "0"}),
    );

    let tag = c
        .tag_conversation(&id("cv1"), &id("t1"), &id("7"))
        .await
        .unwrap();
    assert_eq!(tag.name.as_deref(), Some("vip"));
    check(
        &s,
        "POST",
        "/conversations/cv1/tags",
        json!({"id": "t1", "admin_id": "7"}),
    );

    c.untag_conversation(&id("cv1"), &id("t1"), &id("7"))
        .await
        .unwrap();
    check(
        &s,
        "DELETE",
        "/conversations/cv1/tags/t1",
        json!({"admin_id": "7"}),
    );

    c.attach_contact_to_conversation(
        &id("cv1"),
        &id("7"),
        &ContactIdentifier::Email("x@y.io".into()),
    )
    .await
    .unwrap();
    check(
        &s,
        "POST",
        "/conversations/cv1/customers",
        json!({"admin_id": "7", "customer": {"email": "x@y.io"}}),
    );

    c.detach_contact_from_conversation(&id("cv1"), &id("c1"), &id("7"))
        .await
        .unwrap();
    check(
        &s,
        "DELETE",
        "/conversations/cv1/customers/c1",
        json!({"admin_id": "7"}),
    );

    let mut attrs = Map::new();
    attrs.insert("issue_type".into(), json!("billing"));
    c.update_conversation(
        &id("cv1"),
        &ConversationUpdate {
            title: Some("Refund".into()),
            read: Some(true),
            custom_attributes: Some(attrs),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    check(
        &s,
        "PUT",
        "/conversations/cv1",
        json!({"read": true, "title": "Refund", "custom_attributes": {"issue_type": "billing"}}),
    );

    let ticket = c
        .convert_conversation_to_ticket(
            &id("cv1"),
            &id("3"),
            &ConvertToTicket {
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ticket.id.as_deref(), Some("tk1"));
    check(
        &s,
        "POST",
        "/conversations/cv1/convert",
        json!({"ticket_type_id": "3"}),
    );

    let msg = c
        .create_conversation(&id("c1"), "Hello", None)
        .await
        .unwrap();
    assert_eq!(msg.conversation_id.as_deref(), Some("cv9"));
    check(
        &s,
        "POST",
        "/conversations",
        json!({"from": {"type": "contact", "id": "c1"}, "body": "Hello"}),
    );

    c.get_conversation_plaintext(&id("cv1")).await.unwrap();
    assert_eq!(
        last(&s).query_param("display_as").as_deref(),
        Some("plaintext")
    );
}

#[tokio::test]
async fn ticket_actions_send_documented_bodies() {
    let s = echo_server().await;
    let c = client(&s.base);
    let mut attrs = Map::new();
    attrs.insert("_default_title_".into(), json!("Broken login"));
    let created = c
        .create_ticket(
            &id("3"),
            &TicketCreate {
                contacts: vec![TicketContactInput {
                    email: Some("a@b.io".into()),
                    ..Default::default()
                }],
                ticket_attributes: Some(attrs),
                assignment: Some(TicketAssignment {
                    admin_assignee_id: Some(id("7")),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(created.ticket_state.unwrap().id.as_deref(), Some("s2"));
    check(
        &s,
        "POST",
        "/tickets",
        json!({
        "ticket_type_id": "3", "contacts": [{"email": "a@b.io"}],
        "ticket_attributes": {"_default_title_": "Broken login"},
        "assignment": {"admin_assignee_id": "7"}}),
    );

    c.update_ticket(
        &id("tk1"),
        &TicketUpdate {
            ticket_state_id: Some(id("s3")),
            open: Some(true),
            snoozed_until: Some(1_800_000_000),
            admin_id: Some(7),
            assignee_id: Some(id("55")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    check(
        &s,
        "PUT",
        "/tickets/tk1",
        json!({
        "ticket_state_id": "s3", "open": true, "snoozed_until": 1_800_000_000,
        "admin_id": 7, "assignee_id": "55"}),
    );

    let part = c
        .reply_to_ticket(&id("tk1"), &Reply::admin_note("7", "internal"))
        .await
        .unwrap();
    assert_eq!(part.part_type.as_deref(), Some("comment"));
    check(
        &s,
        "POST",
        "/tickets/tk1/reply",
        json!({"message_type": "note", "type": "admin", "admin_id": "7", "body": "internal"}),
    );

    c.tag_ticket(&id("tk1"), &id("t1"), &id("7")).await.unwrap();
    check(
        &s,
        "POST",
        "/tickets/tk1/tags",
        json!({"id": "t1", "admin_id": "7"}),
    );
    c.untag_ticket(&id("tk1"), &id("t1"), &id("7"))
        .await
        .unwrap();
    check(
        &s,
        "DELETE",
        "/tickets/tk1/tags/t1",
        json!({"admin_id": "7"}),
    );
}

#[tokio::test]
async fn contact_and_company_actions_send_documented_bodies() {
    let s = echo_server().await;
    let c = client(&s.base);

    c.create_contact(&ContactInput {
        role: Some("lead".into()),
        email: Some("l@x.io".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    check(
        &s,
        "POST",
        "/contacts",
        json!({"role": "lead", "email": "l@x.io"}),
    );

    c.update_contact(
        &id("c1"),
        &ContactInput {
            name: Some("Lee".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    check(&s, "PUT", "/contacts/c1", json!({"name": "Lee"}));

    c.merge_contacts(&id("lead1"), &id("user1")).await.unwrap();
    check(
        &s,
        "POST",
        "/contacts/merge",
        json!({"from": "lead1", "into": "user1"}),
    );

    let archived = c.archive_contact(&id("c1")).await.unwrap();
    assert_eq!(archived.archived, Some(true));
    check(&s, "POST", "/contacts/c1/archive", Value::Null);
    let un = c.unarchive_contact(&id("c1")).await.unwrap();
    assert_eq!(un.archived, Some(false));

    c.create_contact_note(&id("c1"), "<p>n</p>", Some(&id("7")))
        .await
        .unwrap();
    check(
        &s,
        "POST",
        "/contacts/c1/notes",
        json!({"body": "<p>n</p>", "admin_id": "7"}),
    );

    c.tag_contact(&id("c1"), &id("t1")).await.unwrap();
    check(&s, "POST", "/contacts/c1/tags", json!({"id": "t1"}));
    c.untag_contact(&id("c1"), &id("t1")).await.unwrap();
    check(&s, "DELETE", "/contacts/c1/tags/t1", Value::Null);

    c.attach_contact_to_company(&id("c1"), &id("co1"))
        .await
        .unwrap();
    check(&s, "POST", "/contacts/c1/companies", json!({"id": "co1"}));
    c.detach_contact_from_company(&id("c1"), &id("co1"))
        .await
        .unwrap();
    check(&s, "DELETE", "/contacts/c1/companies/co1", Value::Null);

    let co = c
        .upsert_company(&CompanyInput {
            company_id: Some("acme".into()),
            name: Some("Acme".into()),
            monthly_spend: Some(99),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(co.company_id.as_deref(), Some("acme"));
    check(
        &s,
        "POST",
        "/companies",
        json!({"name": "Acme", "company_id": "acme", "monthly_spend": 99}),
    );

    let found = c
        .find_companies(
            &CompanyLookup {
                company_id: Some("acme".into()),
                ..Default::default()
            },
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        found.items.len(),
        1,
        "a single-company answer becomes a one-item page"
    );
    assert_eq!(last(&s).query_param("company_id").as_deref(), Some("acme"));

    c.list_data_attributes(Some(DataAttributeModel::Company), true)
        .await
        .unwrap();
    let r = last(&s);
    assert_eq!(r.path, "/data_attributes");
    assert_eq!(r.query_param("model").as_deref(), Some("company"));
    assert_eq!(r.query_param("include_archived").as_deref(), Some("true"));

    c.create_tag("vip").await.unwrap();
    check(&s, "POST", "/tags", json!({"name": "vip"}));
}

#[tokio::test]
async fn send_json_goes_through_the_same_machinery() {
    let server = scripted(|req, i| async move {
        if i == 0 {
            reply(503, json!({}), &[])
        } else {
            ok(json!({"echo": req.json(), "q": req.query}))
        }
    })
    .await;
    let c = client(&server.base);
    let v = c
        .send_json(
            intercom_api::Method::POST,
            "/conversations/search",
            &[("x", "1 2")],
            Some(json!({"query": {"field": "open", "operator": "=", "value": true}})),
        )
        .await
        .unwrap();
    assert_eq!(
        server.count(),
        2,
        "search POST through send_json is retried"
    );
    assert_eq!(v["echo"]["query"]["field"], "open");
    assert_eq!(v["q"], "x=1+2");
    assert_eq!(server.request(1).headers["intercom-version"], "2.16");

    let plain = scripted(|_, _| async move { reply(503, json!({}), &[]) }).await;
    let err = client(&plain.base)
        .send_json(
            intercom_api::Method::POST,
            "/messages",
            &[],
            Some(json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(plain.count(), 1, "a generic POST is not retried on 5xx");
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn send_json_accepts_inline_queries_and_same_host_urls_only() {
    let server =
        scripted(|req, _| async move { ok(json!({"path": req.path, "q": req.query})) }).await;
    let c = client(&server.base);
    let v = c
        .send_json(
            intercom_api::Method::GET,
            "/contacts/c1/companies?page=2",
            &[("per_page", "5")],
            None,
        )
        .await
        .unwrap();
    assert_eq!(v["path"], "/contacts/c1/companies");
    assert_eq!(v["q"], "page=2&per_page=5");

    let next = format!("{}/contacts/c1/companies?page=3", server.base);
    let v = c
        .send_json(intercom_api::Method::GET, &next, &[], None)
        .await
        .unwrap();
    assert_eq!(v["q"], "page=3");
    assert_eq!(server.request(1).headers["intercom-version"], "2.16");

    let err = c
        .send_json(
            intercom_api::Method::GET,
            "https://elsewhere.example/contacts",
            &[],
            None,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another host"), "{err}");
    assert_eq!(server.count(), 2, "the foreign URL is never called");
}

#[tokio::test]
async fn list_tickets_is_a_catch_all_search_and_name_lookup_handles_absence() {
    let server = scripted(|req, _| async move {
        if req.path == "/companies" {
            reply(404, error_body("company_not_found", "Company Not Found"), &[])
        } else {
            ok(json!({"type": "ticket.list", "tickets": [{"type": "ticket", "id": "9"}], "total_count": 1}))
        }
    })
    .await;
    let c = client(&server.base);
    let page = c.list_tickets(Some(20), None).await.unwrap();
    assert_eq!(page.items[0].id.as_deref(), Some("9"));
    check(
        &server,
        "POST",
        "/tickets/search",
        json!({"query": {"field": "created_at", "operator": ">", "value": 0},
               "pagination": {"per_page": 20}}),
    );
    assert!(c.find_company_by_name("Nope Inc").await.unwrap().is_none());
    assert_eq!(
        last(&server).query_param("name").as_deref(),
        Some("Nope Inc")
    );
}
