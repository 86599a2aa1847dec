//! Contacts (users and leads) and their write payload.

use intercom_core::ids::Id;
use serde_json::{Map, Value};

use super::model;

model! {
    /// A contact (user or lead).
    pub struct Contact {
        /// `contact`.
        pub r#type: Option<String>,
        /// Intercom id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Your id for the contact.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub external_id: Option<String>,
        /// Workspace id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub workspace_id: Option<String>,
        /// `user` or `lead`.
        pub role: Option<String>,
        /// Email.
        pub email: Option<String>,
        /// Email domain.
        pub email_domain: Option<String>,
        /// Phone.
        pub phone: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Owning admin id (a string in 2.16).
        #[serde(deserialize_with = "super::de::opt_string")]
        pub owner_id: Option<String>,
        /// Hard bounced.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub has_hard_bounced: Option<bool>,
        /// Marked email as spam.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub marked_email_as_spam: Option<bool>,
        /// Unsubscribed from emails.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub unsubscribed_from_emails: Option<bool>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Sign-up time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub signed_up_at: Option<i64>,
        /// Last seen.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_seen_at: Option<i64>,
        /// Last reply from the contact.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_replied_at: Option<i64>,
        /// Last contacted by a teammate.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_contacted_at: Option<i64>,
        /// Last email opened.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_email_opened_at: Option<i64>,
        /// Last email link clicked.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub last_email_clicked_at: Option<i64>,
        /// Language override.
        pub language_override: Option<String>,
        /// Browser.
        pub browser: Option<String>,
        /// Browser version.
        pub browser_version: Option<String>,
        /// Browser language.
        pub browser_language: Option<String>,
        /// Operating system.
        pub os: Option<String>,
        /// Custom attributes.
        #[serde(deserialize_with = "super::de::opt_map")]
        pub custom_attributes: Option<Map<String, Value>>,
        /// Avatar (`{type, image_url}` or a URL).
        pub avatar: Option<Value>,
        /// Tags summary.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub tags: Option<super::AddressableList>,
        /// Notes summary.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub notes: Option<super::AddressableList>,
        /// Companies summary.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub companies: Option<super::AddressableList>,
        /// Location.
        #[serde(deserialize_with = "super::de::opt_object")]
        pub location: Option<ContactLocation>,
        /// Social profiles.
        pub social_profiles: Option<Value>,
        /// Contacts merged into this one.
        pub merge_history: Option<Value>,
    }
}

model! {
    /// Where a contact is.
    pub struct ContactLocation {
        /// `location`.
        pub r#type: Option<String>,
        /// Country.
        pub country: Option<String>,
        /// Region.
        pub region: Option<String>,
        /// City.
        pub city: Option<String>,
    }
}

model! {
    /// Body of `POST /contacts` and `PUT /contacts/{id}`. Set only what you mean to change.
    pub struct ContactInput {
        /// `user` or `lead`.
        pub role: Option<String>,
        /// Your id.
        pub external_id: Option<String>,
        /// Email.
        pub email: Option<String>,
        /// Phone.
        pub phone: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Avatar image URL.
        pub avatar: Option<String>,
        /// Sign-up time.
        pub signed_up_at: Option<i64>,
        /// Last seen.
        pub last_seen_at: Option<i64>,
        /// Owning admin id.
        pub owner_id: Option<String>,
        /// Unsubscribed from emails.
        pub unsubscribed_from_emails: Option<bool>,
        /// Mark the email as verified.
        pub email_verified: Option<bool>,
        /// Custom attributes (only the keys given are changed).
        pub custom_attributes: Option<Map<String, Value>>,
    }
}

model! {
    /// Answer of archive/unarchive/delete: `{type, id, external_id, archived | deleted}`.
    pub struct ContactStatus {
        /// `contact`.
        pub r#type: Option<String>,
        /// Contact id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// External id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub external_id: Option<String>,
        /// Archived (archive/unarchive).
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub archived: Option<bool>,
        /// Deleted (delete).
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub deleted: Option<bool>,
    }
}

/// How to name a contact in a conversation/ticket call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactIdentifier {
    /// Intercom contact id.
    Id(Id),
    /// Your external id (`user_id`).
    ExternalId(String),
    /// Email.
    Email(String),
}
