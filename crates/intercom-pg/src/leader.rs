//! One replica at a time for periodic work (sync): a session-level advisory lock held on a
//! connection of its own. The lock lives exactly as long as that connection, so a replica that
//! dies (or loses its connection) gives it up without anyone having to notice.

use tokio::sync::watch;
use tokio_postgres::Client;

use crate::db::Database;
use crate::error::{Redactor, Result};

/// Held leadership of one name. Dropping it closes its connection, which releases the lock.
#[derive(Debug)]
pub struct Leadership {
    name: String,
    client: Option<Client>,
    backend_pid: i32,
    /// Turns true when the connection holding the lock has closed.
    closed: watch::Receiver<bool>,
    redactor: Redactor,
}

impl Database {
    /// Waits until this replica is the one doing `name` (looking again every `poll`), so
    /// replicas take turns: each run of periodic work holds the returned leadership while it
    /// runs. Errors reaching the database are logged and retried.
    pub async fn lead_when_free(&self, name: &str, poll: std::time::Duration) -> Leadership {
        loop {
            match self.try_lead(name).await {
                Ok(Some(lead)) => return lead,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, lock = name, "could not take a leader lock"),
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Becomes the one replica doing `name` (e.g. "sync") if no other is: `None` when another
    /// holds it. Never waits for the lock.
    pub async fn try_lead(&self, name: &str) -> Result<Option<Leadership>> {
        let (client, connection) = self.dedicated().await?;
        let (closing, closed) = watch::channel(false);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "leader-lock connection ended");
            }
            let _ = closing.send(true);
        });
        let q = |e: tokio_postgres::Error| self.redactor().query("take a leader lock", &e);
        // The name hashes to the one-bigint key space; hashtextextended is the same on every
        // replica because the database computes it.
        let row = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0)), pg_backend_pid()",
                &[&name],
            )
            .await
            .map_err(q)?;
        if !row.get::<_, bool>(0) {
            return Ok(None);
        }
        Ok(Some(Leadership {
            name: name.to_owned(),
            client: Some(client),
            backend_pid: row.get(1),
            closed,
            redactor: self.redactor().clone(),
        }))
    }
}

impl Leadership {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server process holding the lock (what `pg_stat_activity` shows).
    pub fn backend_pid(&self) -> i32 {
        self.backend_pid
    }

    /// False once the connection holding the lock has closed: another replica may lead now,
    /// so stop the work this leadership guarded.
    pub fn is_held(&self) -> bool {
        !*self.closed.borrow()
    }

    /// Resolves when the leadership is lost (the connection closed).
    pub async fn lost(&self) {
        let mut closed = self.closed.clone();
        // An error means the watching task is gone, which only happens once it reported.
        let _ = closed.wait_for(|closed| *closed).await;
    }

    /// Gives the lock up and closes the connection.
    pub async fn release(mut self) -> Result<()> {
        if let Some(client) = self.client.take()
            && self.is_held()
        {
            // Dropping the connection would release it too; unlocking first makes it immediate
            // for the next replica rather than once the server notices the closed socket.
            client
                .execute("SELECT pg_advisory_unlock_all()", &[])
                .await
                .map_err(|e| self.redactor.query("release a leader lock", &e))?;
        }
        Ok(())
    }
}
