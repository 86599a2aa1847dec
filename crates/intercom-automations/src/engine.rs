//! The engine: for each event, the rules listening to its topic are claimed in the
//! run log, checked against loops and the per-object rate cap, evaluated, and run.
//!
//! Events come from the mirror's event log (webhooks and sync changes) in order;
//! the read position is saved after each event, and the claims make a replay after
//! a restart harmless.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use intercom_api::{Client, Method};
use serde::Serialize;
use serde_json::{Value, json};

use super::actions::{ActionOutcome, ActionStatus, Actor};
use super::condition::{ConditionOutcome, evaluate};
use super::context::{AdminEntry, Event, EventContext, NamedEntry, RuleDirectory};
use super::outbound;
use super::rules::{ObjectType, Rule, RuleSet};
use super::runlog::{RunEnding, RunLog, RunLogError, RunStatus};
use futures::future::BoxFuture;
use intercom_mirror::{EventRecord, Mirror, now_unix};

/// Admins' away status changes during the day; names rarely. Refresh this often.
/// How often the event log is polled when no change notification wakes the engine.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
const CURSOR_KEY: &str = "event_cursor";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("automations: {0}")]
    RunLog(#[from] RunLogError),
    #[error("automations could not read the workspace ({what}): {source}")]
    Api {
        what: String,
        source: intercom_api::Error,
    },
    #[error("automations: {0}")]
    Invalid(String),
}

/// The outcome of one rule on one event.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RunReport {
    pub rule: String,
    pub event_id: String,
    pub topic: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub status: RunStatus,
    pub dry_run: bool,
    pub conditions: Vec<ConditionOutcome>,
    pub actions: Vec<ActionOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `test_automation` shows: a rule in dry run against one object.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TestReport {
    pub rule: String,
    pub object_type: String,
    pub object_id: String,
    /// The topic the simulated event carried.
    pub topic: String,
    /// Whether every condition matched (the actions would run).
    pub matched: bool,
    pub conditions: Vec<ConditionOutcome>,
    /// What each action would do; nothing was changed.
    pub actions: Vec<ActionOutcome>,
    /// Context that could not be looked up (the conditions that need it did not match).
    pub lookup_errors: Vec<String>,
}

pub struct Engine {
    rules: RuleSet,
    log: Arc<dyn RunLog>,
    client: Client,
    http: reqwest::Client,
    admin: AdminEntry,
    /// Admins, teams and tags: the shared directory, cached with a short TTL.
    directory: intercom_api::DirectoryCache,
    /// Ticket types, read at start.
    ticket_types: Arc<Vec<NamedEntry>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rules.rules.len())
            .field("log", &self.log)
            .field("admin", &self.admin.id)
            .finish()
    }
}

