//! Intercom's OAuth for public apps: the app, the codes awaiting exchange and the tokens
//! issued, which act as the admin who signed in on every API route. The consent page
//! (`GET /oauth`, app.intercom.com in production) and the code exchange
//! (`POST /auth/eagle/token`) are in `routes::oauth`.
//!
//! Intercom takes only `client_id`, `state` and `redirect_uri` (scopes are set per app),
//! codes last about five minutes and may be used once, and tokens never expire.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::RngCore;

/// How long an authorization code may be traded.
pub const CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// The one OAuth app the sandbox knows (a public app in Intercom's Developer Hub).
#[derive(Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    /// Redirect URIs registered on the app; only these are accepted, exactly.
    pub redirect_uris: Vec<String>,
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

pub(crate) struct IssuedCode {
    pub(crate) admin_id: String,
    pub(crate) issued: Instant,
}

/// The admin a request's OAuth token acts as (set by the middleware).
#[derive(Debug, Clone)]
pub struct SignedInAdmin(pub String);

/// OAuth state: the configured app, codes awaiting exchange and issued tokens.
#[derive(Default)]
pub struct OAuthState {
    pub(crate) app: Mutex<Option<OAuthApp>>,
    pub(crate) codes: Mutex<HashMap<String, IssuedCode>>,
    pub(crate) tokens: Mutex<HashMap<String, String>>,
}

impl OAuthState {
    pub fn new(app: Option<OAuthApp>) -> Self {
        OAuthState {
            app: Mutex::new(app),
            ..OAuthState::default()
        }
    }

    /// Registers the app later (a server that learns its callback URL only after it starts).
    pub fn configure(&self, app: OAuthApp) {
        *self.app.lock() = Some(app);
    }

    /// The admin an issued token acts as.
    pub fn admin_for_token(&self, token: &str) -> Option<String> {
        self.tokens.lock().get(token).cloned()
    }
}

pub(crate) fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}
