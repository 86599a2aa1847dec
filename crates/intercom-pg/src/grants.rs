//! The OAuth grant store of a fleet ([`PgGrantStore`], an
//! `intercom_mcp_server::oauth::store::GrantStore`): registered clients, grants (the Intercom
//! token sealed with the fleet's key, never in clear), the hashes of issued codes and tokens,
//! and sign-ins in progress, shared by every replica. A person may start signing in on one
//! replica, come back from Intercom to another and use the token on a third; a one-use code,
//! refresh token or sign-in is used once fleet-wide (`UPDATE … WHERE used_at IS NULL`).

use futures::future::BoxFuture;
use intercom_mcp_server::oauth::store::{
    ClientRecord, GrantRecord, GrantStore, StoreResult, TokenKind, TokenRecord,
};
use serde_json::Value;

use crate::db::Database;

/// Grants in the fleet's database (tables `oauth_clients`, `oauth_grants`, `oauth_tokens`).
#[derive(Clone)]
pub struct PgGrantStore {
    db: Database,
}

impl PgGrantStore {
    pub fn new(db: Database) -> Self {
        PgGrantStore { db }
    }
}

/// A failed statement as the store's error, its message cleaned of the password.
fn failed(db: &Database, what: &'static str) -> impl Fn(tokio_postgres::Error) -> anyhow::Error {
    let redactor = db.redactor().clone();
    move |e| anyhow::Error::new(redactor.query(what, &e))
}

fn token_from_row(row: &tokio_postgres::Row) -> Option<TokenRecord> {
    let kind: String = row.get(1);
    Some(TokenRecord {
        token_hash: row.get(0),
        kind: TokenKind::parse(&kind)?,
        grant_id: row.get(2),
        expires_at: row.get(3),
        used_at: row.get(4),
        detail: row.get(5),
    })
}

