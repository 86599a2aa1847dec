//! Local emulator of Intercom REST API 2.16: a seeded workspace served over HTTP with
//! Intercom's shapes, errors, search, rate limits, plus fault injection and a control surface.

// Large `json!` literals (full contact/conversation objects) need a deeper macro recursion.
#![recursion_limit = "256"]

pub mod activity;
pub mod app;
pub mod cli;
pub mod domain;
pub mod errors;
pub mod input;
pub mod middleware;
pub mod oauth;
pub mod paging;
pub mod routes;
pub mod search;
pub mod seed;
pub mod segments;
pub mod server;
pub mod store;
pub mod webhooks;

pub use app::{FaultKind, SandboxConfig};
pub use seed::{Scale, SeedData};
pub use server::Sandbox;
