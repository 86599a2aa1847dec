//! The `automations` toolset through an in-process MCP client, against the sandbox:
//! list_automations, test_automation (dry run, nothing changes), automation_log.

use crate::common;

use std::sync::Arc;

use intercom_api::{Client, ClientConfig, Method};
use intercom_automations::{Engine, Event, SqliteRunLog, parse_rules};
use intercom_mcp_server::inprocess::InProcessClient;
use intercom_sandbox::{Sandbox, SandboxConfig};
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

const RULES: &str = r#"
[[rules]]
name = "open-and-urgent"
description = "Escalate urgent open conversations"
topics = ["conversation.user.created", "conversation.user.replied"]
secret = "tools-test-secret-value"
conditions = [
  { state = "open" },
  { priority = "urgent" },
]
actions = [
  { add_tag = "escalated" },
  { note = "Escalated: {{conversation.id}}" },
  { post = "http://127.0.0.1:9/escalations" },
]

[[rules]]
name = "tag-contacts"
topics = ["contact.user.created"]
actions = [{ add_tag = "new-user" }]
"#;

struct Setup {
    _dir: tempfile::TempDir,
    _sandbox: Sandbox,
    api: Client,
    engine: Arc<Engine>,
    mcp: InProcessClient,
}

async fn setup(with_engine: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let api = Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let log = Arc::new(SqliteRunLog::open(&dir.path().join("store.sqlite3")).unwrap());
    let rules = parse_rules(RULES, &|_| None).unwrap();
    let engine = Arc::new(Engine::start(rules, log, api.clone()).await.unwrap());
    let mut server = common::server_for(&sandbox.base_url(), sandbox.token(), common::all_tools());
    if with_engine {
        server = server.with_automations(engine.clone());
    }
    let mcp = InProcessClient::connect(server).await.unwrap();
    Setup {
        _dir: dir,
        _sandbox: sandbox,
        api,
        engine,
        mcp,
    }
}

async fn call(s: &Setup, tool: &str, args: Value) -> CallToolResult {
    s.mcp.call(tool, args).await.unwrap()
}

async fn ok(s: &Setup, tool: &str, args: Value) -> (Value, String) {
    let r = call(s, tool, args.clone()).await;
    let text = common::text(&r);
    assert_ne!(r.is_error, Some(true), "{tool} {args}: {text}");
    (r.structured_content.clone().unwrap(), text)
}

async fn err(s: &Setup, tool: &str, args: Value) -> String {
    let r = call(s, tool, args.clone()).await;
    assert_eq!(r.is_error, Some(true), "{tool} {args} should fail");
    common::text(&r)
}

