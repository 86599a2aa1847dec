//! The bulk tools over MCP against the sandbox: a dry run by default that lists
//! the exact targets and changes nothing, the cap refusal, a real run with one
//! progress notification per item, and the job report read back.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{all_tools, id_of, server_for, text};
use intercom_api::{Client, ClientConfig, Method};
use intercom_mcp_server::live::Realtime;
use intercom_mirror::Mirror;
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, NumberOrString, ProgressNotificationParam,
    ProgressToken, RequestMetaObject,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct ProgressCounter {
    seen: Arc<AtomicUsize>,
}

impl ClientHandler for ProgressCounter {
    async fn on_progress(
        &self,
        _params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.seen.fetch_add(1, Ordering::SeqCst);
    }
}

struct Bench {
    // Held so the sandbox lives as long as the bench.
    _sandbox: Sandbox,
    api: Client,
    client: RunningService<RoleClient, ProgressCounter>,
    progress: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

async fn start() -> Bench {
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("mirror.sqlite3")).unwrap();
    let server = server_for(&sandbox.base_url(), sandbox.token(), all_tools())
        .with_realtime(Realtime::start(mirror, None));
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let handler = ProgressCounter::default();
    let progress = handler.seen.clone();
    let client = handler.serve(client_io).await.unwrap();
    let api = Client::new(
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap(),
    )
    .unwrap();
    Bench {
        _sandbox: sandbox,
        api,
        client,
        progress,
        _dir: dir,
    }
}

