//! The binary as users and scripts run it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Every `INTERCOM_*` variable of the shell that runs the tests (tokens and server settings),
/// so a setting there cannot leak into a test.
fn intercom_settings_in_env() -> Vec<std::ffi::OsString> {
    std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| name.to_string_lossy().starts_with("INTERCOM_"))
        .collect()
}

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_intercom-mcp"));
    // A clean environment: no token or settings from the shell that runs the tests.
    for var in intercom_settings_in_env() {
        cmd.env_remove(var);
    }
    cmd.env("INTERCOM_MCP_LOG", "warn");
    cmd
}

#[test]
fn every_subcommand_has_help() {
    for sub in ["serve", "sandbox", "doctor", "tools", "call"] {
        let out = bin().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub} --help");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage"), "{sub}: {text}");
    }
    let serve = String::from_utf8_lossy(&bin().args(["serve", "--help"]).output().unwrap().stdout)
        .to_string();
    for env in [
        "INTERCOM_ACCESS_TOKEN",
        "INTERCOM_REGION",
        "INTERCOM_API_BASE",
        "INTERCOM_MCP_AUTH_TOKEN",
        "INTERCOM_MCP_TIME_ZONE",
    ] {
        assert!(serve.contains(env), "serve --help names {env}");
    }
}

