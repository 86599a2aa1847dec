// Real-time engineer: mirror (local store, sync, export) and webhook receiver.
pub mod mirror;
pub mod webhooks;
