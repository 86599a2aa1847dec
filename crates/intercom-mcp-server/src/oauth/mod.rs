//! "Sign in with Intercom": the HTTP transport as an OAuth 2.1 authorization server for
//! MCP clients (MCP authorization 2025-11-25), federated to Intercom's OAuth.
//!
//! A client discovers this server through protected-resource metadata (RFC 9728) and
//! authorization-server metadata (RFC 8414), registers (RFC 7591) or names itself by a
//! client ID metadata document, and sends the person to `/authorize` (PKCE S256, RFC 8707
//! `resource`). The person signs in on Intercom's page; Intercom's code comes back to
//! `/oauth/callback` and is traded for the person's Intercom token, which is sealed
//! (ChaCha20-Poly1305) in the grant store and never leaves this server. The client gets
//! this server's own short-lived access token and a rotating refresh token; each MCP
//! request with that access token runs with the person's Intercom token.

mod clients;
mod endpoints;
pub mod seal;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use intercom_api::Secret;

use self::seal::{SealingKey, token_hash};
use self::store::{GrantStore, TokenKind};
use crate::transport::auth::bearer;

/// Everything the authorization server needs; the binary builds it from flags and environment.
#[derive(Clone)]
pub struct OAuthConfig {
    /// Where clients reach this server (`https://mcp.example.com`), no trailing slash.
    pub public_url: String,
    pub intercom_client_id: String,
    pub intercom_client_secret: Secret,
    /// Intercom's consent page (`https://app.intercom.com/oauth` or the region's).
    pub intercom_authorize_url: String,
    /// Intercom's code exchange (`https://api.intercom.io/auth/eagle/token` or the region's).
    pub intercom_token_url: String,
    pub key: SealingKey,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Client ID metadata documents may be fetched over plain HTTP from loopback hosts.
    pub allow_loopback_metadata: bool,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("public_url", &self.public_url)
            .field("intercom_client_id", &self.intercom_client_id)
            .field("intercom_authorize_url", &self.intercom_authorize_url)
            .field("intercom_token_url", &self.intercom_token_url)
            .field("access_ttl", &self.access_ttl)
            .finish_non_exhaustive()
    }
}

impl OAuthConfig {
    /// The issuer identifier (RFC 8414): the public URL.
    pub fn issuer(&self) -> &str {
        &self.public_url
    }

    /// This server's callback, registered on the Intercom app.
    pub fn callback_url(&self) -> String {
        format!("{}/oauth/callback", self.public_url)
    }

    /// The protected resource's canonical identifier (the MCP endpoint).
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.public_url)
    }

    /// Resource indicators naming this server (RFC 8707): its base, `/mcp` or `/sse`.
    fn is_own_resource(&self, resource: &str) -> bool {
        let resource = resource.trim_end_matches('/');
        resource == self.public_url
            || resource == self.resource()
            || resource == format!("{}/sse", self.public_url)
    }

    /// Where a 401 points clients (RFC 9728 §5.1).
    fn resource_metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            self.public_url
        )
    }
}

/// A sign-in between `/authorize` and Intercom's redirect to `/oauth/callback`, kept in the
/// grant store (as a [`store::TokenKind::SignIn`]) so any replica of a fleet can finish it.
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingSignIn {
    client_id: String,
    redirect_uri: String,
    client_state: Option<String>,
    code_challenge: String,
    resource: String,
}

/// How long a person has to finish signing in on Intercom's page.
const SIGN_IN_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Sign-ins in flight at once; more are refused rather than grow memory without bound.
const MAX_PENDING: usize = 10_000;
/// This server's authorization codes live one minute (OAuth 2.1 recommends short).
const CODE_TTL_SECS: i64 = 60;

/// The authorization server: configuration, grant store and sign-ins in flight.
pub struct OAuthServer {
    config: OAuthConfig,
    store: Arc<dyn GrantStore>,
    http: reqwest::Client,
}

impl std::fmt::Debug for OAuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthServer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl OAuthServer {
    pub fn new(config: OAuthConfig, store: Arc<dyn GrantStore>) -> anyhow::Result<Self> {
        // The application has installed the process's TLS provider (reqwest uses it).
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(OAuthServer {
            config,
            store,
            http,
        })
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// The routes: metadata, registration, authorize, callback, token, revoke.
    pub fn router(self: &Arc<Self>) -> Router {
        endpoints::router(self.clone())
    }

    /// The sealing context: a grant's ciphertext opens only as that grant.
    fn seal_context(grant_id: &str, client_id: &str, resource: &str) -> String {
        format!("intercom-mcp grant v1\n{grant_id}\n{client_id}\n{resource}")
    }

    /// The Intercom token behind an access token, or why there is none.
    async fn intercom_token_for(&self, access_token: &str) -> Result<String, &'static str> {
        let now = now_unix();
        let record = self
            .store
            .token(token_hash(access_token))
            .await
            .map_err(|_| "the grant store could not be read")?
            .filter(|t| t.kind == TokenKind::Access)
            .ok_or("the access token is not known (revoked, or never issued here)")?;
        if record.expires_at <= now {
            return Err("the access token expired; refresh it");
        }
        let grant = self
            .store
            .grant(record.grant_id.clone())
            .await
            .map_err(|_| "the grant store could not be read")?
            .filter(|g| g.revoked_at.is_none())
            .ok_or("the sign-in behind this token was revoked")?;
        if !self.config.is_own_resource(&grant.resource) {
            return Err("the access token was issued for another resource");
        }
        let context = Self::seal_context(&grant.grant_id, &grant.client_id, &grant.resource);
        self.config
            .key
            .open(&grant.sealed_token, &context)
            .ok_or_else(|| {
                tracing::warn!(
                    grant = %grant.grant_id,
                    "a stored grant could not be opened: it was altered or sealed with another key"
                );
                "the stored sign-in could not be verified; sign in again"
            })
    }
}

pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Bearer check for the MCP routes: the caller's access token becomes its own Intercom
/// token on the request, so each tool call runs as the person who signed in.
pub async fn require_access_token(
    State(oauth): State<Arc<OAuthServer>>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = bearer(request.headers()).map(str::to_string);
    let failure = match presented {
        None => None,
        Some(token) => match oauth.intercom_token_for(&token).await {
            Ok(intercom_token) => {
                match HeaderValue::from_str(&format!("Bearer {intercom_token}")) {
                    Ok(mut value) => {
                        value.set_sensitive(true);
                        request.headers_mut().insert(header::AUTHORIZATION, value);
                        return next.run(request).await;
                    }
                    Err(_) => Some("the stored Intercom token is not a valid header value"),
                }
            }
            Err(reason) => Some(reason),
        },
    };
    let metadata = oauth.config.resource_metadata_url();
    let challenge = match failure {
        None => format!("Bearer resource_metadata=\"{metadata}\""),
        Some(reason) => format!(
            "Bearer error=\"invalid_token\", error_description=\"{reason}\", resource_metadata=\"{metadata}\""
        ),
    };
    let message = match failure {
        None => "Unauthorized: sign in with Intercom (OAuth) and send `Authorization: Bearer <access token>`".to_string(),
        Some(reason) => format!("Unauthorized: {reason}"),
    };
    let mut response = (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}