impl Engine {
    /// Resolve the acting admin and the workspace directory.
    pub async fn start(
        rules: RuleSet,
        log: Arc<dyn RunLog>,
        client: Client,
    ) -> Result<Self, EngineError> {
        let cache = intercom_api::DirectoryCache::new(client.clone());
        let directory = cache.get().await.map_err(|source| EngineError::Api {
            what: "GET /admins, /teams and /tags".into(),
            source,
        })?;
        let ticket_types = Arc::new(load_ticket_types(&client).await);
        let admin = match &rules.settings.admin {
            Some(key) => directory
                .find_admin(key)
                .cloned()
                .map_err(|miss| EngineError::Invalid(format!("settings.admin: {miss}")))?,
            None => {
                let me = client.me().await.map_err(|source| EngineError::Api {
                    what: "GET /me".into(),
                    source,
                })?;
                let id = me
                    .admin
                    .id
                    .clone()
                    .filter(|id| !id.trim().is_empty())
                    .ok_or_else(|| {
                        EngineError::Invalid(
                            "Intercom's /me answer names no admin; set settings.admin or try again"
                                .into(),
                        )
                    })?;
                directory.admin(&id).cloned().unwrap_or(AdminEntry {
                    id,
                    name: me.admin.name.clone().unwrap_or_default(),
                    email: me.admin.email.clone(),
                    away: false,
                    team_ids: Vec::new(),
                })
            }
        };
        Ok(Self {
            rules,
            log,
            client,
            http: outbound::http_client(),
            admin,
            directory: cache,
            ticket_types,
        })
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn log(&self) -> &Arc<dyn RunLog> {
        &self.log
    }

    /// The admin actions act as.
    pub fn admin_id(&self) -> &str {
        &self.admin.id
    }

    /// The directory rules look names up in: the cached workspace directory (an older
    /// copy when a refresh fails, so rules keep acting) and the ticket types.
    async fn directory(&self) -> Arc<RuleDirectory> {
        let workspace = match self.directory.get_or_stale().await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "automations could not read admins, teams and tags");
                Arc::default()
            }
        };
        Arc::new(RuleDirectory {
            workspace,
            ticket_types: self.ticket_types.clone(),
        })
    }

    /// Run every rule listening to the event's topic, at most once each.
    pub async fn handle(&self, event: Event) -> Vec<RunReport> {
        let candidates = self.rules.matching(&event.topic);
        if candidates.is_empty() {
            return Vec::new();
        }
        let object = self.full_object(&event).await;
        let mut ctx = EventContext::new(event, object);
        ctx.admin = serde_json::to_value(&self.admin).ok();
        let object_type = ctx.object_type.map(ObjectType::as_str);
        let object_id = ctx.object_id();
        let now = now_unix();
        let keys: Vec<(&str, bool)> = candidates
            .iter()
            .map(|r| (r.name.as_str(), r.dry_run))
            .collect();
        let claims = match self
            .log
            .claim(&ctx.event, object_type, object_id.as_deref(), &keys, now)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                // Without a claim nothing may run: acting unrecorded could act twice.
                tracing::error!(error = %e, event = %ctx.event.id, "automations could not claim runs; event skipped");
                return Vec::new();
            }
        };
        let mut claimed: Vec<(&Rule, i64)> = candidates
            .into_iter()
            .zip(claims)
            .filter_map(|(rule, claim)| claim.map(|id| (rule, id)))
            .collect();
        if claimed.is_empty() {
            return Vec::new();
        }
        let (event_id, topic) = (ctx.event.id.clone(), ctx.event.topic.clone());
        let report = |rule: &Rule, status, conditions, actions, error| RunReport {
            rule: rule.name.clone(),
            event_id: event_id.clone(),
            topic: topic.clone(),
            object_type: object_type.map(str::to_string),
            object_id: object_id.clone(),
            status,
            dry_run: rule.dry_run,
            conditions,
            actions,
            error,
        };
        let mut reports = Vec::with_capacity(claimed.len());
        let mut quick_endings = Vec::new();

        // Our own writes echo back as webhooks: they must not re-trigger the rule that made them.
        if let Some(oid) = &object_id {
            let echoes = match self.log.echo_rules(oid, &ctx.event.topic, now).await {
                Ok(echoes) => echoes,
                Err(e) => {
                    // Fail closed: without the loop guard a rule could answer its own writes.
                    let why = format!("the loop guard could not be read, so no rule ran: {e}");
                    tracing::error!(event = %ctx.event.id, "{why}");
                    for (rule, run_id) in &claimed {
                        quick_endings.push((
                            *run_id,
                            RunStatus::Failed,
                            json!({"reason": why}),
                            Some(why.clone()),
                        ));
                        reports.push(report(
                            rule,
                            RunStatus::Failed,
                            Vec::new(),
                            Vec::new(),
                            Some(why.clone()),
                        ));
                    }
                    self.record_endings(quick_endings).await;
                    return reports;
                }
            };
            claimed.retain(|(rule, run_id)| {
                if echoes.contains(&rule.name) {
                    let why = "this event is the echo of the rule's own action on this object"
                        .to_string();
                    quick_endings.push((
                        *run_id,
                        RunStatus::SkippedLoop,
                        json!({"reason": why}),
                        None,
                    ));
                    reports.push(report(
                        rule,
                        RunStatus::SkippedLoop,
                        Vec::new(),
                        Vec::new(),
                        Some(why),
                    ));
                    false
                } else {
                    true
                }
            });
        }

        let dir = self.directory().await;
        let lookup_errors = self
            .look_up(&mut ctx, claimed.iter().map(|(r, _)| *r))
            .await;
        let settings = &self.rules.settings;
        let mut to_run = Vec::new();
        for (rule, run_id) in claimed {
            let (matched, conditions) = evaluate(rule, &ctx, &dir, false);
            if !matched {
                quick_endings.push((
                    run_id,
                    RunStatus::NoMatch,
                    json!({"conditions": conditions, "lookup_errors": lookup_errors}),
                    None,
                ));
                reports.push(report(
                    rule,
                    RunStatus::NoMatch,
                    conditions,
                    Vec::new(),
                    None,
                ));
                continue;
            }
            if let Some(oid) = &object_id {
                let since = now - settings.rate_window_secs;
                let runs = match self.log.recent_runs(&rule.name, oid, since).await {
                    Ok(runs) => runs,
                    Err(e) => {
                        // Fail closed: an unknown count must not lift the per-object cap.
                        let why = format!(
                            "the rule's recent runs could not be counted, so it did not run: {e}"
                        );
                        quick_endings.push((
                            run_id,
                            RunStatus::Failed,
                            json!({"conditions": conditions, "reason": why}),
                            Some(why.clone()),
                        ));
                        reports.push(report(
                            rule,
                            RunStatus::Failed,
                            conditions,
                            Vec::new(),
                            Some(why),
                        ));
                        continue;
                    }
                };
                // This run's own claim is among them.
                if runs > settings.max_runs_per_object {
                    let why = format!(
                        "rule already ran {} times on {oid} in the last {}s (max_runs_per_object = {})",
                        runs - 1,
                        settings.rate_window_secs,
                        settings.max_runs_per_object
                    );
                    quick_endings.push((
                        run_id,
                        RunStatus::RateLimited,
                        json!({"conditions": conditions, "reason": why}),
                        Some(why.clone()),
                    ));
                    reports.push(report(
                        rule,
                        RunStatus::RateLimited,
                        conditions,
                        Vec::new(),
                        Some(why),
                    ));
                    continue;
                }
            }
            to_run.push((rule, run_id, conditions));
        }

        let actor = Actor {
            client: &self.client,
            http: &self.http,
            dir: &dir,
            admin_id: &self.admin.id,
            log: self.log.as_ref(),
            settings,
        };
        for (rule, run_id, conditions) in to_run {
            if !rule.dry_run {
                // Recorded before the first action: a run without progress never attempted one,
                // so a process taking over the run of one that died (a fleet's run log) may
                // run it. Without this record the run does not start.
                let started = json!({"conditions": conditions, "actions": []});
                if let Err(e) = self.log.progress(run_id, &started).await {
                    let error =
                        format!("the run's start could not be recorded, so it was not run: {e}");
                    tracing::error!(rule = %rule.name, event = %ctx.event.id, error = %error, "automation not run");
                    if let Err(e) = self
                        .log
                        .finish(
                            run_id,
                            RunStatus::Failed,
                            &started,
                            Some(&error),
                            now_unix(),
                        )
                        .await
                    {
                        tracing::error!(error = %e, "automations could not record a run outcome");
                    }
                    reports.push(report(
                        rule,
                        RunStatus::Failed,
                        conditions,
                        Vec::new(),
                        Some(error),
                    ));
                    continue;
                }
            }
            let log = &self.log;
            let progress = |so_far: &[ActionOutcome]| -> BoxFuture<'static, ()> {
                let write = log.progress(
                    run_id,
                    &json!({"conditions": conditions, "actions": so_far}),
                );
                Box::pin(async move {
                    if let Err(e) = write.await {
                        tracing::warn!(error = %e, "automations could not save a run's progress");
                    }
                })
            };
            let actions = actor.run(rule, &ctx, rule.dry_run, &progress).await;
            let failure = actions.iter().find(|a| a.status == ActionStatus::Failed);
            let (status, error) = match failure {
                Some(f) => (
                    RunStatus::Failed,
                    Some(format!(
                        "action `{}` (line {}) failed: {}",
                        f.action,
                        f.line,
                        f.error.clone().unwrap_or_default()
                    )),
                ),
                None if rule.dry_run => (RunStatus::DryRun, None),
                None => (RunStatus::Applied, None),
            };
            if let Some(e) = &error {
                tracing::warn!(rule = %rule.name, event = %ctx.event.id, error = %e, "automation failed");
            }
            let detail = json!({"conditions": conditions, "actions": actions});
            if rule.dry_run {
                quick_endings.push((run_id, status, detail, error.clone()));
            } else if let Err(e) = self
                .log
                .finish(run_id, status, &detail, error.as_deref(), now_unix())
                .await
            {
                tracing::error!(error = %e, "automations could not record a run outcome");
            }
            reports.push(report(rule, status, conditions, actions, error));
        }
        // Outcomes that changed nothing share one commit (one disk sync per event, not per
        // rule). If the process dies first they read `interrupted`, never run twice.
        self.record_endings(quick_endings).await;
        reports
    }

    /// Outcomes that changed nothing, in one commit.
    async fn record_endings(&self, endings: Vec<RunEnding>) {
        if endings.is_empty() {
            return;
        }
        if let Err(e) = self.log.finish_many(endings, now_unix()).await {
            tracing::error!(error = %e, "automations could not record run outcomes");
        }
    }

    /// Dry-run one rule against an object, showing every condition and action.
    pub async fn test(
        &self,
        rule_name: &str,
        object_type: ObjectType,
        id: &str,
    ) -> Result<TestReport, EngineError> {
        let rule = self.rules.rule(rule_name).ok_or_else(|| {
            let names: Vec<_> = self.rules.rules.iter().map(|r| r.name.as_str()).collect();
            EngineError::Invalid(format!(
                "no rule named {rule_name:?}; the rules are: {}",
                names.join(", ")
            ))
        })?;
        let topic = rule.topic_for(object_type).ok_or_else(|| {
            EngineError::Invalid(format!(
                "rule {rule_name:?} listens to {:?}, none of them about a {object_type}; test it with a {}",
                rule.topics,
                rule.object_types().iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" or ")
            ))
        })?;
        let id = intercom_core::ids::path_id(id).map_err(EngineError::Invalid)?;
        let object = self
            .fetch(object_type, id)
            .await
            .map_err(|source| EngineError::Api {
                what: format!("{object_type} {id}"),
                source,
            })?;
        let event = Event {
            id: format!("test:{}", uuid::Uuid::new_v4()),
            topic: topic.clone(),
            created_at: now_unix(),
            item: object.clone(),
        };
        let mut ctx = EventContext::new(event, object);
        ctx.admin = serde_json::to_value(&self.admin).ok();
        let dir = self.directory().await;
        let lookup_errors = self.look_up(&mut ctx, std::iter::once(rule)).await;
        let (matched, conditions) = evaluate(rule, &ctx, &dir, true);
        let actor = Actor {
            client: &self.client,
            http: &self.http,
            dir: &dir,
            admin_id: &self.admin.id,
            log: self.log.as_ref(),
            settings: &self.rules.settings,
        };
        let actions = actor.run(rule, &ctx, true, &|_| Box::pin(async {})).await;
        Ok(TestReport {
            rule: rule.name.clone(),
            object_type: object_type.as_str().into(),
            object_id: ctx.object_id().unwrap_or_else(|| id.to_string()),
            topic,
            matched,
            conditions,
            actions,
            lookup_errors,
        })
    }

    /// The event's object in full: webhooks carry it; sync changes and some topics carry only ids.
    async fn full_object(&self, event: &Event) -> Value {
        let item = &event.item;
        let partial = item
            .as_object()
            .is_none_or(|o| o.keys().all(|k| k == "id" || k == "type"));
        let (Some(ty), Some(id)) = (event.object_type(), event.object_id()) else {
            return item.clone();
        };
        if !partial || event.topic.ends_with(".deleted") {
            return item.clone();
        }
        match self.fetch(ty, &id).await {
            Ok(full) => full,
            Err(e) => {
                tracing::warn!(error = %e, object = %id, "automations could not fetch the event's object; using the event's copy");
                item.clone()
            }
        }
    }

    async fn fetch(&self, ty: ObjectType, id: &str) -> Result<Value, intercom_api::Error> {
        let plural = match ty {
            ObjectType::Conversation => "conversations",
            ObjectType::Ticket => "tickets",
            ObjectType::Contact => "contacts",
            ObjectType::Company => "companies",
        };
        self.client
            .send_json(Method::GET, &format!("/{plural}/{id}"), &[], None)
            .await
    }

    /// Fetch the contact and company the rules need; report what could not be had.
    async fn look_up<'r>(
        &self,
        ctx: &mut EventContext,
        rules: impl Iterator<Item = &'r Rule>,
    ) -> Vec<String> {
        let (mut contact, mut company) = (false, false);
        for rule in rules {
            contact |= rule.needs_contact() || rule.needs_company();
            company |= rule.needs_company();
        }
        let mut errors = Vec::new();
        if contact && ctx.contact.is_none() && ctx.object_type != Some(ObjectType::Contact) {
            match ctx.contact_id() {
                Some(id) => match self.fetch(ObjectType::Contact, &id).await {
                    Ok(c) => ctx.contact = Some(c),
                    Err(e) => errors.push(format!("contact {id}: {e}")),
                },
                None => errors.push("the event's object names no contact".into()),
            }
        }
        if company && ctx.company.is_none() && ctx.object_type != Some(ObjectType::Company) {
            match ctx.company_id() {
                Some(id) => match self.fetch(ObjectType::Company, &id).await {
                    Ok(c) => ctx.company = Some(c),
                    Err(e) => errors.push(format!("company {id}: {e}")),
                },
                None => {
                    errors.push("no company is linked to the event's object or its contact".into())
                }
            }
        }
        errors
    }

    /// Follow the mirror's event log until `shutdown` resolves: each new event (webhook or
    /// sync change) goes through [`Engine::handle`], in order. Starts where the last run
    /// stopped; the first time, at the log's end (old history does not fire rules).
    pub async fn follow(
        self: Arc<Self>,
        mirror: Mirror,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), EngineError> {
        let mut cursor = match self
            .log
            .state(CURSOR_KEY)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
        {
            Some(c) => c,
            None => {
                // A new follower starts at the end of the log: it reacts to what happens next.
                let end = mirror
                    .stats()
                    .await
                    .map_err(|e| EngineError::Invalid(e.to_string()))?
                    .last_event_seq
                    .unwrap_or(0);
                self.log.set_state(CURSOR_KEY, &end.to_string()).await?;
                end
            }
        };
        // Only the follower closes out runs a previous process left in flight (a CLI
        // `automations test` against the same store must not).
        let interrupted = self.log.mark_interrupted(now_unix()).await?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "automation runs were in flight when the server last stopped; marked interrupted, not rerun"
            );
        }
        let mut wake = mirror.subscribe();
        tokio::pin!(shutdown);
        tracing::info!(
            rules = self.rules.rules.len(),
            cursor,
            "automations following the event log"
        );
        loop {
            let batch = match mirror.events_with_payload(cursor, 100).await {
                Ok(rows) => rows
                    .into_iter()
                    .map(|(record, payload)| (record.seq, engine_event(record, payload)))
                    .collect(),
                Err(e) => {
                    tracing::error!(error = %e, "automations could not read the event log; retrying");
                    Vec::new()
                }
            };
            let idle = batch.is_empty();
            for (seq, event) in batch {
                self.handle(event).await;
                cursor = seq;
                self.log.set_state(CURSOR_KEY, &cursor.to_string()).await?;
            }
            if idle {
                tokio::select! {
                    _ = &mut shutdown => return Ok(()),
                    _ = wake.recv() => {}
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
            }
        }
    }
}

/// The engine's view of a logged event: the notification it came from when there is one,
/// else what the log says (type and id of the object).
fn engine_event(record: EventRecord, payload: Option<Value>) -> Event {
    payload
        .as_ref()
        .and_then(Event::from_envelope)
        .unwrap_or_else(|| Event {
            id: record.id,
            topic: record.topic,
            created_at: record.occurred_at,
            item: json!({"type": record.object_type, "id": record.object_id}),
        })
}

/// The workspace's ticket types; none when it has no tickets (rules that need a ticket
/// type then fail when they run, saying so).
pub async fn load_ticket_types(client: &Client) -> Vec<NamedEntry> {
    client
        .list_ticket_types()
        .await
        .map(|types| {
            types
                .into_iter()
                .filter_map(|t| {
                    Some(NamedEntry {
                        id: t.id.filter(|id| !id.trim().is_empty())?,
                        name: t.name.unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}
