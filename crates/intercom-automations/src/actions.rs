//! Doing what a rule says: resolve each action into a concrete step (names to ids,
//! templates to text, round-robin to an admin), then apply it, or only describe it
//! in dry run. Failures are retried within the rate budget; creates are retried only
//! when Intercom provably did not process them, so a note is never posted twice.

use std::time::Duration;

use intercom_api::{Assignee, Client, ConvertToTicket, Id, Reply, TicketUpdate, TransportKind};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::context::{EventContext, RuleDirectory as Directory};
use super::outbound;
use super::rules::{Action, ActionKind, ObjectType, Rule, Settings};
use super::runlog::RunLog;
use super::template::Escape;
use futures::future::BoxFuture;

/// What happened to one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Dry run: it would have been done as described.
    Planned,
    Applied,
    /// Nothing to do (e.g. removing a tag the workspace does not have).
    Skipped,
    Failed,
    /// An earlier action failed, so this one was not tried.
    NotRun,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ActionOutcome {
    pub line: usize,
    pub action: String,
    /// What it does, concretely (`add tag "billing" (id 7) to conversation 42`).
    pub summary: String,
    pub status: ActionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub attempts: u32,
}

/// A resolved action.
#[derive(Debug, Clone)]
enum Step {
    Tag {
        id: String,
        add: bool,
    },
    CreateTagThenAdd {
        name: String,
    },
    Assign {
        team: Option<String>,
        admin: Option<String>,
    },
    Note(String),
    Reply(String),
    Snooze {
        until: i64,
    },
    Close(Option<String>),
    Convert {
        ticket_type_id: String,
        title: Option<String>,
    },
    Post {
        url: url::Url,
        body: Value,
    },
    Nothing,
}

/// A failure of one attempt.
struct StepError {
    message: String,
    /// Intercom (or the receiver) provably did not process the request: safe to retry anything.
    unprocessed: bool,
    /// May succeed later, but may also have been processed: retry only repeatable actions.
    transient: bool,
    wait: Option<Duration>,
}

/// An id that is missing or blank: nothing was sent, and trying again will not help.
impl From<intercom_api::IdError> for StepError {
    fn from(e: intercom_api::IdError) -> Self {
        StepError {
            message: e.to_string(),
            unprocessed: true,
            transient: false,
            wait: None,
        }
    }
}

impl From<intercom_api::Error> for StepError {
    fn from(e: intercom_api::Error) -> Self {
        let unprocessed = e.is_rate_limited()
            || matches!(
                &e,
                intercom_api::Error::Transport {
                    kind: TransportKind::Connect,
                    ..
                }
            );
        let wait = e.api().and_then(|a| a.rate_limit_reset).map(|reset| {
            let now = intercom_mirror::now_unix().max(0) as u64;
            Duration::from_secs(reset.saturating_sub(now).clamp(1, 60))
        });
        Self {
            transient: e.is_retryable(),
            unprocessed,
            wait: if e.is_rate_limited() { wait } else { None },
            message: e.to_string(),
        }
    }
}

/// Everything actions need to act.
pub struct Actor<'a> {
    pub client: &'a Client,
    pub http: &'a reqwest::Client,
    pub dir: &'a Directory,
    pub admin_id: &'a str,
    pub log: &'a dyn RunLog,
    pub settings: &'a Settings,
}

