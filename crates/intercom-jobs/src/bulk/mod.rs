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

/// Store a job for `operation` over `targets`; returns its id. Targets that already show
/// the change (their objects, read while resolving, say so) are stored as
/// [`ItemStatus::Unchanged`]: a run sends nothing for them.
pub async fn start_job(
    store: &dyn JobStore,
    operation: &Operation,
    targets: &Targets,
) -> Result<String, BulkError> {
    let spec = serde_json::to_value(operation)
        .map_err(|e| BulkError::Invalid(format!("could not store the operation: {e}")))?;
    let items: Vec<NewItem> = targets
        .items
        .iter()
        .map(|item| NewItem {
            unchanged: targets.shows_change(operation, item),
            ..item.clone()
        })
        .collect();
    Ok(store
        .create_job(operation.kind(), &spec, &operation.describe(), &items)
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

/// The workspace's own time zone (`/me`'s `app.timezone`); UTC when it cannot be read.
pub async fn workspace_time_zone(client: &intercom_api::Client) -> chrono_tz::Tz {
    match client.workspace_time_zone().await {
        Ok(zone) => zone
            .and_then(|name| name.parse().ok())
            .unwrap_or(chrono_tz::Tz::UTC),
        Err(err) => {
            tracing::warn!(error = %err, "could not read the workspace's time zone; using UTC");
            chrono_tz::Tz::UTC
        }
    }
}

/// An assignee named by id, email or name (`team`: a team by id or name), as
/// `(id, is_team, name)`. With no directory the value is taken as an id. Admins are
/// tried first, then teams.
pub fn resolve_assignee(
    needle: &str,
    team: bool,
    directory: Option<&intercom_api::Directory>,
) -> Result<(String, bool, Option<String>), String> {
    let needle = needle.trim();
    let Some(dir) = directory else {
        return Ok((needle.to_string(), team, None));
    };
    if team {
        return dir
            .find_team(needle)
            .map(|t| (t.id.clone(), true, Some(t.name.clone())))
            .map_err(|m| m.to_string());
    }
    match (dir.find_admin(needle), dir.find_team(needle)) {
        (Ok(a), Err(_)) => Ok((a.id.clone(), false, Some(a.name.clone()))),
        (Err(_), Ok(t)) => Ok((t.id.clone(), true, Some(t.name.clone()))),
        (Ok(a), Ok(t)) if a.is_exactly(needle) && !t.is_exactly(needle) => {
            Ok((a.id.clone(), false, Some(a.name.clone())))
        }
        (Ok(a), Ok(t)) if t.is_exactly(needle) && !a.is_exactly(needle) => {
            Ok((t.id.clone(), true, Some(t.name.clone())))
        }
        (Ok(a), Ok(t)) => Err(format!(
            "`{needle}` names both the admin {} (id {}) and the team {} (id {}); say which",
            a.name, a.id, t.name, t.id
        )),
        (Err(admin), Err(_)) => Err(admin.to_string()),
    }
}

/// Parse a conversation action and its arguments. `dates` is the call's one reading of
/// the clock; `directory` resolves an assignee named by name or email.
pub fn conversation_action(
    action: &str,
    assignee: Option<&str>,
    team: bool,
    until: Option<&str>,
    message: Option<String>,
    dates: &intercom_core::dates::Dates,
    directory: Option<&intercom_api::Directory>,
) -> Result<ConversationAction, String> {
    match action.trim().to_ascii_lowercase().as_str() {
        "close" => Ok(ConversationAction::Close {
            body: message.filter(|m| !m.trim().is_empty()),
        }),
        "assign" => {
            let assignee = assignee
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or("assign needs an assignee (an admin or team by name, email or id)")?;
            let (assignee_id, team, assignee_name) = resolve_assignee(assignee, team, directory)?;
            Ok(ConversationAction::Assign {
                assignee_id,
                team,
                assignee_name,
            })
        }
        "unassign" => Ok(ConversationAction::Unassign),
        "snooze" => {
            let until = until
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    format!(
                        "snooze needs `until`: {}",
                        intercom_core::dates::FUTURE_FORMS
                    )
                })?;
            let until = dates.future(until).map_err(|e| format!("until: {e}"))?;
            Ok(ConversationAction::Snooze { until })
        }
        other => Err(format!(
            "unknown action `{other}`; use close, assign, unassign or snooze"
        )),
    }
}
