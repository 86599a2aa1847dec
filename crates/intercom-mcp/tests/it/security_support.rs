//! The real binary as a subprocess, over stdio and over Streamable HTTP, with
//! everything it printed kept so tests can inspect it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The binary with a clean environment (no token or settings from the shell).
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_intercom-mcp"));
    for var in [
        "INTERCOM_ACCESS_TOKEN",
        "INTERCOM_REGION",
        "INTERCOM_API_BASE",
        "INTERCOM_MCP_TOOLSETS",
        "INTERCOM_MCP_TOOLS",
        "INTERCOM_MCP_READ_ONLY",
        "INTERCOM_MCP_AUTH_TOKEN",
        "INTERCOM_MCP_PORT",
        "INTERCOM_MCP_HOST",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("INTERCOM_MCP_LOG", "warn");
    cmd
}

pub fn initialize(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "security-test", "version": "1"}}})
}

pub fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

pub fn call(id: i64, tool: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}})
}

pub fn list(id: i64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"})
}

/// Collects a pipe's bytes on a thread so the child never blocks on a full pipe.
fn drain(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let sink = Arc::new(Mutex::new(Vec::new()));
    let out = sink.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    sink
}

/// `intercom-mcp serve` over stdio.
pub struct StdioServer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every stdout line so far.
    pub stdout: Vec<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl StdioServer {
    pub fn spawn(mut cmd: Command) -> StdioServer {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let stderr = drain(child.stderr.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        StdioServer {
            child,
            stdin,
            lines,
            stdout: Vec::new(),
            stderr,
        }
    }

    /// Starts and completes the MCP handshake.
    pub fn start(cmd: Command) -> StdioServer {
        let mut server = Self::spawn(cmd);
        server.send(&initialize(0));
        let init = server.response(0).expect("initialize answered");
        assert_eq!(init["result"]["serverInfo"]["name"], "intercom-mcp");
        server.send(&initialized());
        server
    }

    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        // A write error means the server went away; the next read reports it.
        let _ = stdin.write_all(line.as_bytes());
        let _ = stdin.write_all(b"\n");
        let _ = stdin.flush();
    }

    pub fn send(&mut self, message: &Value) {
        self.send_raw(&message.to_string());
    }

    /// The next message whose id is `id`, within 30 s.
    pub fn response(&mut self, id: i64) -> Option<Value> {
        self.next_matching(|v| v["id"] == id)
    }

    /// The next message without an id match requirement (e.g. a parse error with id null).
    pub fn next_matching(&mut self, mut wanted: impl FnMut(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let line = self.lines.recv_timeout(left).ok()?;
            self.stdout.push(line.clone());
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("non-JSON on stdout ({e}): {line}"));
            if wanted(&v) {
                return Some(v);
            }
        }
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Closes stdin and waits for a clean exit; returns everything printed.
    pub fn finish(mut self) -> String {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.is_running() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.stdout.push(line);
        }
        format!("{}\n{}", self.stdout.join("\n"), self.stderr())
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `intercom-mcp serve --transport http --port 0`, its address read from stderr.
pub struct HttpServer {
    child: Child,
    pub base: String,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    pub http: reqwest::Client,
    pub bearer: Option<String>,
}

impl HttpServer {
    pub fn start(mut cmd: Command) -> HttpServer {
        let mut child = cmd
            .args(["--transport", "http", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let stdout = drain(child.stdout.take().unwrap());
        let stderr = drain(child.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            let text = String::from_utf8_lossy(&stderr.lock().unwrap()).into_owned();
            if let Some(rest) = text.split("listening on ").nth(1) {
                let url: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                break url;
            }
            if Instant::now() > deadline || !matches!(child.try_wait(), Ok(None)) {
                panic!("HTTP server did not start: {text}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        HttpServer {
            child,
            base,
            stdout,
            stderr,
            http: reqwest::Client::new(),
            bearer: None,
        }
    }

    pub fn post(&self, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .post(format!("{}/mcp", self.base))
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(b) = &self.bearer {
            req = req.bearer_auth(b);
        }
        req
    }

    /// initialize + initialized; returns the session id.
    pub async fn session(&self) -> String {
        let resp = self.post(initialize(1).to_string()).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let session = resp.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let _ = resp.text().await;
        let resp = self
            .post(initialized().to_string())
            .header("mcp-session-id", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
        session
    }

    /// Sends a raw body in a session: the HTTP status and the body text.
    pub async fn send_raw(&self, session: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
        let resp = self
            .post(body)
            .header("mcp-session-id", session)
            .send()
            .await
            .expect("server answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the server; returns everything it printed.
    pub fn finish(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&self.stdout.lock().unwrap()),
            String::from_utf8_lossy(&self.stderr.lock().unwrap())
        )
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The JSON-RPC messages in a JSON or SSE response body.
pub fn messages(body: &str) -> Vec<Value> {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        return vec![v];
    }
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .collect()
}

/// True for a JSON-RPC error or a tool result flagged `isError`.
pub fn is_rejection(v: &Value) -> bool {
    v.get("error")
        .is_some_and(|e| e["code"].is_i64() && e["message"].is_string())
        || v["result"]["isError"] == true
}