impl Actor<'_> {
    /// Run (or, with `dry_run`, describe) the rule's actions in order; stop at the first failure.
    /// `after_each` sees the outcomes so far (the engine saves them as the run's progress).
    pub async fn run(
        &self,
        rule: &Rule,
        ctx: &EventContext,
        dry_run: bool,
        after_each: &(dyn Fn(&[ActionOutcome]) -> BoxFuture<'static, ()> + Sync),
    ) -> Vec<ActionOutcome> {
        let mut outcomes: Vec<ActionOutcome> = Vec::with_capacity(rule.actions.len());
        let mut failed = false;
        for action in &rule.actions {
            if failed {
                outcomes.push(outcome(
                    action,
                    "not run: an earlier action failed".into(),
                    ActionStatus::NotRun,
                    None,
                    0,
                ));
                continue;
            }
            let (step, summary) = match self.resolve(action, rule, ctx, !dry_run).await {
                Ok(resolved) => resolved,
                Err(message) => {
                    failed = true;
                    outcomes.push(outcome(
                        action,
                        format!("could not prepare {}", action.kind.kind()),
                        ActionStatus::Failed,
                        Some(message),
                        0,
                    ));
                    after_each(&outcomes).await;
                    continue;
                }
            };
            if dry_run {
                let status = if matches!(step, Step::Nothing) {
                    ActionStatus::Skipped
                } else {
                    ActionStatus::Planned
                };
                outcomes.push(outcome(action, format!("would {summary}"), status, None, 0));
                continue;
            }
            if matches!(step, Step::Nothing) {
                outcomes.push(outcome(action, summary, ActionStatus::Skipped, None, 0));
                continue;
            }
            let (result, attempts) = self.apply_with_retry(&action.kind, &step, rule, ctx).await;
            match result {
                Ok(()) => {
                    self.expect_echoes(&step, rule, ctx).await;
                    outcomes.push(outcome(
                        action,
                        summary,
                        ActionStatus::Applied,
                        None,
                        attempts,
                    ));
                }
                Err(message) => {
                    failed = true;
                    outcomes.push(outcome(
                        action,
                        summary,
                        ActionStatus::Failed,
                        Some(message),
                        attempts,
                    ));
                }
            }
            after_each(&outcomes).await;
        }
        outcomes
    }

    async fn apply_with_retry(
        &self,
        kind: &ActionKind,
        step: &Step,
        rule: &Rule,
        ctx: &EventContext,
    ) -> (Result<(), String>, u32) {
        let max = self.settings.retry_attempts.max(1);
        let mut backoff = Duration::from_millis(250);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.apply(step, rule, ctx).await {
                Ok(()) => return (Ok(()), attempt),
                Err(e) => {
                    let may_retry = e.unprocessed || (e.transient && kind.repeatable());
                    if attempt >= max || !may_retry {
                        return (Err(e.message), attempt);
                    }
                    tracing::warn!(rule = %rule.name, action = kind.kind(), attempt, error = %e.message, "automation action failed; retrying");
                    tokio::time::sleep(e.wait.unwrap_or(backoff)).await;
                    backoff = (backoff * 2).min(Duration::from_secs(8));
                }
            }
        }
    }

    /// Our writes come back as webhooks; remember which, so they do not re-trigger this rule.
    async fn expect_echoes(&self, step: &Step, rule: &Rule, ctx: &EventContext) {
        let Some(object_id) = ctx.object_id() else {
            return;
        };
        let topics = echo_topics(step, ctx.object_type);
        let until = intercom_mirror::now_unix() + self.settings.echo_window_secs;
        if let Err(e) = self
            .log
            .expect_echo(&object_id, &topics, &rule.name, until)
            .await
        {
            tracing::warn!(error = %e, "could not record an automation's expected echo");
        }
    }

    /// Turn an action into a concrete step and a sentence. With `commit`, side effects that
    /// preparing needs (advancing a round-robin) happen; without, nothing changes.
    async fn resolve(
        &self,
        action: &Action,
        rule: &Rule,
        ctx: &EventContext,
        commit: bool,
    ) -> Result<(Step, String), String> {
        let ty = ctx
            .object_type
            .ok_or("the event is not about a conversation, ticket, contact or company")?;
        let id = ctx.object_id().ok_or("the event's object has no id")?;
        let target = format!("{ty} {id}");
        let fields = ctx.fields(&rule.name);
        Ok(match &action.kind {
            ActionKind::AddTag(name) => match self.dir.find_tag(name).ok() {
                Some(tag) => (
                    Step::Tag {
                        id: tag.id.clone(),
                        add: true,
                    },
                    format!("add tag {:?} (id {}) to {target}", tag.name, tag.id),
                ),
                None => (
                    Step::CreateTagThenAdd { name: name.clone() },
                    format!("create tag {name:?} and add it to {target}"),
                ),
            },
            ActionKind::RemoveTag(name) => match self.dir.find_tag(name).ok() {
                Some(tag) => (
                    Step::Tag {
                        id: tag.id.clone(),
                        add: false,
                    },
                    format!("remove tag {:?} (id {}) from {target}", tag.name, tag.id),
                ),
                None => (
                    Step::Nothing,
                    format!(
                        "remove tag {name:?}: the workspace has no such tag, nothing to remove"
                    ),
                ),
            },
            ActionKind::AssignAdmin(key) => {
                let admin = self.dir.find_admin(key).map_err(|miss| miss.to_string())?;
                (
                    Step::Assign {
                        team: None,
                        admin: Some(admin.id.clone()),
                    },
                    format!("assign {target} to {} ({})", admin.name, admin.id),
                )
            }
            ActionKind::AssignTeam { team, round_robin } => {
                let team = self.dir.find_team(team).map_err(|miss| miss.to_string())?;
                let mut admin = None;
                let mut summary = format!("assign {target} to team {} ({})", team.name, team.id);
                if *round_robin {
                    let available: Vec<_> = team
                        .admin_ids
                        .iter()
                        .filter_map(|a| self.dir.admins.iter().find(|x| &x.id == a && !x.away))
                        .collect();
                    if available.is_empty() {
                        summary.push_str(
                            ", no admin of the team is available (all away), so the team only",
                        );
                    } else {
                        let turn = self
                            .log
                            .next_turn(&team.id, available.len(), commit)
                            .await
                            .map_err(|e| e.to_string())?;
                        let pick = available[turn];
                        summary.push_str(&format!(
                            " and, round-robin, to {} ({})",
                            pick.name, pick.id
                        ));
                        admin = Some(pick.id.clone());
                    }
                }
                (
                    Step::Assign {
                        team: Some(team.id.clone()),
                        admin,
                    },
                    summary,
                )
            }
            ActionKind::Note(t) => {
                let body = t.render(&fields, Escape::Html);
                let s = format!("add internal note to {target}: {}", quote(&body));
                (Step::Note(body), s)
            }
            ActionKind::Reply(t) => {
                let body = t.render(&fields, Escape::Html);
                let s = format!("reply on {target}: {}", quote(&body));
                (Step::Reply(body), s)
            }
            ActionKind::Snooze { seconds } => {
                let until = intercom_mirror::now_unix() + seconds;
                (
                    Step::Snooze { until },
                    format!("snooze {target} for {seconds}s (until Unix time {until})"),
                )
            }
            ActionKind::Close(message) => {
                let body = message.as_ref().map(|t| t.render(&fields, Escape::Html));
                let s = match &body {
                    Some(b) => format!("close {target} with message {}", quote(b)),
                    None => format!("close {target}"),
                };
                (Step::Close(body), s)
            }
            ActionKind::CreateTicket { ticket_type, title } => {
                let tt = self.dir.ticket_type(ticket_type).ok_or_else(|| {
                    format!("no ticket type named {ticket_type:?} in the workspace")
                })?;
                let title = title.as_ref().map(|t| t.render(&fields, Escape::None));
                let mut s = format!(
                    "convert {target} into a {:?} ticket (type {})",
                    tt.name, tt.id
                );
                if let Some(t) = &title {
                    s.push_str(&format!(" titled {}", quote(t)));
                }
                (
                    Step::Convert {
                        ticket_type_id: tt.id.clone(),
                        title,
                    },
                    s,
                )
            }
            ActionKind::Post { url, body } => {
                let body = match body {
                    Some(b) => b.render(&fields),
                    None => json!({
                        "rule": rule.name,
                        "event": {"id": ctx.event.id, "topic": ctx.event.topic, "created_at": ctx.event.created_at},
                        "object_type": ty.as_str(),
                        "object": ctx.object,
                    }),
                };
                let s = format!(
                    "POST a signed JSON body ({} bytes) to {url}",
                    body.to_string().len()
                );
                (
                    Step::Post {
                        url: url.clone(),
                        body,
                    },
                    s,
                )
            }
        })
    }

    async fn apply(&self, step: &Step, rule: &Rule, ctx: &EventContext) -> Result<(), StepError> {
        let c = self.client;
        let admin = &Id::named(self.admin_id, "the acting admin")?;
        let ty = ctx.object_type.unwrap_or(ObjectType::Conversation);
        if matches!(step, Step::Nothing) {
            return Ok(());
        }
        let id = &Id::required(ctx.object_id(), "the event's object")?;
        match step {
            Step::Nothing => {}
            Step::CreateTagThenAdd { name } => {
                let tag = c.create_tag(name).await?;
                let tag_id = Id::required(tag.id, format!("the new tag `{name}`"))?;
                self.tag(ty, id, &tag_id, true).await?;
            }
            Step::Tag { id: tag_id, add } => {
                let tag_id = Id::named(tag_id, "the rule's tag")?;
                self.tag(ty, id, &tag_id, *add).await?
            }
            Step::Assign {
                team,
                admin: to_admin,
            } => match ty {
                ObjectType::Ticket => {
                    for assignee in [team, to_admin].into_iter().flatten() {
                        let update = TicketUpdate {
                            admin_id: admin.parse().ok(),
                            assignee_id: Some(Id::named(assignee, "the assignee")?),
                            ..Default::default()
                        };
                        c.update_ticket(id, &update).await?;
                    }
                }
                _ => {
                    if let Some(team) = team {
                        let team = Id::named(team, "the team")?;
                        c.assign_conversation(id, admin, &Assignee::Team(team), None)
                            .await?;
                    }
                    if let Some(to) = to_admin {
                        let to = Id::named(to, "the assignee")?;
                        c.assign_conversation(id, admin, &Assignee::Admin(to), None)
                            .await?;
                    }
                }
            },
            Step::Note(body) => match ty {
                ObjectType::Contact => {
                    c.create_contact_note(id, body, Some(admin)).await?;
                }
                ObjectType::Ticket => {
                    c.reply_to_ticket(id, &Reply::admin_note(admin.as_str(), body.clone()))
                        .await?;
                }
                _ => {
                    c.reply_to_conversation(id, &Reply::admin_note(admin.as_str(), body.clone()))
                        .await?;
                }
            },
            Step::Reply(body) => match ty {
                ObjectType::Ticket => {
                    c.reply_to_ticket(id, &Reply::admin_comment(admin.as_str(), body.clone()))
                        .await?;
                }
                _ => {
                    c.reply_to_conversation(
                        id,
                        &Reply::admin_comment(admin.as_str(), body.clone()),
                    )
                    .await?;
                }
            },
            Step::Snooze { until } => match ty {
                ObjectType::Ticket => {
                    let update = TicketUpdate {
                        snoozed_until: Some(*until),
                        ..Default::default()
                    };
                    c.update_ticket(id, &update).await?;
                }
                _ => {
                    c.snooze_conversation(id, admin, *until).await?;
                }
            },
            Step::Close(body) => match ty {
                ObjectType::Ticket => {
                    let update = TicketUpdate {
                        open: Some(false),
                        ..Default::default()
                    };
                    c.update_ticket(id, &update).await?;
                }
                _ => {
                    c.close_conversation(id, admin, body.as_deref()).await?;
                }
            },
            Step::Convert {
                ticket_type_id,
                title,
            } => {
                let attributes = title.as_ref().map(|t| {
                    let mut m = Map::new();
                    m.insert("_default_title_".into(), Value::String(t.clone()));
                    m
                });
                let request = ConvertToTicket {
                    attributes,
                    ..Default::default()
                };
                let ticket_type_id = Id::named(ticket_type_id, "the rule's ticket type")?;
                c.convert_conversation_to_ticket(id, &ticket_type_id, &request)
                    .await?;
            }
            Step::Post { url, body } => {
                let secret = rule.secret.as_ref().ok_or_else(|| StepError {
                    message: "the rule has no secret to sign with".into(),
                    unprocessed: true,
                    transient: false,
                    wait: None,
                })?;
                let delivery = format!("{}:{}", ctx.event.id, rule.name);
                outbound::post(self.http, url, secret, &rule.name, &delivery, body)
                    .await
                    .map_err(|e| StepError {
                        message: e.message,
                        unprocessed: false,
                        transient: e.retryable,
                        wait: None,
                    })?;
            }
        }
        Ok(())
    }

    async fn tag(&self, ty: ObjectType, id: &Id, tag_id: &Id, add: bool) -> Result<(), StepError> {
        let c = self.client;
        let admin = &Id::named(self.admin_id, "the acting admin")?;
        match (ty, add) {
            (ObjectType::Contact, true) => c.tag_contact(id, tag_id).await.map(drop),
            (ObjectType::Contact, false) => c.untag_contact(id, tag_id).await.map(drop),
            (ObjectType::Ticket, true) => c.tag_ticket(id, tag_id, admin).await.map(drop),
            (ObjectType::Ticket, false) => c.untag_ticket(id, tag_id, admin).await.map(drop),
            (_, true) => c.tag_conversation(id, tag_id, admin).await.map(drop),
            (_, false) => c.untag_conversation(id, tag_id, admin).await.map(drop),
        }
        .map_err(StepError::from)
    }
}

