//! PostgreSQL for a fleet of intercom-mcp replicas: the state they share and the primitives
//! they coordinate with.
//!
//! - [`Database`]: a connection pool; connecting applies the embedded schema migrations under a
//!   lock, so replicas starting together do not race.
//! - [`PgRateBudget`]: one Intercom rate budget for every replica (a ledger row per window).
//! - [`Claims`]: exactly-once work with leases that another replica takes over once they run out.
//! - [`Database::try_lead`]: one replica at a time for periodic work (an advisory lock).
//! - [`EventLog`]: webhook events stored once, in one sequence, followed with LISTEN/NOTIFY and
//!   resumable from any sequence number.
//! - [`PgJobStore`] and [`PgRunLog`]: the bulk job store and the automations run log of the
//!   engines, shared by the fleet (leases say which replica runs what).
//! - [`PgGrantStore`]: sign-in with Intercom (OAuth) for the whole fleet: clients, sealed grants,
//!   one-use codes and sign-ins in progress, whichever replica a request reaches.
//! - [`PgMirrorStore`]: the mirror (objects, conversation parts with full-text search, events,
//!   sync checkpoints) in PostgreSQL, one copy every replica reads.

mod claims;
mod db;
mod error;
mod events;
mod grants;
mod jobs;
mod leader;
mod locks;
mod migrate;
mod pgfacts;
mod pgmirror;
mod pgsearch;
mod rate;
mod runlog;

pub use claims::{ClaimOutcome, Claims, ExpiredClaim};
pub use db::{Database, DatabaseOptions};
pub use error::{Error, Result};
pub use events::{
    Appended, EVENTS_CHANNEL, EventLog, LISTENER_NAME, NewEvent, StoredEvent, Subscription,
};
pub use grants::PgGrantStore;
pub use jobs::{BULK_JOB_SCOPE, DEFAULT_JOB_LEASE, PgJobStore};
pub use leader::Leadership;
pub use migrate::{MIGRATIONS, Migration};
pub use pgmirror::{PgMirrorStore, follow as follow_fleet_events, pg_mirror};
pub use rate::PgRateBudget;
pub use runlog::{AUTOMATION_RUN_SCOPE, DEFAULT_RUN_LEASE, PgRunLog};
