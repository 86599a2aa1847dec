//! A scripted HTTP server on 127.0.0.1:0 for the client tests: every request is recorded and
//! answered by a closure that sees the request and its index.

#![allow(dead_code)] // each test binary uses a different subset

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use intercom_api::{Client, ClientConfig, RetryPolicy};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The token every test uses; tests assert it never shows up in output.
pub const TOKEN: &str = "dG9rOmFiY2RlZi1TRUNSRVQtMTIzNDU2";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn query_param(&self, key: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

pub struct Server {
    pub base: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn request(&self, i: usize) -> Recorded {
        self.requests.lock().unwrap()[i].clone()
    }
}

/// Starts a server answering every request with `script(request, index)`.
pub async fn scripted<F, Fut>(script: F) -> Server
where
    F: Fn(Recorded, usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
    let log = requests.clone();
    let app = Router::new().fallback(move |req: Request| {
        let log = log.clone();
        let script = script.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let rec = Recorded {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().map(str::to_owned),
                headers: parts.headers,
                body,
            };
            let index = {
                let mut l = log.lock().unwrap();
                l.push(rec.clone());
                l.len() - 1
            };
            script(rec, index).await
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server {
        base: format!("http://{addr}"),
        requests,
    }
}

/// A JSON answer with extra headers.
pub fn reply(status: u16, body: Value, headers: &[(&str, String)]) -> Response {
    let mut resp = (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    for (k, v) in headers {
        resp.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    resp
}

pub fn ok(body: Value) -> Response {
    reply(200, body, &[])
}

/// Intercom's error body.
pub fn error_body(code: &str, message: &str) -> Value {
    serde_json::json!({
        "type": "error.list",
        "request_id": "req-0001",
        "errors": [{"code": code, "message": message}]
    })
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn rate_headers(limit: u64, remaining: u64, reset: u64) -> Vec<(&'static str, String)> {
    vec![
        ("X-RateLimit-Limit", limit.to_string()),
        ("X-RateLimit-Remaining", remaining.to_string()),
        ("X-RateLimit-Reset", reset.to_string()),
    ]
}

/// A fast retry policy for tests.
pub fn fast_retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(80),
        max_elapsed: Duration::from_secs(20),
        max_rate_limit_wait: Duration::from_secs(5),
    }
}

/// What an application does at startup: choose the TLS crypto provider.
pub fn install_crypto_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

pub fn client_with(base: &str, retry: RetryPolicy, request_timeout: Duration) -> Client {
    install_crypto_provider();
    let config = ClientConfig::builder(TOKEN)
        .base_url(base)
        .retry_policy(retry)
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(request_timeout)
        .build()
        .unwrap();
    Client::new(config).unwrap()
}

pub fn client(base: &str) -> Client {
    client_with(base, fast_retry(4), Duration::from_secs(5))
}

/// A raw TCP server that reads each whole request, counts it, then resets the connection
/// without answering: the request reached the server, the client gets no response.
pub async fn resetting_server() -> (String, Arc<Mutex<usize>>) {
    let hits: Arc<Mutex<usize>> = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if request_complete(&buf) {
                        break;
                    }
                }
                *counter.lock().unwrap() += 1;
                let _ = sock.set_zero_linger();
                let _ = sock.flush().await;
                drop(sock); // RST: nothing answered
            });
        }
    });
    (format!("http://{addr}"), hits)
}

fn request_complete(buf: &[u8]) -> bool {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    buf.len() >= end + 4 + len
}

/// An id for a test call (panics on an invalid one, which is a bug in the test).
pub fn id(raw: impl AsRef<str>) -> intercom_api::Id {
    intercom_api::Id::new(raw).expect("a valid test id")
}