fn outcome(
    action: &Action,
    summary: String,
    status: ActionStatus,
    error: Option<String>,
    attempts: u32,
) -> ActionOutcome {
    ActionOutcome {
        line: action.line,
        action: action.kind.kind().to_string(),
        summary,
        status,
        error,
        attempts,
    }
}

fn quote(text: &str) -> String {
    let short: String = text.chars().take(160).collect();
    if text.chars().count() > 160 {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

/// Topics Intercom sends (or sync logs) when one of our steps changes an object.
fn echo_topics(step: &Step, ty: Option<ObjectType>) -> Vec<&'static str> {
    let mut topics: Vec<&'static str> = match (step, ty) {
        (
            Step::Tag { add: true, .. } | Step::CreateTagThenAdd { .. },
            Some(ObjectType::Contact),
        ) => {
            vec!["contact.user.tag.created"]
        }
        (Step::Tag { add: false, .. }, Some(ObjectType::Contact)) => {
            vec!["contact.user.tag.deleted"]
        }
        (Step::Tag { .. } | Step::CreateTagThenAdd { .. }, Some(ObjectType::Conversation)) => {
            vec!["conversation_part.tag.created"]
        }
        (Step::Assign { .. }, Some(ObjectType::Conversation)) => {
            vec![
                "conversation.admin.assigned",
                "conversation.admin.open.assigned",
            ]
        }
        (Step::Assign { .. }, Some(ObjectType::Ticket)) => {
            vec!["ticket.admin.assigned", "ticket.team.assigned"]
        }
        (Step::Note(_), Some(ObjectType::Conversation)) => vec!["conversation.admin.noted"],
        (Step::Note(_), Some(ObjectType::Ticket)) => vec!["ticket.note.created"],
        (Step::Reply(_), Some(ObjectType::Conversation)) => vec!["conversation.admin.replied"],
        (Step::Reply(_), Some(ObjectType::Ticket)) => vec!["ticket.admin.replied"],
        (Step::Snooze { .. }, Some(ObjectType::Conversation)) => vec!["conversation.admin.snoozed"],
        (Step::Close(_), Some(ObjectType::Conversation)) => vec!["conversation.admin.closed"],
        (Step::Close(_), Some(ObjectType::Ticket)) => vec!["ticket.closed", "ticket.state.updated"],
        (Step::Convert { .. }, _) => vec!["ticket.created", "conversation.admin.closed"],
        _ => Vec::new(),
    };
    // Every write also shows up as a changed object in incremental sync.
    match (step, ty) {
        (Step::Post { .. } | Step::Nothing, _) => {}
        (_, Some(ObjectType::Conversation)) => topics.push("conversation.updated"),
        (_, Some(ObjectType::Ticket)) => topics.push("ticket.updated"),
        (_, Some(ObjectType::Contact)) => topics.push("contact.updated"),
        _ => {}
    }
    topics
}
