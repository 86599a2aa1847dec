//! Companies and the upsert/update payload.

use serde_json::{Map, Value};

use super::model;

model! {
    /// A company.
    pub struct Company {
        /// `company`.
        pub r#type: Option<String>,
        /// Intercom id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Workspace id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub app_id: Option<String>,
        /// Plan `{type, id, name}`.
        pub plan: Option<Value>,
        /// Your own id for the company.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub company_id: Option<String>,
        /// Creation time in your system.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub remote_created_at: Option<i64>,
        /// Creation time in Intercom.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Last request by a member.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_request_at: Option<i64>,
        /// Employee count.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub size: Option<i64>,
        /// Website.
        pub website: Option<String>,
        /// Industry.
        pub industry: Option<String>,
        /// Monthly spend.
        #[serde(deserialize_with = "super::de::opt_f64")]
        pub monthly_spend: Option<f64>,
        /// Sessions.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub session_count: Option<i64>,
        /// Number of users.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub user_count: Option<i64>,
        /// Custom attributes.
        #[serde(deserialize_with = "super::de::opt_map")]
        pub custom_attributes: Option<Map<String, Value>>,
        /// Tags `{type: tag.list, tags: [...]}`.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub tags: Option<super::TagList>,
        /// Segments `{type: segment.list, segments: [...]}`.
        pub segments: Option<Value>,
        /// Notes summary.
        pub notes: Option<Value>,
    }
}

model! {
    /// Body of `POST /companies` (upsert keyed on `company_id`) and `PUT /companies/{id}`.
    pub struct CompanyInput {
        /// Name.
        pub name: Option<String>,
        /// Your id for the company (required to create; not accepted by PUT).
        pub company_id: Option<String>,
        /// Plan name.
        pub plan: Option<String>,
        /// Employee count.
        pub size: Option<i64>,
        /// Website.
        pub website: Option<String>,
        /// Industry.
        pub industry: Option<String>,
        /// Custom attributes.
        pub custom_attributes: Option<Map<String, Value>>,
        /// Creation time in your system.
        pub remote_created_at: Option<i64>,
        /// Mark as seen now.
        pub update_last_request_at: Option<bool>,
        /// Monthly spend, a whole number (the spec's type is integer, at most 2^31-1).
        pub monthly_spend: Option<i64>,
    }
}

/// Lookup for `GET /companies` by your id, name, tag or segment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyLookup {
    /// Your company id.
    pub company_id: Option<String>,
    /// Exact name.
    pub name: Option<String>,
    /// Companies with this tag.
    pub tag_id: Option<String>,
    /// Companies in this segment.
    pub segment_id: Option<String>,
}
