//! The connection pool and the dedicated connections a replica opens to PostgreSQL.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, NoTls};

use crate::error::{Error, Redactor, Result, describe};
use crate::migrate;

/// How a [`Database`] connects; [`Default`] suits one replica.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Most pooled connections this replica holds (dedicated ones for listening and leader
    /// locks come on top).
    pub max_connections: usize,
    /// Longest wait for a pooled connection, and for a new connection to be made.
    pub connect_timeout: Duration,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        DatabaseOptions {
            max_connections: 16,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// One replica's handle on the shared database: a pool, plus what it needs to open dedicated
/// connections. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    config: tokio_postgres::Config,
    /// `host:port/dbname as user`, for messages (never the password).
    target: String,
    redactor: Redactor,
    migrations_applied: Vec<i32>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("target", &self.inner.target)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Connects with default options and brings the schema up to date (see
    /// [`connect_with`](Database::connect_with)).
    pub async fn connect(url: &str) -> Result<Database> {
        Self::connect_with(url, DatabaseOptions::default()).await
    }

    /// Parses `url` (`postgres://user:password@host:port/dbname`, or the key=value form),
    /// checks a connection can be made, and applies the schema migrations this binary carries
    /// that the database lacks. Replicas starting together serialize on a lock: one applies,
    /// the others find the work done.
    pub async fn connect_with(url: &str, options: DatabaseOptions) -> Result<Database> {
        // The driver's parse errors do not quote the input, but the URL holds the password:
        // say nothing of it beyond the driver's words.
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            Error::Config(format!(
                "not a PostgreSQL connection URL ({}); expected postgres://user:password@host:port/dbname",
                describe(&e)
            ))
        })?;
        let redactor = Redactor::new(config.get_password());
        if config.get_ssl_mode() == SslMode::Require {
            return Err(Error::Config(
                "sslmode=require asks for TLS, which this build does not speak to PostgreSQL; \
                 reach the database over a private network or a unix socket and use sslmode=disable"
                    .into(),
            ));
        }
        if config.get_hosts().is_empty() {
            return Err(Error::Config(
                "the PostgreSQL URL names no host; give one, e.g. postgres://user:password@localhost:5432/intercom".into(),
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("intercom-mcp");
        }
        let target = describe_target(&config);
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .wait_timeout(Some(options.connect_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| Error::Config(format!("could not build the connection pool: {e}")))?;
        let mut client = pool.get().await.map_err(|e| Error::Connect {
            target: target.clone(),
            detail: redactor.clean(describe(&e)),
        })?;
        let migrations_applied = migrate::run(&mut client, &redactor).await?;
        drop(client);
        if !migrations_applied.is_empty() {
            tracing::info!(target = %target, versions = ?migrations_applied, "applied schema migrations");
        }
        Ok(Database {
            inner: Arc::new(Inner {
                pool,
                config,
                target,
                redactor,
                migrations_applied,
            }),
        })
    }

    /// The migrations this handle applied when it connected (empty when another replica, or an
    /// earlier start, already had).
    pub fn migrations_applied(&self) -> &[i32] {
        &self.inner.migrations_applied
    }

    /// `host:port/dbname as user`: where this handle points, for messages.
    pub fn target(&self) -> &str {
        &self.inner.target
    }

    /// A pooled connection (returned to the pool on drop).
    pub async fn client(&self) -> Result<Object> {
        self.inner.pool.get().await.map_err(|e| Error::Connect {
            target: self.inner.target.clone(),
            detail: self.inner.redactor.clean(describe(&e)),
        })
    }

    /// A connection of its own, outside the pool, for state that lives as long as a session
    /// (LISTEN, advisory locks). The returned task drives it and ends when it closes.
    pub(crate) async fn dedicated(
        &self,
    ) -> Result<(
        Client,
        tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
    )> {
        self.inner
            .config
            .connect(NoTls)
            .await
            .map_err(|e| Error::Connect {
                target: self.inner.target.clone(),
                detail: self.inner.redactor.clean(describe(&e)),
            })
    }

    pub(crate) fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }
}

fn describe_target(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "?".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    let user = config.get_user().unwrap_or("(default user)");
    format!("{host}:{port}/{db} as {user}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_names_no_password() {
        let config =
            tokio_postgres::Config::from_str("postgres://app:hunter2@db.internal:6543/intercom")
                .unwrap();
        let target = describe_target(&config);
        assert_eq!(target, "db.internal:6543/intercom as app");
    }

    #[tokio::test]
    async fn a_bad_url_is_a_clear_error_without_the_password() {
        let err = Database::connect("postgres://app:hunter2@db:notaport/x")
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Config(_)), "{msg}");
        assert!(msg.contains("not a PostgreSQL connection URL"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[tokio::test]
    async fn tls_is_refused_up_front() {
        let err = Database::connect("postgres://app:pw@db/x?sslmode=require")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("sslmode=require"), "{err}");
    }
}
