//! Outbound POSTs to other systems: a JSON body signed with HMAC-SHA256 and the rule's secret.
//!
//! Receivers verify `X-Intercom-MCP-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>`
//! and may deduplicate retries on `X-Intercom-MCP-Delivery` (`<event id>:<rule>`).

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::rules::Secret;

pub const SIGNATURE_HEADER: &str = "X-Intercom-MCP-Signature";
pub const DELIVERY_HEADER: &str = "X-Intercom-MCP-Delivery";
pub const RULE_HEADER: &str = "X-Intercom-MCP-Rule";
const TIMEOUT: Duration = Duration::from_secs(10);

/// `sha256=<hex>` of the body.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a POST did not succeed.
#[derive(Debug, Clone)]
pub struct OutboundError {
    pub message: String,
    /// 429, 5xx, timeouts and connection failures may succeed later.
    pub retryable: bool,
}

/// A client for outbound POSTs (no redirects: the signed body goes only where the rule says).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "intercom-mcp-automations/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .unwrap_or_default()
}

/// POST `body` to `url`, signed; returns the HTTP status on 2xx.
pub async fn post(
    http: &reqwest::Client,
    url: &url::Url,
    secret: &Secret,
    rule: &str,
    delivery: &str,
    body: &Value,
) -> Result<u16, OutboundError> {
    let raw = serde_json::to_vec(body).map_err(|e| OutboundError {
        message: format!("the body could not be encoded: {e}"),
        retryable: false,
    })?;
    let signature = sign(secret.expose(), &raw);
    let answer = http
        .post(url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(DELIVERY_HEADER, delivery)
        .header(RULE_HEADER, rule)
        .body(raw)
        .send()
        .await
        .map_err(|e| OutboundError {
            message: format!("POST {url} failed: {}", describe(&e)),
            retryable: true,
        })?;
    let status = answer.status();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    let text = answer.text().await.unwrap_or_default();
    let excerpt: String = text.chars().take(200).collect();
    Err(OutboundError {
        message: format!("POST {url} answered {status}: {excerpt}"),
        retryable: status.as_u16() == 429 || status.is_server_error(),
    })
}

fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
