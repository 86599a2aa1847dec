//! Typed endpoint methods on [`crate::Client`], one file per domain.

mod admins;
mod articles;
mod companies;
mod contacts;
mod conversations;
mod data_attributes;
mod tags;

pub use tags::find_tag;
mod tickets;

use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::http::{Call, Client};
use crate::models::Page;

impl Client {
    /// Fetches a non-paginated list (`{type, <key>: [...]}`): its items, and how many
    /// unusable ones were left out ([`Page::skipped`]).
    pub(crate) async fn fetch_list<T: DeserializeOwned>(
        &self,
        call: Call,
        key: &str,
    ) -> Result<Page<T>> {
        self.fetch_page(call, key).await
    }
}
