//! A support lead's questions, asked through the tools as a model would, every number
//! and id checked against ground truth computed here from the sandbox's REST API
//! (independently of the server's code), with and without the mirror.

use crate::common::{self, Harness};

use std::collections::{HashMap, HashSet};

use intercom_sandbox::Scale;
use serde_json::{Value, json};

/// Every item of a REST search, paged by hand.
async fn rest_search(h: &Harness, path: &str, key: &str, query: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut body = json!({"query": query, "pagination": {"per_page": 150}});
    for _ in 0..200 {
        let page = h.post(path, body.clone()).await;
        out.extend(page[key].as_array().unwrap().iter().cloned());
        match page
            .pointer("/pages/next/starting_after")
            .and_then(Value::as_str)
        {
            Some(next) => body["pagination"]["starting_after"] = json!(next),
            None => return out,
        }
    }
    panic!("{path}: more than 200 pages");
}

fn id_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| id_of(&i["id"]))
        .collect()
}

/// ISO time as the tools print it, back to Unix seconds.
fn unix(iso: &Value) -> Option<i64> {
    iso.as_str().map(|s| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .timestamp()
    })
}

/// How a lead ranks severity: ticket attribute labels and conversation priorities on one scale.
fn lead_rank(label: &str) -> u8 {
    match label.to_ascii_lowercase().as_str() {
        "critical" | "sev1" | "urgent" => 4,
        "high" | "sev2" => 3,
        "medium" | "sev3" => 2,
        "low" => 1,
        _ => 0,
    }
}

#[derive(Debug, Clone)]
struct Expected {
    id: String,
    kind: &'static str,
    rank: u8,
    severity: Option<String>,
    /// When the customer started waiting on us, if anyone does.
    waiting: Option<i64>,
    sla: Option<String>,
    created: i64,
    updated: i64,
    snoozed_until: i64,
    section: &'static str,
}

/// The open work, classified and ranked from raw REST objects.
async fn expected_queue(h: &Harness) -> Vec<Expected> {
    let now = chrono::Utc::now().timestamp();
    let open = json!({"field": "open", "operator": "=", "value": true});
    let tickets = rest_search(h, "/tickets/search", "tickets", open.clone()).await;
    let conversations = rest_search(h, "/conversations/search", "conversations", open).await;
    let mut out = Vec::new();
    for t in &tickets {
        let severity = t["ticket_attributes"]["Severity"]
            .as_str()
            .map(str::to_string);
        let state = t["ticket_state"]["category"].as_str().unwrap();
        let snoozed = t["snoozed_until"].as_i64().filter(|s| *s > now);
        // A customer ticket's customer waits from creation until a teammate comments,
        // and again from their next comment.
        let mut waiting = (t["category"] == "Customer").then(|| t["created_at"].as_i64().unwrap());
        for p in t["ticket_parts"]["ticket_parts"].as_array().unwrap() {
            if p["part_type"] != "comment" {
                continue;
            }
            if matches!(
                p["author"]["type"].as_str(),
                Some("user" | "lead" | "contact")
            ) {
                waiting = waiting.or(p["created_at"].as_i64());
            } else {
                waiting = None;
            }
        }
        let section = if snoozed.is_some() {
            "snoozed"
        } else if state == "waiting_on_customer" {
            "waiting_on_customer"
        } else {
            "needs_reply"
        };
        out.push(Expected {
            id: id_of(&t["id"]),
            kind: "ticket",
            rank: severity.as_deref().map(lead_rank).unwrap_or(0),
            severity,
            waiting: waiting.filter(|_| state != "waiting_on_customer"),
            sla: None,
            created: t["created_at"].as_i64().unwrap(),
            updated: t["updated_at"].as_i64().unwrap(),
            snoozed_until: snoozed.unwrap_or(0),
            section,
        });
    }
    for c in &conversations {
        let state = c["state"].as_str().unwrap();
        let waiting = c["waiting_since"].as_i64();
        let section = if state == "snoozed" {
            "snoozed"
        } else if waiting.is_none() {
            "waiting_on_customer"
        } else {
            "needs_reply"
        };
        out.push(Expected {
            id: id_of(&c["id"]),
            kind: "conversation",
            rank: lead_rank(c["priority"].as_str().unwrap_or("none")),
            severity: None,
            waiting,
            sla: c["sla_applied"]["sla_status"].as_str().map(str::to_string),
            created: c["created_at"].as_i64().unwrap(),
            updated: c["updated_at"].as_i64().unwrap(),
            snoozed_until: c["snoozed_until"].as_i64().unwrap_or(0),
            section,
        });
    }
    out
}

/// The order a lead works a section in.
fn ranked(mut items: Vec<Expected>, section: &str) -> Vec<Expected> {
    items.retain(|e| e.section == section);
    let sla = |s: &Option<String>| match s.as_deref() {
        Some("missed") => 0,
        Some("active") => 1,
        _ => 2,
    };
    match section {
        "needs_reply" => items.sort_by(|a, b| {
            (
                std::cmp::Reverse(a.rank),
                a.waiting.unwrap_or(i64::MAX),
                sla(&a.sla),
                a.created,
                &a.id,
            )
                .cmp(&(
                    std::cmp::Reverse(b.rank),
                    b.waiting.unwrap_or(i64::MAX),
                    sla(&b.sla),
                    b.created,
                    &b.id,
                ))
        }),
        "waiting_on_customer" => items.sort_by(|a, b| {
            (std::cmp::Reverse(a.rank), a.updated, &a.id).cmp(&(
                std::cmp::Reverse(b.rank),
                b.updated,
                &b.id,
            ))
        }),
        _ => items.sort_by(|a, b| (a.snoozed_until, &a.id).cmp(&(b.snoozed_until, &b.id))),
    }
    items
}

/// Every item of one queue section, following the cursor.
async fn queue_section(h: &Harness, args: Value) -> (Vec<Value>, Value) {
    let mut items = Vec::new();
    let mut args = args;
    if args.get("limit").is_none() {
        args["limit"] = json!(150);
    }
    let first = h.ok("ticket_queue", args.clone()).await;
    let mut page = first.clone();
    for _ in 0..50 {
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => {
                args["cursor"] = json!(next);
                page = h.ok("ticket_queue", args.clone()).await;
            }
            None => return (items, first),
        }
    }
    panic!("queue paging did not end");
}

