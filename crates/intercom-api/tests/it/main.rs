#![recursion_limit = "256"]

//! intercom-api's integration tests, one binary: the client against scripted HTTP servers.

mod common;
mod directory;
mod endpoints;
mod errors;
mod models;
mod pagination;
mod rate_limit;
mod retry;
mod search;
