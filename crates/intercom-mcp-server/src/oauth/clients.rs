//! Who a client is: one registered here (RFC 7591), or an HTTPS URL naming its own
//! client ID metadata document, fetched with SSRF guards.

use std::net::IpAddr;
use std::time::Duration;

use futures::StreamExt;
use serde::Deserialize;

use super::OAuthServer;
use super::store::ClientRecord;
use crate::transport::auth::is_loopback_host;

/// Largest metadata document read.
const MAX_METADATA_BYTES: usize = 64 * 1024;
const METADATA_TIMEOUT: Duration = Duration::from_secs(5);
/// Redirect URIs one client may register.
pub const MAX_REDIRECT_URIS: usize = 10;

#[derive(Debug, Deserialize)]
struct MetadataDocument {
    client_id: String,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

/// A redirect URI a client may register: absolute, no fragment, HTTPS or loopback HTTP,
/// or a native app's private-use scheme (RFC 8252).
pub fn redirect_uri_acceptable(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    if url.fragment().is_some() || uri.len() > 2000 {
        return false;
    }
    match url.scheme() {
        "https" => true,
        "http" => url.host_str().is_some_and(is_loopback_host),
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" => false,
        other => other.contains('.'),
    }
}

/// Exact match, except that a loopback redirect's port may vary (RFC 8252 §7.3).
pub fn redirect_uri_matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    let (Ok(a), Ok(b)) = (url::Url::parse(registered), url::Url::parse(presented)) else {
        return false;
    };
    a.scheme() == "http"
        && b.scheme() == "http"
        && a.host_str().is_some_and(is_loopback_host)
        && a.host_str() == b.host_str()
        && a.path() == b.path()
        && a.query() == b.query()
        && b.fragment().is_none()
}

impl OAuthServer {
    /// The client behind a `client_id`, or why it cannot be used.
    pub(super) async fn resolve_client(&self, client_id: &str) -> Result<ClientRecord, String> {
        if client_id.starts_with("https://") || client_id.starts_with("http://") {
            return self.fetch_metadata_document(client_id).await;
        }
        self.store
            .client(client_id.to_string())
            .await
            .map_err(|_| "the client registry could not be read".to_string())?
            .ok_or_else(|| {
                format!("no client `{client_id}` is registered here; register at /register")
            })
    }

    /// Client ID metadata document: HTTPS only (loopback HTTP when allowed), no redirects,
    /// no private or link-local addresses, 5 s and 64 KiB at most, and its `client_id`
    /// must be the URL it was fetched from.
    async fn fetch_metadata_document(&self, client_id: &str) -> Result<ClientRecord, String> {
        let url =
            url::Url::parse(client_id).map_err(|_| "client_id is not a valid URL".to_string())?;
        let host = url.host_str().unwrap_or_default().to_string();
        let loopback = is_loopback_host(&host);
        let scheme_ok =
            url.scheme() == "https" || (loopback && self.config.allow_loopback_metadata);
        if !scheme_ok || url.path() == "/" || url.fragment().is_some() {
            return Err(
                "a client_id URL must be https with a path (client ID metadata document)".into(),
            );
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<IpAddr> = tokio::time::timeout(
            METADATA_TIMEOUT,
            tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port)),
        )
        .await
        .map_err(|_| "the client_id host did not resolve in time".to_string())?
        .map_err(|_| "the client_id host does not resolve".to_string())?
        .map(|a| a.ip())
        .collect();
        if addrs.is_empty()
            || addrs
                .iter()
                .any(|ip| forbidden_address(ip, self.config.allow_loopback_metadata))
        {
            return Err("the client_id URL points at a private or reserved address".into());
        }
        // The connection goes to the addresses just checked: a second lookup by the HTTP
        // client could answer differently (DNS rebinding).
        let checked: Vec<std::net::SocketAddr> = addrs
            .iter()
            .map(|ip| std::net::SocketAddr::new(*ip, port))
            .collect();
        let pinned = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .resolve_to_addrs(&host, &checked)
            .build()
            .map_err(|_| "the client ID metadata document could not be fetched".to_string())?;
        let response = pinned
            .get(url.clone())
            .timeout(METADATA_TIMEOUT)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|_| "the client ID metadata document could not be fetched".to_string())?;
        if !response.status().is_success() {
            return Err(format!(
                "the client ID metadata document answered HTTP {} (redirects are not followed)",
                response.status().as_u16()
            ));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|_| "the client ID metadata document broke off".to_string())?;
            if body.len() + chunk.len() > MAX_METADATA_BYTES {
                return Err("the client ID metadata document is larger than 64 KiB".into());
            }
            body.extend_from_slice(&chunk);
        }
        let document: MetadataDocument = serde_json::from_slice(&body).map_err(|_| {
            "the client ID metadata document is not valid JSON metadata".to_string()
        })?;
        if document.client_id != client_id {
            return Err(
                "the metadata document's client_id is not the URL it was fetched from".into(),
            );
        }
        if document.redirect_uris.is_empty()
            || document.redirect_uris.len() > MAX_REDIRECT_URIS
            || !document
                .redirect_uris
                .iter()
                .all(|u| redirect_uri_acceptable(u))
        {
            return Err(
                "the metadata document's redirect_uris are missing or not acceptable".into(),
            );
        }
        Ok(ClientRecord {
            client_id: client_id.to_string(),
            client_name: document.client_name,
            redirect_uris: document.redirect_uris,
            created_at: super::now_unix(),
        })
    }
}

/// Addresses a metadata fetch must never reach (SSRF): private, link-local, unspecified,
/// multicast, and loopback unless allowed.
fn forbidden_address(ip: &IpAddr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return !allow_loopback;
    }
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| forbidden_address(&IpAddr::V4(v4), allow_loopback))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_rules() {
        assert!(redirect_uri_acceptable("https://app.example/cb"));
        assert!(redirect_uri_acceptable("http://127.0.0.1:3000/cb"));
        assert!(redirect_uri_acceptable("com.example.app:/cb"));
        assert!(!redirect_uri_acceptable("http://evil.example/cb"));
        assert!(!redirect_uri_acceptable("javascript:alert(1)"));
        assert!(!redirect_uri_acceptable("https://app.example/cb#frag"));
        assert!(redirect_uri_matches(
            "http://127.0.0.1:3000/cb",
            "http://127.0.0.1:4000/cb"
        ));
        assert!(!redirect_uri_matches(
            "http://127.0.0.1:3000/cb",
            "http://127.0.0.1:4000/other"
        ));
        assert!(!redirect_uri_matches(
            "https://a.example/cb",
            "https://a.example/cb2"
        ));
        assert!(!redirect_uri_matches(
            "https://a.example:443/cb",
            "https://a.example:8443/cb"
        ));
    }

    #[test]
    fn ssrf_guards() {
        for ip in [
            "10.0.0.1",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::ffff:10.0.0.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(forbidden_address(&ip.parse().unwrap(), true), "{ip}");
        }
        assert!(forbidden_address(&"127.0.0.1".parse().unwrap(), false));
        assert!(!forbidden_address(&"127.0.0.1".parse().unwrap(), true));
        assert!(!forbidden_address(&"93.184.216.34".parse().unwrap(), false));
    }
}
