//! Where grants live: registered clients, grants (the sealed Intercom token), the hashes of
//! issued codes and tokens, and sign-ins in progress. Behind a small async trait: SQLite (the
//! mirror's file) here, PostgreSQL for a fleet (`intercom-pg`), so that a sign-in started on
//! one replica can finish on another.

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, params};

pub type StoreResult<T> = anyhow::Result<T>;

/// A registered client (dynamic registration, RFC 7591).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRecord {
    pub client_id: String,
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub created_at: i64,
}

/// One person's consent for one client: the Intercom token, sealed.
#[derive(Clone, PartialEq)]
pub struct GrantRecord {
    pub grant_id: String,
    pub client_id: String,
    pub resource: String,
    /// Nonce followed by the AEAD ciphertext of the Intercom token.
    pub sealed_token: Vec<u8>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl std::fmt::Debug for GrantRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantRecord")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("resource", &self.resource)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// What an issued secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Code,
    Access,
    Refresh,
    /// A sign-in between `/authorize` and Intercom's redirect back, known by the hash of the
    /// `state` sent to Intercom; `detail` holds what the callback needs, no grant yet.
    SignIn,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Code => "code",
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
            TokenKind::SignIn => "sign_in",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "code" => Some(TokenKind::Code),
            "access" => Some(TokenKind::Access),
            "refresh" => Some(TokenKind::Refresh),
            "sign_in" => Some(TokenKind::SignIn),
            _ => None,
        }
    }
}

/// An issued code or token, known only by its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub token_hash: String,
    pub kind: TokenKind,
    pub grant_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Code only: the redirect URI and PKCE challenge it was issued for (JSON).
    pub detail: Option<String>,
}

