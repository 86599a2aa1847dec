//! `X-Hub-Signature: sha1=<hex>`: HMAC-SHA1 of the raw body, keyed with the client secret.

use hmac::{Hmac, Mac};
use sha1::Sha1;

type HmacSha1 = Hmac<Sha1>;

/// The app's client secret. Never printed: Debug shows only that it is set.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub fn new(secret: impl Into<Vec<u8>>) -> Option<Self> {
        let bytes = secret.into();
        (!bytes.is_empty()).then_some(Self(bytes))
    }

    /// Read the secret from `INTERCOM_CLIENT_SECRET`.
    pub fn from_env() -> Result<Self, String> {
        std::env::var(super::SECRET_ENV)
            .ok()
            .and_then(Self::new)
            .ok_or_else(|| {
                format!(
                    "{} is not set: set it to your Intercom app's client secret \
                     (Developer Hub > your app > Basic information) so webhook signatures can be checked",
                    super::SECRET_ENV
                )
            })
    }

    /// Constant-time check of a `sha1=<hex>` header value against `body`.
    pub fn verify(&self, body: &[u8], header_value: &[u8]) -> bool {
        let Some(hex_digest) = header_value.strip_prefix(b"sha1=") else {
            return false;
        };
        let Ok(expected) = hex::decode(hex_digest) else {
            return false;
        };
        let mut mac = HmacSha1::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// The header value Intercom would send for `body` (used by tests and the benchmark).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha1::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_own_signature_and_rejects_others() {
        let secret = WebhookSecret::new("s3cret").unwrap();
        let body = br#"{"id":"notif_1"}"#;
        let good = sign(b"s3cret", body);
        assert!(secret.verify(body, good.as_bytes()));
        assert!(!secret.verify(b"{}", good.as_bytes()));
        assert!(!secret.verify(body, sign(b"other", body).as_bytes()));
        assert!(!secret.verify(body, good.trim_start_matches("sha1=").as_bytes()));
        assert!(!secret.verify(body, b"sha1=zz"));
    }

    #[test]
    fn debug_hides_the_secret() {
        let secret = WebhookSecret::new("s3cret").unwrap();
        assert!(!format!("{secret:?}").contains("s3cret"));
    }
}
