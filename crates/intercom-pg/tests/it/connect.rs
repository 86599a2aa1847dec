//! Connecting: migrations applied once under a lock, clear errors without the password.

use intercom_pg::{Database, Error, MIGRATIONS};

use crate::cluster::{admin, cluster, fresh_database};

#[tokio::test]
async fn two_replicas_starting_together_apply_the_migrations_once() {
    let url = fresh_database().await;
    let (a, b) = tokio::join!(Database::connect(&url), Database::connect(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    let all: Vec<i32> = MIGRATIONS.iter().map(|m| m.version).collect();
    let mut applied = [
        a.migrations_applied().to_vec(),
        b.migrations_applied().to_vec(),
    ];
    applied.sort();
    assert_eq!(
        applied,
        [vec![], all.clone()],
        "one replica applies, the other finds them"
    );

    let db = admin(&url).await;
    let recorded: Vec<i32> = db
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(recorded, all);
    // The schema is there: every table of version 1.
    let tables: i64 = db
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'
               AND table_name IN ('events', 'claims', 'rate_windows', 'bulk_jobs', 'bulk_items',
                 'automation_runs', 'oauth_grants', 'oauth_tokens', 'oauth_clients', 'sync_checkpoints')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 10);

    // A later start applies nothing.
    let again = Database::connect(&url).await.unwrap();
    assert!(again.migrations_applied().is_empty());
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_is_refused() {
    let url = fresh_database().await;
    Database::connect(&url).await.unwrap();
    admin(&url)
        .await
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')",
            &[],
        )
        .await
        .unwrap();
    let err = Database::connect(&url).await.unwrap_err();
    assert!(
        matches!(err, Error::SchemaTooNew { found: 999, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_error_that_does_not_repeat_it() {
    let cluster = cluster();
    let url = format!(
        "postgres://postgres:not-the-password-42@127.0.0.1:{}/postgres",
        cluster.port
    );
    let err = Database::connect(&url).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Connect { .. }), "{msg}");
    assert!(msg.contains("password authentication failed"), "{msg}");
    assert!(
        msg.contains(&format!("127.0.0.1:{}/postgres as postgres", cluster.port)),
        "{msg}"
    );
    assert!(!msg.contains("not-the-password-42"), "{msg}");
    assert!(
        !format!("{err:?}").contains("not-the-password-42"),
        "{err:?}"
    );
}

#[tokio::test]
async fn nothing_listening_is_a_clear_error() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://app:sesame-77@127.0.0.1:{port}/intercom");
    let err = Database::connect(&url).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("could not connect to PostgreSQL"), "{msg}");
    assert!(msg.contains("refused"), "{msg}");
    assert!(!msg.contains("sesame-77"), "{msg}");
}

#[tokio::test]
async fn debug_output_names_the_target_only() {
    let url = fresh_database().await;
    let db = Database::connect(&url).await.unwrap();
    let shown = format!("{db:?}");
    assert!(shown.contains("127.0.0.1"), "{shown}");
    assert!(!shown.contains(cluster().password()), "{shown}");
}
