//! Helpers shared by the real-time tests (mirror, sync, webhooks, live updates).
#![allow(dead_code)]

use std::sync::Arc;

use std::collections::BTreeSet;

use intercom_api::{Client, ClientConfig, Method};
use intercom_mirror::Mirror;
use intercom_mirror::sync::{ApiSource, SyncOptions, SyncReport, Syncer};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

/// A sandbox of `scale`, configured further by `config`.
pub async fn sandbox(scale: Scale, config: SandboxConfig) -> Sandbox {
    Sandbox::start(SandboxConfig { scale, ..config })
        .await
        .expect("sandbox starts")
}

/// An API client pointed at the sandbox, to read back its state.
pub fn api_client(sandbox: &Sandbox) -> Client {
    Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// A mirror in a fresh temporary directory (kept alive by the returned guard).
pub fn temp_mirror() -> (tempfile::TempDir, Mirror) {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("mirror.sqlite3")).unwrap();
    (dir, mirror)
}

/// One sync run of every kind from the API into the mirror.
pub async fn sync(mirror: &Mirror, api: &Client) -> SyncReport {
    Syncer::new(
        mirror.clone(),
        Arc::new(ApiSource::new(api.clone())),
        SyncOptions::default(),
    )
    .run()
    .await
    .unwrap()
}

/// Intercom sends some ids as numbers and some as strings.
pub fn id(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// The first `n` conversation ids the API lists.
pub async fn some_conversations(api: &Client, n: usize) -> Vec<String> {
    let per_page = n.to_string();
    let page = api
        .send_json(
            Method::GET,
            "/conversations",
            &[("per_page", &per_page)],
            None,
        )
        .await
        .unwrap();
    page["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id(&c["id"]))
        .collect()
}

/// Reply to a conversation as the token's admin (`message_type`: comment or note).
pub async fn admin_reply(api: &Client, conversation: &str, message_type: &str, body: &str) {
    let me = api.send_json(Method::GET, "/me", &[], None).await.unwrap();
    api.send_json(
        Method::POST,
        &format!("/conversations/{conversation}/reply"),
        &[],
        Some(json!({"message_type": message_type, "type": "admin", "admin_id": id(&me["id"]), "body": body})),
    )
    .await
    .unwrap();
}

/// Ids of every row of a mirror table.
pub fn mirror_ids(mirror: &Mirror, table: &str) -> BTreeSet<String> {
    mirror
        .sqlite()
        .unwrap()
        .read(|c| {
            let mut stmt = c.prepare(&format!("SELECT id FROM {table}"))?;
            stmt.query_map([], |r| r.get::<_, String>(0))?.collect()
        })
        .unwrap()
}

/// Every id of a cursor-paginated list or search, read through the API.
pub async fn api_ids(api: &Client, method: Method, path: &str, key: &str) -> BTreeSet<String> {
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
