//! Data attributes (contact and company attribute definitions).

use super::model;

model! {
    /// A data attribute definition.
    pub struct DataAttribute {
        /// Always `data_attribute`.
        pub r#type: Option<String>,
        /// Id (absent for built-in attributes).
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub id: Option<i64>,
        /// `contact`, `company` or `conversation`.
        pub model: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Full dotted name, e.g. `custom_attributes.plan`.
        pub full_name: Option<String>,
        /// UI label.
        pub label: Option<String>,
        /// Description.
        pub description: Option<String>,
        /// `string`, `integer`, `float`, `boolean`, `date`.
        pub data_type: Option<String>,
        /// Allowed options, for list attributes.
        #[serde(deserialize_with = "super::de::string_list")]
        pub options: Vec<String>,
        /// Writable through the API.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub api_writable: Option<bool>,
        /// Writable by the Messenger.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub messenger_writable: Option<bool>,
        /// Writable in the UI.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub ui_writable: Option<bool>,
        /// True for custom attributes.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub custom: Option<bool>,
        /// True when archived.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub archived: Option<bool>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
        /// Admin who created it.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub admin_id: Option<String>,
    }
}

/// Which model's attributes `GET /data_attributes` lists. Conversation attributes are not
/// among them in 2.16 (`model=conversation` is a 422): they have their own endpoint,
/// [`Client::list_conversation_attributes`](crate::Client::list_conversation_attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataAttributeModel {
    /// Contact attributes.
    Contact,
    /// Company attributes.
    Company,
}

impl DataAttributeModel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DataAttributeModel::Contact => "contact",
            DataAttributeModel::Company => "company",
        }
    }
}

model! {
    /// One option of a list-type conversation attribute.
    pub struct ConversationAttributeOption {
        /// Option id (a UUID).
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Label shown and stored.
        pub label: Option<String>,
        /// True when archived.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub archived: Option<bool>,
    }
}

model! {
    /// A conversation attribute definition (`GET /conversations/attributes`).
    pub struct ConversationAttribute {
        /// Always `conversation_attribute`.
        pub r#type: Option<String>,
        /// Id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Name (the key in a conversation's `custom_attributes`).
        pub name: Option<String>,
        /// Description.
        pub description: Option<String>,
        /// `string`, `integer`, `list`, `decimal`, `boolean`, `datetime`, `relationship`, `files`.
        pub data_type: Option<String>,
        /// Required when a teammate closes a conversation.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub required: Option<bool>,
        /// True when archived.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub archived: Option<bool>,
        /// Options, for list attributes.
        pub options: Option<Vec<ConversationAttributeOption>>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Last update.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub updated_at: Option<i64>,
    }
}
