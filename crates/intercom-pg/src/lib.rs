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

mod claims;
mod db;
mod error;
mod events;
mod leader;
mod locks;
mod migrate;
mod rate;

pub use claims::{ClaimOutcome, Claims, ExpiredClaim};
pub use db::{Database, DatabaseOptions};
pub use error::{Error, Result};
pub use events::{
    Appended, EVENTS_CHANNEL, EventLog, LISTENER_NAME, NewEvent, StoredEvent, Subscription,
};
pub use leader::Leadership;
pub use migrate::{MIGRATIONS, Migration};
pub use rate::PgRateBudget;
