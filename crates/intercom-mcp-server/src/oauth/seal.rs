//! Secrets at rest and on the wire: the Intercom token sealed with ChaCha20-Poly1305
//! (bound to its grant, so a row copied onto another grant does not open), random
//! tokens, their SHA-256 for lookups, and the PKCE S256 check.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const NONCE_LEN: usize = 12;

/// The key that seals grants (`INTERCOM_MCP_OAUTH_KEY`: 32 bytes, hex or base64).
#[derive(Clone)]
pub struct SealingKey(Key);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(***)")
    }
}

impl SealingKey {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| STANDARD.decode(text).ok())
            .or_else(|| URL_SAFE_NO_PAD.decode(text).ok())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                "INTERCOM_MCP_OAUTH_KEY must be 32 random bytes as 64 hex digits or base64 \
                 (make one with `openssl rand -hex 32`)"
                    .to_string()
            })?;
        Ok(SealingKey(*Key::from_slice(&bytes)))
    }

    /// Nonce followed by ciphertext; `context` (the grant's identity) is authenticated too.
    pub fn seal(&self, plaintext: &str, context: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let cipher = ChaCha20Poly1305::new(&self.0);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 encryption of a short token cannot fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        out
    }

    /// `None` when the row was altered, belongs to another grant, or another key sealed it.
    pub fn open(&self, sealed: &[u8], context: &str) -> Option<String> {
        if sealed.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = ChaCha20Poly1305::new(&self.0)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// A fresh unguessable token (256 bits, base64url) with a readable prefix.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How issued tokens are looked up: only their SHA-256 is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)) equals the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let valid_verifier = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    valid_verifier && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_with_their_key_and_context() {
        let key = SealingKey::parse(&"ab".repeat(32)).unwrap();
        let sealed = key.seal("intercom-token", "grant-1");
        assert!(!String::from_utf8_lossy(&sealed).contains("intercom-token"));
        assert_eq!(
            key.open(&sealed, "grant-1").as_deref(),
            Some("intercom-token")
        );
        assert_eq!(key.open(&sealed, "grant-2"), None);
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(key.open(&tampered, "grant-1"), None);
        let other = SealingKey::parse(&"cd".repeat(32)).unwrap();
        assert_eq!(other.open(&sealed, "grant-1"), None);
        assert!(SealingKey::parse("short").is_err());
        assert!(!format!("{key:?}").contains("ab"));
    }

    #[test]
    fn pkce_s256_example_from_rfc_7636() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx",
            challenge
        ));
        assert!(!pkce_matches("short", challenge));
    }
}
