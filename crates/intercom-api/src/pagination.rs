//! The four pagination styles of Intercom, as single pages and as capped async streams.
//!
//! - cursor: `pages.next.starting_after`, sent back as a query parameter (lists) or in the
//!   body's `pagination.starting_after` (search);
//! - page number: `page` / `per_page`, ends at `total_pages`;
//! - `pages_link`: `pages.next` is the full URL of the next page;
//! - scroll: `scroll_param`, ends with an empty `data` array.

use futures::Stream;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::{Call, Client};
use crate::models::{Page, Pages};

/// Bounds one paging loop: stops on a cursor Intercom already gave (a server that
/// repeats it would be paged forever), honours `total_pages`, and refuses to go past
/// a hard page cap. Every loop over Intercom pages, typed or raw, goes through one.
#[derive(Debug)]
pub struct PageGuard {
    what: String,
    pages: u32,
    max_pages: u32,
    seen: std::collections::HashSet<String>,
}

impl PageGuard {
    /// Pages any one listing may take: 1,000 pages of 150 is 150,000 objects, beyond
    /// what a tool call should read, and at Intercom's rate limit about a minute of calls.
    pub const MAX_PAGES: u32 = 1_000;

    /// A guard for the listing `what` (say `POST /conversations/search`).
    pub fn new(what: impl Into<String>) -> Self {
        Self::with_max_pages(what, Self::MAX_PAGES)
    }

    /// A guard with its own page cap.
    pub fn with_max_pages(what: impl Into<String>, max_pages: u32) -> Self {
        Self {
            what: what.into(),
            pages: 0,
            max_pages: max_pages.max(1),
            seen: std::collections::HashSet::new(),
        }
    }

    /// Pages read so far.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Records a page just read and decides on the next: `Ok(Some(marker))` to go on
    /// with that cursor, page number or link, `Ok(None)` at the end (no marker, or
    /// `page >= total_pages`), an error on a repeated marker or past the cap.
    pub fn next(
        &mut self,
        marker: Option<&str>,
        page: Option<u64>,
        total_pages: Option<u64>,
    ) -> Result<Option<String>> {
        self.pages += 1;
        let Some(marker) = marker.map(str::trim).filter(|m| !m.is_empty()) else {
            return Ok(None);
        };
        if let (Some(page), Some(total)) = (page, total_pages)
            && page >= total
        {
            return Ok(None);
        }
        if !self.seen.insert(marker.to_owned()) {
            return Err(self.stop(format!(
                "Intercom handed back the cursor {marker:?} a second time"
            )));
        }
        if self.pages >= self.max_pages {
            return Err(self.stop(format!("the cap of {} pages was reached", self.max_pages)));
        }
        Ok(Some(marker.to_owned()))
    }

    fn stop(&self, reason: String) -> Error {
        Error::Paging {
            what: self.what.clone(),
            pages: self.pages,
            reason,
        }
    }
}

