//! Models read realistic (and messy) Intercom payloads and write back what they read.

use intercom_api::{
    Article, Company, Contact, Conversation, ConversationState, DataAttribute, Me, Page, Priority,
    Ticket, TicketCategory, TicketState, TicketStateCategory, TicketType,
};
use serde_json::{Value, json};

fn conversation_json() -> Value {
    json!({
        "type": "conversation", "id": "1911149811", "title": null,
        "created_at": 1734537460, "updated_at": 1734537499, "waiting_since": null,
        "snoozed_until": null, "open": true, "state": "open", "read": false,
        "priority": "high", "admin_assignee_id": 0, "team_assignee_id": "5017691",
        "company": null,
        "tags": {"type": "tag.list", "tags": [
            {"type": "tag", "id": "123456", "name": "billing", "applied_at": 1663597223,
             "applied_by": {"type": "admin", "id": "456"}}]},
        "conversation_rating": {"rating": 5, "remark": "great", "created_at": 1671028894,
            "contact": {"type": "contact", "id": "5ba682d2", "external_id": "ext-1"},
            "teammate": {"type": "admin", "id": 991267}},
        "source": {"type": "conversation", "id": "403918330", "delivered_as": "customer_initiated",
            "subject": "", "body": "<p>I was charged twice</p>",
            "author": {"type": "user", "id": "5ba682d2", "name": "Jo", "email": "jo@example.com"},
            "attachments": [], "url": null, "redacted": false},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "5ba682d2", "external_id": null}]},
        "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": "814860"}]},
        "custom_attributes": {"issue_type": "Billing", "order_total": 19.5},
        "first_contact_reply": {"created_at": 1663597223, "type": "conversation", "url": null},
        "sla_applied": null,
        "statistics": {"type": "conversation_statistics", "time_to_assignment": 0,
            "time_to_admin_reply": "4000", "first_contact_reply_at": 1663597233,
            "last_closed_by_id": 1996141, "count_reopens": 1, "count_assignments": 1,
            "count_conversation_parts": 3, "assigned_team_first_response_time": []},
        "conversation_parts": {"type": "conversation_part.list", "total_count": 2,
            "conversation_parts": [
                {"type": "conversation_part", "id": "99", "part_type": "comment",
                 "body": "<p>Sorry!</p>", "created_at": 1663597223, "updated_at": 1663597223,
                 "notified_at": 1663597223, "assigned_to": null,
                 "author": {"type": "admin", "id": "274", "name": "Sam", "email": "sam@x.io",
                            "from_ai_agent": false, "is_ai_answer": false},
                 "attachments": [{"type": "upload", "name": "a.png", "url": "https://x/a.png",
                                  "content_type": "image/png", "filesize": 100, "width": 1, "height": 1}],
                 "external_id": null, "redacted": false, "state": "open", "tags": null,
                 "email_message_metadata": null},
                {"type": "conversation_part", "id": 100, "part_type": "close", "body": null,
                 "created_at": 1663597300, "author": {"type": "bot", "id": "1"}, "state": "closed"}
            ]},
        "linked_objects": {"type": "list", "total_count": 0, "has_more": false, "data": []},
        "ai_agent_participated": false, "ai_agent": null,
        "sales_agent_participated": false, "future_field": [1, 2, 3]
    })
}

#[test]
fn conversation_reads_every_modelled_part() {
    let c: Conversation = serde_json::from_value(conversation_json()).unwrap();
    assert_eq!(c.id.as_deref(), Some("1911149811"));
    assert_eq!(c.state, Some(ConversationState::Open));
    assert_eq!(c.priority, Some(Priority::High));
    assert_eq!(c.admin_assignee(), None, "0 means unassigned");
    assert_eq!(c.team_assignee(), Some(5017691), "numeric string accepted");
    assert_eq!(c.tag_names(), ["billing"]);
    assert_eq!(c.contact_ids(), ["5ba682d2"]);
    let rating = c.conversation_rating.as_ref().unwrap();
    assert_eq!(rating.rating, Some(5));
    assert_eq!(
        rating.teammate.as_ref().unwrap().id.as_deref(),
        Some("991267")
    );
    let source = c.source.as_ref().unwrap();
    assert_eq!(
        source.author.as_ref().unwrap().email.as_deref(),
        Some("jo@example.com")
    );
    let stats = c.statistics.as_ref().unwrap();
    assert_eq!(stats.time_to_admin_reply, Some(4000));
    assert_eq!(stats.last_closed_by_id.as_deref(), Some("1996141"));
    assert_eq!(c.parts().len(), 2);
    assert_eq!(c.parts()[1].id.as_deref(), Some("100"));
    assert_eq!(c.parts()[1].state, Some(ConversationState::Closed));
    assert_eq!(c.parts()[0].attachments[0].filesize, Some(100));
    assert_eq!(
        c.custom_attributes.as_ref().unwrap()["order_total"],
        json!(19.5)
    );
    assert_eq!(c.extra["future_field"], json!([1, 2, 3]));
}

