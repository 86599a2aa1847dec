//! Sync against the sandbox over HTTP: after a full and an incremental run the
//! mirror holds exactly what the sandbox API returns.

use std::collections::BTreeSet;
use std::sync::Arc;

use intercom_api::{Client, ClientConfig, Method};
use intercom_mcp::mirror::sync::{ApiSource, SyncOptions, Syncer};
use intercom_mcp::mirror::*;
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

fn api_client(sandbox: &Sandbox) -> Client {
    Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn id(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every id of a cursor-paginated list or search, read through the API.
async fn api_ids(api: &Client, method: Method, path: &str, key: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = if method == Method::POST {
            let mut pagination = json!({"per_page": 150});
            if let Some(c) = &cursor {
                pagination["starting_after"] = json!(c);
            }
            let body = json!({"query": {"field": "updated_at", "operator": ">", "value": -1}, "pagination": pagination});
            api.send_json(Method::POST, path, &[], Some(body))
                .await
                .unwrap()
        } else {
            let mut query = vec![("per_page", "150".to_string())];
            if let Some(c) = &cursor {
                query.push(("starting_after", c.clone()));
            }
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            api.send_json(Method::GET, path, &query, None)
                .await
                .unwrap()
        };
        ids.extend(page[key].as_array().unwrap().iter().map(|o| id(&o["id"])));
        cursor = page
            .pointer("/pages/next/starting_after")
            .and_then(Value::as_str)
            .map(str::to_string);
        if cursor.is_none() {
            return ids;
        }
    }
}

fn mirror_ids(mirror: &Mirror, table: &str) -> BTreeSet<String> {
    mirror
        .sqlite()
        .unwrap()
        .read(|c| {
            let mut stmt = c.prepare(&format!("SELECT id FROM {table}"))?;
            stmt.query_map([], |r| r.get::<_, String>(0))?.collect()
        })
        .unwrap()
}

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

async fn sync(mirror: &Mirror, api: &Client) -> SyncReportSummary {
    let report = Syncer::new(
        mirror.clone(),
        Arc::new(ApiSource::new(api.clone())),
        SyncOptions::default(),
    )
    .run()
    .await
    .unwrap();
    let find = |kind: &str| {
        report
            .kinds
            .iter()
            .find(|k| k.kind == kind)
            .unwrap()
            .clone()
    };
    SyncReportSummary {
        conversations: find("conversations"),
        contacts: find("contacts"),
    }
}

struct SyncReportSummary {
    conversations: intercom_mcp::mirror::sync::KindReport,
    contacts: intercom_mcp::mirror::sync::KindReport,
}

#[tokio::test]
async fn full_then_incremental_sync_matches_the_sandbox() {
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let api = api_client(&sandbox);
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();

    let first = sync(&mirror, &api).await;
    assert_eq!(first.conversations.mode, "backfill");

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
    let me = api.send_json(Method::GET, "/me", &[], None).await.unwrap();
    api.send_json(
        Method::POST,
        &format!("/conversations/{target}/reply"),
        &[],
        Some(
            json!({"message_type": "comment", "type": "admin", "admin_id": id(&me["id"]),
                    "body": "<p>The zanzibar shipment left the warehouse</p>"}),
        ),
    )
    .await
    .unwrap();
    let created = api
        .send_json(
            Method::POST,
            "/contacts",
            &[],
            Some(json!({"role": "user", "email": "new.person@example.com"})),
        )
        .await
        .unwrap();

    let second = sync(&mirror, &api).await;
    assert_eq!(second.conversations.mode, "incremental");
    assert!(second.conversations.changed >= 1);
    assert!(
        second.conversations.requests < first.conversations.requests,
        "incremental must not refetch everything ({} vs {})",
        second.conversations.requests,
        first.conversations.requests
    );
    assert!(second.contacts.changed >= 1);
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
    let third = sync(&mirror, &api).await;
    assert_eq!(third.conversations.changed, 0);
    let again = mirror
        .recent_events(EventQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(again.len(), events.len());
}