/// Builds a [`Page`] from a list answer. Items live under `key` (or `data` as a fallback).
pub(crate) fn parse_page<T: DeserializeOwned>(value: Value, key: &str) -> Result<Page<T>> {
    let mut obj = match value {
        Value::Object(m) => m,
        Value::Null => return Ok(Page::default()),
        other => {
            return Err(Error::Decode {
                method: String::new(),
                path: key.to_owned(),
                expected: "a list object",
                message: format!("got {}", kind_of(&other)),
                id: None,
            });
        }
    };
    let raw_items = obj
        .remove(key)
        .filter(Value::is_array)
        .or_else(|| obj.remove("data").filter(Value::is_array))
        .unwrap_or(Value::Array(Vec::new()));
    // One unusable element (a `null`, a string, an object of the wrong shape) is left
    // out and counted instead of failing the whole list.
    let mut skipped = 0usize;
    let items: Vec<T> = match raw_items {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| {
                if v.is_null() {
                    skipped += 1;
                    return None;
                }
                match serde_json::from_value(v) {
                    Ok(item) => Some(item),
                    Err(e) => {
                        skipped += 1;
                        tracing::warn!(
                            list = key,
                            expected = std::any::type_name::<T>(),
                            error = %e,
                            "left out a list item that could not be read"
                        );
                        None
                    }
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    let total_count = obj.get("total_count").and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    let pages: Pages = obj
        .get("pages")
        .cloned()
        .and_then(|p| serde_json::from_value(p).ok())
        .unwrap_or_default();
    let mut page = Page {
        total_count,
        next_cursor: pages.next_cursor(),
        next_page: pages.next_page().and_then(|p| u32::try_from(p).ok()),
        next_url: pages.next_url(),
        items,
        skipped,
    };
    // Scroll: the cursor is `scroll_param`, and an empty page is the end.
    if let Some(param) = obj.get("scroll_param").and_then(Value::as_str) {
        page.next_cursor = (!page.items.is_empty() && !param.is_empty()).then(|| param.to_owned());
        page.next_page = None;
        page.next_url = None;
    }
    // `page` of `total_pages` is the last, whatever `next` says (a mock or a confused
    // server may name a next cursor on the last page).
    if let (Some(current), Some(total)) = (pages.page, pages.total_pages)
        && current >= total
    {
        page.next_cursor = None;
        page.next_page = None;
        page.next_url = None;
    }
    if page.items.is_empty() && page.skipped == 0 {
        // An empty page never leads anywhere; stopping avoids loops on odd servers.
        page.next_cursor = None;
        page.next_page = None;
        page.next_url = None;
    }
    Ok(page)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What the next request is, given the page just read. `None` ends the stream.
pub(crate) type NextCall<T> = Box<dyn Fn(&Page<T>) -> Option<Call> + Send + Sync>;

impl Client {
    /// Fetches one page.
    pub(crate) async fn fetch_page<T: DeserializeOwned>(
        &self,
        call: Call,
        key: &str,
    ) -> Result<Page<T>> {
        let value = self.execute(call).await?;
        parse_page(value, key)
    }

    /// Streams items across pages until the last page or `cap` items.
    pub(crate) fn paged_stream<T>(
        &self,
        first: Call,
        key: &'static str,
        next: NextCall<T>,
        cap: usize,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let client = self.clone();
        async_stream::try_stream! {
            let mut guard = PageGuard::new(first.path_for_messages());
            let mut call = Some(first);
            let mut yielded = 0usize;
            while let Some(current) = call.take() {
                if yielded >= cap {
                    break;
                }
                let page: Page<T> = client.fetch_page(current, key).await?;
                let marker = page
                    .next_cursor
                    .clone()
                    .or_else(|| page.next_url.clone())
                    .or_else(|| page.next_page.map(|p| p.to_string()));
                let next_call = match guard.next(marker.as_deref(), None, None)? {
                    Some(_) => next(&page),
                    None => None,
                };
                for item in page.items {
                    if yielded >= cap {
                        break;
                    }
                    yielded += 1;
                    yield item;
                }
                call = next_call;
            }
        }
    }

    /// Streams a cursor-paginated list (`starting_after` query parameter).
    pub(crate) fn cursor_list_stream<T>(
        &self,
        segments: &[&str],
        key: &'static str,
        per_page: Option<u32>,
        cap: usize,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let segs: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
        let make = move |cursor: Option<&str>| {
            let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
            Call::get(&refs)
                .query_opt("per_page", per_page)
                .query_opt("starting_after", cursor)
        };
        let first = make(None);
        self.paged_stream(
            first,
            key,
            Box::new(move |page: &Page<T>| page.next_cursor.as_deref().map(|c| make(Some(c)))),
            cap,
        )
    }

    /// Streams a page-number list (`page` / `per_page`).
    pub(crate) fn page_number_stream<T>(
        &self,
        make: impl Fn(u32) -> Call + Send + Sync + 'static,
        key: &'static str,
        cap: usize,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let first = make(1);
        self.paged_stream(
            first,
            key,
            Box::new(move |page: &Page<T>| page.next_page.map(&make)),
            cap,
        )
    }

    /// Streams a `pages_link` list: each page names the full URL of the next.
    pub(crate) fn link_stream<T>(
        &self,
        first: Call,
        key: &'static str,
        cap: usize,
    ) -> impl Stream<Item = Result<T>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let base = self.config().base_url().clone();
        self.paged_stream(
            first,
            key,
            Box::new(move |page: &Page<T>| {
                let next = page.next_url.as_deref()?;
                // Intercom sends a full URL; resolve a relative one against the base just in case.
                let url = url::Url::parse(next).or_else(|_| base.join(next)).ok()?;
                Some(Call::absolute(reqwest::Method::GET, url))
            }),
            cap,
        )
    }
}

/// Decodes a single object (used where an endpoint answers with an object instead of a list).
pub(crate) fn parse_single<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::Decode {
        method: String::new(),
        path: String::new(),
        expected: std::any::type_name::<T>(),
        message: e.to_string(),
        id: None,
    })
}