#[test]
fn tools_json_lists_the_catalogue_and_read_only_filters_it() {
    let out = bin().args(["tools", "--json"]).output().unwrap();
    assert!(out.status.success());
    let tools: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(tools.iter().any(|t| t["name"] == "search_conversations"));
    let out = bin()
        .args(["tools", "--json", "--read-only"])
        .output()
        .unwrap();
    let read_only: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(read_only.len() < tools.len());
    assert!(
        read_only
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == true)
    );
    let out = bin()
        .args(["tools", "--toolsets", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown toolset"));
}

#[test]
fn call_runs_a_tool_against_the_sandbox() {
    let out = bin()
        .args([
            "call",
            "whoami",
            "{}",
            "--sandbox",
            "--sandbox-scale",
            "tiny",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("You are "));
    let out = bin()
        .args([
            "call",
            "get_conversation",
            r#"{"id": "999999999"}"#,
            "--sandbox",
            "--sandbox-scale",
            "tiny",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a tool error exits 1");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["isError"], true);
    let out = bin().args(["call", "whoami", "not json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
}

#[test]
fn doctor_reports_the_workspace_or_an_actionable_error() {
    let out = bin()
        .args(["doctor", "--sandbox", "--sandbox-scale", "tiny"])
        .env("INTERCOM_MCP_WORKDAY_START", "08:30")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        "Workspace:",
        "Admin:",
        "API version: 2.16",
        "Rate limit:",
        "Working day: starts 08:30",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    // Nothing listens on port 9: a transport failure, explained, token hidden.
    let out = bin()
        .args([
            "doctor",
            "--api-base",
            "http://127.0.0.1:9",
            "--access-token",
            "tok-should-not-print",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("127.0.0.1:9") && !err.contains("tok-should-not-print"),
        "{err}"
    );
    let out = bin().args(["doctor"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("INTERCOM_ACCESS_TOKEN"));
}

#[test]
fn stdio_serves_json_rpc_on_stdout_only() {
    let mut child = bin()
        .args(["serve", "--sandbox", "--sandbox-scale", "tiny"])
        .env("INTERCOM_MCP_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "list_teams", "arguments": {}}}),
    ];
    for m in &messages {
        writeln!(stdin, "{m}").unwrap();
    }
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while seen.len() < 3 && Instant::now() < deadline {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        // Every stdout line is a JSON-RPC message: logs (debug level here) go to stderr.
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("non-JSON on stdout ({e}): {line}"));
        assert_eq!(v["jsonrpc"], "2.0");
        seen.push(v);
    }
    assert_eq!(seen[0]["result"]["serverInfo"]["name"], "intercom-mcp");
    assert!(seen[1]["result"]["tools"].as_array().unwrap().len() > 10);
    assert!(seen[2]["result"]["structuredContent"]["teams"].is_array());
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "exits cleanly when stdin closes");
}

/// `intercom-mcp bulk tag --emails a,b` against a sandbox this test runs: the dry run names
/// the people and the unknown address, the run tags exactly them (read back over REST), a
/// second run sends nothing, and emails of other objects are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_tag_by_emails_from_the_command_line() {
    let h = crate::common::Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let contacts: Vec<Value> = h.get("/contacts").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["email"].is_string())
        .take(2)
        .cloned()
        .collect();
    assert_eq!(contacts.len(), 2, "two contacts with an email");
    let emails: Vec<&str> = contacts
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    let ids: Vec<String> = contacts
        .iter()
        .map(|c| crate::common::id_of(&c["id"]))
        .collect();
    let run = |args: Vec<String>| {
        let store = store.clone();
        let base = h.sandbox.base_url();
        let token = h.sandbox.token().to_string();
        async move {
            let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_intercom-mcp"));
            for var in intercom_settings_in_env() {
                cmd.env_remove(var);
            }
            let out = cmd
                .env("INTERCOM_MCP_LOG", "warn")
                .args(["bulk", "tag"])
                .args(&args)
                .args(["--api-base", &base, "--access-token", &token])
                .arg("--store")
                .arg(&store)
                .output()
                .await
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let tagged = async |id: &str| -> bool {
        h.get(&format!("/contacts/{id}/tags")).await["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "cli-emails")
    };
    let base_args = |list: String| -> Vec<String> {
        [
            "--object",
            "contacts",
            "--tag",
            "cli-emails",
            "--emails",
            &list,
        ]
        .map(str::to_string)
        .to_vec()
    };

    // Dry run: both people by name and email, the unknown address skipped, nothing written.
    let mut dry = base_args(format!("{},nobody@nowhere.invalid", emails.join(",")));
    dry.push("--dry-run".into());
    let (ok, out, errs) = run(dry).await;
    assert!(ok, "{out}\n{errs}");
    assert!(
        out.contains("2 target(s), 0 already show the change"),
        "{out}"
    );
    for (email, id) in emails.iter().zip(&ids) {
        assert!(
            out.contains(email) && out.contains(&format!("(id {id})")),
            "{out}"
        );
        assert!(!tagged(id).await);
    }
    assert!(
        out.contains("skipped nobody@nowhere.invalid: no contact has the email"),
        "{out}"
    );
    let tag_exists = async |name: &str| {
        h.get("/tags").await["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == name)
    };
    assert!(!tag_exists("cli-emails").await, "a dry run created the tag");

    // The run tags exactly them.
    let (ok, out, errs) = run(base_args(emails.join(","))).await;
    assert!(ok, "{out}\n{errs}");
    assert!(out.contains("2 changed, 0 already so"), "{out}");
    for id in &ids {
        assert!(tagged(id).await, "contact {id}");
    }
    // Again: both already so, no request sent.
    let before = h.get("/_sandbox/stats").await["writes_applied"].clone();
    let (ok, out, errs) = run(base_args(emails.join(","))).await;
    assert!(ok, "{out}\n{errs}");
    assert!(
        out.contains("0 changed, 2 already so (no request sent)"),
        "{out}"
    );
    assert_eq!(h.get("/_sandbox/stats").await["writes_applied"], before);

    // Emails name contacts only.
    let (ok, _, errs) = run([
        "--object",
        "conversations",
        "--tag",
        "cli-never",
        "--emails",
        emails[0],
    ]
    .map(str::to_string)
    .to_vec())
    .await;
    assert!(!ok);
    assert!(errs.contains("emails only name contacts"), "{errs}");
    assert!(
        !tag_exists("cli-never").await,
        "a refused run created its tag"
    );
}