#[test]
fn conversation_round_trip_keeps_unknown_fields_and_values() {
    let original = conversation_json();
    let c: Conversation = serde_json::from_value(original.clone()).unwrap();
    let back = serde_json::to_value(&c).unwrap();
    for key in ["future_field", "sales_agent_participated"] {
        assert_eq!(back[key], original[key], "{key}");
    }
    assert_eq!(
        back["statistics"]["assigned_team_first_response_time"],
        json!([])
    );
    assert_eq!(back["priority"], "high");
    assert_eq!(back["custom_attributes"], original["custom_attributes"]);
    // Reading the written form again gives the same model.
    let again: Conversation = serde_json::from_value(back).unwrap();
    assert_eq!(again, c);
}

#[test]
fn ticket_and_states_parse() {
    let t: Ticket = serde_json::from_value(json!({
        "type": "ticket", "id": "494", "ticket_id": 35, "category": "Back-office",
        "ticket_attributes": {"_default_title_": "Login broken", "_default_description_": "x", "severity": "P1"},
        "ticket_state": {"type": "ticket_state", "id": "8282", "category": "waiting_on_customer",
                         "internal_label": "Waiting", "external_label": "Waiting on you"},
        "ticket_type": {"type": "ticket_type", "id": "1234", "category": "Customer", "name": "Bug",
                        "ticket_type_attributes": {"type": "list", "ticket_type_attributes": [
                            {"type": "ticket_type_attribute", "id": 1, "name": "severity", "data_type": "list",
                             "required_to_create": true}]}},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c1"}]},
        "admin_assignee_id": "0", "team_assignee_id": 0, "open": true, "snoozed_until": null,
        "ticket_parts": {"type": "ticket_part.list", "total_count": 1, "ticket_parts": [
            {"type": "ticket_part", "id": "p1", "part_type": "ticket_state_updated_by_admin",
             "previous_ticket_state": "submitted", "ticket_state": "in_progress",
             "author": {"type": "admin", "id": "7"}}]},
        "is_shared": true, "previous_ticket_state_id": null
    }))
    .unwrap();
    assert_eq!(t.ticket_id.as_deref(), Some("35"));
    assert_eq!(t.category, Some(TicketCategory::BackOffice));
    assert_eq!(t.title(), Some("Login broken"));
    let state = t.ticket_state.as_ref().unwrap();
    assert_eq!(state.category, Some(TicketStateCategory::WaitingOnCustomer));
    assert_eq!(t.admin_assignee(), None);
    let parts = &t.ticket_parts.as_ref().unwrap().ticket_parts;
    assert_eq!(
        parts[0].previous_ticket_state,
        Some(TicketStateCategory::Submitted)
    );
    assert_eq!(parts[0].ticket_state, Some(TicketStateCategory::InProgress));
    let tt: &TicketType = t.ticket_type.as_ref().unwrap();
    let attrs = &tt
        .ticket_type_attributes
        .as_ref()
        .unwrap()
        .ticket_type_attributes;
    assert_eq!(attrs[0].id.as_deref(), Some("1"));
    assert_eq!(attrs[0].required_to_create, Some(true));

    let s: TicketState = serde_json::from_value(json!({
        "type": "ticket_state", "id": 9, "category": "some_future_category"
    }))
    .unwrap();
    assert_eq!(
        s.category,
        Some(TicketStateCategory::Other("some_future_category".into()))
    );
}