/// Storage for the authorization server.
pub trait GrantStore: Send + Sync {
    fn put_client(&self, client: ClientRecord) -> BoxFuture<'static, StoreResult<()>>;
    fn client(&self, client_id: String) -> BoxFuture<'static, StoreResult<Option<ClientRecord>>>;
    fn put_grant(&self, grant: GrantRecord) -> BoxFuture<'static, StoreResult<()>>;
    fn grant(&self, grant_id: String) -> BoxFuture<'static, StoreResult<Option<GrantRecord>>>;
    /// Revokes a grant and so every code and token issued under it.
    fn revoke_grant(&self, grant_id: String, at: i64) -> BoxFuture<'static, StoreResult<()>>;
    fn put_token(&self, token: TokenRecord) -> BoxFuture<'static, StoreResult<()>>;
    fn token(&self, token_hash: String) -> BoxFuture<'static, StoreResult<Option<TokenRecord>>>;
    /// Marks a one-use code or refresh token used; `false` when it already was (a replay).
    fn use_token(&self, token_hash: String, at: i64) -> BoxFuture<'static, StoreResult<bool>>;
    /// Drops codes and tokens that expired before `now`.
    fn purge_expired(&self, now: i64) -> BoxFuture<'static, StoreResult<u64>>;
    /// How many of `kind` are neither used nor expired at `now` (sign-ins in progress).
    fn count_live(&self, kind: TokenKind, now: i64) -> BoxFuture<'static, StoreResult<u64>>;
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    client_name TEXT,
    redirect_uris TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_grants (
    grant_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    resource TEXT NOT NULL,
    sealed_token BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS oauth_tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS oauth_tokens_expiry ON oauth_tokens (expires_at);
";

/// The SQLite grant store (tables `oauth_*` beside the mirror's).
#[derive(Clone)]
pub struct SqliteGrantStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteGrantStore {
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteGrantStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs one statement group off the async threads.
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, StoreResult<T>> {
        let conn = self.conn.clone();
        Box::pin(async move {
            let result = tokio::task::spawn_blocking(move || work(&conn.lock())).await?;
            Ok(result?)
        })
    }
}

impl GrantStore for SqliteGrantStore {
    fn put_client(&self, client: ClientRecord) -> BoxFuture<'static, StoreResult<()>> {
        self.run(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO oauth_clients VALUES (?1, ?2, ?3, ?4)",
                params![
                    client.client_id,
                    client.client_name,
                    serde_json::to_string(&client.redirect_uris).unwrap_or_default(),
                    client.created_at
                ],
            )
            .map(|_| ())
        })
    }

    fn client(&self, client_id: String) -> BoxFuture<'static, StoreResult<Option<ClientRecord>>> {
        self.run(move |c| {
            c.query_row(
                "SELECT client_id, client_name, redirect_uris, created_at FROM oauth_clients WHERE client_id = ?1",
                [client_id],
                |row| {
                    let uris: String = row.get(2)?;
                    Ok(ClientRecord {
                        client_id: row.get(0)?,
                        client_name: row.get(1)?,
                        redirect_uris: serde_json::from_str(&uris).unwrap_or_default(),
                        created_at: row.get(3)?,
                    })
                },
            )
            .optional()
        })
    }

    fn put_grant(&self, grant: GrantRecord) -> BoxFuture<'static, StoreResult<()>> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO oauth_grants VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    grant.grant_id,
                    grant.client_id,
                    grant.resource,
                    grant.sealed_token,
                    grant.created_at,
                    grant.revoked_at
                ],
            )
            .map(|_| ())
        })
    }

    fn grant(&self, grant_id: String) -> BoxFuture<'static, StoreResult<Option<GrantRecord>>> {
        self.run(move |c| {
            c.query_row(
                "SELECT grant_id, client_id, resource, sealed_token, created_at, revoked_at FROM oauth_grants WHERE grant_id = ?1",
                [grant_id],
                |row| {
                    Ok(GrantRecord {
                        grant_id: row.get(0)?,
                        client_id: row.get(1)?,
                        resource: row.get(2)?,
                        sealed_token: row.get(3)?,
                        created_at: row.get(4)?,
                        revoked_at: row.get(5)?,
                    })
                },
            )
            .optional()
        })
    }

    fn revoke_grant(&self, grant_id: String, at: i64) -> BoxFuture<'static, StoreResult<()>> {
        self.run(move |c| {
            c.execute(
                "UPDATE oauth_grants SET revoked_at = ?2 WHERE grant_id = ?1 AND revoked_at IS NULL",
                params![grant_id, at],
            )?;
            c.execute("DELETE FROM oauth_tokens WHERE grant_id = ?1", [grant_id])
                .map(|_| ())
        })
    }

    fn put_token(&self, token: TokenRecord) -> BoxFuture<'static, StoreResult<()>> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO oauth_tokens VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    token.token_hash,
                    token.kind.as_str(),
                    token.grant_id,
                    token.expires_at,
                    token.used_at,
                    token.detail
                ],
            )
            .map(|_| ())
        })
    }

    fn token(&self, token_hash: String) -> BoxFuture<'static, StoreResult<Option<TokenRecord>>> {
        self.run(move |c| {
            c.query_row(
                "SELECT token_hash, kind, grant_id, expires_at, used_at, detail FROM oauth_tokens WHERE token_hash = ?1",
                [token_hash],
                |row| {
                    let kind: String = row.get(1)?;
                    Ok((
                        kind,
                        TokenRecord {
                            token_hash: row.get(0)?,
                            kind: TokenKind::Access,
                            grant_id: row.get(2)?,
                            expires_at: row.get(3)?,
                            used_at: row.get(4)?,
                            detail: row.get(5)?,
                        },
                    ))
                },
            )
            .optional()
            .map(|found| {
                found.and_then(|(kind, record)| {
                    TokenKind::parse(&kind).map(|kind| TokenRecord { kind, ..record })
                })
            })
        })
    }

    fn use_token(&self, token_hash: String, at: i64) -> BoxFuture<'static, StoreResult<bool>> {
        self.run(move |c| {
            c.execute(
                "UPDATE oauth_tokens SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL",
                params![token_hash, at],
            )
            .map(|changed| changed == 1)
        })
    }

    fn purge_expired(&self, now: i64) -> BoxFuture<'static, StoreResult<u64>> {
        self.run(move |c| {
            c.execute("DELETE FROM oauth_tokens WHERE expires_at < ?1", [now])
                .map(|n| n as u64)
        })
    }

    fn count_live(&self, kind: TokenKind, now: i64) -> BoxFuture<'static, StoreResult<u64>> {
        self.run(move |c| {
            c.query_row(
                "SELECT count(*) FROM oauth_tokens WHERE kind = ?1 AND used_at IS NULL AND expires_at >= ?2",
                params![kind.as_str(), now],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_use_tokens_and_revocation_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite3");
        let store = SqliteGrantStore::open(&path).unwrap();
        store
            .put_grant(GrantRecord {
                grant_id: "g1".into(),
                client_id: "c1".into(),
                resource: "http://x/mcp".into(),
                sealed_token: vec![1, 2, 3],
                created_at: 10,
                revoked_at: None,
            })
            .await
            .unwrap();
        let refresh = TokenRecord {
            token_hash: "h1".into(),
            kind: TokenKind::Refresh,
            grant_id: "g1".into(),
            expires_at: 100,
            used_at: None,
            detail: None,
        };
        store.put_token(refresh.clone()).await.unwrap();
        assert!(store.use_token("h1".into(), 20).await.unwrap());
        assert!(!store.use_token("h1".into(), 21).await.unwrap());
        drop(store);
        let store = SqliteGrantStore::open(&path).unwrap();
        let read = store.token("h1".into()).await.unwrap().unwrap();
        assert_eq!(read.kind, TokenKind::Refresh);
        assert_eq!(read.used_at, Some(20));
        store.revoke_grant("g1".into(), 30).await.unwrap();
        assert!(store.token("h1".into()).await.unwrap().is_none());
        let grant = store.grant("g1".into()).await.unwrap().unwrap();
        assert_eq!(grant.revoked_at, Some(30));
    }
}
