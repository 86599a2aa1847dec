//! Tags.

use super::model;

model! {
    /// A tag (`type: tag`).
    pub struct Tag {
        /// Always `tag`.
        pub r#type: Option<String>,
        /// Tag id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Tag name.
        pub name: Option<String>,
        /// When it was applied (on tagged objects).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub applied_at: Option<i64>,
        /// Who applied it.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub applied_by: Option<super::Reference>,
    }
}

model! {
    /// A `tag.list` wrapper embedded in conversations and articles.
    pub struct TagList {
        /// `tag.list`.
        pub r#type: Option<String>,
        /// The tags.
        #[serde(deserialize_with = "super::de::list")]
        pub tags: Vec<Tag>,
    }
}
