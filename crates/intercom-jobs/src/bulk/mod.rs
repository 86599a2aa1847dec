//! Bulk operations as resumable jobs: update contacts, tag or untag contacts,
//! companies and conversations, close/assign/snooze/unassign conversations.
//!
//! Flow: [`targets::resolve`] names the exact targets (a dry run stops here);
//! [`start_job`] stores the job and its items in the job store (`bulk_jobs` and
//! `bulk_items` in the mirror's SQLite file); [`runner::run_job`] works through
//! the pending items and can be called again on the same job to resume it.

pub mod input;
pub mod ops;
pub mod runner;
pub mod store;
pub mod targets;

pub use ops::{ConversationAction, Operation, TagObject};
pub use runner::{JobReport, RunOptions, run_job};
pub use store::{
    ConfirmHold, ItemRecord, ItemStatus, JobRecord, JobState, JobStore, NewItem, RunLease,
    SqliteJobStore, StoreError, StoreFuture,
};
pub use targets::{FileRow, TargetKind, TargetSpec, Targets};

/// Environment variable for the largest number of targets one call may touch.
pub const MAX_ITEMS_ENV: &str = "INTERCOM_MCP_BULK_MAX_ITEMS";
/// Default cap on targets per call.
pub const DEFAULT_MAX_ITEMS: usize = 1_000;

/// The cap configured for this process.
pub fn configured_max_items() -> usize {
    std::env::var(MAX_ITEMS_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or(DEFAULT_MAX_ITEMS)
}

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Api(#[from] intercom_api::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl From<intercom_api::IdError> for BulkError {
    fn from(err: intercom_api::IdError) -> Self {
        BulkError::Invalid(err.to_string())
    }
}

/// Store a job for `operation` over `targets`; returns its id.
pub async fn start_job(
    store: &dyn JobStore,
    operation: &Operation,
    targets: &Targets,
) -> Result<String, BulkError> {
    let spec = serde_json::to_value(operation)
        .map_err(|e| BulkError::Invalid(format!("could not store the operation: {e}")))?;
    Ok(store
        .create_job(
            operation.kind(),
            &spec,
            &operation.describe(),
            &targets.items,
        )
        .await?)
}

/// The admin changes are made as: `explicit`, else the token's own admin (`GET /me`);
/// [`intercom_api::Client::acting_admin_id`] is the one implementation.
pub async fn acting_admin(
    client: &intercom_api::Client,
    explicit: Option<&str>,
) -> Result<String, BulkError> {
    Ok(client.acting_admin_id(explicit).await?.into_string())
}

/// A tag's id and name from its name or id; created when missing and `create` is set.
/// [`intercom_api::Client::resolve_tag`] is the one implementation.
pub async fn resolve_tag(
    client: &intercom_api::Client,
    name_or_id: &str,
    create: bool,
) -> Result<(String, String), BulkError> {
    match client.resolve_tag(name_or_id, create).await? {
        Some((id, name)) => Ok((id.into_string(), name)),
        None => Err(BulkError::Invalid(format!(
            "there is no tag `{}`",
            name_or_id.trim()
        ))),
    }
}

/// Parse a conversation action and its arguments.
pub fn conversation_action(
    action: &str,
    assignee: Option<&str>,
    team: bool,
    until: Option<&str>,
    message: Option<String>,
    time_zone: chrono_tz::Tz,
) -> Result<ConversationAction, String> {
    match action.trim().to_ascii_lowercase().as_str() {
        "close" => Ok(ConversationAction::Close {
            body: message.filter(|m| !m.trim().is_empty()),
        }),
        "assign" => {
            let assignee_id = assignee
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or("assign needs an assignee (admin id, or team id with team=true)")?;
            Ok(ConversationAction::Assign {
                assignee_id: assignee_id.to_string(),
                team,
            })
        }
        "unassign" => Ok(ConversationAction::Unassign),
        "snooze" => {
            let until = until
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or("snooze needs `until` (ISO date/time, or words such as tomorrow)")?;
            let period = intercom_core::dates::resolve(until, time_zone)?;
            if period.start <= intercom_mirror::now_unix() {
                return Err(format!("snooze until {until:?} is not in the future"));
            }
            Ok(ConversationAction::Snooze {
                until: period.start,
            })
        }
        other => Err(format!(
            "unknown action `{other}`; use close, assign, unassign or snooze"
        )),
    }
}