/// The first few conversations of the workspace, in full.
async fn conversations(api: &Client) -> Vec<Value> {
    let page = api
        .send_json(Method::GET, "/conversations", &[("per_page", "20")], None)
        .await
        .unwrap();
    let mut out = Vec::new();
    for c in page["conversations"].as_array().unwrap() {
        let id = common::id_of(&c["id"]);
        out.push(
            api.send_json(Method::GET, &format!("/conversations/{id}"), &[], None)
                .await
                .unwrap(),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_shows_rules_without_secrets() {
    let s = setup(true).await;
    let (value, text) = ok(&s, "list_automations", json!({})).await;
    let rules = value["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["name"], "open-and-urgent");
    assert_eq!(rules[0]["has_secret"], true);
    assert_eq!(rules[0]["conditions"].as_array().unwrap().len(), 2);
    assert_eq!(rules[0]["actions"].as_array().unwrap().len(), 3);
    assert_eq!(rules[1]["topics"], json!(["contact.user.created"]));
    assert!(
        text.contains("open-and-urgent") && text.contains("add tag \"escalated\""),
        "{text}"
    );
    let everything = format!("{value}{text}");
    assert!(
        !everything.contains("tools-test-secret-value"),
        "the secret leaked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_automation_shows_each_condition_and_changes_nothing() {
    let s = setup(true).await;
    let all = conversations(&s.api).await;
    for conversation in all.iter().take(6) {
        let id = common::id_of(&conversation["id"]);
        let (report, text) = ok(
            &s,
            "test_automation",
            json!({"rule": "open-and-urgent", "conversation_id": id}),
        )
        .await;
        let open = conversation["state"] == "open";
        let urgent = conversation["priority"] == "urgent";
        let conditions = report["conditions"].as_array().unwrap();
        assert_eq!(conditions.len(), 2, "every condition is shown: {report}");
        assert_eq!(conditions[0]["matched"], open, "{report}");
        assert_eq!(conditions[1]["matched"], urgent, "{report}");
        assert_eq!(report["matched"], open && urgent);
        let actions = report["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 3);
        assert!(
            actions
                .iter()
                .all(|a| a["summary"].as_str().unwrap().starts_with("would ")),
            "{report}"
        );
        assert!(
            actions[1]["summary"]
                .as_str()
                .unwrap()
                .contains(&format!("Escalated: {id}"))
        );
        assert!(text.contains("line "), "{text}");

        // Read back: the dry run changed nothing.
        let after = s
            .api
            .send_json(Method::GET, &format!("/conversations/{id}"), &[], None)
            .await
            .unwrap();
        assert_eq!(after["tags"], conversation["tags"]);
        assert_eq!(
            after["conversation_parts"]["total_count"],
            conversation["conversation_parts"]["total_count"]
        );
    }
    assert!(
        s.engine
            .log()
            .query(&Default::default())
            .await
            .unwrap()
            .is_empty(),
        "tests are not logged as runs"
    );

    let unknown = err(
        &s,
        "test_automation",
        json!({"rule": "nope", "conversation_id": "1"}),
    )
    .await;
    assert!(unknown.contains("open-and-urgent"), "{unknown}");
    let wrong_kind = err(
        &s,
        "test_automation",
        json!({"rule": "tag-contacts", "conversation_id": "1"}),
    )
    .await;
    assert!(wrong_kind.contains("contact"), "{wrong_kind}");
    let none = err(&s, "test_automation", json!({"rule": "tag-contacts"})).await;
    assert!(none.contains("exactly one"), "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automation_log_filters_by_rule_object_and_outcome() {
    let s = setup(true).await;
    let all = conversations(&s.api).await;
    // Run the rule for real on two conversations via synthetic events (no webhooks here).
    let mut handled = Vec::new();
    for (n, conversation) in all.iter().take(2).enumerate() {
        let id = common::id_of(&conversation["id"]);
        let reports = s
            .engine
            .handle(Event {
                id: format!("notif_tools_{n}"),
                topic: "conversation.user.replied".into(),
                created_at: 1,
                item: conversation.clone(),
            })
            .await;
        assert_eq!(reports.len(), 1);
        handled.push((id, reports[0].status));
    }
    let (all_runs, text) = ok(&s, "automation_log", json!({"rule": "open-and-urgent"})).await;
    assert_eq!(all_runs["runs"].as_array().unwrap().len(), 2, "{all_runs}");
    assert!(text.contains("open-and-urgent"), "{text}");

    let (first, _) = ok(&s, "automation_log", json!({"object_id": handled[0].0})).await;
    let runs = first["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["object_id"], json!(handled[0].0));
    assert_eq!(runs[0]["status"], json!(handled[0].1.as_str()));

    let outcome = handled[1].1.as_str();
    let (by_outcome, _) = ok(&s, "automation_log", json!({"outcome": outcome})).await;
    assert!(
        by_outcome["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == outcome)
    );

    let (paged, _) = ok(&s, "automation_log", json!({"limit": 1})).await;
    assert_eq!(paged["runs"].as_array().unwrap().len(), 1);
    let cursor = paged["next_cursor"].as_str().unwrap().to_string();
    let (older, _) = ok(&s, "automation_log", json!({"limit": 1, "cursor": cursor})).await;
    assert_ne!(older["runs"][0]["seq"], paged["runs"][0]["seq"]);

    let bad = err(&s, "automation_log", json!({"outcome": "exploded"})).await;
    assert!(bad.contains("applied"), "{bad}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_explain_how_to_turn_automations_on() {
    let s = setup(false).await;
    for tool in ["list_automations", "automation_log"] {
        let message = err(&s, tool, json!({})).await;
        assert!(message.contains("--automations"), "{message}");
    }
}
