//! Test harness: a sandbox on an ephemeral port and a small JSON client for it.
#![allow(dead_code)]

use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use reqwest::Method;
use serde_json::Value;

/// A fixed workspace clock so seeded data is the same on every run.
pub const NOW: i64 = 1_764_150_000;

pub struct Harness {
    pub sandbox: Sandbox,
    pub client: reqwest::Client,
}

/// One answered request.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    /// The first error code of an `error.list` body.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn tiny() -> SandboxConfig {
    SandboxConfig {
        scale: Scale::Tiny,
        now: Some(NOW),
        ..SandboxConfig::default()
    }
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client")
}

impl Harness {
    pub async fn start() -> Harness {
        Self::with(tiny()).await
    }

    pub async fn with(config: SandboxConfig) -> Harness {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        Harness {
            sandbox,
            client: client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path)
    }

    /// Sends a request with the sandbox token and `Intercom-Version: 2.16`.
    pub async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Result<Resp> {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(self.sandbox.token())
            .header("Intercom-Version", "2.16");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.try_call(method.clone(), path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path} failed: {e}"))
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, None).await
    }

    pub async fn delete_with(&self, path: &str, body: Value) -> Resp {
        self.call(Method::DELETE, path, Some(body)).await
    }

    /// Expects 200 and returns the body.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let resp = self.call(method.clone(), path, body).await;
        assert_eq!(resp.status, 200, "{method} {path}: {}", resp.body);
        resp.body
    }

    /// One page of up to 150 search results.
    pub async fn search(&self, path: &str, query: Value) -> Value {
        self.ok(
            Method::POST,
            path,
            Some(serde_json::json!({"query": query, "pagination": {"per_page": 150}})),
        )
        .await
    }

    /// The id of the first admin.
    pub async fn admin_id(&self) -> String {
        let admins = self.ok(Method::GET, "/admins", None).await;
        admins["admins"][0]["id"].as_str().unwrap().to_string()
    }

    /// Creates a user contact and returns its id.
    pub async fn new_contact(&self, email: &str) -> String {
        let contact = self
            .ok(
                Method::POST,
                "/contacts",
                Some(serde_json::json!({"email": email, "name": email.split('@').next().unwrap()})),
            )
            .await;
        contact["id"].as_str().unwrap().to_string()
    }

    /// Starts a conversation from a new contact; returns (conversation id, contact id).
    pub async fn new_conversation(&self, email: &str, text: &str) -> (String, String) {
        let contact = self.new_contact(email).await;
        let message = self
            .ok(
                Method::POST,
                "/conversations",
                Some(serde_json::json!({"from": {"type": "user", "id": contact}, "body": text})),
            )
            .await;
        (
            message["conversation_id"].as_str().unwrap().to_string(),
            contact,
        )
    }
}

/// Ids of the objects listed under `key` in a list response.
pub fn ids_in(result: &Value, key: &str) -> std::collections::HashSet<String> {
    result[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} list in {result}"))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}
