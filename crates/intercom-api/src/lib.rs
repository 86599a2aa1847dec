//! Typed async client for Intercom REST API 2.16.
//!
//! - [`ClientConfig`] / [`Client`]: token (redacted everywhere), region or base URL,
//!   `Intercom-Version: 2.16`, timeouts, one pooled HTTP client;
//! - typed [`models`] that keep unknown fields, so read-modify-write loses nothing;
//! - endpoint methods on [`Client`] (see the crate README for the method → HTTP table);
//! - [`SearchQuery`] builder with Intercom's rules checked before sending;
//! - [`Page`] and capped async streams for the four pagination styles;
//! - shared rate-limit pacing ([`Client::rate_limit`]), pluggable for a fleet ([`RateBudget`]),
//!   and safe retries ([`RetryPolicy`]);
//! - one [`Error`] type worded so a person can act on it.

pub mod config;
pub mod directory;
mod endpoints;
pub use endpoints::find_tag;
pub mod error;
mod http;
pub mod models;
mod pagination;
pub mod ratelimit;
pub mod search;
pub mod writes;

pub use config::{API_VERSION, ClientConfig, ClientConfigBuilder, Region, RetryPolicy, Secret};
pub use directory::{
    Directory, DirectoryAdmin, DirectoryCache, DirectoryTag, DirectoryTeam, NameMiss,
};
pub use error::{ApiError, ApiErrorItem, Error, Result, TransportKind};
pub use http::{Client, Method};
pub use intercom_core::ids::{Id, IdError};
pub use models::*;
pub use pagination::PageGuard;
pub use ratelimit::{Grant, Permit, RateBudget, RateLimitSnapshot, RateLimiter};
pub use search::{
    FieldRef, Operator, SearchQuery, SearchRequest, SearchSort, SearchValue, SortOrder,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn client_is_send_sync_clone() {
        assert_send_sync::<Client>();
    }
}