#[test]
fn contact_company_me_article_attribute_parse() {
    let contact: Contact = serde_json::from_value(json!({
        "type": "contact", "id": "c1", "external_id": 42, "workspace_id": "ecahpwf5",
        "role": "user", "email": "jo@example.com", "owner_id": 127, "phone": null,
        "has_hard_bounced": false, "created_at": "1571672154", "last_seen_at": null,
        "custom_attributes": {"plan": "pro"}, "avatar": null,
        "tags": {"type": "list", "data": [{"type": "tag", "id": "1", "url": "/tags/1"}],
                 "url": "/contacts/c1/tags", "total_count": 1, "has_more": false},
        "companies": {"type": "list", "data": [], "url": "/contacts/c1/companies", "total_count": 0, "has_more": false},
        "location": {"type": "location", "country": "Ireland", "region": null, "city": "Dublin"},
        "social_profiles": {"type": "list", "data": []}
    }))
    .unwrap();
    assert_eq!(contact.external_id.as_deref(), Some("42"));
    assert_eq!(contact.owner_id.as_deref(), Some("127"));
    assert_eq!(contact.created_at, Some(1571672154));
    assert_eq!(contact.tags.as_ref().unwrap().total_count, Some(1));
    assert_eq!(
        contact.location.as_ref().unwrap().city.as_deref(),
        Some("Dublin")
    );

    let company: Company = serde_json::from_value(json!({
        "type": "company", "id": "531ee472", "name": "Acme", "company_id": 6,
        "plan": {"type": "plan", "id": "1", "name": "Pro"}, "monthly_spend": "100.5",
        "user_count": 3, "tags": {"type": "tag.list", "tags": []},
        "segments": {"type": "segment.list", "segments": []}
    }))
    .unwrap();
    assert_eq!(company.company_id.as_deref(), Some("6"));
    assert_eq!(company.monthly_spend, Some(100.5));

    let me: Me = serde_json::from_value(json!({
        "type": "admin", "id": "991267", "email": "admin@example.com", "name": "Ann",
        "email_verified": true, "away_mode_enabled": false, "has_inbox_seat": true,
        "team_ids": [814865, "814866"],
        "app": {"type": "app", "id_code": "this_is_an_id", "name": "MyApp", "region": "EU",
                "timezone": "Europe/Dublin", "created_at": 1671465577, "identity_verification": false},
        "avatar": {"type": "avatar", "image_url": "https://x/a.png"}
    }))
    .unwrap();
    assert_eq!(me.admin.id.as_deref(), Some("991267"));
    assert_eq!(me.admin.team_ids, [814865, 814866]);
    let app = me.app.as_ref().unwrap();
    assert_eq!(app.region.as_deref(), Some("EU"));
    assert_eq!(app.timezone.as_deref(), Some("Europe/Dublin"));
    let back = serde_json::to_value(&me).unwrap();
    assert_eq!(back["app"]["id_code"], "this_is_an_id");
    assert_eq!(back["email"], "admin@example.com");

    let article: Article = serde_json::from_value(json!({
        "type": "article", "id": "39", "title": "Refunds", "author_id": "991267",
        "state": "published", "parent_ids": [18, 19], "statistics": null
    }))
    .unwrap();
    assert_eq!(article.author_id, Some(991267));
    assert_eq!(article.parent_ids, [18, 19]);

    let attr: DataAttribute = serde_json::from_value(json!({
        "type": "data_attribute", "name": "plan", "full_name": "custom_attributes.plan",
        "data_type": "string", "options": null, "api_writable": true, "custom": true
    }))
    .unwrap();
    assert!(attr.options.is_empty());
    assert_eq!(attr.id, None);
}

#[test]
fn hostile_shapes_do_not_fail_the_object() {
    // Wrong types where the spec promises otherwise: the object still parses.
    let c: Conversation = serde_json::from_value(json!({
        "id": "1", "tags": "not-a-list", "statistics": [1, 2], "open": "true",
        "admin_assignee_id": "abc", "conversation_parts": null, "contacts": {"contacts": null}
    }))
    .unwrap();
    assert_eq!(c.tags, None);
    assert_eq!(c.statistics, None);
    assert_eq!(c.open, Some(true));
    assert_eq!(c.admin_assignee_id, None);
    assert!(c.parts().is_empty());
    assert!(c.contact_ids().is_empty());
}

#[test]
fn page_serialises_for_tools() {
    let page = Page {
        items: vec![1, 2],
        total_count: Some(10),
        next_cursor: Some("x".into()),
        ..Page::default()
    };
    let v = serde_json::to_value(&page).unwrap();
    assert_eq!(v["items"], json!([1, 2]));
    assert_eq!(v["next_cursor"], "x");
    assert!(!page.is_last());
}
