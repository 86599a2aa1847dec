//! Exactly-once work across replicas: a claim is a row in `claims`, won by the first replica
//! to insert it (`INSERT … ON CONFLICT`), held for a lease, and taken over by another replica
//! only once that lease has run out without the work being completed. Leases are compared
//! with the database's clock, never a replica's.

use std::time::Duration;

use serde_json::Value;

use crate::db::Database;
use crate::error::Result;

/// What [`Claims::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The caller holds the lease. `attempt` is 1 for a first claim, more for a takeover of a
    /// lease that ran out (the previous owner may have done part of the work).
    Won { attempt: i32 },
    /// Another owner holds a lease that has not run out.
    Held { owner: String },
    /// The work was completed; it is never claimed again.
    Completed { owner: String },
}

impl ClaimOutcome {
    pub fn won(&self) -> bool {
        matches!(self, ClaimOutcome::Won { .. })
    }
}

/// An open claim whose lease ran out: work whose owner died or stalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredClaim {
    pub key: String,
    pub owner: String,
    pub attempts: i32,
}

/// The claims of one scope (`automation_run`, `bulk_job`, …).
#[derive(Debug, Clone)]
pub struct Claims {
    db: Database,
    scope: String,
}

impl Claims {
    pub fn new(db: Database, scope: impl Into<String>) -> Self {
        Claims {
            db,
            scope: scope.into(),
        }
    }

    /// Claims `key` for `owner` for `lease`: won when nobody claimed it yet, or when the last
    /// owner's lease ran out before it completed. Of owners racing for one key exactly one wins.
    pub async fn claim(&self, key: &str, owner: &str, lease: Duration) -> Result<ClaimOutcome> {
        let client = self.db.client().await?;
        let q = |e: tokio_postgres::Error| self.db.redactor().query("claim work", &e);
        let won = client
            .query_opt(
                "INSERT INTO claims AS c (scope, key, owner, lease_until, attempts, claimed_at)
                 VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4), 1, clock_timestamp())
                 ON CONFLICT (scope, key) DO UPDATE
                    SET owner = EXCLUDED.owner,
                        lease_until = EXCLUDED.lease_until,
                        attempts = c.attempts + 1,
                        claimed_at = EXCLUDED.claimed_at
                    WHERE c.completed_at IS NULL AND c.lease_until <= clock_timestamp()
                 RETURNING attempts",
                &[&self.scope, &key, &owner, &lease.as_secs_f64()],
            )
            .await
            .map_err(q)?;
        if let Some(row) = won {
            return Ok(ClaimOutcome::Won {
                attempt: row.get(0),
            });
        }
        let row = client
            .query_one(
                "SELECT owner, completed_at IS NOT NULL FROM claims WHERE scope = $1 AND key = $2",
                &[&self.scope, &key],
            )
            .await
            .map_err(q)?;
        let owner: String = row.get(0);
        Ok(if row.get(1) {
            ClaimOutcome::Completed { owner }
        } else {
            ClaimOutcome::Held { owner }
        })
    }

    /// Extends `owner`'s lease on `key` to `lease` from now; `false` when it is no longer
    /// `owner`'s (taken over after running out, or completed).
    pub async fn renew(&self, key: &str, owner: &str, lease: Duration) -> Result<bool> {
        let client = self.db.client().await?;
        let n = client
            .execute(
                "UPDATE claims SET lease_until = clock_timestamp() + make_interval(secs => $4)
                 WHERE scope = $1 AND key = $2 AND owner = $3 AND completed_at IS NULL",
                &[&self.scope, &key, &owner, &lease.as_secs_f64()],
            )
            .await
            .map_err(|e| self.db.redactor().query("renew a claim", &e))?;
        Ok(n == 1)
    }

    /// Marks `key` done by `owner`, with what it produced; `false` when the claim is no longer
    /// `owner`'s (someone took it over: the caller's work may have been done twice).
    pub async fn complete(&self, key: &str, owner: &str, result: Option<&Value>) -> Result<bool> {
        let client = self.db.client().await?;
        let n = client
            .execute(
                "UPDATE claims SET completed_at = clock_timestamp(), result = $4
                 WHERE scope = $1 AND key = $2 AND owner = $3 AND completed_at IS NULL",
                &[&self.scope, &key, &owner, &result],
            )
            .await
            .map_err(|e| self.db.redactor().query("complete a claim", &e))?;
        Ok(n == 1)
    }

    /// Gives the lease up early (the work was not done): another owner may claim it at once.
    pub async fn release(&self, key: &str, owner: &str) -> Result<bool> {
        let client = self.db.client().await?;
        let n = client
            .execute(
                "UPDATE claims SET lease_until = clock_timestamp()
                 WHERE scope = $1 AND key = $2 AND owner = $3 AND completed_at IS NULL",
                &[&self.scope, &key, &owner],
            )
            .await
            .map_err(|e| self.db.redactor().query("release a claim", &e))?;
        Ok(n == 1)
    }

    /// Open claims whose lease ran out, oldest first (at most `limit`): work to take over.
    pub async fn expired(&self, limit: i64) -> Result<Vec<ExpiredClaim>> {
        let client = self.db.client().await?;
        let rows = client
            .query(
                "SELECT key, owner, attempts FROM claims
                 WHERE scope = $1 AND completed_at IS NULL AND lease_until <= clock_timestamp()
                 ORDER BY lease_until LIMIT $2",
                &[&self.scope, &limit],
            )
            .await
            .map_err(|e| self.db.redactor().query("list expired claims", &e))?;
        Ok(rows
            .iter()
            .map(|r| ExpiredClaim {
                key: r.get(0),
                owner: r.get(1),
                attempts: r.get(2),
            })
            .collect())
    }
}
