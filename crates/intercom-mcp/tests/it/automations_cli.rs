//! `intercom-mcp automations check|list|test|log` and `serve --automations`, run as the real binary.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use intercom_automations::{Event, RunLog, RunStatus, SqliteRunLog};
use intercom_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_intercom-mcp");

async fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .env_remove("INTERCOM_MCP_AUTOMATIONS")
        .env_remove("INTERCOM_ACCESS_TOKEN")
        .env_remove("INTERCOM_MCP_STORE")
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("the command finished in time")
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/automations.toml")
        .display()
        .to_string()
}

const BAD: &str = r#"[[rules]]
name = "first"
topics = ["conversation.user.nonsense"]

[[rules]]
name = "second"
topics = ["conversation.user.created"]
conditions = [{ priority = "whenever" }]
actions = [{ snooze = "later" }]
"#;

#[tokio::test]
async fn check_accepts_the_example_and_reports_every_error_with_its_line() {
    let ok = run(
        &["automations", "check", &example()],
        &[("ONCALL_WEBHOOK_SECRET", "s")],
    )
    .await;
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("OK, 6 rules (1 in dry run)"),
        "{}",
        stdout(&ok)
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, BAD).unwrap();
    let out = run(&["automations", "check", bad.to_str().unwrap()], &[]).await;
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let file = bad.display().to_string();
    for (line, needle) in [
        (1, "has no [[rules.actions]]"),
        (3, "unknown topic \"conversation.user.nonsense\""),
        (8, "unknown priority \"whenever\""),
        (9, "positive duration"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains(&format!("{file}:{line}:")) && l.contains(needle)),
            "no {needle:?} at line {line} in:\n{text}"
        );
    }
    assert!(text.contains("4 errors"), "{text}");
}

#[tokio::test]
async fn serve_refuses_to_start_with_an_invalid_rules_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, BAD).unwrap();
    let store = dir.path().join("store.sqlite3");
    let out = run(
        &[
            "serve",
            "--sandbox",
            "--sandbox-scale",
            "tiny",
            "--sync",
            "--store",
            store.to_str().unwrap(),
            "--transport",
            "http",
            "--port",
            "0",
        ],
        &[("INTERCOM_MCP_AUTOMATIONS", bad.to_str().unwrap())],
    )
    .await;
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("not starting"), "{err}");
    assert!(
        err.contains(":3:") && err.contains("unknown topic"),
        "{err}"
    );
    assert!(!err.contains("listening on"), "it must not serve: {err}");

    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[[rules]]\nname = \"a\"\ntopics = [\"ticket.created\"]\nactions = [{ add_tag = \"t\" }]\n",
    )
    .unwrap();
    let out = run(
        &[
            "serve",
            "--sandbox",
            "--sandbox-scale",
            "tiny",
            "--automations",
            good.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("add --sync"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_test_and_log_show_rules_dry_runs_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        r#"[[rules]]
name = "open-ones"
topics = ["conversation.user.replied"]
conditions = [{ state = "open" }]
actions = [{ add_tag = "seen-open" }, { note = "Open: {{conversation.id}}" }]
"#,
    )
    .unwrap();
    let rules = rules.to_str().unwrap().to_string();

    let list = run(&["automations", "list", &rules, "--json"], &[]).await;
    assert!(list.status.success(), "{}", stderr(&list));
    let listed: Value = serde_json::from_str(&stdout(&list)).unwrap();
    assert_eq!(listed[0]["name"], "open-ones");
    assert_eq!(listed[0]["actions"].as_array().unwrap().len(), 2);

    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let api = intercom_api::Client::new(
        intercom_api::ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let page = api
        .send_json(
            intercom_api::Method::GET,
            "/conversations",
            &[("per_page", "5")],
            None,
        )
        .await
        .unwrap();
    let conversation = &page["conversations"][0];
    let id = match &conversation["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let store = dir.path().join("store.sqlite3");
    let store = store.to_str().unwrap();
    let base = sandbox.base_url();
    let test = run(
        &[
            "automations",
            "test",
            &rules,
            "--rule",
            "open-ones",
            "--conversation",
            &id,
            "--api-base",
            &base,
            "--store",
            store,
            "--json",
        ],
        &[("INTERCOM_ACCESS_TOKEN", sandbox.token())],
    )
    .await;
    assert!(test.status.success(), "{}", stderr(&test));
    let report: Value = serde_json::from_str(&stdout(&test)).unwrap();
    assert_eq!(
        report["conditions"][0]["matched"],
        conversation["state"] == "open"
    );
    assert!(
        report["actions"][1]["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("Open: {id}"))
    );
    let after = api
        .send_json(
            intercom_api::Method::GET,
            &format!("/conversations/{id}"),
            &[],
            None,
        )
        .await
        .unwrap();
    assert!(
        !after["tags"].to_string().contains("seen-open"),
        "a test changes nothing"
    );

    // Runs recorded in the store show up in `automations log`, filtered.
    let log = SqliteRunLog::open(Path::new(store)).unwrap();
    for (n, status) in [RunStatus::Applied, RunStatus::Failed, RunStatus::NoMatch]
        .into_iter()
        .enumerate()
    {
        let event = Event {
            id: format!("notif_cli_{n}"),
            topic: "conversation.user.replied".into(),
            created_at: 1,
            item: json!({"id": format!("c{n}")}),
        };
        let run_id = log
            .claim(
                &event,
                Some("conversation"),
                Some(&format!("c{n}")),
                &[("open-ones", false)],
                100 + n as i64,
            )
            .await
            .unwrap()[0]
            .unwrap();
        let error = (status == RunStatus::Failed).then_some("404 not_found: Resource Not Found");
        log.finish(run_id, status, &json!({"actions": []}), error, 200)
            .await
            .unwrap();
    }
    let out = run(
        &["automations", "log", "--store", store, "--status", "failed"],
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("open-ones failed") && text.contains("404 not_found"),
        "{text}"
    );
    assert!(!text.contains("notif_cli_0"), "{text}");
    let out = run(
        &[
            "automations",
            "log",
            "--store",
            store,
            "--object",
            "c2",
            "--json",
        ],
        &[],
    )
    .await;
    let runs: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(runs[0]["status"], "no_match");
    let out = run(
        &["automations", "log", "--store", store, "--status", "bogus"],
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("applied"), "{}", stderr(&out));
}
