//! `serve --store postgres://…`: one replica of a fleet whose shared state is in PostgreSQL.
//!
//! What the database holds for every replica: the mirror (objects, conversation parts and their
//! full-text index, sync checkpoints), bulk jobs (resumed by any replica once the one running a
//! job is gone), the automations run log (each rule once per event), the webhook event log
//! (stored once, reaching every replica's subscribers), the Intercom rate budget, and the lock
//! that lets one replica at a time run the periodic sync. A replica keeps no state of its own.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use intercom_api::{Client, RateBudget};
use intercom_automations::RunLog;
use intercom_jobs::bulk::{JobStore, RunOptions, run_job};
use intercom_mcp_server::live::SyncGate;
use intercom_mcp_server::workspace_context::RateBudgets;
use intercom_mirror::Mirror;
use intercom_pg::{Database, PgJobStore, PgRateBudget, PgRunLog};
use std::sync::Mutex;

/// Environment variable naming this replica (same as `--replica-name`).
pub const REPLICA_ENV: &str = "INTERCOM_MCP_REPLICA";
/// How often a replica looks for bulk jobs whose runner is gone.
const SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Environment variable: seconds a bulk job's runner holds it between renewals (default 30);
/// a job whose replica is gone is resumed by another once this has passed.
pub const JOB_LEASE_ENV: &str = "INTERCOM_MCP_JOB_LEASE_SECONDS";
/// Name of the periodic sync's lock.
const SYNC_LOCK: &str = "intercom-mcp periodic sync";

/// `serve` options of a replica (used with a PostgreSQL `--store`).
#[derive(Debug, Clone, Args, Default)]
pub struct FleetArgs {
    /// This replica's name in the fleet: unique among the replicas and the same after a restart
    /// (default: the host name and the HTTP port). Used with a PostgreSQL --store.
    #[arg(long = "replica-name", env = REPLICA_ENV)]
    pub replica: Option<String>,
}

impl FleetArgs {
    fn replica_name(&self, port: u16) -> String {
        if let Some(name) = self
            .replica
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            return name.to_string();
        }
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "replica".into());
        format!("{host}-{port}")
    }
}

/// This replica's handle on the fleet's database.
pub struct Fleet {
    db: Database,
    replica: String,
    jobs: PgJobStore,
    budgets: Arc<Mutex<HashMap<String, Arc<PgRateBudget>>>>,
}

impl Fleet {
    /// Connects (applying schema migrations under a lock) as replica `args`/`port` names.
    /// Errors name the server, database and user, never the password.
    pub async fn connect(url: &str, args: &FleetArgs, port: u16) -> anyhow::Result<Self> {
        let replica = args.replica_name(port);
        let db = Database::connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let instance = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let lease = match std::env::var(JOB_LEASE_ENV) {
            Ok(v) => Duration::from_secs(
                v.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|s| *s > 0)
                    .with_context(|| {
                        format!("{JOB_LEASE_ENV}={v:?} is not a whole number of seconds above 0")
                    })?,
            ),
            Err(_) => intercom_pg::DEFAULT_JOB_LEASE,
        };
        let jobs = PgJobStore::with_lease(db.clone(), format!("{replica}#{instance}"), lease);
        tracing::info!(replica = %replica, database = %db.target(), "fleet replica on PostgreSQL");
        Ok(Self {
            db,
            replica,
            jobs,
            budgets: Arc::default(),
        })
    }

    pub fn job_store(&self) -> Arc<dyn JobStore> {
        Arc::new(self.jobs.clone())
    }

    /// Sign-in grants for the whole fleet (a sign-in may start and end on different replicas).
    pub fn grant_store(&self) -> Arc<dyn intercom_mcp_server::oauth::store::GrantStore> {
        Arc::new(intercom_pg::PgGrantStore::new(self.db.clone()))
    }

    pub fn run_log(&self) -> Arc<dyn RunLog> {
        Arc::new(PgRunLog::new(self.db.clone(), &self.replica))
    }

    /// One rate budget per access token, shared with every replica through the database.
    pub fn rate_budgets(&self) -> RateBudgets {
        let (db, budgets) = (self.db.clone(), self.budgets.clone());
        RateBudgets::new(move |key| {
            let budget: Arc<dyn RateBudget> = budgets
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(key.to_string())
                .or_insert_with(|| Arc::new(PgRateBudget::new(db.clone(), key)))
                .clone();
            budget
        })
    }

    /// The fleet's mirror, in PostgreSQL. A follower of the shared event log tells this
    /// replica's subscribers about what other replicas stored.
    pub fn mirror(&self) -> anyhow::Result<Mirror> {
        let location = format!("PostgreSQL {}", self.db.target());
        let (mirror, store) = intercom_pg::pg_mirror(self.db.clone(), location);
        tokio::spawn(intercom_pg::follow_fleet_events(
            mirror.clone(),
            store,
            self.db.clone(),
            self.replica.clone(),
        ));
        Ok(mirror)
    }

    /// `/healthz`'s check of the database: one round trip on a pooled connection.
    pub fn store_health(&self) -> intercom_mcp_server::context::StoreHealth {
        let db = self.db.clone();
        Arc::new(move || {
            let db = db.clone();
            Box::pin(async move {
                let client = db.client().await.map_err(|e| e.to_string())?;
                client.simple_query("SELECT 1").await.map_err(|e| {
                    format!("PostgreSQL at {} did not answer a query: {e}", db.target())
                })?;
                Ok(format!("PostgreSQL {}", db.target()))
            })
        })
    }

    /// The periodic sync's turn: one replica at a time (an advisory lock held for the run).
    pub fn sync_gate(&self) -> SyncGate {
        let db = self.db.clone();
        Arc::new(move || {
            let db = db.clone();
            Box::pin(async move {
                let turn = db.lead_when_free(SYNC_LOCK, Duration::from_secs(1)).await;
                Box::new(turn) as Box<dyn std::any::Any + Send>
            })
        })
    }

    /// Resumes, in the background, bulk jobs left running by a replica that is gone (its lease
    /// ran out): every pending item is read back before it is sent again.
    pub fn spawn_job_sweeper(&self, client: Client) {
        let store = self.jobs.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SWEEP_EVERY).await;
                let orphans = match store.orphaned_jobs(10).await {
                    Ok(ids) => ids,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look for orphaned bulk jobs");
                        continue;
                    }
                };
                for id in orphans {
                    let options = RunOptions {
                        resume: true,
                        ..RunOptions::default()
                    };
                    tracing::info!(job = %id, "resuming a bulk job whose replica is gone");
                    match run_job(&client, &store, &id, &options, &|_, _, _| {}).await {
                        Ok(report) => tracing::info!(
                            job = %id,
                            ok = report.job.ok,
                            failed = report.job.failed,
                            pending = report.job.pending,
                            "resumed bulk job finished"
                        ),
                        // Another replica may have taken it first: that is its job now.
                        Err(e) => {
                            tracing::info!(job = %id, error = %e, "did not resume a bulk job")
                        }
                    }
                }
            }
        });
    }
}
