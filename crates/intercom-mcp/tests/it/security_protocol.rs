//! Malformed MCP traffic over stdio and HTTP: every message gets a JSON-RPC
//! error or an `isError` tool result, and the server stays up.

use crate::security_support;

use security_support::{HttpServer, StdioServer, bin, call, is_rejection, list, messages};
use serde_json::{Value, json};

/// (label, raw message, the id it carries if the server can read one).
fn corpus() -> Vec<(&'static str, String, Option<i64>)> {
    let huge = "x".repeat(1024 * 1024);
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_args = format!(
        r#"{{"jsonrpc":"2.0","id":40,"method":"tools/call","params":{{"name":"list_teams","arguments":{{"a":{deep}}}}}}}"#
    );
    vec![
        ("not json", "{not json".into(), None),
        ("truncated", r#"{"jsonrpc":"2.0","id":11,"method":"tools/li"#.into(), None),
        ("empty batch", "[]".into(), None),
        ("wrong jsonrpc version", json!({"jsonrpc": "1.0", "id": 12, "method": "tools/list"}).to_string(), Some(12)),
        ("unknown method", json!({"jsonrpc": "2.0", "id": 13, "method": "no/such/method"}).to_string(), Some(13)),
        ("call without params", json!({"jsonrpc": "2.0", "id": 14, "method": "tools/call"}).to_string(), Some(14)),
        ("tool name a number", json!({"jsonrpc": "2.0", "id": 15, "method": "tools/call", "params": {"name": 7}}).to_string(), Some(15)),
        ("arguments a string", json!({"jsonrpc": "2.0", "id": 16, "method": "tools/call", "params": {"name": "list_teams", "arguments": "all"}}).to_string(), Some(16)),
        ("unknown tool", call(17, "no_such_tool", json!({})).to_string(), Some(17)),
        ("id an array", call(18, "get_contact", json!({"id": [1, 2, 3]})).to_string(), Some(18)),
        ("query a number", call(19, "search_contacts", json!({"query": 42})).to_string(), Some(19)),
        ("body an object", call(20, "create_conversation", json!({"contact_id": "1", "body": {"x": 1}})).to_string(), Some(20)),
        ("missing required", call(21, "get_conversation", json!({})).to_string(), Some(21)),
        ("huge string", call(22, "search_contacts", json!({"query": huge})).to_string(), Some(22)),
        ("huge id", call(23, "get_contact", json!({"id": huge})).to_string(), Some(23)),
        ("nul and control chars", call(24, "search_conversations", json!({"query": "\u{0}\u{1b}[31m\u{202e}"})).to_string(), Some(24)),
        // Too deep to parse (serde_json stops at 128 levels), so the id is unknowable.
        ("deep nesting in arguments", deep_args, None),
        ("deep nesting bare", deep, None),
    ]
}

fn sandbox_serve() -> std::process::Command {
    let mut cmd = bin();
    cmd.args(["serve", "--sandbox", "--sandbox-scale", "tiny"]);
    cmd
}

/// A working `tools/list` after the corpus proves the server stayed up.
fn assert_tools_listed(v: &Value) {
    assert!(
        v["result"]["tools"]
            .as_array()
            .is_some_and(|t| t.len() > 10),
        "tools/list after the corpus: {v}"
    );
}

#[test]
fn malformed_messages_over_stdio_are_rejected_and_the_server_stays_up() {
    let mut server = StdioServer::start(sandbox_serve());
    for (label, raw, id) in corpus() {
        // A line that is not JSON at all gets a parse error (id null), never silence.
        let unparseable = serde_json::from_str::<Value>(&raw).is_err();
        server.send_raw(&raw);
        // A probe after each message: its answer proves the server is still reading.
        let probe = 1000 + id.unwrap_or(0);
        server.send(&list(probe));
        let mut answer = None;
        let mut probe_seen = false;
        let alive = server.next_matching(|v| {
            if id.is_some_and(|id| v["id"] == id) || (v["id"].is_null() && v.get("error").is_some())
            {
                answer = Some(v.clone());
            }
            probe_seen |= v["id"] == probe;
            probe_seen && (answer.is_some() || (id.is_none() && !unparseable))
        });
        assert!(alive.is_some(), "{label}: the server stopped answering");
        assert!(server.is_running(), "{label}: the server exited");
        match (id, answer) {
            (Some(_), Some(v)) => assert!(is_rejection(&v), "{label}: not rejected: {v}"),
            (Some(_), None) => panic!("{label}: no answer"),
            (None, Some(v)) => {
                assert!(is_rejection(&v), "{label}: {v}");
                if unparseable {
                    assert_eq!(v["error"]["code"], -32700, "{label}: {v}");
                    assert!(v["id"].is_null(), "{label}: {v}");
                    let message = v["error"]["message"].as_str().unwrap_or_default();
                    assert!(message.starts_with("Parse error: "), "{label}: {v}");
                }
            }
            (None, None) => assert!(!unparseable, "{label}: no parse error"),
        }
    }
    server.send(&list(9999));
    assert_tools_listed(&server.response(9999).expect("final tools/list"));
    let printed = server.finish();
    assert!(
        !printed.contains("panicked"),
        "a panic was printed: {printed}"
    );
}

#[tokio::test]
async fn malformed_messages_over_http_are_rejected_and_the_server_stays_up() {
    let mut server = HttpServer::start(sandbox_serve());
    let session = server.session().await;
    for (label, raw, id) in corpus() {
        let (status, body) = server.send_raw(&session, raw).await;
        let replies = messages(&body);
        match status {
            // A JSON-RPC answer: it must be an error or an isError result for this id.
            200 => {
                let reply = replies
                    .iter()
                    .find(|v| id.is_none_or(|id| v["id"] == id) && is_rejection(v));
                assert!(reply.is_some(), "{label}: 200 without a rejection: {body}");
            }
            // Refused at the HTTP layer (bad JSON, wrong shape, too large): a client error.
            400..=499 => {}
            other => panic!("{label}: unexpected status {other}: {body}"),
        }
        assert!(server.is_running(), "{label}: the server exited");
    }
    let (status, body) = server.send_raw(&session, list(9999).to_string()).await;
    assert_eq!(status, 200);
    let reply = messages(&body).into_iter().find(|v| v["id"] == 9999);
    assert_tools_listed(&reply.expect("final tools/list"));
    let printed = server.finish();
    assert!(
        !printed.contains("panicked"),
        "a panic was printed: {printed}"
    );
}
