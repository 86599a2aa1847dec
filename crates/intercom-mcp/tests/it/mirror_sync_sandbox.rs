//! Sync against the sandbox over HTTP: after a full and an incremental run the
//! mirror holds exactly what the sandbox API returns.

use crate::realtime_support;

use intercom_api::{Client, Method};
use intercom_mirror::sync::KindReport;
use intercom_mirror::*;
use intercom_sandbox::{SandboxConfig, Scale};
use realtime_support::{self as support, admin_reply, api_client, api_ids, id, mirror_ids};
use serde_json::json;

/// Part ids of one conversation as the API returns it, and as the mirror holds it.
async fn part_ids(api: &Client, mirror: &Mirror, conversation: &str) -> (Vec<String>, Vec<String>) {
    let live = api
        .send_json(
            Method::GET,
            &format!("/conversations/{conversation}"),
            &[],
            None,
        )
        .await
        .unwrap();
    let from_api = live["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| id(&p["id"]))
        .collect();
    let stored = mirror
        .get(ObjectKind::Conversation, conversation)
        .await
        .unwrap()
        .unwrap();
    let from_mirror = stored.raw["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| id(&p["id"]))
        .collect();
    (from_api, from_mirror)
}

async fn sync_kinds(mirror: &Mirror, api: &Client) -> (KindReport, KindReport) {
    let report = support::sync(mirror, api).await;
    let find = |kind: &str| {
        report
            .kinds
            .iter()
            .find(|k| k.kind == kind)
            .unwrap()
            .clone()
    };
    (find("conversations"), find("contacts"))
}

#[tokio::test]
async fn full_then_incremental_sync_matches_the_sandbox() {
    let sandbox = support::sandbox(Scale::Tiny, SandboxConfig::default()).await;
    let api = api_client(&sandbox);
    let (_dir, mirror) = support::temp_mirror();

    let first = sync_kinds(&mirror, &api).await;
    assert_eq!(first.0.mode, "backfill");

    let conversations = api_ids(&api, Method::GET, "/conversations", "conversations").await;
    assert!(!conversations.is_empty());
    assert_eq!(mirror_ids(&mirror, "conversations"), conversations);
    assert_eq!(
        mirror_ids(&mirror, "contacts"),
        api_ids(&api, Method::GET, "/contacts", "data").await
    );
    assert_eq!(
        mirror_ids(&mirror, "tickets"),
        api_ids(&api, Method::POST, "/tickets/search", "tickets").await
    );
    let admins = api
        .send_json(Method::GET, "/admins", &[], None)
        .await
        .unwrap();
    assert_eq!(
        mirror_ids(&mirror, "admins").len(),
        admins["admins"].as_array().unwrap().len()
    );
    let companies = api
        .send_json(Method::GET, "/companies", &[("per_page", "60")], None)
        .await
        .unwrap();
    assert_eq!(
        mirror_ids(&mirror, "companies").len() as u64,
        companies["total_count"].as_u64().unwrap()
    );
    for conversation in conversations.iter().take(10) {
        let (from_api, from_mirror) = part_ids(&api, &mirror, conversation).await;
        assert_eq!(
            from_api, from_mirror,
            "parts of conversation {conversation}"
        );
    }

    // Changes made through the API after the backfill.
    let target = conversations.iter().next().unwrap().clone();
    admin_reply(
        &api,
        &target,
        "comment",
        "<p>The zanzibar shipment left the warehouse</p>",
    )
    .await;
    let created = api
        .send_json(
            Method::POST,
            "/contacts",
            &[],
            Some(json!({"role": "user", "email": "new.person@example.com"})),
        )
        .await
        .unwrap();

    let second = sync_kinds(&mirror, &api).await;
    assert_eq!(second.0.mode, "incremental");
    assert!(second.0.changed >= 1);
    assert!(
        second.0.requests < first.0.requests,
        "incremental must not refetch everything ({} vs {})",
        second.0.requests,
        first.0.requests
    );
    assert!(second.1.changed >= 1);
    let (from_api, from_mirror) = part_ids(&api, &mirror, &target).await;
    assert_eq!(from_api, from_mirror);
    assert_eq!(
        mirror.search_text("zanzibar shipment", 5).await.unwrap(),
        vec![target.clone()]
    );
    let contact = mirror
        .get(ObjectKind::Contact, &id(&created["id"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.raw["email"], "new.person@example.com");

    let events = mirror
        .recent_events(EventQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.topic == "conversation.updated" && e.object_id.as_deref() == Some(&target))
    );
    assert!(events.iter().any(|e| e.topic == "contact.created"));

    // A third run with nothing new changes nothing and logs nothing.
    let third = sync_kinds(&mirror, &api).await;
    assert_eq!(third.0.changed, 0);
    let again = mirror
        .recent_events(EventQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(again.len(), events.len());
}
