//! Automations end to end: the sandbox sends signed webhooks to the receiver, the
//! mirror logs them, the engine follows the log and acts through the Intercom API;
//! every effect is read back from the sandbox.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use intercom_api::{Client, ClientConfig, Method};
use intercom_automations::{
    Engine, Event, LogFilter, RunRecord, RunStatus, SqliteRunLog, parse_rules,
};
use intercom_mirror::Mirror;
use intercom_mirror::webhooks::{WEBHOOK_PATH, WebhookSecret, WebhookState, sign};
use intercom_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const WEBHOOK_SECRET: &str = "automations-e2e-client-secret";
const OUTBOUND_SECRET: &str = "outbound-signing-key-42";

/// (seq, notification id, topic, object id, envelope) of one event in the mirror's log.
type LoggedEvent = (i64, String, String, Option<String>, Option<String>);

struct Harness {
    dir: tempfile::TempDir,
    mirror: Mirror,
    sandbox: Sandbox,
    client: Client,
    receiver: String,
    rules: String,
    engine: Arc<Engine>,
    stop: CancellationToken,
    follower: tokio::task::JoinHandle<()>,
    /// Where the engine's first read position was put: the end of the log at that time.
    start_cursor: i64,
}

impl Harness {
    async fn start(rules: &str, activity_per_min: f64) -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("intercom_automations=info")
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let mirror = Mirror::open_sqlite(&dir.path().join("store.sqlite3")).unwrap();
        let state = WebhookState::new(mirror.clone(), WebhookSecret::new(WEBHOOK_SECRET).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = format!("http://{}{WEBHOOK_PATH}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, intercom_mirror::webhooks::router(state))
                .await
                .unwrap();
        });
        let sandbox = Sandbox::start(SandboxConfig {
            webhook_url: Some(receiver.clone()),
            webhook_secret: Some(WEBHOOK_SECRET.into()),
            activity_per_min,
            ..Default::default()
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
        let (engine, stop, follower) = follow(&dir, &mirror, &client, rules).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let start_cursor = loop {
            if let Some(c) = engine.log().state("event_cursor").await.unwrap() {
                break c.parse().unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "the engine never started following"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        Self {
            dir,
            mirror,
            sandbox,
            client,
            receiver,
            rules: rules.to_string(),
            engine,
            stop,
            follower,
            start_cursor,
        }
    }

    /// Stop the engine and start a fresh one on the same store, as a server restart does;
    /// `replay_from` moves the saved read position first (0 = the whole event log again).
    async fn restart(&mut self, replay_from: Option<i64>) {
        self.stop.cancel();
        (&mut self.follower).await.unwrap();
        if let Some(seq) = replay_from {
            self.engine
                .log()
                .set_state("event_cursor", &seq.to_string())
                .await
                .unwrap();
        }
        let (engine, stop, follower) =
            follow(&self.dir, &self.mirror, &self.client, &self.rules).await;
        self.engine = engine;
        self.stop = stop;
        self.follower = follower;
    }

    async fn runs(&self, filter: LogFilter) -> Vec<RunRecord> {
        self.engine
            .log()
            .query(&LogFilter {
                limit: 10_000,
                ..filter
            })
            .await
            .unwrap()
    }

    async fn runs_of(&self, rule: &str, object: &str) -> Vec<RunRecord> {
        self.runs(LogFilter {
            rule: Some(rule.into()),
            object_id: Some(object.into()),
            ..Default::default()
        })
        .await
    }

    /// Wait until `done` holds, or fail saying what was awaited.
    async fn until(&self, what: &str, mut done: impl AsyncFnMut(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done(self).await {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn new_conversation(&self, body: &str) -> (String, String) {
        let contacts = self.client.list_contacts(Some(5), None).await.unwrap();
        let contact = contacts
            .items
            .iter()
            .find(|c| c.role.as_deref() == Some("user"))
            .or(contacts.items.first())
            .unwrap();
        let contact_id = contact.id.clone().unwrap();
        let message = self
            .client
            .create_conversation(&intercom_api::Id::new(&contact_id).unwrap(), body, None)
            .await
            .unwrap();
        (message.conversation_id.unwrap(), contact_id)
    }

    async fn conversation(&self, id: &str) -> Value {
        self.client
            .send_json(Method::GET, &format!("/conversations/{id}"), &[], None)
            .await
            .unwrap()
    }

    /// Every webhook the mirror logged, oldest first: (seq, id, topic, object id, envelope).
    fn logged_events(&self) -> Vec<LoggedEvent> {
        self.mirror
            .sqlite()
            .unwrap()
            .read(|c| {
                let mut s = c.prepare(
                    "SELECT seq, id, topic, object_id, payload FROM events ORDER BY seq",
                )?;
                let rows = s.query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })?;
                rows.collect()
            })
            .unwrap()
    }

    async fn cursor(&self) -> i64 {
        self.engine
            .log()
            .state("event_cursor")
            .await
            .unwrap()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Wait until the engine has read everything the mirror logged so far.
    async fn caught_up(&self) {
        let last = self.logged_events().last().map(|e| e.0).unwrap_or(0);
        self.until("the engine to catch up with the event log", async |h| {
            h.cursor().await >= last
        })
        .await;
    }
}

async fn follow(
    dir: &tempfile::TempDir,
    mirror: &Mirror,
    client: &Client,
    rules: &str,
) -> (Arc<Engine>, CancellationToken, tokio::task::JoinHandle<()>) {
    let env = |name: &str| (name == "OUTBOUND_SECRET").then(|| OUTBOUND_SECRET.to_string());
    let rules = parse_rules(rules, &env).unwrap();
    let log = Arc::new(SqliteRunLog::open(&dir.path().join("store.sqlite3")).unwrap());
    let engine = Arc::new(Engine::start(rules, log, client.clone()).await.unwrap());
    let stop = CancellationToken::new();
    let follower = tokio::spawn({
        let engine = engine.clone();
        let mirror = mirror.clone();
        let stop = stop.clone();
        async move {
            engine
                .follow(mirror, async move { stop.cancelled().await })
                .await
                .unwrap()
        }
    });
    (engine, stop, follower)
}

fn tag_names(conversation: &Value) -> Vec<String> {
    conversation["tags"]["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| t["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn notes(conversation: &Value) -> Vec<String> {
    conversation["conversation_parts"]["conversation_parts"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter(|p| p["part_type"] == "note")
                .map(|p| p["body"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

const BILLING_RULES: &str = r#"
[[rules]]
name = "tag-billing"
topics = ["conversation.user.created", "conversation.user.replied"]
conditions = [{ text_contains = ["invoice", "refund"] }]
actions = [
  { add_tag = "billing-auto" },
  { note = "Billing question from contact {{contact.id}} ({{contact.email}}): {{text}}" },
]

[[rules]]
name = "ack-notes"
topics = ["conversation.admin.noted"]
actions = [{ note = "Seen by automation {{rule.name}}" }]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_fire_once_per_event_and_never_twice() {
    let mut h = Harness::start(BILLING_RULES, 0.0).await;
    let (billing, contact_id) = h
        .new_conversation("<p>Where is my invoice for October?</p>")
        .await;
    let (chat, _) = h.new_conversation("<p>Hello, just saying hi</p>").await;

    // tag-billing acts once; its note triggers ack-notes (another rule) once; ack-notes'
    // own note comes back as conversation.admin.noted and is recognised as its echo.
    h.until("ack-notes to see its own echo", async |h| {
        h.runs_of("ack-notes", &billing)
            .await
            .iter()
            .any(|r| r.status == RunStatus::SkippedLoop)
    })
    .await;
    h.until("tag-billing to skip the small talk", async |h| {
        h.runs_of("tag-billing", &chat)
            .await
            .iter()
            .any(|r| r.status == RunStatus::NoMatch)
    })
    .await;
    h.caught_up().await;

    let conversation = h.conversation(&billing).await;
    assert!(
        tag_names(&conversation).contains(&"billing-auto".to_string()),
        "{conversation}"
    );
    let notes = notes(&conversation);
    assert_eq!(notes.len(), 2, "one note per rule: {notes:?}");
    let contact = h
        .client
        .get_contact(&intercom_api::Id::new(&contact_id).unwrap())
        .await
        .unwrap();
    assert!(
        notes[0].contains(&format!("Billing question from contact {contact_id}")),
        "{notes:?}"
    );
    if let Some(email) = contact.email.as_deref().filter(|e| !e.is_empty()) {
        assert!(
            notes[0].contains(email),
            "the note's template read the contact: {notes:?}"
        );
    }
    assert!(notes[0].contains("October"), "{notes:?}");
    assert!(
        notes[1].contains("Seen by automation ack-notes"),
        "{notes:?}"
    );
    let small_talk = h.conversation(&chat).await;
    assert!(!tag_names(&small_talk).contains(&"billing-auto".to_string()));
    assert!(self::notes(&small_talk).is_empty());

    let billing_runs = h.runs_of("tag-billing", &billing).await;
    assert_eq!(billing_runs.len(), 1, "{billing_runs:#?}");
    assert_eq!(billing_runs[0].status, RunStatus::Applied);
    let ack: Vec<RunStatus> = h
        .runs_of("ack-notes", &billing)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        ack.iter().filter(|s| **s == RunStatus::Applied).count(),
        1,
        "{ack:?}"
    );

    // Intercom delivers some notifications twice: the receiver and the engine both hold.
    let events = h.logged_events();
    let (_, first_id, _, _, envelope) = events
        .iter()
        .find(|e| e.2 == "conversation.user.created" && e.3.as_deref() == Some(billing.as_str()))
        .cloned()
        .unwrap();
    let body = envelope.unwrap().into_bytes();
    let redelivery = reqwest::Client::new()
        .post(&h.receiver)
        .header("content-type", "application/json")
        .header("x-hub-signature", sign(WEBHOOK_SECRET.as_bytes(), &body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert!(redelivery.status().is_success());
    let event = Event::from_envelope(&serde_json::from_slice(&body).unwrap()).unwrap();
    assert_eq!(event.id, first_id);
    assert!(
        h.engine.handle(event).await.is_empty(),
        "a handled event runs nothing again"
    );

    // A restart that replays the whole event log runs nothing a second time.
    let before = h.runs(LogFilter::default()).await.len();
    h.restart(Some(0)).await;
    // Caught up: the engine has handled (and logged any run of) every event of the log.
    h.caught_up().await;
    assert_eq!(
        h.runs(LogFilter::default()).await.len(),
        before,
        "the replay claimed nothing new"
    );
    assert_eq!(self::notes(&h.conversation(&billing).await).len(), 2);
    assert_eq!(h.runs_of("tag-billing", &billing).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_runs_and_failures_do_not_block_or_repeat() {
    let rules = r#"
[[rules]]
name = "tag-all"
topics = ["conversation.user.created"]
actions = [{ add_tag = "seen" }, { note = "tagged" }]
"#;
    let mut h = Harness::start(rules, 0.0).await;
    // A run cut short by a crash: claimed, never finished.
    let ghost = Event {
        id: "notif_ghost".into(),
        topic: "conversation.user.created".into(),
        created_at: 1,
        item: json!({"type": "conversation", "id": "424242", "state": "open"}),
    };
    let claims = h
        .engine
        .log()
        .claim(
            &ghost,
            Some("conversation"),
            Some("424242"),
            &[("tag-all", false)],
            1,
        )
        .await
        .unwrap();
    assert!(claims[0].is_some());
    h.restart(None).await;
    h.until(
        "the restarted engine to close out the interrupted run",
        async |h| h.runs_of("tag-all", "424242").await[0].status == RunStatus::Interrupted,
    )
    .await;
    assert!(
        h.engine.handle(ghost).await.is_empty(),
        "an interrupted run is not run again"
    );

    // A conversation Intercom does not know: the action fails with Intercom's reason...
    let missing = Event {
        id: "notif_missing".into(),
        topic: "conversation.user.created".into(),
        created_at: 1,
        item: json!({"type": "conversation", "id": "999999999", "state": "open", "source": {"body": "x"}}),
    };
    let reports = h.engine.handle(missing).await;
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].status, RunStatus::Failed);
    let error = reports[0].error.clone().unwrap();
    assert!(
        error.contains("not found") || error.contains("404"),
        "{error}"
    );
    assert_eq!(
        reports[0].actions[1].status,
        intercom_automations::actions::ActionStatus::NotRun
    );
    let logged = h.runs_of("tag-all", "999999999").await;
    assert_eq!(logged[0].status, RunStatus::Failed);
    assert_eq!(logged[0].error.as_deref(), Some(error.as_str()));

    // ...and the next event is handled normally.
    let (id, _) = h.new_conversation("<p>next one</p>").await;
    h.until("the next conversation to be tagged", async |h| {
        h.runs_of("tag-all", &id)
            .await
            .iter()
            .any(|r| r.status == RunStatus::Applied)
    })
    .await;
    assert!(tag_names(&h.conversation(&id).await).contains(&"seen".to_string()));
}

/// What the local receiver got: headers we check and the raw body.
struct Received {
    signature: String,
    delivery: String,
    body: Vec<u8>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_post_reaches_a_receiver_with_a_valid_signature() {
    let (tx, mut rx) = mpsc::unbounded_channel::<Received>();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let tx = tx.clone();
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let _ = tx.send(Received {
                        signature: header("x-intercom-mcp-signature"),
                        delivery: header("x-intercom-mcp-delivery"),
                        body: body.to_vec(),
                    });
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let rules = format!(
        r#"
[[rules]]
name = "page-on-outage"
topics = ["conversation.user.created"]
secret_env = "OUTBOUND_SECRET"
conditions = [{{ text_matches = "(?i)outage|down" }}]
actions = [{{ post = "{hook}", body = {{ conversation = "{{{{conversation.id}}}}", says = "{{{{text}}}}", rule = "{{{{rule.name}}}}" }} }}]
"#
    );
    let h = Harness::start(&rules, 0.0).await;
    let (id, _) = h
        .new_conversation("<p>Your API is down, total outage here</p>")
        .await;
    let got = tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("the outbound POST arrived")
        .unwrap();

    // Verified here with HMAC-SHA256 directly, not with the engine's signing code.
    let hex_sig = got
        .signature
        .strip_prefix("sha256=")
        .expect("sha256= prefix");
    let mut mac = Hmac::<Sha256>::new_from_slice(OUTBOUND_SECRET.as_bytes()).unwrap();
    mac.update(&got.body);
    mac.verify_slice(&hex::decode(hex_sig).unwrap())
        .expect("valid signature");
    let mut forged = Hmac::<Sha256>::new_from_slice(b"another key").unwrap();
    forged.update(&got.body);
    assert_ne!(hex::encode(forged.finalize().into_bytes()), hex_sig);

    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["conversation"], json!(id));
    assert_eq!(body["rule"], "page-on-outage");
    assert!(
        body["says"].as_str().unwrap().contains("total outage"),
        "{body}"
    );
    assert!(
        got.delivery.ends_with(":page-on-outage"),
        "{}",
        got.delivery
    );
    h.until("the run to be logged", async |h| {
        h.runs_of("page-on-outage", &id)
            .await
            .iter()
            .any(|r| r.status == RunStatus::Applied)
    })
    .await;
    // Exactly one POST for the one event. Once the engine has handled every logged event,
    // every POST it made has been answered, so has arrived.
    h.caught_up().await;
    assert!(rx.try_recv().is_err(), "a second POST arrived");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_generator_events_each_run_once_and_dry_run_changes_nothing() {
    let rules = r#"
[[rules]]
name = "triage-new"
topics = ["conversation.user.created"]
actions = [{ add_tag = "triaged" }]

[[rules]]
name = "close-replies-dry"
topics = ["conversation.user.replied"]
dry_run = true
actions = [{ close = "Closing (dry run)" }]
"#;
    let h = Harness::start(rules, 900.0).await;
    h.until(
        "the activity generator to produce new conversations and replies",
        async |h| {
            let events: Vec<_> = h
                .logged_events()
                .into_iter()
                .filter(|e| e.0 > h.start_cursor)
                .collect();
            events
                .iter()
                .filter(|e| e.2 == "conversation.user.created")
                .count()
                >= 3
                && events.iter().any(|e| e.2 == "conversation.user.replied")
        },
    )
    .await;
    // Events logged before the engine first started are history: rules do not fire on them.
    let start = h.start_cursor;
    let snapshot: Vec<_> = h
        .logged_events()
        .into_iter()
        .filter(|e| e.0 > start)
        .collect();
    assert!(
        snapshot.iter().any(|e| e.2 == "conversation.user.replied"),
        "no reply after the engine started"
    );
    let last = snapshot.last().unwrap().0;
    h.until("the engine to pass the snapshot", async |h| {
        h.cursor().await >= last
    })
    .await;

    for (_, id, topic, object, _) in &snapshot {
        let object = object.clone().unwrap();
        let rule = match topic.as_str() {
            "conversation.user.created" => "triage-new",
            "conversation.user.replied" => "close-replies-dry",
            _ => continue,
        };
        let runs: Vec<_> = h
            .runs_of(rule, &object)
            .await
            .into_iter()
            .filter(|r| &r.event_id == id)
            .collect();
        assert_eq!(
            runs.len(),
            1,
            "event {id} ({topic}) ran {rule} {} times; runs on the object: {:#?}",
            runs.len(),
            h.runs(LogFilter {
                object_id: Some(object.clone()),
                ..Default::default()
            })
            .await
        );
        let conversation = h.conversation(&object).await;
        if rule == "triage-new" {
            assert_eq!(runs[0].status, RunStatus::Applied, "{:?}", runs[0]);
            assert!(
                tag_names(&conversation).contains(&"triaged".to_string()),
                "{conversation}"
            );
        } else {
            assert_eq!(runs[0].status, RunStatus::DryRun);
            let detail = runs[0].detail.clone().unwrap();
            assert!(
                detail["actions"][0]["summary"]
                    .as_str()
                    .unwrap()
                    .starts_with("would close"),
                "{detail}"
            );
            assert_ne!(conversation["state"], "closed", "dry run changed nothing");
        }
    }
    drop(h.sandbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intercom_failures_are_logged_with_its_reason_and_creates_are_not_retried() {
    let rules = r#"
[settings]
retry_attempts = 2

[[rules]]
name = "tag-it"
topics = ["conversation.user.replied"]
actions = [{ add_tag = "resilient" }]

[[rules]]
name = "note-it"
topics = ["conversation.user.replied"]
actions = [{ note = "one note only" }]
"#;
    let h = Harness::start(rules, 0.0).await;
    let (id, _) = h.new_conversation("<p>hello</p>").await;
    let conversation = h.conversation(&id).await;
    let faults = |rate: f64| {
        let url = format!("{}/_sandbox/faults", h.sandbox.base_url());
        async move {
            let answer = reqwest::Client::new()
                .post(url)
                .json(&json!({"fault_rate": rate, "fault_kinds": ["503"]}))
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success());
        }
    };
    let event = |n: u32| Event {
        id: format!("notif_faulty_{n}"),
        topic: "conversation.user.replied".into(),
        created_at: 1,
        item: conversation.clone(),
    };

    faults(1.0).await;
    let reports = h.engine.handle(event(1)).await;
    faults(0.0).await;
    for report in &reports {
        assert_eq!(report.status, RunStatus::Failed, "{report:?}");
        let error = report.error.as_deref().unwrap();
        assert!(error.contains("503"), "Intercom's reason is kept: {error}");
    }
    let attempts =
        |rule: &str| reports.iter().find(|r| r.rule == rule).unwrap().actions[0].attempts;
    assert_eq!(attempts("tag-it"), 2, "a repeatable action is retried");
    assert_eq!(
        attempts("note-it"),
        1,
        "a create that may have been processed is not"
    );

    // The failure blocks nothing: the next event on the same conversation runs normally.
    let reports = h.engine.handle(event(2)).await;
    assert!(
        reports.iter().all(|r| r.status == RunStatus::Applied),
        "{reports:?}"
    );
    let after = h.conversation(&id).await;
    assert!(tag_names(&after).contains(&"resilient".to_string()));
    assert_eq!(
        notes(&after)
            .iter()
            .filter(|n| n.contains("one note only"))
            .count(),
        1
    );
}
