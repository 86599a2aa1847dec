//! Toolset `realtime`: what changed lately (`recent_events`) and how fresh the
//! local mirror is (`sync_status`). Both read the mirror, never the API.

use std::sync::Arc;

use rmcp::handler::server::{tool::Extension, wrapper::Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::IntercomServer;
use crate::live::{PeriodicSyncStatus, Realtime};
use crate::output::{Json, Render, ToolError};
use crate::workspace_context::Workspace;
use intercom_mirror::{DataSource, EventQuery, EventRecord, ObjectKind, now_unix};

const DEFAULT_EVENTS: u32 = 50;
const MAX_EVENTS: u32 = 500;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RecentEventsArgs {
    /// Topics or prefixes ending in a dot (`conversation.`, `ticket.state.updated`); default all.
    #[serde(default, deserialize_with = "crate::args::opt_string_list")]
    pub topics: Option<Vec<String>>,
    /// Events at or after: ISO time, Unix seconds, `15m`, `2h`, `today`.
    #[serde(default)]
    pub since: Option<String>,
    /// `next_cursor` of the previous call: only events recorded after it.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Maximum number of events (1-500, default 50).
    #[serde(default, deserialize_with = "crate::args::opt_u32")]
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RecentEventsView {
    /// Oldest first.
    pub events: Vec<EventRecord>,
    /// Pass back as `cursor` to get only newer events; present even when no events matched.
    pub next_cursor: String,
    /// True when `limit` cut the list: call again with `next_cursor` for the rest.
    pub more: bool,
    #[serde(flatten)]
    pub source: DataSource,
}

impl Render for RecentEventsView {
    fn render(&self) -> String {
        let mut lines: Vec<String> = self
            .events
            .iter()
            .map(|e| {
                let object = match (&e.object_type, &e.object_id) {
                    (Some(t), Some(id)) => format!(" {t} {id}"),
                    _ => String::new(),
                };
                let when = chrono::DateTime::from_timestamp(e.occurred_at, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                let changed = if e.changed.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.changed.join("; "))
                };
                format!(
                    "#{} {when} {}{object} (via {}){changed}",
                    e.seq, e.topic, e.source
                )
            })
            .collect();
        if lines.is_empty() {
            lines.push("No events.".into());
        }
        lines.push(format!(
            "next_cursor: {}{}",
            self.next_cursor,
            if self.more {
                " (more events waiting)"
            } else {
                ""
            }
        ));
        lines.join("\n")
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct KindFreshness {
    pub kind: String,
    pub objects: u64,
    /// `backfill` (first full copy not finished) or `incremental`.
    pub phase: String,
    /// When the last complete sync of this kind finished (ISO time).
    pub last_synced_at: Option<String>,
    /// Seconds since then.
    pub age_seconds: Option<i64>,
    /// A run in progress (or interrupted): objects written by it so far.
    pub run_in_progress_items: Option<u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SyncStatusView {
    /// Where the mirror is stored.
    pub store: String,
    pub kinds: Vec<KindFreshness>,
    pub conversation_parts: u64,
    pub events: u64,
    /// Whether this server receives Intercom webhooks (`INTERCOM_CLIENT_SECRET` set).
    pub webhooks_enabled: bool,
    /// Time of the last webhook received (ISO), and seconds since.
    pub last_webhook_at: Option<String>,
    pub last_webhook_age_seconds: Option<i64>,
    /// Kinds whose first full copy is still missing or incomplete: reads of them go to the API.
    pub backlog: Vec<String>,
    /// The periodic catch-up sync: enabled, interval, last run and its report.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub periodic_sync: PeriodicSyncStatus,
}

impl Render for SyncStatusView {}

fn iso(ts: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(ts, 0).map(|t| t.to_rfc3339())
}

/// The mirror, or a message saying how to turn it on.
pub fn require_realtime(server: &IntercomServer) -> Result<&Arc<Realtime>, ToolError> {
    server.realtime().ok_or_else(|| {
        ToolError::invalid(
            "the local mirror is off: start the server with `serve --sync` (and set \
             INTERCOM_CLIENT_SECRET to receive webhooks) to use the realtime tools",
        )
    })
}

/// `assignee admin 5 → 7` and `team 3 → none` with the directory's names.
fn name_assignees(change: &str, names: &crate::workspace_context::Names) -> String {
    let (label, describe): (&str, &dyn Fn(&str) -> String) =
        if let Some(rest) = change.strip_prefix("assignee admin ") {
            (rest, &|id| names.describe_admin(id))
        } else if let Some(rest) = change.strip_prefix("team ") {
            (rest, &|id| names.describe_team(id))
        } else {
            return change.to_string();
        };
    let Some((before, after)) = label.split_once(" → ") else {
        return change.to_string();
    };
    let word = |id: &str| {
        if id == "none" {
            "nobody".to_string()
        } else {
            describe(id)
        }
    };
    let what = if change.starts_with("team ") {
        "team"
    } else {
        "assignee"
    };
    format!("{what} {} → {}", word(before), word(after))
}

fn parse_since(text: &str, ws: &Workspace) -> Result<i64, ToolError> {
    ws.dates()
        .start(text)
        .map_err(|e| ToolError::invalid(format!("since: {e}")))
}

#[tool_router(router = realtime_tools, vis = "pub")]
impl IntercomServer {
    #[tool(
        name = "recent_events",
        description = "What changed lately (replies, assignments, state changes, new contacts and tickets) from the mirror's event log; pass back next_cursor to catch up since you last looked.",
        annotations(
            title = "Recent events",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn recent_events(
        &self,
        Extension(ws): Extension<Arc<Workspace>>,
        Parameters(args): Parameters<RecentEventsArgs>,
    ) -> Result<Json<RecentEventsView>, ToolError> {
        let realtime = require_realtime(self)?;
        let after_seq = match args.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| {
                ToolError::invalid(format!(
                    "cursor {cursor:?} is not one this tool returned; pass next_cursor from a previous recent_events call, or omit it"
                ))
            })?),
            None => None,
        };
        let since = args
            .since
            .as_deref()
            .map(|s| parse_since(s, &ws))
            .transpose()?;
        let limit = args.limit.unwrap_or(DEFAULT_EVENTS).clamp(1, MAX_EVENTS) as usize;
        let query = EventQuery {
            topics: args.topics.unwrap_or_default(),
            since,
            after_seq,
            limit: limit + 1,
        };
        let mirror = realtime.mirror();
        let mut events = mirror
            .recent_events(query)
            .await
            .map_err(|e| ToolError::invalid(e.to_string()))?;
        let more = events.len() > limit;
        events.truncate(limit);
        if events.iter().any(|e| !e.changed.is_empty())
            && let Ok(names) = ws.names().await
        {
            for event in &mut events {
                for change in &mut event.changed {
                    *change = name_assignees(change, &names);
                }
            }
        }
        let next_cursor = match events.last() {
            Some(last) => last.seq,
            // Nothing new: keep the caller's position, or start from the end of the log.
            None => match after_seq {
                Some(seq) => seq,
                None => mirror
                    .stats()
                    .await
                    .map_err(|e| ToolError::invalid(e.to_string()))?
                    .last_event_seq
                    .unwrap_or(0),
            },
        };
        let age = mirror
            .age_seconds(ObjectKind::Conversation)
            .await
            .map_err(|e| ToolError::invalid(e.to_string()))?;
        Ok(Json(RecentEventsView {
            events,
            next_cursor: next_cursor.to_string(),
            more,
            source: DataSource::mirror(age),
        }))
    }

    #[tool(
        name = "sync_status",
        description = "How fresh the local mirror is: objects per kind, last sync, last webhook, backfill in progress.",
        annotations(
            title = "Mirror sync status",
            read_only_hint = true,
            open_world_hint = false
        )
    )]
    async fn sync_status(&self) -> Result<Json<SyncStatusView>, ToolError> {
        let realtime = require_realtime(self)?;
        let stats = realtime
            .mirror()
            .stats()
            .await
            .map_err(|e| ToolError::invalid(e.to_string()))?;
        let now = now_unix();
        let mut kinds = Vec::new();
        let mut backlog = Vec::new();
        for kind in ObjectKind::ALL {
            let checkpoint = stats.checkpoints.iter().find(|c| c.kind == kind);
            let finished = checkpoint.and_then(|c| c.last_completed_at);
            let phase = match checkpoint {
                Some(c) if c.last_completed_at.is_some() => "incremental",
                _ => "backfill",
            };
            if finished.is_none() {
                backlog.push(kind.plural().to_string());
            }
            kinds.push(KindFreshness {
                kind: kind.plural().into(),
                objects: stats.counts.get(kind.plural()).copied().unwrap_or(0),
                phase: phase.into(),
                last_synced_at: finished.and_then(iso),
                age_seconds: finished.map(|t| (now - t).max(0)),
                run_in_progress_items: checkpoint
                    .filter(|c| c.run_started_at.is_some())
                    .map(|c| c.run_items),
            });
        }
        Ok(Json(SyncStatusView {
            store: realtime.mirror().location().to_string(),
            kinds,
            conversation_parts: stats.conversation_parts,
            events: stats.events,
            webhooks_enabled: realtime.webhooks_enabled(),
            last_webhook_at: stats.last_webhook_at.and_then(iso),
            last_webhook_age_seconds: stats.last_webhook_at.map(|t| (now - t).max(0)),
            backlog,
            periodic_sync: realtime.periodic_status(),
        }))
    }
}
