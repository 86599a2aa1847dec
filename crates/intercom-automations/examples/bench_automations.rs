//! Automations benchmark (release):
//!
//! ```sh
//! cargo run --release -p intercom-mcp --example bench_automations
//! ```
//!
//! 1. Matching + dry-run evaluation with 100 rules: in memory (topic match, every
//!    condition, templates rendered), then through `Engine::handle` with all 100 rules
//!    in dry run (claims and outcomes written durably to the SQLite run log).
//! 2. Latency from webhook receipt to first action applied: signed webhooks POSTed to
//!    the receiver one at a time; the rule's first action is a signed POST to a local
//!    receiver, whose arrival time ends the measurement. Also a tag applied through the
//!    (sandbox) Intercom API before that POST.

use std::sync::Arc;
use std::time::{Duration, Instant};

use intercom_api::{Client, ClientConfig, Method};
use intercom_automations::template::Escape;
use intercom_automations::{
    Engine, Event, EventContext, RuleDirectory, SqliteRunLog, evaluate, parse_rules,
};
use intercom_mirror::Mirror;
use intercom_mirror::webhooks::{WEBHOOK_PATH, WebhookSecret, WebhookState, sign};
use intercom_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const SECRET: &str = "bench-client-secret";

/// 100 rules over conversation topics with a realistic mix of conditions.
fn hundred_rules(dry_run: bool) -> String {
    let words = [
        "invoice", "refund", "login", "password", "shipping", "cancel", "upgrade", "bug", "crash",
        "slow",
    ];
    let mut out = String::new();
    for i in 0..100 {
        let topic = if i % 3 == 0 {
            "conversation.user.replied"
        } else {
            "conversation.user.created"
        };
        let word = words[i % words.len()];
        let condition = match i % 5 {
            0 => format!(
                "{{ text_contains = [\"{word}\", \"{}\"] }}",
                words[(i + 3) % words.len()]
            ),
            1 => format!("{{ text_matches = \"(?i)\\\\b{word}\\\\w*\" }}"),
            2 => "{ priority = [\"high\", \"urgent\"] }".to_string(),
            3 => "{ state = \"open\" }, { assignee = \"unassigned\" }".to_string(),
            _ => "{ business_hours = \"mon-fri 09:00-17:00\", timezone = \"Europe/Berlin\" }"
                .to_string(),
        };
        out.push_str(&format!(
            "[[rules]]\nname = \"rule-{i}\"\ntopics = [\"{topic}\"]\ndry_run = {dry_run}\nconditions = [{condition}]\n\
             actions = [{{ add_tag = \"auto-{word}\" }}, {{ note = \"Rule {{{{rule.name}}}} saw: {{{{text}}}}\" }}]\n\n"
        ));
    }
    out
}

