//! Versioned schema migrations, embedded in the binary and applied on connect.
//!
//! All missing migrations run in one transaction that first takes a transaction-level advisory
//! lock: replicas starting together queue on it, the first applies, the next ones then find
//! every version recorded in `schema_migrations` and apply nothing. A failure rolls the whole
//! transaction back, so a database is never left half-migrated.

use deadpool_postgres::Object;

use crate::error::{Error, Redactor, Result};
use crate::locks;

/// One schema version.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every version this binary knows, in order. Never edit a released one: add the next.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "fleet",
        sql: include_str!("../migrations/0001_fleet.sql"),
    },
    Migration {
        version: 2,
        name: "mirror",
        sql: include_str!("../migrations/0002_mirror.sql"),
    },
];

/// Brings the schema up to date; returns the versions it applied.
pub(crate) async fn run(client: &mut Object, redactor: &Redactor) -> Result<Vec<i32>> {
    let q = |what| move |e: tokio_postgres::Error| redactor.query(what, &e);
    let tx = client
        .transaction()
        .await
        .map_err(q("start the migration transaction"))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, $2)",
        &[&locks::NAMESPACE, &locks::MIGRATIONS],
    )
    .await
    .map_err(q("take the migration lock"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             name TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(q("create the schema_migrations table"))?;
    let present: Vec<i32> = tx
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .map_err(q("read schema_migrations"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(&found) = present.iter().max()
        && found > known
    {
        return Err(Error::SchemaTooNew { found, known });
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !present.contains(&m.version)) {
        let failed = |e: tokio_postgres::Error| Error::Migration {
            version: m.version,
            name: m.name,
            detail: redactor.clean(crate::error::describe(&e)),
        };
        tx.batch_execute(m.sql).await.map_err(failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .await
        .map_err(failed)?;
        applied.push(m.version);
    }
    tx.commit()
        .await
        .map_err(q("commit the schema migrations"))?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_by_one_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i32 + 1, "{}", m.name);
            assert!(!m.sql.trim().is_empty());
        }
    }
}
