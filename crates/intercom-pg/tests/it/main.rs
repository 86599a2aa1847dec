//! intercom-pg's integration tests, one binary, against a real PostgreSQL cluster that the
//! harness starts for the run (see `cluster.rs`).

mod cluster;

mod claims;
mod connect;
mod events;
mod fleet_mirror;
mod grants;
mod jobs;
mod leader;
mod mirror_metrics;
mod mirror_store;
mod rate_budget;
mod runlog;