fn synthetic_events(n: usize) -> Vec<Event> {
    let texts = [
        "<p>I was charged twice, please refund the invoice</p>",
        "<p>Cannot login after the password reset</p>",
        "<p>Where is my shipping confirmation?</p>",
        "<p>The app is slow and sometimes I see a crash</p>",
        "<p>Hello there, quick question about upgrading</p>",
    ];
    let priorities = ["none", "low", "high", "urgent"];
    (0..n)
        .map(|i| {
            let topic = if i % 3 == 0 { "conversation.user.replied" } else { "conversation.user.created" };
            Event {
                id: format!("notif_bench_{i}"),
                topic: topic.into(),
                created_at: 1_795_422_600 + i as i64 * 37,
                item: json!({
                    "type": "conversation", "id": format!("{}", 900_000 + i), "state": "open",
                    "priority": priorities[i % 4], "admin_assignee_id": if i % 2 == 0 { 0 } else { 11 },
                    "team_assignee_id": 0,
                    "source": {"type": "conversation", "subject": "", "body": texts[i % texts.len()]},
                    "conversation_parts": {"conversation_parts": [{"body": texts[(i + 1) % texts.len()]}]},
                    "contacts": {"contacts": [{"id": "c1"}]},
                    "tags": {"tags": []}
                }),
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // 1a. In memory.
    let rules =
        parse_rules(&hundred_rules(true), &|_| None).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let events = synthetic_events(20_000);
    let dir = RuleDirectory::default();
    let started = Instant::now();
    let (mut matched, mut rendered) = (0usize, 0usize);
    for event in &events {
        let ctx = EventContext::new(event.clone(), event.item.clone());
        for rule in rules.matching(&event.topic) {
            let (hit, _) = evaluate(rule, &ctx, &dir, true);
            if hit {
                matched += 1;
                for action in &rule.actions {
                    if let intercom_automations::rules::ActionKind::Note(t) = &action.kind {
                        rendered += t.render(&ctx.fields(&rule.name), Escape::Html).len();
                    }
                }
            }
        }
    }
    let elapsed = started.elapsed();
    println!(
        "in-memory matching + evaluation, 100 rules: {} events in {:.3} s = {:.0} events/s ({} rule matches, {} note bytes rendered)",
        events.len(),
        elapsed.as_secs_f64(),
        events.len() as f64 / elapsed.as_secs_f64(),
        matched,
        rendered
    );

    // 1b. Through the engine: claims, dry-run actions and outcomes in the SQLite run log.
    let sandbox = Sandbox::start(SandboxConfig::default()).await?;
    let client = Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()?,
    )?;
    let tmp = tempfile::tempdir()?;
    let log = Arc::new(SqliteRunLog::open(&tmp.path().join("store.sqlite3"))?);
    let engine = Engine::start(rules, log.clone(), client.clone()).await?;
    let sample = synthetic_events(1_000);
    let started = Instant::now();
    let mut runs = 0;
    for event in sample.iter().cloned() {
        runs += engine.handle(event).await.len();
    }
    let elapsed = started.elapsed();
    println!(
        "engine dry run, 100 rules, durable run log: {} events in {:.3} s = {:.0} events/s ({} runs logged, {:.0} runs/s)",
        sample.len(),
        elapsed.as_secs_f64(),
        sample.len() as f64 / elapsed.as_secs_f64(),
        runs,
        runs as f64 / elapsed.as_secs_f64()
    );

    // 2. Webhook receipt -> first action applied.
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, String)>();
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                let _ = tx.send((
                    Instant::now(),
                    v["event"].as_str().unwrap_or_default().to_string(),
                ));
                "ok"
            }
        }),
    );
    let hook_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hook", hook_listener.local_addr()?);
    tokio::spawn(async move { axum::serve(hook_listener, hook).await });

    let mirror = Mirror::open_sqlite(&tmp.path().join("live.sqlite3"))?;
    let receiver = axum::Router::new().merge(intercom_mirror::webhooks::router(WebhookState::new(
        mirror.clone(),
        WebhookSecret::new(SECRET).expect("secret"),
    )));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver_url = format!("http://{}{WEBHOOK_PATH}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    let live_rules = format!(
        "[[rules]]\nname = \"post-first\"\ntopics = [\"conversation.user.replied\"]\nsecret = \"k\"\n\
         actions = [{{ post = \"{hook_url}\", body = {{ event = \"{{{{event.id}}}}\" }} }}]\n\n\
         [[rules]]\nname = \"tag-then-post\"\ntopics = [\"conversation.admin.noted\"]\nsecret = \"k\"\n\
         actions = [{{ add_tag = \"bench\" }}, {{ post = \"{hook_url}\", body = {{ event = \"{{{{event.id}}}}\" }} }}]\n"
    );
    let live = parse_rules(&live_rules, &|_| None).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let live_log = Arc::new(SqliteRunLog::open(&tmp.path().join("live.sqlite3"))?);
    let engine = Arc::new(Engine::start(live, live_log, client.clone()).await?);
    tokio::spawn({
        let engine = engine.clone();
        let mirror = mirror.clone();
        async move { engine.follow(mirror, std::future::pending()).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let page = client
        .send_json(Method::GET, "/conversations", &[("per_page", "50")], None)
        .await?;
    let conversations: Vec<Value> = page["conversations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let http = reqwest::Client::new();
    for (label, topic, count) in [
        (
            "POST as first action",
            "conversation.user.replied",
            200usize,
        ),
        (
            "add_tag via the API, then POST",
            "conversation.admin.noted",
            100usize,
        ),
    ] {
        let mut latencies = Vec::with_capacity(count);
        for i in 0..count {
            let mut item = conversations[i % conversations.len()].clone();
            item["updated_at"] = json!(
                2_000_000_000i64 + i as i64 + if topic.ends_with("noted") { 10_000 } else { 0 }
            );
            let id = format!("notif_latency_{topic}_{i}");
            let body = serde_json::to_vec(&json!({
                "type": "notification_event", "id": id, "topic": topic, "app_id": "bench",
                "created_at": 1_800_000_000, "data": {"type": "notification_event_data", "item": item}
            }))?;
            let signature = sign(SECRET.as_bytes(), &body);
            let sent = Instant::now();
            let answer = http
                .post(&receiver_url)
                .header("content-type", "application/json")
                .header("x-hub-signature", signature)
                .body(body)
                .send()
                .await?;
            anyhow::ensure!(
                answer.status().is_success(),
                "receiver answered {}",
                answer.status()
            );
            loop {
                let (at, event) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("hook closed"))?;
                if event == id {
                    latencies.push(at - sent);
                    break;
                }
            }
        }
        latencies.sort();
        println!(
            "webhook receipt -> {label}: n={count} p50 {} p95 {} p99 {} max {}",
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.95)),
            ms(percentile(&latencies, 0.99)),
            ms(*latencies.last().unwrap())
        );
    }
    drop(sandbox);
    Ok(())
}
