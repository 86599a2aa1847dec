//! intercom-sandbox's integration tests, one binary: the emulator's endpoints, faults,
//! webhooks and seeds (`seed_bench` is an `#[ignore]`d benchmark).

mod common;
mod sandbox_contacts;
mod sandbox_conversations;
mod sandbox_faults;
mod sandbox_tickets_companies_articles;
mod sandbox_webhooks;
mod sandbox_workspace;
mod seed_bench;
mod seed_consistency;
mod seed_determinism;
mod seed_schema;
mod webhooks_delivery;
