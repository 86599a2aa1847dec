//! Notes on contacts and companies.

use super::model;

model! {
    /// A note.
    pub struct Note {
        /// Always `note`.
        pub r#type: Option<String>,
        /// Note id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Creation time (Unix seconds).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// The contact it is attached to.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub contact: Option<super::Reference>,
        /// The company it is attached to.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub company: Option<super::Reference>,
        /// The admin who wrote it.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub author: Option<super::Admin>,
        /// HTML body.
        pub body: Option<String>,
    }
}
