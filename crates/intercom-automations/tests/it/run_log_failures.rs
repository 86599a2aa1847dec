//! A run log that cannot answer must stop the rule, never let it act unchecked: the
//! per-object rate cap and the loop guard fail closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use intercom_api::{Client, ClientConfig};
use intercom_automations::runlog::RunEnding;
use intercom_automations::{
    Engine, Event, LogFilter, RunLog, RunLogError, RunLogFuture, RunRecord, RunStatus,
    SqliteRunLog, parse_rules,
};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

/// The SQLite run log, except that the calls switched off answer with an error.
#[derive(Debug)]
struct Faulty {
    inner: SqliteRunLog,
    counts_fail: AtomicBool,
    echoes_fail: AtomicBool,
}

fn refused<T: Send + 'static>() -> RunLogFuture<T> {
    Box::pin(async { Err(RunLogError::new("test", "database unavailable")) })
}

impl RunLog for Faulty {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn claim(
        &self,
        event: &Event,
        object_type: Option<&str>,
        object_id: Option<&str>,
        rules: &[(&str, bool)],
        now: i64,
    ) -> RunLogFuture<Vec<Option<i64>>> {
        self.inner.claim(event, object_type, object_id, rules, now)
    }
    fn finish_many(&self, runs: Vec<RunEnding>, now: i64) -> RunLogFuture<()> {
        self.inner.finish_many(runs, now)
    }
    fn progress(&self, run_id: i64, detail: &Value) -> RunLogFuture<()> {
        self.inner.progress(run_id, detail)
    }
    fn mark_interrupted(&self, now: i64) -> RunLogFuture<usize> {
        self.inner.mark_interrupted(now)
    }
    fn recent_runs(&self, rule: &str, object_id: &str, since: i64) -> RunLogFuture<u32> {
        if self.counts_fail.load(Ordering::Relaxed) {
            return refused();
        }
        self.inner.recent_runs(rule, object_id, since)
    }
    fn query(&self, filter: &LogFilter) -> RunLogFuture<Vec<RunRecord>> {
        self.inner.query(filter)
    }
    fn expect_echo(
        &self,
        object_id: &str,
        topics: &[&str],
        rule: &str,
        expires_at: i64,
    ) -> RunLogFuture<()> {
        self.inner.expect_echo(object_id, topics, rule, expires_at)
    }
    fn echo_rules(&self, object_id: &str, topic: &str, now: i64) -> RunLogFuture<Vec<String>> {
        if self.echoes_fail.load(Ordering::Relaxed) {
            return refused();
        }
        self.inner.echo_rules(object_id, topic, now)
    }
    fn state(&self, key: &str) -> RunLogFuture<Option<String>> {
        self.inner.state(key)
    }
    fn set_state(&self, key: &str, value: &str) -> RunLogFuture<()> {
        self.inner.set_state(key, value)
    }
    fn next_turn(&self, key: &str, len: usize, advance: bool) -> RunLogFuture<usize> {
        self.inner.next_turn(key, len, advance)
    }
}

async fn tags_of(client: &Client, conversation: &str) -> Vec<String> {
    let body = client
        .send_json(
            intercom_api::Method::GET,
            &format!("/conversations/{conversation}"),
            &[],
            None,
        )
        .await
        .unwrap();
    body["tags"]["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_log_that_cannot_count_or_check_echoes_stops_the_rule() {
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(
        ClientConfig::builder(sandbox.token().to_string())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    let conversations = client
        .send_json(intercom_api::Method::GET, "/conversations", &[], None)
        .await
        .unwrap();
    let conversation = conversations["conversations"][0]["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| conversations["conversations"][0]["id"].to_string());

    let rules = parse_rules(
        r#"
[[rules]]
name = "tag-all"
topics = ["conversation.user.replied"]
actions = [{ add_tag = "fail-closed" }]
"#,
        &|_| None,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(Faulty {
        inner: SqliteRunLog::open(&dir.path().join("store.sqlite3")).unwrap(),
        counts_fail: AtomicBool::new(true),
        echoes_fail: AtomicBool::new(false),
    });
    let engine = Engine::start(rules, log.clone(), client.clone())
        .await
        .unwrap();
    let event = |id: &str| Event {
        id: id.into(),
        topic: "conversation.user.replied".into(),
        created_at: 1,
        item: json!({"type": "conversation", "id": conversation}),
    };

    // The rate cap cannot be checked: the rule does not run, and says why.
    let reports = engine.handle(event("notif_counts")).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].status, RunStatus::Failed, "{:?}", reports[0]);
    assert!(
        reports[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("could not be counted"),
        "{:?}",
        reports[0].error
    );
    assert!(
        !tags_of(&client, &conversation)
            .await
            .contains(&"fail-closed".to_string())
    );

    // The loop guard cannot be read: nothing runs either.
    log.counts_fail.store(false, Ordering::Relaxed);
    log.echoes_fail.store(true, Ordering::Relaxed);
    let reports = engine.handle(event("notif_echoes")).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].status, RunStatus::Failed, "{:?}", reports[0]);
    assert!(
        !tags_of(&client, &conversation)
            .await
            .contains(&"fail-closed".to_string())
    );

    // Both outcomes are in the log, as failed runs (read back).
    let logged = log.query(&LogFilter::default()).await.unwrap();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(logged.iter().all(|r| r.status == RunStatus::Failed));

    // With a working log the same rule acts.
    log.echoes_fail.store(false, Ordering::Relaxed);
    let reports = engine.handle(event("notif_ok")).await;
    assert_eq!(reports[0].status, RunStatus::Applied, "{:?}", reports[0]);
    assert!(
        tags_of(&client, &conversation)
            .await
            .contains(&"fail-closed".to_string())
    );
}
