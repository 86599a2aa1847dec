//! Segments.

use super::model;

model! {
    /// A segment of contacts.
    pub struct Segment {
        /// Always `segment`.
        pub r#type: Option<String>,
        /// Segment id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Creation time (Unix seconds).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update (Unix seconds).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// `contact` or `user`.
        pub person_type: Option<String>,
        /// Number of members (only with `include_count`).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub count: Option<i64>,
    }
}
