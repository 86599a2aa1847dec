//! MCP progress notifications for long tool calls (metrics paging, bulk jobs).
//!
//! Reports are queued and sent in order by one task, so a caller in a hot loop
//! never waits on the transport; without a progress token nothing is sent.

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::RequestContext;
use rmcp::{Peer, RoleServer};
use tokio::sync::mpsc;

/// Sends `notifications/progress` for one request, if the client asked for them.
#[derive(Clone)]
pub struct McpProgress {
    sender: Option<mpsc::UnboundedSender<ProgressNotificationParam>>,
    token: Option<ProgressToken>,
}

impl McpProgress {
    /// From the request's `_meta.progressToken`; a no-op reporter when there is none.
    pub fn from_context(context: &RequestContext<RoleServer>) -> Self {
        match context.meta.get_progress_token() {
            Some(token) => Self::start(token, context.peer.clone()),
            None => Self::disabled(),
        }
    }

    pub fn disabled() -> Self {
        Self {
            sender: None,
            token: None,
        }
    }

    fn start(token: ProgressToken, peer: Peer<RoleServer>) -> Self {
        let (sender, mut receiver) = mpsc::unbounded_channel::<ProgressNotificationParam>();
        tokio::spawn(async move {
            while let Some(note) = receiver.recv().await {
                // A client that went away just stops getting progress.
                if peer.notify_progress(note).await.is_err() {
                    break;
                }
            }
        });
        Self {
            sender: Some(sender),
            token: Some(token),
        }
    }

    /// Report `done` of `total` with a short message.
    pub fn report(&self, done: u64, total: Option<u64>, message: impl Into<String>) {
        let (Some(sender), Some(token)) = (&self.sender, &self.token) else {
            return;
        };
        let mut note =
            ProgressNotificationParam::new(token.clone(), done as f64).with_message(message);
        if let Some(total) = total {
            note = note.with_total(total as f64);
        }
        let _ = sender.send(note);
    }
}
