//! `serve --sandbox --sync` is live out of the box: the embedded sandbox delivers signed
//! webhooks to the server's mirror, so a write shows up in `recent_events` as a webhook
//! within seconds, long before the periodic sync would catch it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Server {
    fn start(store: &std::path::Path) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_intercom-mcp"));
        for var in [
            "INTERCOM_ACCESS_TOKEN",
            "INTERCOM_API_BASE",
            "INTERCOM_CLIENT_SECRET",
            "INTERCOM_MCP_TOOLS",
            "INTERCOM_MCP_READ_ONLY",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .args(["serve", "--sandbox", "--sandbox-scale", "tiny", "--sync"])
            .arg("--store")
            .arg(store)
            .args(["--toolsets", "all"])
            .env("INTERCOM_MCP_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut server = Server {
            child,
            stdin,
            stdout,
            next_id: 1,
        };
        server.request(
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
        );
        writeln!(
            server.stdin,
            "{}",
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
        )
        .unwrap();
        server
    }

    /// Sends a request and returns its result, skipping notifications in between.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(self.stdin, "{message}").unwrap();
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "server closed stdout"
            );
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    fn tool(&mut self, name: &str, arguments: Value) -> Value {
        let result = self.request("tools/call", json!({"name": name, "arguments": arguments}));
        assert_ne!(result["isError"], true, "{name}: {result}");
        result["structuredContent"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_reply_made_through_the_server_comes_back_as_a_webhook_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&dir.path().join("mirror.sqlite3"));

    let status = server.tool("sync_status", json!({}));
    assert_eq!(status["webhooks_enabled"], true, "{status}");

    let listed = server.tool("search_conversations", json!({"state": "open"}));
    let id = listed["conversations"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no open conversation in {listed}"))
        .to_string();
    let before = server.tool("recent_events", json!({}));
    let cursor = before["next_cursor"].as_str().unwrap().to_string();

    server.tool(
        "reply_to_conversation",
        json!({"id": id, "body": "Checking in on this one.", "message_type": "note"}),
    );

    // The periodic sync runs every few minutes: a webhook event within seconds is the webhook.
    let deadline = Instant::now() + Duration::from_secs(10);
    let event = loop {
        let page = server.tool("recent_events", json!({"cursor": cursor}));
        // The server reads its own write back into the mirror at once (an event via
        // sync); the webhook is Intercom's own word of it, a second event.
        let found = page["events"].as_array().unwrap().iter().find(|e| {
            e["object_id"] == json!(id)
                && e["topic"].as_str().unwrap().starts_with("conversation.")
                && e["source"] == "webhook"
        });
        if let Some(event) = found {
            break event.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no event for conversation {id} within 10 s: {page}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(event["source"], "webhook", "{event}");

    let status = server.tool("sync_status", json!({}));
    assert!(!status["last_webhook_at"].is_null(), "{status}");
}
