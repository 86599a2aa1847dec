//! Dynamic toolsets: a session starts with the core tools plus list_toolsets/enable_toolset,
//! enabling a toolset adds its tools to that session only and sends tools/list_changed; tools
//! that cannot run (real time without the mirror, automations without rules) are not listed.

use crate::common;

use std::collections::BTreeSet;
use std::time::Duration;

use intercom_mcp_server::server::IntercomServer;
use intercom_mcp_server::toolsets::{CORE, Selection};
use intercom_sandbox::{Sandbox, SandboxConfig};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// A client that records tools/list_changed notifications.
#[derive(Clone)]
struct ListWatcher(mpsc::UnboundedSender<()>);

impl ClientHandler for ListWatcher {
    async fn on_tool_list_changed(&self, _: NotificationContext<RoleClient>) {
        let _ = self.0.send(());
    }
}

struct Session {
    client: RunningService<RoleClient, ListWatcher>,
    changes: mpsc::UnboundedReceiver<()>,
}

async fn connect(server: IntercomServer) -> Session {
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let (tx, changes) = mpsc::unbounded_channel();
    let client = ListWatcher(tx).serve(client_io).await.unwrap();
    Session { client, changes }
}

impl Session {
    async fn names(&self) -> BTreeSet<String> {
        self.client
            .peer()
            .list_all_tools()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect()
    }

    async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let Value::Object(args) = args else { panic!() };
        self.client
            .peer()
            .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args))
            .await
            .unwrap()
    }
}

fn dynamic() -> Selection {
    Selection {
        dynamic: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_session_starts_small_and_enables_toolsets_for_itself() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let server = common::server_for(&sandbox.base_url(), sandbox.token(), dynamic());
    let mut a = connect(server.new_session()).await;
    let b = connect(server.new_session()).await;

    let caps = a.client.peer().peer_info().unwrap().capabilities.clone();
    assert_eq!(
        caps.tools.and_then(|t| t.list_changed),
        Some(true),
        "dynamic mode announces tools.listChanged"
    );
    let mut expected: BTreeSet<String> = CORE.iter().map(|s| s.to_string()).collect();
    expected.extend(["list_toolsets".to_string(), "enable_toolset".to_string()]);
    assert_eq!(a.names().await, expected);

    // list_toolsets: every toolset that can run here, none enabled, none that cannot run.
    let listed = a.call("list_toolsets", json!({})).await;
    let rows = listed.structured_content.unwrap()["toolsets"].clone();
    let names: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"tickets") && names.contains(&"bulk"),
        "{rows}"
    );
    assert!(
        !names.contains(&"realtime") && !names.contains(&"automations"),
        "no mirror and no rules file here: {rows}"
    );
    let tickets_row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "tickets")
        .unwrap();
    assert_eq!(tickets_row["enabled"], false);
    let ticket_tools: BTreeSet<String> = tickets_row["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert!(ticket_tools.contains("create_ticket"), "{tickets_row}");

    // Enabling adds exactly the toolset's tools, tells the client, and lists them.
    let enabled = a
        .call("enable_toolset", json!({"toolset": "tickets"}))
        .await;
    assert_ne!(enabled.is_error, Some(true), "{enabled:?}");
    let out = enabled.structured_content.clone().unwrap();
    let added: BTreeSet<String> = out["added_tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        added,
        ticket_tools.difference(&expected).cloned().collect(),
        "{out}"
    );
    // The answer names each added tool with its arguments (required ones starred).
    let text = common::text(&enabled);
    for name in &added {
        assert!(
            text.contains(&format!("- {name}(")),
            "{name} missing: {text}"
        );
    }
    let create = text
        .lines()
        .find(|l| l.starts_with("- create_ticket("))
        .unwrap();
    assert!(
        create.contains("type*") && create.contains("contact*") && create.contains("title*"),
        "{create}"
    );
    tokio::time::timeout(Duration::from_secs(10), a.changes.recv())
        .await
        .expect("tools/list_changed arrives")
        .unwrap();
    let now = a.names().await;
    assert!(ticket_tools.is_subset(&now), "{now:?}");
    assert_eq!(now.len(), expected.union(&ticket_tools).count());

    // An enabled tool runs, against the workspace behind the server.
    let types = a.call("list_ticket_types", json!({})).await;
    assert_ne!(types.is_error, Some(true), "{types:?}");

    // Enabling again adds nothing.
    let again = a
        .call("enable_toolset", json!({"toolset": "tickets"}))
        .await;
    assert_eq!(again.structured_content.unwrap()["added_tools"], json!([]));

    // The other session did not change.
    assert_eq!(b.names().await, expected);

    // A tool the session has not listed still runs when called by name (for clients that do
    // not re-read the list), and answers from the workspace.
    let teams = b.call("list_teams", json!({})).await;
    assert_ne!(teams.is_error, Some(true), "{teams:?}");
    let api = intercom_api::Client::new(
        intercom_api::ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let real = api
        .send_json(intercom_api::Method::GET, "/teams", &[], None)
        .await
        .unwrap();
    let text = common::text(&teams);
    for team in real["teams"].as_array().unwrap() {
        let name = team["name"].as_str().unwrap();
        assert!(text.contains(name), "list_teams lacks {name}: {text}");
    }

    // Unknown toolsets and toolsets that cannot run are errors naming what exists.
    for bad in ["nope", "realtime"] {
        let err = a.call("enable_toolset", json!({"toolset": bad})).await;
        assert_eq!(err.is_error, Some(true), "{bad}");
        let text = common::text(&err);
        assert!(text.contains(bad) && text.contains("tickets"), "{text}");
    }

    // `all` lists everything that can run here.
    let all = a.call("enable_toolset", json!({"toolset": "all"})).await;
    assert_ne!(all.is_error, Some(true));
    let everything: BTreeSet<String> = server
        .catalogue()
        .iter()
        .filter(|e| server.can_run(e.toolset))
        .map(|e| e.tool.name.to_string())
        .chain(["list_toolsets".to_string(), "enable_toolset".to_string()])
        .collect();
    assert_eq!(a.names().await, everything);
    assert!(!everything.contains("recent_events"));
}

#[tokio::test]
async fn static_lists_hide_tools_that_cannot_run_and_show_them_when_they_can() {
    let server = common::server_for("http://127.0.0.1:9", "unused", common::all_tools());
    let plain = connect(server.new_session()).await;
    let names = plain.names().await;
    assert!(names.contains("search_conversations"));
    for hidden in ["recent_events", "sync_status", "list_automations"] {
        assert!(
            !names.contains(hidden),
            "{hidden} listed without what it needs"
        );
    }
    assert!(
        !names.contains("enable_toolset"),
        "static mode has no toolset tools"
    );

    let dir = tempfile::tempdir().unwrap();
    let mirror = intercom_mirror::Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    let realtime = intercom_mcp_server::live::Realtime::start(mirror, None);
    let live = common::server_for("http://127.0.0.1:9", "unused", common::all_tools())
        .with_realtime(realtime);
    let names = connect(live).await.names().await;
    assert!(names.contains("recent_events") && names.contains("sync_status"));
    assert!(!names.contains("list_automations"));
}
