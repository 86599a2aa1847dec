//! intercom-mirror's integration tests, one binary: the store, sync and the webhook receiver.

mod mirror_store;
mod mirror_sync;
mod webhook_receiver;