#[tokio::test]
async fn what_is_most_urgent_ranks_like_a_lead_and_every_figure_is_true() {
    let h = Harness::start_scale(Scale::Small).await;
    let expected = expected_queue(&h).await;
    let by_id: HashMap<String, Expected> =
        expected.iter().map(|e| (e.id.clone(), e.clone())).collect();

    // Pages of 40 so the cursor is followed several times.
    let (needs, first) = queue_section(&h, json!({"limit": 40})).await;
    assert_eq!(
        first["total_open"].as_u64().unwrap() as usize,
        expected.len()
    );
    for section in ["needs_reply", "waiting_on_customer", "snoozed"] {
        assert_eq!(
            first["sections"][section].as_u64().unwrap() as usize,
            expected.iter().filter(|e| e.section == section).count(),
            "{section}"
        );
    }
    // The whole section, in the lead's order, each item once.
    let want = ranked(expected.clone(), "needs_reply");
    assert!(want.len() > 80, "several pages ({})", want.len());
    let got: Vec<String> = needs.iter().map(|i| id_of(&i["id"])).collect();
    assert_eq!(
        got.len(),
        got.iter().collect::<HashSet<_>>().len(),
        "no repeats"
    );
    assert_eq!(
        got,
        want.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
        "needs_reply order"
    );
    // The most severe item with the longest-waiting customer is first; a Critical/SEV1
    // ticket is never below a lower-severity item.
    assert_eq!(got[0], want[0].id);
    assert_eq!(want[0].rank, 4, "the seed has open critical work");
    // Each figure is what it says.
    for item in &needs {
        let e = &by_id[&id_of(&item["id"])];
        assert_eq!(item["kind"], e.kind);
        assert_eq!(item["severity"].as_str(), e.severity.as_deref());
        assert_eq!(unix(&item["customer_waiting_since"]), e.waiting, "{item}");
        assert_eq!(
            item["customer_waiting_for"].is_string(),
            e.waiting.is_some()
        );
        assert_eq!(unix(&item["created_at"]), Some(e.created));
        assert_eq!(item["sla_status"].as_str(), e.sla.as_deref());
    }

    // The other sections, in their own order; waiting on the customer pages past 150.
    for section in ["waiting_on_customer", "snoozed"] {
        let (items, _) = queue_section(&h, json!({"section": section})).await;
        if section == "waiting_on_customer" {
            assert!(items.len() > 150, "pages past 150 ({})", items.len());
        }
        let got: Vec<String> = items.iter().map(|i| id_of(&i["id"])).collect();
        let want: Vec<String> = ranked(expected.clone(), section)
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(got, want, "{section}");
    }
    // Nobody waits on a conversation a teammate answered last: no waiting figure.
    let (waiting, _) = queue_section(&h, json!({"section": "waiting_on_customer"})).await;
    assert!(waiting.iter().all(|i| i["customer_waiting_for"].is_null()));

    // The text a model reads names severity, customer and the waiting figure.
    let text = common::text(
        &h.client
            .call("ticket_queue", json!({"limit": 5}))
            .await
            .unwrap(),
    );
    let top = &needs[0];
    assert!(
        text.contains(&format!(
            "{} {}",
            top["kind"].as_str().unwrap(),
            id_of(&top["id"])
        )),
        "{text}"
    );
    if let Some(sev) = top["severity"].as_str() {
        assert!(text.contains(&format!("severity {sev}")), "{text}");
    }
    assert!(
        text.contains("customer waiting") || text.contains("customer "),
        "{text}"
    );
    assert!(text.contains("More: call again with cursor="), "{text}");
}

#[tokio::test]
async fn sla_breaches_in_the_queue_are_listed_and_counted() {
    let h = Harness::start_scale(Scale::Small).await;
    let expected = expected_queue(&h).await;
    for status in ["missed", "active", "hit"] {
        let want: Vec<&Expected> = expected
            .iter()
            .filter(|e| e.sla.as_deref() == Some(status))
            .collect();
        let queue = h
            .ok("ticket_queue", json!({"sla": status, "limit": 150}))
            .await;
        assert_eq!(
            queue["sla_matches"].as_u64().unwrap() as usize,
            want.len(),
            "{status}"
        );
        let mut seen = HashSet::new();
        for section in ["needs_reply", "waiting_on_customer", "snoozed"] {
            let (items, _) = queue_section(&h, json!({"sla": status, "section": section})).await;
            for i in &items {
                assert_eq!(i["sla_status"], status);
                seen.insert(id_of(&i["id"]));
            }
        }
        let want_ids: HashSet<String> = want.iter().map(|e| e.id.clone()).collect();
        assert_eq!(seen, want_ids, "{status}");
    }

    let bad = h.err("ticket_queue", json!({"sla": "late"})).await;
    assert!(bad.contains("missed, active, hit"), "{bad}");
}

