//! Sign-in with Intercom across a fleet: the grant store in PostgreSQL behaves as the SQLite
//! one does, and what one replica issued is read, used and revoked through another.

use intercom_mcp_server::oauth::store::{
    ClientRecord, GrantRecord, GrantStore, SqliteGrantStore, TokenKind, TokenRecord,
};
use intercom_pg::{Database, PgGrantStore};

use crate::cluster::fresh_database;

fn token(hash: &str, kind: TokenKind, grant: &str, expires_at: i64) -> TokenRecord {
    TokenRecord {
        token_hash: hash.into(),
        kind,
        grant_id: grant.into(),
        expires_at,
        used_at: None,
        detail: Some(format!("{{\"for\":\"{hash}\"}}")),
    }
}

/// The same checks against any store: `a` and `b` are two handles on one store (two replicas,
/// or one SQLite file opened twice).
async fn behaves(a: &dyn GrantStore, b: &dyn GrantStore) {
    let client = ClientRecord {
        client_id: "mcp-client-1".into(),
        client_name: Some("Claude".into()),
        redirect_uris: vec![
            "http://127.0.0.1:9/cb".into(),
            "https://x.example/cb".into(),
        ],
        created_at: 5,
    };
    a.put_client(client.clone()).await.unwrap();
    assert_eq!(b.client("mcp-client-1".into()).await.unwrap(), Some(client));
    assert_eq!(b.client("nobody".into()).await.unwrap(), None);

    let grant = GrantRecord {
        grant_id: "g1".into(),
        client_id: "mcp-client-1".into(),
        resource: "https://mcp.example/mcp".into(),
        sealed_token: vec![0, 1, 2, 250, 255],
        created_at: 10,
        revoked_at: None,
    };
    a.put_grant(grant.clone()).await.unwrap();
    assert_eq!(b.grant("g1".into()).await.unwrap(), Some(grant));

    // A sign-in started on one replica is taken once, whichever replica Intercom sends back to.
    a.put_token(token("state-1", TokenKind::SignIn, "", 1_000))
        .await
        .unwrap();
    a.put_token(token("state-old", TokenKind::SignIn, "", 50))
        .await
        .unwrap();
    assert_eq!(b.count_live(TokenKind::SignIn, 100).await.unwrap(), 1);
    let read = b.token("state-1".into()).await.unwrap().unwrap();
    assert_eq!(read.kind, TokenKind::SignIn);
    assert_eq!(read.detail.as_deref(), Some("{\"for\":\"state-1\"}"));
    assert!(b.use_token("state-1".into(), 101).await.unwrap());
    assert!(
        !a.use_token("state-1".into(), 102).await.unwrap(),
        "a replay is refused"
    );
    assert_eq!(a.count_live(TokenKind::SignIn, 100).await.unwrap(), 0);

    // Codes and refresh tokens: one use each; revoking the grant drops every token under it.
    a.put_token(token("code-1", TokenKind::Code, "g1", 1_000))
        .await
        .unwrap();
    a.put_token(token("access-1", TokenKind::Access, "g1", 1_000))
        .await
        .unwrap();
    assert!(b.use_token("code-1".into(), 110).await.unwrap());
    assert!(!a.use_token("code-1".into(), 111).await.unwrap());
    assert_eq!(
        b.token("access-1".into()).await.unwrap().unwrap().kind,
        TokenKind::Access
    );
    b.revoke_grant("g1".into(), 120).await.unwrap();
    assert_eq!(a.token("access-1".into()).await.unwrap(), None);
    assert_eq!(
        a.grant("g1".into()).await.unwrap().unwrap().revoked_at,
        Some(120)
    );
    // A second revocation keeps the first time.
    a.revoke_grant("g1".into(), 130).await.unwrap();
    assert_eq!(
        b.grant("g1".into()).await.unwrap().unwrap().revoked_at,
        Some(120)
    );

    // Expired tokens are purged, live ones stay.
    a.put_token(token("access-2", TokenKind::Access, "g2", 500))
        .await
        .unwrap();
    assert_eq!(
        b.purge_expired(200).await.unwrap(),
        1,
        "state-old expired at 50"
    );
    assert!(a.token("access-2".into()).await.unwrap().is_some());
    assert_eq!(
        b.purge_expired(600).await.unwrap(),
        1,
        "access-2 expired at 500"
    );
    assert!(
        a.token("state-1".into()).await.unwrap().is_some(),
        "state-1 lives until 1,000"
    );
}

#[tokio::test]
async fn the_fleet_grant_store_is_shared_by_replicas_and_behaves_as_sqlite() {
    let url = fresh_database().await;
    let one = PgGrantStore::new(Database::connect(&url).await.unwrap());
    let two = PgGrantStore::new(Database::connect(&url).await.unwrap());
    behaves(&one, &two).await;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grants.sqlite3");
    let a = SqliteGrantStore::open(&path).unwrap();
    let b = SqliteGrantStore::open(&path).unwrap();
    behaves(&a, &b).await;
}
