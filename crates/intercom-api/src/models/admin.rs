//! Admins (teammates), teams, and the `/me` answer with workspace info.

use super::model;

model! {
    /// A teammate.
    pub struct Admin {
        /// `admin`.
        pub r#type: Option<String>,
        /// Admin id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Email.
        pub email: Option<String>,
        /// Job title.
        pub job_title: Option<String>,
        /// Away mode on.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub away_mode_enabled: Option<bool>,
        /// Reassign new replies while away.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub away_mode_reassign: Option<bool>,
        /// Away reason id.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub away_status_reason_id: Option<i64>,
        /// Has a paid inbox seat.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub has_inbox_seat: Option<bool>,
        /// Teams the admin belongs to.
        #[serde(deserialize_with = "super::de::i64_list")]
        pub team_ids: Vec<i64>,
        /// Avatar: a URL string, or `{type, image_url}` on `/me`.
        pub avatar: Option<serde_json::Value>,
        /// Email verified (on `/me`).
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub email_verified: Option<bool>,
        /// Role `{type, id, name}`, when the workspace uses roles.
        pub role: Option<serde_json::Value>,
        /// Primary/secondary team priority levels.
        pub team_priority_level: Option<serde_json::Value>,
    }
}

model! {
    /// The workspace ("app") the token belongs to.
    pub struct App {
        /// `app`.
        pub r#type: Option<String>,
        /// Workspace id code.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id_code: Option<String>,
        /// Workspace name.
        pub name: Option<String>,
        /// Hosting region, e.g. `US`.
        pub region: Option<String>,
        /// Time zone name.
        pub timezone: Option<String>,
        /// Creation time.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub created_at: Option<i64>,
        /// Identity verification on.
        #[serde(deserialize_with = "super::de::opt_bool")]
        pub identity_verification: Option<bool>,
    }
}

/// The answer of `GET /me`: the token's admin plus its workspace.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Me {
    /// The workspace.
    #[serde(
        default,
        deserialize_with = "super::de::opt_object",
        skip_serializing_if = "Option::is_none"
    )]
    pub app: Option<App>,
    /// The admin (its unknown fields land in `admin.extra`).
    #[serde(flatten)]
    pub admin: Admin,
}

model! {
    /// A team.
    pub struct Team {
        /// `team`.
        pub r#type: Option<String>,
        /// Team id.
        #[serde(deserialize_with = "super::de::opt_string")]
        pub id: Option<String>,
        /// Name.
        pub name: Option<String>,
        /// Member admin ids.
        #[serde(deserialize_with = "super::de::i64_list")]
        pub admin_ids: Vec<i64>,
        /// Primary/secondary admin priority levels.
        pub admin_priority_level: Option<serde_json::Value>,
        /// Assignment limit.
        #[serde(deserialize_with = "super::de::opt_i64")]
        pub assignment_limit: Option<i64>,
        /// Distribution method (`round_robin`, `balanced`...).
        pub distribution_method: Option<String>,
    }
}
