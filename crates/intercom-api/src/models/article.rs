//! Help-center articles.

use serde_json::Value;

use super::model;

model! {
    /// An article.
    pub struct Article {
        /// `article`.
        pub r#type: Option<String>,
        /// Id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Workspace id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub workspace_id: Option<String>,
        /// Title.
        pub title: Option<String>,
        /// Description.
        pub description: Option<String>,
        /// HTML body.
        pub body: Option<String>,
        /// Markdown body.
        pub body_markdown: Option<String>,
        /// Author admin id.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub author_id: Option<i64>,
        /// `published` or `draft`.
        pub state: Option<String>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Public URL.
        pub url: Option<String>,
        /// Draft differs from the published version.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub has_unpublished_changes: Option<bool>,
        /// Last draft change.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub draft_updated_at: Option<i64>,
        /// Creator admin id.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_by_id: Option<i64>,
        /// Last editor admin id.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_by_id: Option<i64>,
        /// Who can see it in the help center.
        pub help_center_audience: Option<String>,
        /// Parent collection/section id.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub parent_id: Option<i64>,
        /// Parent ids.
        #[serde(deserialize_with = "super::de::i64_list")]
        pub parent_ids: Vec<i64>,
        /// Parent type.
        pub parent_type: Option<String>,
        /// Default locale.
        pub default_locale: Option<String>,
        /// Translations.
        pub translated_content: Option<Value>,
        /// Statistics.
        pub statistics: Option<Value>,
        /// Tags.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub tags: Option<super::TagList>,
    }
}

model! {
    /// Body of `POST /articles` and `PUT /articles/{id}`.
    pub struct ArticleInput {
        /// Title (required to create).
        pub title: Option<String>,
        /// Description.
        pub description: Option<String>,
        /// HTML body.
        pub body: Option<String>,
        /// Markdown body.
        pub body_markdown: Option<String>,
        /// Author admin id (required to create).
        pub author_id: Option<i64>,
        /// `published` or `draft`.
        pub state: Option<String>,
        /// Parent collection/section.
        pub parent_id: Option<i64>,
        /// `collection` or `section`.
        pub parent_type: Option<String>,
        /// Translations.
        pub translated_content: Option<Value>,
    }
}

/// Parameters of `GET /articles/search`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleSearch {
    /// Words to search for.
    pub phrase: Option<String>,
    /// `published`, `draft` or `all`.
    pub state: Option<String>,
    /// Limit to one help center.
    pub help_center_id: Option<i64>,
    /// Return highlights.
    pub highlight: Option<bool>,
}

model! {
    /// Answer of an article search.
    pub struct ArticleSearchResult {
        /// Total matches.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub total_count: Option<i64>,
        /// Matching articles.
        pub articles: Vec<Article>,
        /// Highlights, parallel to `articles`.
        pub highlights: Vec<Value>,
        /// Next page cursor.
        pub next_cursor: Option<String>,
    }
}
