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

/// The structured answer of a call that must succeed.
fn answer(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{}", common::text(result));
    result
        .structured_content
        .clone()
        .expect("structured content")
}

#[tokio::test]
async fn aliases_run_the_tool_they_name_and_are_never_listed() {
    use intercom_mcp_server::aliases::ALIASES;

    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let server = common::server_for(&sandbox.base_url(), sandbox.token(), dynamic());
    let a = connect(server.new_session()).await;

    // Never listed: not at the start, not with every toolset enabled, and nothing twice.
    let all = a.call("enable_toolset", json!({"toolset": "all"})).await;
    assert_ne!(all.is_error, Some(true));
    let listed: Vec<String> = a
        .client
        .peer()
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "a tool listed twice: {listed:?}"
    );
    for alias in ALIASES {
        assert!(
            !listed.iter().any(|n| n == alias.name),
            "{} is listed",
            alias.name
        );
        assert!(
            listed.iter().any(|n| n == alias.tool),
            "{} is not listed",
            alias.tool
        );
    }

    // A contact with an email, as the workspace has it.
    let api = intercom_api::Client::new(
        intercom_api::ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let contacts = api
        .send_json(
            intercom_api::Method::GET,
            "/contacts",
            &[("per_page", "50")],
            None,
        )
        .await
        .unwrap();
    let contact = contacts["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"].as_str().is_some_and(|e| !e.is_empty()))
        .unwrap()
        .clone();
    let id = contact["id"].as_str().unwrap().to_string();
    let email = contact["email"].as_str().unwrap().to_string();

    // get_contact (the hosted server's name) is find_contact with an id: the same profile.
    let by_alias = answer(
        &a.call("get_contact", json!({"id": id, "detail": "full"}))
            .await,
    );
    let by_tool = answer(
        &a.call("find_contact", json!({"id": id, "detail": "full"}))
            .await,
    );
    assert_eq!(by_alias, by_tool);
    assert_eq!(by_alias["id"], json!(id));
    assert_eq!(by_alias["email"], json!(email));

    // search_contacts lists (one line per match) even for a full address, as find_contact
    // does with `list: true`; find_contact with the address alone gives the profile.
    let by_alias = answer(&a.call("search_contacts", json!({"email": email})).await);
    let by_tool = answer(
        &a.call("find_contact", json!({"email": email, "list": true}))
            .await,
    );
    assert_eq!(by_alias, by_tool);
    let ids: Vec<&str> = by_alias["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()], "{by_alias}");
    let profile = answer(&a.call("find_contact", json!({"email": email})).await);
    assert_eq!(profile["id"], json!(id), "{profile}");
    assert!(profile.get("contacts").is_none(), "{profile}");

    // The hosted server's search_contacts arguments (filters and paging) answer alike, and
    // the page is what the workspace holds.
    let filters = json!({"role": "user", "limit": 2});
    let by_alias = answer(&a.call("search_contacts", filters.clone()).await);
    let by_tool = answer(&a.call("find_contact", filters).await);
    assert_eq!(by_alias, by_tool);
    let page = by_alias["contacts"].as_array().unwrap();
    assert_eq!(page.len(), 2, "{by_alias}");
    for line in page {
        assert_eq!(line["role"], "user", "{by_alias}");
    }

    // An alias of a tool the server does not have is an unknown tool.
    let narrow = common::server_for(
        &sandbox.base_url(),
        sandbox.token(),
        Selection {
            tools: vec!["whoami".into()],
            ..Default::default()
        },
    );
    let b = connect(narrow.new_session()).await;
    let err = b
        .client
        .peer()
        .call_tool(
            CallToolRequestParams::new("get_contact")
                .with_arguments(json!({"id": id}).as_object().unwrap().clone()),
        )
        .await;
    assert!(err.is_err(), "{err:?}");

    // Naming an alias in --tools selects the tool it names.
    let picked = common::server_for(
        &sandbox.base_url(),
        sandbox.token(),
        Selection {
            tools: vec!["search_contacts".into()],
            ..Default::default()
        },
    );
    let names: Vec<String> = picked
        .catalogue()
        .iter()
        .map(|e| e.tool.name.to_string())
        .collect();
    assert_eq!(names, vec!["find_contact".to_string()]);
}