impl GrantStore for PgGrantStore {
    fn put_client(&self, client: ClientRecord) -> BoxFuture<'static, StoreResult<()>> {
        let db = self.db.clone();
        Box::pin(async move {
            let uris = serde_json::to_value(&client.redirect_uris)?;
            db.client()
                .await?
                .execute(
                    "INSERT INTO oauth_clients (client_id, client_name, redirect_uris, created_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (client_id) DO UPDATE
                        SET client_name = EXCLUDED.client_name,
                            redirect_uris = EXCLUDED.redirect_uris,
                            created_at = EXCLUDED.created_at",
                    &[
                        &client.client_id,
                        &client.client_name,
                        &uris,
                        &client.created_at,
                    ],
                )
                .await
                .map_err(failed(&db, "register an OAuth client"))?;
            Ok(())
        })
    }

    fn client(&self, client_id: String) -> BoxFuture<'static, StoreResult<Option<ClientRecord>>> {
        let db = self.db.clone();
        Box::pin(async move {
            let row = db
                .client()
                .await?
                .query_opt(
                    "SELECT client_id, client_name, redirect_uris, created_at
                     FROM oauth_clients WHERE client_id = $1",
                    &[&client_id],
                )
                .await
                .map_err(failed(&db, "read an OAuth client"))?;
            Ok(row.map(|row| {
                let uris: Value = row.get(2);
                ClientRecord {
                    client_id: row.get(0),
                    client_name: row.get(1),
                    redirect_uris: serde_json::from_value(uris).unwrap_or_default(),
                    created_at: row.get(3),
                }
            }))
        })
    }

    fn put_grant(&self, grant: GrantRecord) -> BoxFuture<'static, StoreResult<()>> {
        let db = self.db.clone();
        Box::pin(async move {
            db.client()
                .await?
                .execute(
                    "INSERT INTO oauth_grants
                        (grant_id, client_id, resource, sealed_token, created_at, revoked_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &grant.grant_id,
                        &grant.client_id,
                        &grant.resource,
                        &grant.sealed_token,
                        &grant.created_at,
                        &grant.revoked_at,
                    ],
                )
                .await
                .map_err(failed(&db, "store an OAuth grant"))?;
            Ok(())
        })
    }

    fn grant(&self, grant_id: String) -> BoxFuture<'static, StoreResult<Option<GrantRecord>>> {
        let db = self.db.clone();
        Box::pin(async move {
            let row = db
                .client()
                .await?
                .query_opt(
                    "SELECT grant_id, client_id, resource, sealed_token, created_at, revoked_at
                     FROM oauth_grants WHERE grant_id = $1",
                    &[&grant_id],
                )
                .await
                .map_err(failed(&db, "read an OAuth grant"))?;
            Ok(row.map(|row| GrantRecord {
                grant_id: row.get(0),
                client_id: row.get(1),
                resource: row.get(2),
                sealed_token: row.get(3),
                created_at: row.get(4),
                revoked_at: row.get(5),
            }))
        })
    }

    fn revoke_grant(&self, grant_id: String, at: i64) -> BoxFuture<'static, StoreResult<()>> {
        let db = self.db.clone();
        Box::pin(async move {
            let mut client = db.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(failed(&db, "revoke an OAuth grant"))?;
            tx.execute(
                "UPDATE oauth_grants SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL",
                &[&grant_id, &at],
            )
            .await
            .map_err(failed(&db, "revoke an OAuth grant"))?;
            tx.execute("DELETE FROM oauth_tokens WHERE grant_id = $1", &[&grant_id])
                .await
                .map_err(failed(&db, "revoke an OAuth grant's tokens"))?;
            tx.commit()
                .await
                .map_err(failed(&db, "revoke an OAuth grant"))?;
            Ok(())
        })
    }

    fn put_token(&self, token: TokenRecord) -> BoxFuture<'static, StoreResult<()>> {
        let db = self.db.clone();
        Box::pin(async move {
            db.client()
                .await?
                .execute(
                    "INSERT INTO oauth_tokens
                        (token_hash, kind, grant_id, expires_at, used_at, detail)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &token.token_hash,
                        &token.kind.as_str(),
                        &token.grant_id,
                        &token.expires_at,
                        &token.used_at,
                        &token.detail,
                    ],
                )
                .await
                .map_err(failed(&db, "store an OAuth token"))?;
            Ok(())
        })
    }

    fn token(&self, token_hash: String) -> BoxFuture<'static, StoreResult<Option<TokenRecord>>> {
        let db = self.db.clone();
        Box::pin(async move {
            let row = db
                .client()
                .await?
                .query_opt(
                    "SELECT token_hash, kind, grant_id, expires_at, used_at, detail
                     FROM oauth_tokens WHERE token_hash = $1",
                    &[&token_hash],
                )
                .await
                .map_err(failed(&db, "read an OAuth token"))?;
            Ok(row.as_ref().and_then(token_from_row))
        })
    }

    fn use_token(&self, token_hash: String, at: i64) -> BoxFuture<'static, StoreResult<bool>> {
        let db = self.db.clone();
        Box::pin(async move {
            let changed = db
                .client()
                .await?
                .execute(
                    "UPDATE oauth_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL",
                    &[&token_hash, &at],
                )
                .await
                .map_err(failed(&db, "use an OAuth token"))?;
            Ok(changed == 1)
        })
    }

    fn purge_expired(&self, now: i64) -> BoxFuture<'static, StoreResult<u64>> {
        let db = self.db.clone();
        Box::pin(async move {
            let removed = db
                .client()
                .await?
                .execute("DELETE FROM oauth_tokens WHERE expires_at < $1", &[&now])
                .await
                .map_err(failed(&db, "remove expired OAuth tokens"))?;
            Ok(removed)
        })
    }

    fn count_live(&self, kind: TokenKind, now: i64) -> BoxFuture<'static, StoreResult<u64>> {
        let db = self.db.clone();
        Box::pin(async move {
            let row = db
                .client()
                .await?
                .query_one(
                    "SELECT count(*) FROM oauth_tokens
                     WHERE kind = $1 AND used_at IS NULL AND expires_at >= $2",
                    &[&kind.as_str(), &now],
                )
                .await
                .map_err(failed(&db, "count sign-ins in progress"))?;
            Ok(row.get::<_, i64>(0) as u64)
        })
    }
}
