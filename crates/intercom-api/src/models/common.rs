//! Small shared shapes: references, pages metadata, deletion answers.

use super::model;

model! {
    /// `{type, id}` pointer to another object (admin, team, contact...).
    pub struct Reference {
        /// Object type, e.g. `admin`, `team`.
        pub r#type: Option<String>,
        /// Object id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
    }
}

model! {
    /// A contact as referenced from a conversation or ticket.
    pub struct ContactReference {
        /// Always `contact`.
        pub r#type: Option<String>,
        /// Contact id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// The contact's external id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub external_id: Option<String>,
    }
}

model! {
    /// Pagination metadata (`pages`) of cursor, page-number and link styles.
    pub struct Pages {
        /// Always `pages`.
        pub r#type: Option<String>,
        /// Current page number.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub page: Option<i64>,
        /// Page size.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub per_page: Option<i64>,
        /// Number of pages.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub total_pages: Option<i64>,
        /// Cursor (`{per_page, starting_after}`) or, for `pages_link`, a full URL string.
        pub next: Option<serde_json::Value>,
    }
}

impl Pages {
    /// The cursor for the next page (`next.starting_after`), if any.
    pub fn next_cursor(&self) -> Option<String> {
        let next = self.next.as_ref()?;
        next.get("starting_after")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// The full URL of the next page (`pages_link` style), if any.
    pub fn next_url(&self) -> Option<String> {
        self.next
            .as_ref()?
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }

    /// The next page number when the page-number style says there is one.
    pub fn next_page(&self) -> Option<i64> {
        match (self.page, self.total_pages) {
            (Some(p), Some(t)) if p < t => Some(p + 1),
            _ => None,
        }
    }
}

model! {
    /// Answer of a delete call: `{id, object, deleted}`.
    pub struct Deleted {
        /// Id of the deleted object.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Object type.
        pub object: Option<String>,
        /// True when deleted.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub deleted: Option<bool>,
    }
}

model! {
    /// An addressable list summary embedded in a contact (`tags`, `notes`, `companies`).
    pub struct AddressableList {
        /// Items: `{type, id, url}`.
        #[serde(deserialize_with = "super::de::list")]
        pub data: Vec<Reference>,
        /// URL of the full list.
        pub url: Option<String>,
        /// Total number of items.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub total_count: Option<i64>,
        /// True when `data` is truncated.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub has_more: Option<bool>,
    }
}

/// One page of results, for tools that page themselves.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Page<T> {
    /// Items on this page.
    pub items: Vec<T>,
    /// Total matching items, when Intercom says.
    pub total_count: Option<u64>,
    /// Cursor to pass back for the next page (cursor and search styles); `None` at the end.
    pub next_cursor: Option<String>,
    /// Next page number (page-number style); `None` at the end.
    pub next_page: Option<u32>,
    /// Next page URL (`pages_link` style); `None` at the end.
    pub next_url: Option<String>,
    /// Items Intercom sent that could not be read (`null`, or not the expected shape)
    /// and were left out of `items`. Callers say so rather than fail the whole list.
    pub skipped: usize,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            total_count: None,
            next_cursor: None,
            next_page: None,
            next_url: None,
            skipped: 0,
        }
    }
}

/// A list page reads as its items (`len`, `iter`, indexing).
impl<T> std::ops::Deref for Page<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<T> Page<T> {
    /// True when nothing indicates a further page.
    pub fn is_last(&self) -> bool {
        self.next_cursor.is_none() && self.next_page.is_none() && self.next_url.is_none()
    }
}