/// A page that repeats an item of the page before (the data moved while paging) and a
/// `null` entry: the queue counts each item once and says what it left out.
#[tokio::test]
async fn queue_pages_that_repeat_or_hold_nulls_are_counted_once_and_reported() {
    use axum::routing::{get, post};
    use axum::{Json, Router};

    let now = chrono::Utc::now().timestamp();
    let ticket = |id: &str, severity: &str, age: i64| {
        json!({
            "type": "ticket", "id": id, "ticket_id": id, "category": "Customer",
            "ticket_attributes": {"_default_title_": format!("Ticket {id}"), "Severity": severity},
            "ticket_state": {"type": "ticket_state", "id": "1", "category": "submitted"},
            "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c1"}]},
            "admin_assignee_id": 0, "team_assignee_id": 0, "open": true,
            "created_at": now - age, "updated_at": now - age,
            "ticket_parts": {"type": "ticket_part.list", "ticket_parts": [], "total_count": 0},
        })
    };
    let (t1, t2, t3) = (
        ticket("11", "Low", 300),
        ticket("12", "SEV1", 200),
        ticket("13", "High", 100),
    );
    let app = Router::new()
        .route(
            "/tickets/search",
            post(move |Json(body): Json<Value>| {
                let (t1, t2, t3) = (t1.clone(), t2.clone(), t3.clone());
                async move {
                    let second = body.pointer("/pagination/starting_after").is_some();
                    Json(if second {
                        json!({"type": "ticket.list", "tickets": [t2, t3], "total_count": 3,
                               "pages": {"type": "pages", "page": 2, "per_page": 150, "total_pages": 2}})
                    } else {
                        json!({"type": "ticket.list", "tickets": [t1, null, t2], "total_count": 3,
                               "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 2,
                                         "next": {"per_page": 150, "starting_after": "p2"}}})
                    })
                }
            }),
        )
        .route(
            "/conversations/search",
            post(|| async {
                Json(json!({"type": "conversation.list", "conversations": [], "total_count": 0,
                            "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 0}}))
            }),
        )
        .route(
            "/contacts/search",
            post(|| async {
                Json(json!({"type": "list", "data": [{"type": "contact", "id": "c1", "name": "Ada Byron"}],
                            "total_count": 1}))
            }),
        )
        .route("/admins", get(|| async { Json(json!({"type": "admin.list", "admins": []})) }))
        .route("/teams", get(|| async { Json(json!({"type": "team.list", "teams": []})) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let server = common::server_for(&base, "test-token", common::all_tools());
    let client = intercom_mcp_server::inprocess::InProcessClient::connect(server)
        .await
        .unwrap();
    let result = client.call("ticket_queue", json!({})).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{}", common::text(&result));
    let queue = result.structured_content.clone().unwrap();
    assert_eq!(
        ids(&queue["items"]),
        vec!["12", "13", "11"],
        "SEV1 first, each once"
    );
    assert_eq!(queue["total_open"], 3);
    assert_eq!(queue["null_items_skipped"], 1);
    assert_eq!(queue["duplicates_skipped"], 1);
    assert_eq!(queue["items"][0]["customer"], "Ada Byron");
    let text = common::text(&result);
    assert!(
        text.contains("1 empty item(s)") && text.contains("1 repeated item(s)"),
        "{text}"
    );
}

#[tokio::test]
async fn sla_filter_on_search_conversations_lists_and_counts_every_match() {
    let h = Harness::start_scale(Scale::Small).await;
    // search_conversations counts every conversation with that SLA status (all states).
    let all = rest_search(
        &h,
        "/conversations/search",
        "conversations",
        json!({"field": "created_at", "operator": ">", "value": 0}),
    )
    .await;
    for status in ["missed", "active", "hit"] {
        let want: HashSet<String> = all
            .iter()
            .filter(|c| c["sla_applied"]["sla_status"] == status)
            .map(|c| id_of(&c["id"]))
            .collect();
        let mut got = HashSet::new();
        let mut args = json!({"sla": status, "limit": 150});
        let first = h.ok("search_conversations", args.clone()).await;
        assert_eq!(
            first["total_count"].as_u64().unwrap() as usize,
            want.len(),
            "{status}"
        );
        let mut page = first;
        for _ in 0..20 {
            got.extend(ids(&page["conversations"]));
            let Some(next) = page["next_cursor"].as_str() else {
                break;
            };
            args["cursor"] = json!(next);
            page = h.ok("search_conversations", args.clone()).await;
        }
        assert_eq!(got, want, "{status}");
    }
    // With another filter: open conversations with a missed SLA.
    let open_missed = all
        .iter()
        .filter(|c| c["open"] == true && c["sla_applied"]["sla_status"] == "missed")
        .count();
    let found = h
        .ok(
            "search_conversations",
            json!({"sla": "breached", "open": true}),
        )
        .await;
    assert_eq!(found["total_count"].as_u64().unwrap() as usize, open_missed);
}

/// A server over `sandbox` whose dates resolve in the workspace's own time zone (from
/// `/me`), so "this week" means the same here and in the ground truth.
async fn server_in_workspace_zone(
    sandbox: &intercom_sandbox::Sandbox,
    api: &intercom_api::Client,
) -> (intercom_mcp_server::server::IntercomServer, chrono_tz::Tz) {
    use intercom_mcp_server::server::{IntercomServer, ServerOptions};
    use intercom_mcp_server::workspace_context::{ApiSettings, Workspaces};
    let me = api
        .send_json(intercom_api::Method::GET, "/me", &[], None)
        .await
        .unwrap();
    let tz: chrono_tz::Tz = me["app"]["timezone"].as_str().unwrap().parse().unwrap();
    let settings = ApiSettings {
        base_url: Some(sandbox.base_url()),
        time_zone: Some(tz),
        ..Default::default()
    };
    let server = IntercomServer::new(ServerOptions {
        selection: common::all_tools(),
        workspaces: std::sync::Arc::new(Workspaces::new(
            settings,
            Some(intercom_api::Secret::new(sandbox.token())),
        )),
        token_from_request: false,
    })
    .unwrap();
    (server, tz)
}

/// Lowercase words of an HTML body, tags dropped.
fn body_words(html: &str) -> HashSet<String> {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every conversation with its messages read one by one (`GET /conversations/{id}`).
async fn every_thread(api: &intercom_api::Client) -> Vec<Value> {
    let mut out = Vec::new();
    let mut body = json!({"query": {"field": "created_at", "operator": ">", "value": 0},
                          "pagination": {"per_page": 150}});
    let mut ids = Vec::new();
    for _ in 0..200 {
        let page = api
            .send_json(
                intercom_api::Method::POST,
                "/conversations/search",
                &[],
                Some(body.clone()),
            )
            .await
            .unwrap();
        ids.extend(
            page["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| id_of(&c["id"])),
        );
        match page
            .pointer("/pages/next/starting_after")
            .and_then(Value::as_str)
        {
            Some(next) => body["pagination"]["starting_after"] = json!(next),
            None => break,
        }
    }
    for id in ids {
        out.push(
            api.send_json(
                intercom_api::Method::GET,
                &format!("/conversations/{id}"),
                &[],
                None,
            )
            .await
            .unwrap(),
        );
    }
    out
}

/// Does any message of the thread hold every word?
fn thread_mentions(thread: &Value, words: &[&str]) -> bool {
    let mut bodies = vec![
        thread["source"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ];
    for p in thread["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap()
    {
        bodies.push(p["body"].as_str().unwrap_or_default().to_string());
    }
    bodies.iter().any(|b| {
        let have = body_words(b);
        words.iter().all(|w| have.contains(*w))
    })
}

/// Every page of a search_conversations call: (ids in order, first page).
async fn search_all(
    client: &intercom_mcp_server::inprocess::InProcessClient,
    args: Value,
) -> (Vec<String>, Value) {
    let mut args = args;
    let mut out = Vec::new();
    let mut first = Value::Null;
    for page_no in 0..50 {
        let result = client
            .call("search_conversations", args.clone())
            .await
            .unwrap();
        assert_ne!(result.is_error, Some(true), "{}", common::text(&result));
        let page = result.structured_content.unwrap();
        if page_no == 0 {
            first = page.clone();
        }
        out.extend(ids(&page["conversations"]));
        match page["next_cursor"].as_str() {
            Some(next) => args["cursor"] = json!(next),
            None => return (out, first),
        }
    }
    panic!("search paging did not end");
}

#[tokio::test]
async fn which_conversations_mention_refunds_this_week_and_who_handles_them() {
    use intercom_mcp_server::inprocess::InProcessClient;
    use intercom_mcp_server::live::Realtime;
    let sandbox = crate::realtime_support::sandbox(
        Scale::Small,
        intercom_sandbox::SandboxConfig {
            rate_limit: None,
            ..Default::default()
        },
    )
    .await;
    let api = crate::realtime_support::api_client(&sandbox);
    let (_dir, mirror) = crate::realtime_support::temp_mirror();
    crate::realtime_support::sync(&mirror, &api).await;
    let (server, tz) = server_in_workspace_zone(&sandbox, &api).await;
    let with_mirror = InProcessClient::connect(server.with_realtime(Realtime::start(mirror, None)))
        .await
        .unwrap();
    let (plain, _) = server_in_workspace_zone(&sandbox, &api).await;
    let without_mirror = InProcessClient::connect(plain).await.unwrap();

    // Ground truth: every thread read, every message's words.
    let threads = every_thread(&api).await;
    let admins = api
        .send_json(intercom_api::Method::GET, "/admins", &[], None)
        .await
        .unwrap();
    let admin_name: HashMap<String, String> = admins["admins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (id_of(&a["id"]), a["name"].as_str().unwrap().to_string()))
        .collect();
    let refund: Vec<&Value> = threads
        .iter()
        .filter(|t| thread_mentions(t, &["refund"]))
        .collect();
    let week_start = {
        use chrono::{Datelike, TimeZone};
        let today = chrono::Utc::now().with_timezone(&tz).date_naive();
        let monday = today - chrono::Days::new(today.weekday().num_days_from_monday() as u64);
        tz.from_local_datetime(&monday.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp()
    };
    let this_week: Vec<&Value> = refund
        .iter()
        .copied()
        .filter(|t| t["created_at"].as_i64().unwrap() >= week_start)
        .collect();
    assert!(
        refund.len() > 150,
        "more matches than one page ({})",
        refund.len()
    );
    assert!(!this_week.is_empty());

    // "Which conversations mention refunds this week, and who handles them?"
    let (found, first) = search_all(
        &with_mirror,
        json!({"text": "refund", "created_after": "this_week", "limit": 20}),
    )
    .await;
    assert_eq!(
        first["total_count"].as_u64().unwrap() as usize,
        this_week.len()
    );
    assert_eq!(first["source"], "mirror");
    let want: HashSet<String> = this_week.iter().map(|t| id_of(&t["id"])).collect();
    assert_eq!(found.len(), want.len(), "each once");
    assert_eq!(found.iter().cloned().collect::<HashSet<_>>(), want);
    let by_id: HashMap<String, &Value> = threads.iter().map(|t| (id_of(&t["id"]), t)).collect();
    for c in first["conversations"].as_array().unwrap() {
        let truth = by_id[&id_of(&c["id"])];
        let assignee = truth["admin_assignee_id"].as_i64().unwrap_or(0);
        let expected = (assignee != 0).then(|| admin_name[&assignee.to_string()].clone());
        assert_eq!(c["assignee"].as_str(), expected.as_deref(), "{c}");
        let snippet = c["snippet"].as_str().unwrap().to_lowercase();
        assert!(snippet.contains("[refund]"), "{snippet}");
    }

    // Unfiltered: the true total, and the cursor walks every match.
    let (all, first) = search_all(&with_mirror, json!({"text": "refund", "limit": 150})).await;
    assert_eq!(
        first["total_count"].as_u64().unwrap() as usize,
        refund.len()
    );
    assert_eq!(all.len(), refund.len());
    assert_eq!(
        all.iter().cloned().collect::<HashSet<_>>(),
        refund
            .iter()
            .map(|t| id_of(&t["id"]))
            .collect::<HashSet<_>>()
    );

    // Filters and SLA in the same query: open refund conversations whose SLA was hit.
    let want: HashSet<String> = refund
        .iter()
        .filter(|t| t["open"] == true && t["sla_applied"]["sla_status"] == "hit")
        .map(|t| id_of(&t["id"]))
        .collect();
    let (got, first) = search_all(
        &with_mirror,
        json!({"text": "refund", "open": true, "sla": "hit"}),
    )
    .await;
    assert_eq!(first["total_count"].as_u64().unwrap() as usize, want.len());
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);

    // People's words for owner and tag go into the same query: Billing's unassigned ones,
    // and those tagged with the most common tag among the matches.
    let teams = api
        .send_json(intercom_api::Method::GET, "/teams", &[], None)
        .await
        .unwrap();
    let billing = teams["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Billing")
        .map(|t| id_of(&t["id"]))
        .unwrap();
    let want: HashSet<String> = refund
        .iter()
        .filter(|t| {
            id_of(&t["team_assignee_id"]) == billing && t["admin_assignee_id"].as_i64() == Some(0)
        })
        .map(|t| id_of(&t["id"]))
        .collect();
    let (got, first) = search_all(
        &with_mirror,
        json!({"text": "refund", "team": "Billing", "assignee": "unassigned"}),
    )
    .await;
    assert_eq!(first["total_count"].as_u64().unwrap() as usize, want.len());
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);
    let mut tag_counts: HashMap<String, usize> = HashMap::new();
    for t in &refund {
        for tag in t["tags"]["tags"].as_array().into_iter().flatten() {
            *tag_counts
                .entry(tag["name"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    if let Some((tag, count)) = tag_counts
        .into_iter()
        .max_by_key(|(name, n)| (*n, name.clone()))
    {
        let (got, first) = search_all(&with_mirror, json!({"text": "refund", "tag": tag})).await;
        assert_eq!(
            first["total_count"].as_u64().unwrap() as usize,
            count,
            "tag {tag}"
        );
        assert_eq!(got.len(), count);
    }

    // Without the mirror: Intercom's answer, and a plain word about what it cannot see.
    let result = without_mirror
        .call("search_conversations", json!({"text": "refund"}))
        .await
        .unwrap();
    let text = common::text(&result);
    assert!(text.contains("first message (source.body) only"), "{text}");
    assert!(text.contains("--sync"), "{text}");
    let page = result.structured_content.unwrap();
    let first_message_only = threads
        .iter()
        .filter(|t| body_words(t["source"]["body"].as_str().unwrap_or_default()).contains("refund"))
        .count();
    assert_eq!(
        page["total_count"].as_u64().unwrap() as usize,
        first_message_only
    );
    assert_eq!(page["source"], "api");
    drop(sandbox);
}

/// The facts a lead asks about first are in the text the model reads: ticket lines name
/// severity and customer; a conversation shows priority, channel and CSAT; search lines show
/// the rating; a contact mentions its notes.
#[tokio::test]
async fn key_facts_are_in_the_text_the_model_reads() {
    let h = Harness::start_scale(Scale::Small).await;
    let contact_name = |c: &Value| {
        c["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .or(c["email"].as_str())
            .unwrap()
            .to_string()
    };

    // "Show me the open bug tickets": each line names severity and customer.
    let result = h
        .client
        .call(
            "search_tickets",
            json!({"open": true, "ticket_type": "Bug report", "limit": 10}),
        )
        .await
        .unwrap();
    let text = common::text(&result);
    let listed = result.structured_content.unwrap();
    assert!(!listed["tickets"].as_array().unwrap().is_empty());
    let mut with_severity = 0;
    for t in listed["tickets"].as_array().unwrap() {
        let id = id_of(&t["id"]);
        let truth = h.get(&format!("/tickets/{id}")).await;
        let severity = truth["ticket_attributes"]["Severity"].as_str();
        with_severity += usize::from(severity.is_some());
        let contact_id = id_of(&truth["contacts"]["contacts"][0]["id"]);
        let customer = contact_name(&h.get(&format!("/contacts/{contact_id}")).await);
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("- {id} ")))
            .unwrap_or_else(|| panic!("no line for {id}: {text}"));
        match severity {
            Some(severity) => assert!(line.contains(&format!("severity {severity}")), "{line}"),
            None => assert!(!line.contains("severity"), "{line}"),
        }
        assert!(line.contains(&format!("customer {customer}")), "{line}");
    }
    assert!(with_severity > 0, "some bug reports carry a severity");

    // "How did this customer rate us?": a rated conversation, read and listed.
    let rated = rest_search(
        &h,
        "/conversations/search",
        "conversations",
        json!({"field": "conversation_rating.score", "operator": ">", "value": 0}),
    )
    .await;
    let conversation = rated
        .iter()
        .find(|c| c["priority"] != "none")
        .expect("a rated conversation with a priority");
    let id = id_of(&conversation["id"]);
    let truth = h.get(&format!("/conversations/{id}")).await;
    let score = truth["conversation_rating"]["rating"].as_i64().unwrap();
    let read = common::text(
        &h.client
            .call("get_conversation", json!({"id": id}))
            .await
            .unwrap(),
    );
    assert!(read.contains(&format!("CSAT rating: {score}/5")), "{read}");
    assert!(
        read.contains(&format!("priority {}", truth["priority"].as_str().unwrap())),
        "{read}"
    );
    assert!(
        read.contains(&format!(
            "Channel: {}",
            truth["source"]["type"].as_str().unwrap()
        )),
        "{read}"
    );
    let listed = common::text(
        &h.client
            .call("search_conversations", json!({"ids": [id.clone()]}))
            .await
            .unwrap(),
    );
    assert!(listed.contains(&format!("rated {score}/5")), "{listed}");
    let unrated = rest_search(
        &h,
        "/conversations/search",
        "conversations",
        json!({"field": "state", "operator": "=", "value": "open"}),
    )
    .await;
    let unrated_id = id_of(&unrated[0]["id"]);
    assert!(unrated[0]["conversation_rating"]["rating"].is_null());
    let read = common::text(
        &h.client
            .call("get_conversation", json!({"id": unrated_id}))
            .await
            .unwrap(),
    );
    assert!(read.contains("CSAT rating: not rated"), "{read}");

    // "Anything I should know about this customer?": the summary says how many notes.
    let contacts = h
        .post("/contacts/search", json!({"query": {"field": "role", "operator": "=", "value": "user"}, "pagination": {"per_page": 150}}))
        .await;
    let with_notes = contacts["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["notes"]["total_count"].as_i64().unwrap_or(0) > 0)
        .expect("a contact with notes");
    let id = id_of(&with_notes["id"]);
    let notes = h.get(&format!("/contacts/{id}/notes")).await;
    let count = notes["data"].as_array().unwrap().len();
    let summary = common::text(
        &h.client
            .call("get_contact", json!({"id": id}))
            .await
            .unwrap(),
    );
    assert!(summary.contains(&format!("notes: {count} ")), "{summary}");
}

/// The tool calls a prompt spells out, as (tool, arguments), in order.
fn prompt_calls(text: &str) -> Vec<(String, Value)> {
    let re = regex::Regex::new(r"`([a-z_]+) (\{[^`]*\})`").unwrap();
    re.captures_iter(text)
        .map(|c| {
            let args: Value =
                serde_json::from_str(&c[2]).unwrap_or_else(|e| panic!("{}: not JSON ({e})", &c[2]));
            (c[1].to_string(), args)
        })
        .collect()
}

async fn prompt_text(
    client: &intercom_mcp_server::inprocess::InProcessClient,
    name: &str,
    args: Value,
) -> String {
    let got = client
        .peer()
        .get_prompt(
            rmcp::model::GetPromptRequestParams::new(name)
                .with_arguments(args.as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    let messages = serde_json::to_value(&got.messages).unwrap();
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["content"]["text"]
                .as_str()
                .expect("a text message")
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn run(
    client: &intercom_mcp_server::inprocess::InProcessClient,
    tool: &str,
    args: &Value,
) -> Value {
    let result = client.call(tool, args.clone()).await.unwrap();
    assert_ne!(
        result.is_error,
        Some(true),
        "{tool} {args}: {}",
        common::text(&result)
    );
    result.structured_content.unwrap()
}

/// "Weekly report": the prompt's calls, run against the sandbox, give last week's figures
/// (not last week plus this week).
#[tokio::test]
async fn weekly_report_prompt_gives_last_weeks_numbers() {
    let sandbox = crate::realtime_support::sandbox(
        Scale::Small,
        intercom_sandbox::SandboxConfig {
            rate_limit: None,
            ..Default::default()
        },
    )
    .await;
    let api = crate::realtime_support::api_client(&sandbox);
    let (server, tz) = server_in_workspace_zone(&sandbox, &api).await;
    let client = intercom_mcp_server::inprocess::InProcessClient::connect(server)
        .await
        .unwrap();
    let week = |weeks_back: i64| {
        use chrono::{Datelike, TimeZone};
        let today = chrono::Utc::now().with_timezone(&tz).date_naive();
        let monday = today
            - chrono::Days::new(today.weekday().num_days_from_monday() as u64)
            - chrono::Days::new(7 * weeks_back as u64);
        tz.from_local_datetime(&monday.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp()
    };
    let (start, end) = (week(1), week(0));
    let post = |path: &'static str, key: &'static str, query: Value| {
        let api = api.clone();
        async move {
            let mut out = Vec::new();
            let mut body = json!({"query": query, "pagination": {"per_page": 150}});
            loop {
                let page = api
                    .send_json(intercom_api::Method::POST, path, &[], Some(body.clone()))
                    .await
                    .unwrap();
                out.extend(page[key].as_array().unwrap().iter().cloned());
                match page
                    .pointer("/pages/next/starting_after")
                    .and_then(Value::as_str)
                {
                    Some(next) => body["pagination"]["starting_after"] = json!(next),
                    None => return out,
                }
            }
        }
    };
    let everything = json!({"field": "created_at", "operator": ">", "value": 0});
    let conversations = post("/conversations/search", "conversations", everything.clone()).await;
    let tickets = post("/tickets/search", "tickets", everything).await;
    let in_week = |v: &&Value| (start..end).contains(&v["created_at"].as_i64().unwrap());
    let last_week: Vec<&Value> = conversations.iter().filter(in_week).collect();
    let since_last_week = conversations
        .iter()
        .filter(|c| c["created_at"].as_i64().unwrap() >= start)
        .count();
    assert!(
        since_last_week > last_week.len(),
        "this week has conversations too"
    );

    let text = prompt_text(&client, "weekly_report", json!({"period": "last_week"})).await;
    let calls = prompt_calls(&text);
    let tools: Vec<&str> = calls.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        tools,
        [
            "support_metrics",
            "support_metrics",
            "support_metrics",
            "search_conversations",
            "ticket_queue"
        ],
        "{text}"
    );
    // 1. Volume and tickets of last week only.
    let report = run(&client, &calls[0].0, &calls[0].1).await;
    assert_eq!(
        report["conversations"]["created"].as_u64().unwrap() as usize,
        last_week.len()
    );
    assert_eq!(
        report["tickets"]["created"].as_u64().unwrap() as usize,
        tickets.iter().filter(in_week).count()
    );
    // Per team: each team's row counts that team's conversations.
    let by_team = run(&client, &calls[1].0, &calls[1].1).await;
    let teams = api
        .send_json(intercom_api::Method::GET, "/teams", &[], None)
        .await
        .unwrap();
    for team in teams["teams"].as_array().unwrap() {
        let want = last_week
            .iter()
            .filter(|c| id_of(&c["team_assignee_id"]) == id_of(&team["id"]))
            .count();
        let row = by_team["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["label"] == team["name"]);
        let got = row.map_or(0, |r| {
            r["conversations"]["created"].as_u64().unwrap() as usize
        });
        assert_eq!(got, want, "team {}", team["name"]);
    }
    // Per tag.
    let by_tag = run(&client, &calls[2].0, &calls[2].1).await;
    for row in by_tag["groups"].as_array().unwrap() {
        let tag = row["label"].as_str().unwrap();
        let want = last_week
            .iter()
            .filter(|c| {
                c["tags"]["tags"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|x| x["name"] == tag))
            })
            .count();
        if row["key"] != "none" && !row["key"].is_null() && want > 0 {
            assert_eq!(
                row["conversations"]["created"].as_u64().unwrap() as usize,
                want,
                "tag {tag}"
            );
        }
    }
    // 3. Ratings 1 and 2 among last week's conversations.
    let low = run(&client, &calls[3].0, &calls[3].1).await;
    let want = last_week
        .iter()
        .filter(|c| {
            c["conversation_rating"]["rating"]
                .as_i64()
                .is_some_and(|r| r <= 2)
        })
        .count();
    assert_eq!(low["total_count"].as_u64().unwrap() as usize, want);
    // 4. Open SLA breaches now.
    let queue = run(&client, &calls[4].0, &calls[4].1).await;
    let open_missed = conversations
        .iter()
        .filter(|c| c["open"] == true && c["sla_applied"]["sla_status"] == "missed")
        .count();
    assert_eq!(queue["sla_matches"].as_u64().unwrap() as usize, open_missed);
}

/// "Triage my queue" and "tell me about this customer": the prompts' calls answer with
/// the right items and counts, and the customer is looked up once.
#[tokio::test]
async fn triage_and_customer_360_prompts_run_on_the_tools_that_answer() {
    let h = Harness::start_scale(Scale::Small).await;
    let text = prompt_text(&h.client, "support_triage", json!({"limit": "10"})).await;
    let calls = prompt_calls(&text);
    assert_eq!(calls.len(), 2, "{text}");
    assert!(calls.iter().all(|(t, _)| t == "ticket_queue"), "{text}");
    let expected = expected_queue(&h).await;
    let top: Vec<String> = ranked(expected.clone(), "needs_reply")
        .into_iter()
        .take(10)
        .map(|e| e.id)
        .collect();
    let queue = run(&h.client, &calls[0].0, &calls[0].1).await;
    assert_eq!(ids(&queue["items"]), top);
    let breaches = run(&h.client, &calls[1].0, &calls[1].1).await;
    assert_eq!(
        breaches["sla_matches"].as_u64().unwrap() as usize,
        expected
            .iter()
            .filter(|e| e.sla.as_deref() == Some("missed"))
            .count()
    );

    // A customer with conversations and an open ticket.
    let open_tickets = rest_search(
        &h,
        "/tickets/search",
        "tickets",
        json!({"field": "open", "operator": "=", "value": true}),
    )
    .await;
    let mut chosen = None;
    for t in &open_tickets {
        let Some(contact) = t["contacts"]["contacts"][0]["id"].as_str() else {
            continue;
        };
        let c = h.get(&format!("/contacts/{contact}")).await;
        if c["email"].as_str().is_some_and(|e| !e.is_empty()) {
            chosen = Some(c);
            break;
        }
    }
    let contact = chosen.expect("an open ticket's customer with an email");
    let email = contact["email"].as_str().unwrap();
    let contact_id = id_of(&contact["id"]);
    let text = prompt_text(&h.client, "customer_360", json!({"email": email})).await;
    assert_eq!(
        text.matches("find_contact").count(),
        1,
        "one lookup: {text}"
    );
    let calls = prompt_calls(&text);
    let tools: Vec<&str> = calls.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        tools,
        ["find_contact", "search_conversations", "search_tickets"],
        "{text}"
    );
    let found = run(&h.client, &calls[0].0, &calls[0].1).await;
    assert_eq!(id_of(&found["id"]), contact_id, "{found}");
    let by_contact = json!({"field": "contact_ids", "operator": "=", "value": contact_id});
    let conversations = run(&h.client, &calls[1].0, &calls[1].1).await;
    assert_eq!(
        conversations["total_count"].as_u64().unwrap() as usize,
        rest_search(
            &h,
            "/conversations/search",
            "conversations",
            by_contact.clone()
        )
        .await
        .len()
    );
    let tickets = run(&h.client, &calls[2].0, &calls[2].1).await;
    let want = open_tickets
        .iter()
        .filter(|t| {
            t["contacts"]["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| id_of(&c["id"]) == contact_id)
        })
        .count();
    assert!(want > 0);
    assert_eq!(tickets["total_count"].as_u64().unwrap() as usize, want);
}

/// The ids a bulk dry run lists, its count, and its text.
async fn bulk_dry_targets(
    client: &intercom_mcp_server::inprocess::InProcessClient,
    tool: &str,
    args: Value,
) -> (HashSet<String>, Value, String) {
    let result = client.call(tool, args.clone()).await.unwrap();
    let text = common::text(&result);
    assert_ne!(result.is_error, Some(true), "{tool} {args}: {text}");
    let out = result.structured_content.unwrap();
    assert_eq!(out["dry_run"], true, "{out}");
    let ids: HashSet<String> = out["targets"]
        .as_array()
        .map(|t| t.iter().map(|t| id_of(&t["id"])).collect())
        .unwrap_or_default();
    assert_eq!(out["count"].as_u64().unwrap() as usize, ids.len(), "{out}");
    (ids, out, text)
}

/// Bulk conversation targets take search_conversations' filters, `text` and `sla` included:
/// with the mirror `text` matches every message, without it Intercom's search of the first
/// message (and the answer says so); `sla` keeps the matches with that status. Every set is
/// checked against threads read one by one over REST, and a run tags exactly the matches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_targets_take_text_and_sla_like_search_conversations() {
    use intercom_mcp_server::inprocess::InProcessClient;
    use intercom_mcp_server::live::Realtime;
    let sandbox = crate::realtime_support::sandbox(
        Scale::Small,
        intercom_sandbox::SandboxConfig {
            rate_limit: None,
            ..Default::default()
        },
    )
    .await;
    let api = crate::realtime_support::api_client(&sandbox);
    let (dir, mirror) = crate::realtime_support::temp_mirror();
    crate::realtime_support::sync(&mirror, &api).await;
    let (server, _) = server_in_workspace_zone(&sandbox, &api).await;
    let with_mirror = InProcessClient::connect(server.with_realtime(Realtime::start(mirror, None)))
        .await
        .unwrap();
    let (plain, _) = server_in_workspace_zone(&sandbox, &api).await;
    let plain = plain.with_job_store(std::sync::Arc::new(
        intercom_jobs::bulk::SqliteJobStore::at(&dir.path().join("jobs.sqlite3")),
    ));
    let without_mirror = InProcessClient::connect(plain).await.unwrap();

    // Ground truth: every thread read, every message's words.
    let threads = every_thread(&api).await;
    let open = |t: &&Value| t["open"] == true;
    let any_message: HashSet<String> = threads
        .iter()
        .filter(open)
        .filter(|t| thread_mentions(t, &["refund"]))
        .map(|t| id_of(&t["id"]))
        .collect();
    let first_message: HashSet<String> = threads
        .iter()
        .filter(open)
        .filter(|t| body_words(t["source"]["body"].as_str().unwrap_or_default()).contains("refund"))
        .map(|t| id_of(&t["id"]))
        .collect();
    assert!(
        any_message.len() > first_message.len() && first_message.is_subset(&any_message),
        "the sandbox has open conversations mentioning refunds after the first message ({} vs {})",
        any_message.len(),
        first_message.len()
    );
    let args = json!({"object": "conversations", "tag": "bulk-text",
                      "filters": {"text": "refund", "open": true}});

    // With the mirror: every message.
    let (got, _, text) = bulk_dry_targets(&with_mirror, "bulk_tag", args.clone()).await;
    assert_eq!(got, any_message);
    assert!(text.contains("full-text search"), "{text}");
    // Without: the first message only, and the answer says so.
    let (got, out, text) = bulk_dry_targets(&without_mirror, "bulk_tag", args.clone()).await;
    assert_eq!(got, first_message);
    assert!(text.contains("first message (source.body) only"), "{text}");
    assert!(out["note"].as_str().unwrap().contains("--sync"), "{out}");

    // SLA: the status most open conversations have, and with words too (mirror).
    let mut by_status: HashMap<String, HashSet<String>> = HashMap::new();
    for t in threads.iter().filter(open) {
        if let Some(status) = t["sla_applied"]["sla_status"].as_str() {
            by_status
                .entry(status.to_string())
                .or_default()
                .insert(id_of(&t["id"]));
        }
    }
    let (status, want) = by_status
        .into_iter()
        .max_by_key(|(s, ids)| (ids.len(), s.clone()))
        .expect("open conversations with an SLA in the sandbox");
    let sla_args = json!({"action": "close",
                          "filters": {"sla": status, "open": true}});
    for client in [&with_mirror, &without_mirror] {
        let (got, _, _) =
            bulk_dry_targets(client, "bulk_manage_conversations", sla_args.clone()).await;
        assert_eq!(got, want, "sla {status}");
    }
    let both: HashSet<String> = want.intersection(&any_message).cloned().collect();
    let (got, _, _) = bulk_dry_targets(
        &with_mirror,
        "bulk_manage_conversations",
        json!({"action": "close", "filters": {"sla": status, "open": true, "text": "refund"}}),
    )
    .await;
    assert_eq!(got, both, "refund and sla {status}");
    let unknown = with_mirror
        .call(
            "bulk_tag",
            json!({"object": "conversations", "tag": "x", "filters": {"sla": "late"}}),
        )
        .await
        .unwrap();
    assert!(
        common::text(&unknown).contains("missed, active, hit or cancelled"),
        "{}",
        common::text(&unknown)
    );

    // The run (mirror): exactly the conversations that mention refunds carry the tag.
    let mut run = args.clone();
    run["dry_run"] = json!(false);
    let result = with_mirror.call("bulk_tag", run).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{}", common::text(&result));
    let report = result.structured_content.unwrap();
    assert_eq!(
        report["job"]["ok"].as_u64().unwrap() as usize,
        any_message.len(),
        "{report}"
    );
    let tagged: HashSet<String> = every_thread(&api)
        .await
        .iter()
        .filter(|t| {
            t["tags"]["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|tag| tag["name"] == "bulk-text")
        })
        .map(|t| id_of(&t["id"]))
        .collect();
    assert_eq!(tagged, any_message);
    drop(sandbox);
}

/// A lead's two sessions over one sandbox: a server with the mirror (synced) and one
/// without, both reading dates in the workspace's zone, each with its own job store.
struct TwoServers {
    sandbox: intercom_sandbox::Sandbox,
    api: intercom_api::Client,
    tz: chrono_tz::Tz,
    with_mirror: intercom_mcp_server::inprocess::InProcessClient,
    without_mirror: intercom_mcp_server::inprocess::InProcessClient,
    _dir: tempfile::TempDir,
}

async fn two_servers(scale: Scale) -> TwoServers {
    use intercom_mcp_server::inprocess::InProcessClient;
    use intercom_mcp_server::live::Realtime;
    let sandbox = crate::realtime_support::sandbox(
        scale,
        intercom_sandbox::SandboxConfig {
            rate_limit: None,
            ..Default::default()
        },
    )
    .await;
    let api = crate::realtime_support::api_client(&sandbox);
    let (dir, mirror) = crate::realtime_support::temp_mirror();
    crate::realtime_support::sync(&mirror, &api).await;
    let (server, tz) = server_in_workspace_zone(&sandbox, &api).await;
    let with_mirror = InProcessClient::connect(server.with_realtime(Realtime::start(mirror, None)))
        .await
        .unwrap();
    let (plain, _) = server_in_workspace_zone(&sandbox, &api).await;
    let plain = plain.with_job_store(std::sync::Arc::new(
        intercom_jobs::bulk::SqliteJobStore::at(&dir.path().join("jobs.sqlite3")),
    ));
    let without_mirror = InProcessClient::connect(plain).await.unwrap();
    TwoServers {
        sandbox,
        api,
        tz,
        with_mirror,
        without_mirror,
        _dir: dir,
    }
}

impl TwoServers {
    async fn get(&self, path: &str) -> Value {
        self.api
            .send_json(intercom_api::Method::GET, path, &[], None)
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.api
            .send_json(intercom_api::Method::POST, path, &[], Some(body))
            .await
            .unwrap()
    }

    /// Requests the sandbox has answered that changed something.
    async fn writes(&self) -> u64 {
        self.get("/_sandbox/stats").await["writes_applied"]
            .as_u64()
            .unwrap()
    }
}

/// A tool call that must succeed; its structured content and its text.
async fn call_ok(
    client: &intercom_mcp_server::inprocess::InProcessClient,
    tool: &str,
    args: Value,
) -> (Value, String) {
    let result = client.call(tool, args.clone()).await.unwrap();
    let text = common::text(&result);
    assert_ne!(result.is_error, Some(true), "{tool} {args}: {text}");
    (result.structured_content.unwrap(), text)
}

/// "Snooze these until Monday": the bulk tool and manage_conversation, with and without the
/// mirror. REST shows each conversation snoozed until the next Monday at the start of the
/// working day (09:00) in the workspace zone, computed here with chrono; the dry run names
/// exactly these, and asking again sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snooze_these_until_monday() {
    use chrono::{Datelike, TimeZone};
    let s = two_servers(Scale::Tiny).await;
    let today = chrono::Utc::now().with_timezone(&s.tz).date_naive();
    let monday = today + chrono::Days::new(7 - today.weekday().num_days_from_monday() as u64);
    let expected =
        s.tz.from_local_datetime(&monday.and_hms_opt(9, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp();
    let open = rest_search_api(
        &s,
        json!({"field": "state", "operator": "=", "value": "open"}),
    )
    .await;
    assert!(open.len() >= 8, "eight open conversations in the sandbox");
    let ids: Vec<String> = open.iter().map(|c| id_of(&c["id"])).collect();

    for (client, these, one) in [
        (&s.with_mirror, &ids[0..3], &ids[3]),
        (&s.without_mirror, &ids[4..7], &ids[7]),
    ] {
        let args = json!({"action": "snooze", "snoozed_until": "monday", "ids": these});
        let (dry, text) = call_ok(client, "bulk_manage_conversations", args.clone()).await;
        let listed: HashSet<String> = dry["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| id_of(&t["id"]))
            .collect();
        assert_eq!(listed, these.iter().cloned().collect::<HashSet<_>>());
        assert_eq!(dry["already_done"], 0, "{dry}");
        assert!(text.contains("snooze conversations until"), "{text}");
        for id in these {
            assert_eq!(
                s.get(&format!("/conversations/{id}")).await["state"],
                "open"
            );
        }

        let mut run = args.clone();
        run["dry_run"] = json!(false);
        let (report, _) = call_ok(client, "bulk_manage_conversations", run.clone()).await;
        assert_eq!(report["job"]["ok"], 3, "{report}");
        let (_, text) = call_ok(
            client,
            "manage_conversation",
            json!({"id": one, "action": "snooze", "snoozed_until": "monday"}),
        )
        .await;
        for id in these.iter().chain([one]) {
            let c = s.get(&format!("/conversations/{id}")).await;
            assert_eq!(c["state"], "snoozed", "{id}: {text}");
            assert_eq!(c["snoozed_until"].as_i64(), Some(expected), "{id}");
        }

        // Asked again: all three already so, nothing sent.
        let before = s.writes().await;
        let (again, text) = call_ok(client, "bulk_manage_conversations", run).await;
        assert_eq!(
            (
                again["job"]["ok"].as_u64(),
                again["job"]["unchanged"].as_u64()
            ),
            (Some(0), Some(3)),
            "{again}"
        );
        assert!(text.contains("3 already so (no request sent)"), "{text}");
        assert_eq!(s.writes().await, before);
    }
    drop(s.sandbox);
}

/// Every item of a REST conversation search, paged by hand.
async fn rest_search_api(s: &TwoServers, query: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut body = json!({"query": query, "pagination": {"per_page": 150}});
    for _ in 0..200 {
        let page = s.post("/conversations/search", body.clone()).await;
        out.extend(page["conversations"].as_array().unwrap().iter().cloned());
        match page
            .pointer("/pages/next/starting_after")
            .and_then(Value::as_str)
        {
            Some(next) => body["pagination"]["starting_after"] = json!(next),
            None => return out,
        }
    }
    panic!("more than 200 pages");
}

/// The contacts carrying the tag named `name` (none when the tag does not exist), by REST.
async fn contacts_tagged(s: &TwoServers, name: &str) -> HashSet<String> {
    let tags = s.get("/tags").await;
    let Some(tag) = tags["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
    else {
        return HashSet::new();
    };
    let mut out = HashSet::new();
    let mut body = json!({"query": {"field": "tag_id", "operator": "=", "value": id_of(&tag["id"])},
                          "pagination": {"per_page": 150}});
    for _ in 0..200 {
        let page = s.post("/contacts/search", body.clone()).await;
        out.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| id_of(&c["id"])),
        );
        match page
            .pointer("/pages/next/starting_after")
            .and_then(Value::as_str)
        {
            Some(next) => body["pagination"]["starting_after"] = json!(next),
            None => return out,
        }
    }
    panic!("more than 200 pages");
}

/// Companies whose name no other company has, each with its contacts (REST, paged by hand),
/// those with at least two contacts first.
async fn companies_with_contacts(s: &TwoServers) -> Vec<(Value, Vec<Value>)> {
    let mut companies = Vec::new();
    for page in 1..=50 {
        let list = s.get(&format!("/companies?per_page=50&page={page}")).await;
        let data = list["data"].as_array().unwrap().clone();
        if data.is_empty() {
            break;
        }
        companies.extend(data);
        if list["pages"]["total_pages"].as_u64().unwrap_or(1) <= page {
            break;
        }
    }
    let mut named: HashMap<String, usize> = HashMap::new();
    for c in &companies {
        *named
            .entry(c["name"].as_str().unwrap_or_default().to_lowercase())
            .or_default() += 1;
    }
    let mut out = Vec::new();
    for company in companies {
        let name = company["name"].as_str().unwrap_or_default().to_lowercase();
        if name.is_empty() || named[&name] != 1 {
            continue;
        }
        let id = id_of(&company["id"]);
        let mut contacts = Vec::new();
        let mut path = format!("/companies/{id}/contacts?per_page=50");
        for _ in 0..50 {
            let page = s.get(&path).await;
            contacts.extend(page["data"].as_array().cloned().unwrap_or_default());
            match page
                .pointer("/pages/next/starting_after")
                .and_then(Value::as_str)
            {
                Some(next) => {
                    path = format!("/companies/{id}/contacts?per_page=50&starting_after={next}")
                }
                None => break,
            }
        }
        if contacts.len() >= 2 {
            out.push((company, contacts));
        }
    }
    out
}

/// "Tag everyone at <company> as vip", with and without the mirror: the dry run lists
/// exactly the company's people by name and email, the run tags exactly them (REST: the
/// contacts carrying `vip` are those who had it plus the company's people), and asking
/// again counts all as already so and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_everyone_at_a_company_as_vip() {
    let s = two_servers(Scale::Tiny).await;
    let companies = companies_with_contacts(&s).await;
    assert!(
        companies.len() >= 2,
        "two companies with people in the sandbox"
    );
    for (client, (company, people)) in [
        (&s.with_mirror, &companies[0]),
        (&s.without_mirror, &companies[1]),
    ] {
        let name = company["name"].as_str().unwrap();
        let had_vip = contacts_tagged(&s, "vip").await;
        let people_ids: HashSet<String> = people.iter().map(|c| id_of(&c["id"])).collect();
        let args = json!({"object": "contacts", "company": name, "tag": "vip"});

        let (dry, text) = call_ok(client, "bulk_tag", args.clone()).await;
        let targets = dry["targets"].as_array().unwrap();
        let listed: HashSet<String> = targets.iter().map(|t| id_of(&t["id"])).collect();
        assert_eq!(listed, people_ids, "{name}: {text}");
        for person in people {
            let label = targets
                .iter()
                .find(|t| id_of(&t["id"]) == id_of(&person["id"]))
                .unwrap()["label"]
                .as_str()
                .unwrap();
            for field in ["name", "email"] {
                if let Some(v) = person[field].as_str().filter(|v| !v.is_empty()) {
                    assert!(label.contains(v), "{label} lacks the {field} {v}");
                    assert!(text.contains(v), "the text names {v}: {text}");
                }
            }
        }
        let already = people_ids.intersection(&had_vip).count();
        assert_eq!(dry["already_done"].as_u64(), Some(already as u64), "{dry}");
        assert_eq!(
            contacts_tagged(&s, "vip").await,
            had_vip,
            "a dry run tagged"
        );

        let mut run = args.clone();
        run["dry_run"] = json!(false);
        let (report, _) = call_ok(client, "bulk_tag", run.clone()).await;
        assert_eq!(
            report["job"]["ok"].as_u64(),
            Some((people_ids.len() - already) as u64),
            "{report}"
        );
        assert_eq!(report["job"]["failed"], 0, "{report}");
        let want: HashSet<String> = had_vip.union(&people_ids).cloned().collect();
        assert_eq!(contacts_tagged(&s, "vip").await, want, "{name}");

        let before = s.writes().await;
        let (again, text) = call_ok(client, "bulk_tag", run).await;
        assert_eq!(
            (
                again["job"]["ok"].as_u64(),
                again["job"]["unchanged"].as_u64()
            ),
            (Some(0), Some(people_ids.len() as u64)),
            "{again}"
        );
        assert!(
            text.contains(&format!(
                "{} already so (no request sent)",
                people_ids.len()
            )),
            "{text}"
        );
        assert_eq!(s.writes().await, before, "the second run wrote");
        assert_eq!(contacts_tagged(&s, "vip").await, want);
    }
    drop(s.sandbox);
}