impl Bench {
    async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let Value::Object(arguments) = args else {
            panic!("arguments must be an object")
        };
        let mut params = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments);
        params.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(
            NumberOrString::Number(7),
        )));
        self.client.call_tool(params).await.unwrap()
    }

    async fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args.clone()).await;
        assert_ne!(
            result.is_error,
            Some(true),
            "{tool} {args}: {}",
            text(&result)
        );
        result.structured_content.clone().unwrap()
    }

    async fn contacts(&self, n: usize) -> Vec<Value> {
        let page = self
            .api
            .send_json(Method::GET, "/contacts", &[], None)
            .await
            .unwrap();
        page["data"].as_array().unwrap()[..n].to_vec()
    }

    async fn conversation(&self, id: &str) -> Value {
        self.api
            .send_json(Method::GET, &format!("/conversations/{id}"), &[], None)
            .await
            .unwrap()
    }

    async fn contact(&self, id: &str) -> Value {
        self.api
            .send_json(Method::GET, &format!("/contacts/{id}"), &[], None)
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_by_default_then_run_with_progress_and_report() {
    let bench = start().await;
    let contacts = bench.contacts(4).await;
    let ids: Vec<String> = contacts[..2].iter().map(|c| id_of(&c["id"])).collect();
    let emails: Vec<String> = contacts[2..]
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_string())
        .collect();
    let args = json!({
        "contact_ids": ids,
        "emails": [emails[0], emails[1], "nobody@nowhere.invalid"],
        "attributes": {"custom_attributes": {"bulk_tool": "yes"}},
    });

    // Default: a dry run naming every target, and nothing written.
    let dry = bench.ok("bulk_update_contacts", args.clone()).await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["count"], 4, "{dry}");
    let listed: Vec<String> = dry["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| id_of(&t["id"]))
        .collect();
    let all_ids: Vec<String> = contacts.iter().map(|c| id_of(&c["id"])).collect();
    assert_eq!(listed, all_ids);
    assert_eq!(dry["skipped"][0]["label"], "nobody@nowhere.invalid");
    for id in &all_ids {
        assert_ne!(
            bench.contact(id).await["custom_attributes"]["bulk_tool"],
            "yes"
        );
    }

    // Over the cap: refused with the reason.
    let mut capped = args.clone();
    capped["max_items"] = json!(3);
    capped["dry_run"] = json!(false);
    let refused = bench.call("bulk_update_contacts", capped).await;
    assert_eq!(refused.is_error, Some(true));
    assert!(text(&refused).contains("cap of 3"), "{}", text(&refused));

    // The run: every contact updated, one progress notification per item.
    let mut run = args.clone();
    run["dry_run"] = json!(false);
    bench.progress.store(0, Ordering::SeqCst);
    let done = bench.ok("bulk_update_contacts", run).await;
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["job"]["state"], "completed");
    assert_eq!(
        (done["job"]["ok"].as_u64(), done["job"]["failed"].as_u64()),
        (Some(4), Some(1))
    );
    let failed: Vec<&Value> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "failed")
        .collect();
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("nobody@nowhere.invalid")
    );
    for id in &all_ids {
        assert_eq!(
            bench.contact(id).await["custom_attributes"]["bulk_tool"],
            "yes",
            "contact {id}"
        );
    }
    for _ in 0..50 {
        if bench.progress.load(Ordering::SeqCst) >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(bench.progress.load(Ordering::SeqCst), 4);

    // The job is kept: its report reads back, and it cannot be run twice.
    let job_id = done["job"]["id"].as_str().unwrap().to_string();
    let status = bench.ok("bulk_job_status", json!({"job_id": job_id})).await;
    assert_eq!(status["jobs"][0]["ok"], 4);
    assert_eq!(status["items"].as_array().unwrap().len(), 5);
    let listed = bench.ok("bulk_job_status", json!({})).await;
    assert!(
        listed["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == job_id.as_str())
    );
    let again = bench
        .call(
            "bulk_update_contacts",
            json!({"resume_job": job_id, "dry_run": false}),
        )
        .await;
    assert!(
        text(&again).contains("already completed"),
        "{}",
        text(&again)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_and_manage_conversations_by_query() {
    let bench = start().await;
    let open = bench
        .api
        .send_json(
            Method::POST,
            "/conversations/search",
            &[],
            Some(json!({"query": {"field": "state", "operator": "=", "value": "open"}, "pagination": {"per_page": 150}})),
        )
        .await
        .unwrap();
    let open_ids: Vec<String> = open["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id_of(&c["id"]))
        .collect();
    assert!(open_ids.len() >= 2);
    let picked = &open_ids[..2];

    let tagged = bench
        .ok(
            "bulk_tag",
            json!({"object": "conversations", "tag": "bulk-test", "ids": picked, "dry_run": false}),
        )
        .await;
    assert_eq!(tagged["job"]["ok"], 2, "{tagged}");
    for id in picked {
        let c = bench.conversation(id).await;
        let names: Vec<&str> = c["tags"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert!(names.contains(&"bulk-test"), "conversation {id}: {names:?}");
    }

    // Snooze exactly the tagged ones, chosen by a query on the tag.
    let tag_id = bench
        .api
        .list_tags()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name.as_deref() == Some("bulk-test"))
        .and_then(|t| t.id)
        .unwrap();
    let query = json!({"field": "tag_ids", "operator": "IN", "value": [tag_id]});
    let dry = bench
        .ok(
            "bulk_manage_conversations",
            json!({"action": "snooze", "snoozed_until": "2099-01-01", "query": query}),
        )
        .await;
    let mut targets: Vec<String> = dry["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| id_of(&t["id"]))
        .collect();
    targets.sort();
    let mut expected = picked.to_vec();
    expected.sort();
    assert_eq!(targets, expected);
    let done = bench
        .ok(
            "bulk_manage_conversations",
            json!({"action": "snooze", "snoozed_until": "2099-01-01", "query": query, "dry_run": false}),
        )
        .await;
    assert_eq!(done["job"]["ok"], 2, "{done}");
    for id in picked {
        let c = bench.conversation(id).await;
        assert_eq!(c["state"], "snoozed", "conversation {id}");
    }
    let bad = bench
        .call(
            "bulk_manage_conversations",
            json!({"action": "explode", "conversation_ids": picked}),
        )
        .await;
    assert!(text(&bad).contains("close, assign, unassign or snooze"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_and_untag_companies() {
    let bench = start().await;
    let listed = bench
        .api
        .send_json(Method::GET, "/companies", &[("per_page", "3")], None)
        .await
        .unwrap();
    let picked: Vec<String> = listed["data"].as_array().unwrap()[..3]
        .iter()
        .map(|c| id_of(&c["id"]))
        .collect();
    let tag_names = |company: &Value| -> Vec<String> {
        company["tags"]["tags"]
            .as_array()
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let company = |id: String| {
        let api = bench.api.clone();
        async move {
            api.send_json(Method::GET, &format!("/companies/{id}"), &[], None)
                .await
                .unwrap()
        }
    };

    let dry = bench
        .ok(
            "bulk_tag",
            json!({"object": "companies", "tag": "renewal-q1", "ids": picked}),
        )
        .await;
    assert_eq!(dry["count"], 3, "{dry}");
    for id in &picked {
        let names = tag_names(&company(id.clone()).await);
        assert!(
            !names.contains(&"renewal-q1".to_string()),
            "a dry run tagged company {id}"
        );
    }

    let tagged = bench
        .ok(
            "bulk_tag",
            json!({"object": "companies", "tag": "renewal-q1", "ids": picked, "dry_run": false}),
        )
        .await;
    assert_eq!(tagged["job"]["ok"], 3, "{tagged}");
    for id in &picked {
        let names = tag_names(&company(id.clone()).await);
        assert!(
            names.contains(&"renewal-q1".to_string()),
            "company {id}: {names:?}"
        );
    }

    // Remove it again from the first two only.
    let untagged = bench
        .ok(
            "bulk_tag",
            json!({"object": "companies", "tag": "renewal-q1", "remove": true, "ids": &picked[..2], "dry_run": false}),
        )
        .await;
    assert_eq!(untagged["job"]["ok"], 2, "{untagged}");
    for (i, id) in picked.iter().enumerate() {
        let names = tag_names(&company(id.clone()).await);
        assert_eq!(
            names.contains(&"renewal-q1".to_string()),
            i == 2,
            "company {id}: {names:?}"
        );
    }

    // Companies cannot be chosen by a search query (Intercom has no company search).
    let refused = bench
        .call(
            "bulk_tag",
            json!({"object": "companies", "tag": "renewal-q1", "query": {"field": "name", "operator": "=", "value": "x"}}),
        )
        .await;
    assert_eq!(refused.is_error, Some(true));
    assert!(text(&refused).contains("ids"), "{}", text(&refused));
}

/// Tagging everyone twice: the second run finds every target already tagged (from the
/// objects it read to name them), sends no tag write, and its report says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_sends_nothing_for_targets_already_so_and_counts_them() {
    let bench = start().await;
    let contacts = bench.contacts(5).await;
    let ids: Vec<String> = contacts[..3].iter().map(|c| id_of(&c["id"])).collect();
    let emails: Vec<String> = contacts[3..]
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_string())
        .collect();
    let all_ids: Vec<String> = contacts.iter().map(|c| id_of(&c["id"])).collect();
    let args = json!({"object": "contacts", "tag": "everyone-twice", "ids": ids,
                      "emails": emails, "dry_run": false});
    let stats = async || {
        bench
            .api
            .send_json(Method::GET, "/_sandbox/stats", &[], None)
            .await
            .unwrap()
    };
    let tag_writes = |stats: &Value| -> u64 {
        stats["requests_by_route"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(route, _)| route.contains("/tags"))
            .filter(|(route, _)| route.starts_with("POST") || route.starts_with("DELETE"))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum()
    };
    let carries = async |id: &str| -> usize {
        let tags = bench
            .api
            .send_json(Method::GET, &format!("/contacts/{id}/tags"), &[], None)
            .await
            .unwrap();
        tags["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["name"] == "everyone-twice")
            .count()
    };

    let first = bench.ok("bulk_tag", args.clone()).await;
    assert_eq!(
        (
            first["job"]["ok"].as_u64(),
            first["job"]["unchanged"].as_u64(),
            first["job"]["failed"].as_u64()
        ),
        (Some(5), Some(0), Some(0)),
        "{first}"
    );
    for id in &all_ids {
        assert_eq!(carries(id).await, 1, "contact {id}");
    }

    // The dry run marks all five; the run then sends no tag write.
    let mut dry = args.clone();
    dry["dry_run"] = json!(true);
    let dry = bench.ok("bulk_tag", dry).await;
    assert_eq!(
        (dry["count"].as_u64(), dry["already_done"].as_u64()),
        (Some(5), Some(5)),
        "{dry}"
    );
    let before = stats().await;
    let result = bench.call("bulk_tag", args.clone()).await;
    let after = stats().await;
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let second = result.structured_content.clone().unwrap();
    assert_eq!(second["job"]["state"], "completed");
    assert_eq!(
        (
            second["job"]["ok"].as_u64(),
            second["job"]["unchanged"].as_u64(),
            second["job"]["failed"].as_u64(),
            second["job"]["pending"].as_u64()
        ),
        (Some(0), Some(5), Some(0), Some(0)),
        "{second}"
    );
    let statuses: Vec<&str> = second["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["unchanged"; 5]);
    assert!(
        text(&result).contains("5 already so (no request sent)"),
        "{}",
        text(&result)
    );
    assert_eq!(
        tag_writes(&after),
        tag_writes(&before),
        "{before} -> {after}"
    );
    assert_eq!(
        after["writes_applied"], before["writes_applied"],
        "the second run wrote"
    );
    for id in &all_ids {
        assert_eq!(carries(id).await, 1, "contact {id}");
    }
}
