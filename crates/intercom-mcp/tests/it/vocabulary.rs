//! One date vocabulary, names as people say them, and bulk tools that speak one
//! language, through the `intercom-mcp` binary (`call`) against a sandbox this test
//! runs. Every answer is checked against the sandbox's REST API, with the expected
//! values computed here (chrono for dates, the admin and company lists for names).

use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::common::{Harness, id_of};

/// `intercom-mcp call TOOL ARGS --json` against the harness's sandbox; returns
/// (is_error, the MCP result as JSON).
async fn call(h: &Harness, store: &Path, tool: &str, args: Value) -> (bool, Value) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_intercom-mcp"));
    for var in [
        "INTERCOM_ACCESS_TOKEN",
        "INTERCOM_REGION",
        "INTERCOM_API_BASE",
        "INTERCOM_MCP_TIME_ZONE",
        "INTERCOM_MCP_TOOLSETS",
        "INTERCOM_MCP_TOOLS",
        "INTERCOM_MCP_READ_ONLY",
        "INTERCOM_MCP_SANDBOX",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("INTERCOM_MCP_LOG", "warn")
        .args(["call", tool, &args.to_string(), "--json"])
        .args(["--api-base", &h.sandbox.base_url()])
        .args(["--access-token", h.sandbox.token()])
        .arg("--store")
        .arg(store)
        .output()
        .await
        .expect("the binary runs");
    let result: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{tool}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let is_error = result["isError"] == true;
    assert_eq!(
        out.status.success(),
        !is_error,
        "{tool}: exit status and isError disagree: {result}"
    );
    (is_error, result)
}

fn result_text(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

async fn ok(h: &Harness, store: &Path, tool: &str, args: Value) -> Value {
    let (is_error, result) = call(h, store, tool, args.clone()).await;
    assert!(!is_error, "{tool} {args} failed: {}", result_text(&result));
    result["structuredContent"].clone()
}

async fn err(h: &Harness, store: &Path, tool: &str, args: Value) -> String {
    let (is_error, result) = call(h, store, tool, args.clone()).await;
    assert!(is_error, "{tool} {args} should fail: {result}");
    result_text(&result)
}

async fn workspace_zone(h: &Harness) -> Tz {
    let me = h.get("/me").await;
    me["app"]["timezone"]
        .as_str()
        .expect("the sandbox names its zone")
        .parse()
        .expect("an IANA zone")
}

fn local(tz: Tz, date: NaiveDate, hour: u32) -> i64 {
    tz.from_local_datetime(&date.and_hms_opt(hour, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .timestamp()
}

/// The REST search's total for a conversation query.
async fn rest_total(h: &Harness, query: Value) -> u64 {
    let page = h
        .post(
            "/conversations/search",
            json!({"query": query, "pagination": {"per_page": 1}}),
        )
        .await;
    page["total_count"].as_u64().expect("total_count")
}

async fn first_open_conversation(h: &Harness) -> String {
    let page = h
        .post(
            "/conversations/search",
            json!({"query": {"field": "state", "operator": "=", "value": "open"}}),
        )
        .await;
    id_of(&page["conversations"][0]["id"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snooze_words_resolve_ahead_in_the_workspace_zone_and_read_back() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let tz = workspace_zone(&h).await;
    assert_ne!(
        tz,
        Tz::UTC,
        "the sandbox's zone must differ from UTC to test this"
    );
    let id = first_open_conversation(&h).await;

    // "monday": the next Monday, at the start of the working day, in the workspace zone.
    ok(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "snooze", "snoozed_until": "monday"}),
    )
    .await;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let mut monday = today + Duration::days(1);
    while monday.weekday() != Weekday::Mon {
        monday += Duration::days(1);
    }
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(c["state"], "snoozed");
    assert_eq!(c["snoozed_until"].as_i64(), Some(local(tz, monday, 9)));

    // A date alone: 09:00 that day in the workspace zone, not 00:00 UTC.
    let day = today + Duration::days(10);
    ok(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "snooze", "snoozed_until": day.format("%Y-%m-%d").to_string()}),
    )
    .await;
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(c["snoozed_until"].as_i64(), Some(local(tz, day, 9)));

    // "in 2h": counted from one reading of the clock, never in the past.
    let before = Utc::now().timestamp();
    ok(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "snooze", "snoozed_until": "in 2h"}),
    )
    .await;
    let after = Utc::now().timestamp();
    let until = h.get(&format!("/conversations/{id}")).await["snoozed_until"]
        .as_i64()
        .unwrap();
    assert!(
        (before + 7200..=after + 7200).contains(&until),
        "{until} not 2h after [{before}, {after}]"
    );

    // A moment in the past is refused, and the error offers the future forms.
    let message = err(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "snooze", "snoozed_until": "yesterday"}),
    )
    .await;
    assert!(
        message.contains("not in the future") && message.contains("next friday"),
        "{message}"
    );
    let unchanged = h.get(&format!("/conversations/{id}")).await["snoozed_until"].as_i64();
    assert_eq!(unchanged, Some(until), "a refused snooze changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_filters_take_weekdays_and_months_and_match_the_api() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let tz = workspace_zone(&h).await;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let back_to = |day: Weekday, strictly: bool| {
        let mut d = if strictly {
            today - Duration::days(1)
        } else {
            today
        };
        while d.weekday() != day {
            d -= Duration::days(1);
        }
        d
    };
    let first_of_month = today.with_day(1).unwrap();
    let cases = [
        ("monday", back_to(Weekday::Mon, false)),
        ("last friday", back_to(Weekday::Fri, true)),
        ("this_month", first_of_month),
        ("yesterday", today - Duration::days(1)),
    ];
    let mut nonzero = 0;
    for (words, start_day) in cases {
        let start = local(tz, start_day, 0);
        let expected = rest_total(
            &h,
            json!({"field": "created_at", "operator": ">", "value": start}),
        )
        .await;
        let out = ok(
            &h,
            &store,
            "search_conversations",
            json!({"created_after": words, "limit": 1}),
        )
        .await;
        assert_eq!(
            out["total_count"].as_u64(),
            Some(expected),
            "created_after {words}: {out}"
        );
        if expected > 0 {
            nonzero += 1;
        }
    }
    assert!(
        nonzero > 0,
        "the sandbox has conversations in these periods"
    );
    let message = err(
        &h,
        &store,
        "search_conversations",
        json!({"created_after": "a while back"}),
    )
    .await;
    assert!(
        message.contains("a while back") && message.contains("last friday"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_and_teams_resolve_by_first_name_part_or_email_or_list_near_matches() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let admins = h.get("/admins").await["admins"].as_array().unwrap().clone();
    let name = |a: &Value| a["name"].as_str().unwrap_or_default().to_lowercase();
    // An admin whose first name no other admin's name word starts with.
    let unique = admins
        .iter()
        .find(|a| {
            let first = name(a).split(' ').next().unwrap_or_default().to_string();
            admins
                .iter()
                .filter(|b| name(b).split(' ').any(|w| w.starts_with(&first)))
                .count()
                == 1
        })
        .expect("an admin with a first name of their own");
    let first = name(unique).split(' ').next().unwrap().to_string();
    let id = first_open_conversation(&h).await;
    ok(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "assign", "assignee": first}),
    )
    .await;
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(id_of(&c["admin_assignee_id"]), id_of(&unique["id"]));

    // By email, in other case.
    let other = admins.iter().find(|a| a["id"] != unique["id"]).unwrap();
    let email = other["email"].as_str().unwrap().to_uppercase();
    ok(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "assign", "assignee": email}),
    )
    .await;
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(id_of(&c["admin_assignee_id"]), id_of(&other["id"]));

    // A letter that starts a name word of several admins: refused, each named.
    let letter = ('a'..='z')
        .map(String::from)
        .find(|l| {
            admins
                .iter()
                .filter(|a| name(a).split(' ').any(|w| w.starts_with(l.as_str())))
                .count()
                >= 2
        })
        .expect("two admins share an initial");
    let matching: Vec<String> = admins
        .iter()
        .filter(|a| name(a).split(' ').any(|w| w.starts_with(letter.as_str())))
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    let message = err(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "assign", "assignee": letter}),
    )
    .await;
    for n in matching.iter().take(8) {
        assert!(message.contains(n.as_str()), "{n} missing from: {message}");
    }
    assert!(message.contains("say which"), "{message}");
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(
        id_of(&c["admin_assignee_id"]),
        id_of(&other["id"]),
        "a refused assignment changed nothing"
    );

    // A misspelt name: no match, and the closest one offered.
    let misspelt: String = {
        let mut chars: Vec<char> = first.chars().collect();
        chars.swap(1, 2);
        chars.into_iter().collect()
    };
    let message = err(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "assign", "assignee": misspelt}),
    )
    .await;
    assert!(
        message.contains("did you mean") && message.contains(unique["name"].as_str().unwrap()),
        "{message}"
    );

    // A team by part of its name.
    let teams = h.get("/teams").await["teams"].as_array().unwrap().clone();
    let team = teams
        .iter()
        .find(|t| {
            let part: String = t["name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .chars()
                .take(4)
                .collect();
            teams
                .iter()
                .filter(|u| u["name"].as_str().unwrap().to_lowercase().contains(&part))
                .count()
                == 1
        })
        .expect("a team with a distinct name");
    let part: String = team["name"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .chars()
        .take(4)
        .collect();
    ok(
        &h,
        &store,
        "manage_conversation",
        json!({"id": id, "action": "assign", "team": part}),
    )
    .await;
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(id_of(&c["team_assignee_id"]), id_of(&team["id"]));

    // "Assigned to <team>" in a search: the team's conversations, as the API counts them.
    let expected = rest_total(
        &h,
        json!({"field": "team_assignee_id", "operator": "=", "value": id_of(&team["id"])}),
    )
    .await;
    let out = ok(
        &h,
        &store,
        "search_conversations",
        json!({"assignee": team["name"], "limit": 1}),
    )
    .await;
    assert_eq!(out["total_count"].as_u64(), Some(expected), "{out}");
    assert!(expected > 0);

    // A tag is never guessed, but a misspelt one is pointed at.
    let tags = h.get("/tags").await["data"].as_array().unwrap().clone();
    let tag = tags[0]["name"].as_str().unwrap().to_string();
    let misspelt: String = {
        let mut chars: Vec<char> = tag.chars().collect();
        let last = chars.len() - 1;
        chars.swap(last - 1, last);
        chars.into_iter().collect()
    };
    assert!(!tags.iter().any(|t| t["name"] == misspelt.as_str()));
    let message = err(&h, &store, "search_conversations", json!({"tag": misspelt})).await;
    assert!(
        message.contains("did you mean") && message.contains(&tag),
        "{message}"
    );
}

/// A company with at least two contacts, and those contacts.
async fn company_with_contacts(h: &Harness) -> (Value, Vec<Value>) {
    let companies = h.get("/companies?per_page=50").await["data"]
        .as_array()
        .unwrap()
        .clone();
    for company in companies {
        let id = id_of(&company["id"]);
        let contacts = h.get(&format!("/companies/{id}/contacts")).await["data"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if contacts.len() >= 2 && contacts.iter().all(|c| c["email"].is_string()) {
            return (company, contacts);
        }
    }
    panic!("no company with two contacts in the sandbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_tag_by_company_names_the_people_and_counts_what_is_done() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let (company, contacts) = company_with_contacts(&h).await;
    let company_name = company["name"].as_str().unwrap();
    let tag = "vip-vocabulary";
    let args = json!({"object": "contacts", "tag": tag, "company": company_name});

    let dry = ok(&h, &store, "bulk_tag", args.clone()).await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["count"].as_u64(), Some(contacts.len() as u64), "{dry}");
    assert_eq!(dry["already_done"].as_u64(), Some(0), "{dry}");
    let labels: Vec<&str> = dry["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    for contact in &contacts {
        let email = contact["email"].as_str().unwrap();
        assert!(
            labels.iter().any(|l| l.contains(email)),
            "{email} not among {labels:?}"
        );
    }
    // A dry run changes nothing.
    for contact in &contacts {
        let tags = h
            .get(&format!("/contacts/{}/tags", id_of(&contact["id"])))
            .await;
        assert!(!tags.to_string().contains(tag));
    }

    let mut run = args.clone();
    run["dry_run"] = json!(false);
    let report = ok(&h, &store, "bulk_tag", run).await;
    assert_eq!(
        report["job"]["ok"].as_u64(),
        Some(contacts.len() as u64),
        "{report}"
    );
    for contact in &contacts {
        let tags = h
            .get(&format!("/contacts/{}/tags", id_of(&contact["id"])))
            .await;
        assert!(
            tags["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["name"] == tag),
            "{tags}"
        );
    }

    // Now every target already carries the tag, and the dry run says so.
    let again = ok(&h, &store, "bulk_tag", args).await;
    assert_eq!(again["already_done"], again["count"], "{again}");
    assert!(
        result_text(
            &call(
                &h,
                &store,
                "bulk_tag",
                json!({"object": "contacts", "tag": tag, "company": company_name})
            )
            .await
            .1
        )
        .contains("already show the change")
    );

    // Emails given as ids of contacts are looked up as emails.
    let emails: Vec<&str> = contacts
        .iter()
        .map(|c| c["email"].as_str().unwrap())
        .collect();
    let by_email = ok(
        &h,
        &store,
        "bulk_tag",
        json!({"object": "contacts", "tag": tag, "ids": emails, "remove": true, "dry_run": false}),
    )
    .await;
    assert_eq!(
        by_email["job"]["ok"].as_u64(),
        Some(contacts.len() as u64),
        "{by_email}"
    );
    for contact in &contacts {
        let tags = h
            .get(&format!("/contacts/{}/tags", id_of(&contact["id"])))
            .await;
        assert!(!tags.to_string().contains(tag), "{tags}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_tag_refuses_email_shaped_conversation_ids_before_any_request() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let before = h.get("/_sandbox/stats").await;
    let ids: Vec<String> = (0..100).map(|i| format!("person{i}@example.com")).collect();
    let message = err(
        &h,
        &store,
        "bulk_tag",
        json!({"object": "conversations", "tag": "x", "ids": ids, "dry_run": false}),
    )
    .await;
    assert!(message.contains("is an email"), "{message}");
    let after = h.get("/_sandbox/stats").await;
    let tag_writes = |s: &Value| {
        s["requests_by_route"]
            .as_object()
            .map(|r| {
                r.iter()
                    .filter(|(k, _)| k.contains("/tags"))
                    .map(|(_, v)| v.as_u64().unwrap_or(0))
                    .sum::<u64>()
            })
            .unwrap_or(0)
    };
    assert_eq!(tag_writes(&after), tag_writes(&before), "{after}");
    assert_eq!(after["writes_applied"], before["writes_applied"]);
    let sent =
        after["requests_total"].as_u64().unwrap() - before["requests_total"].as_u64().unwrap();
    // Stats reads and the binary's own start (at most /me) only.
    assert!(sent <= 4, "{sent} requests for a refused call: {after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_manage_takes_search_filters_and_names_the_assignee() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let tz = workspace_zone(&h).await;
    let week_start = {
        let today = Utc::now().with_timezone(&tz).date_naive();
        today - Duration::days(today.weekday().num_days_from_monday() as i64 + 7)
    };
    let expected = rest_total(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "created_at", "operator": ">", "value": local(tz, week_start, 0)},
        ]}),
    )
    .await;
    let admins = h.get("/admins").await["admins"].as_array().unwrap().clone();
    let admin = &admins[0];
    let dry = ok(
        &h,
        &store,
        "bulk_manage_conversations",
        json!({"action": "assign", "assignee": admin["email"],
               "filters": {"state": "open", "created_after": "last_week"}}),
    )
    .await;
    assert_eq!(dry["count"].as_u64(), Some(expected), "{dry}");
    assert!(
        dry["operation"]
            .as_str()
            .unwrap()
            .contains(admin["name"].as_str().unwrap()),
        "{dry}"
    );
    let labels = dry["targets"].as_array().unwrap();
    assert!(
        labels
            .iter()
            .all(|t| t["label"].as_str().unwrap().starts_with('#'))
    );
    let already = labels.iter().filter(|t| t["already"] == true).count() as u64;
    let truly = rest_total(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "created_at", "operator": ">", "value": local(tz, week_start, 0)},
            {"field": "admin_assignee_id", "operator": "=", "value": id_of(&admin["id"])},
        ]}),
    )
    .await;
    assert_eq!(dry["already_done"].as_u64(), Some(truly), "{dry}");
    assert_eq!(already, truly);

    // A filter that does not select conversations is refused with the ones that do.
    let message = err(
        &h,
        &store,
        "bulk_manage_conversations",
        json!({"action": "close", "filters": {"colour": "red"}}),
    )
    .await;
    assert!(
        message.contains("colour") && message.contains("created_after"),
        "{message}"
    );
}

/// `intercom-mcp ARGS...` against the harness's sandbox; returns (success, stdout, stderr).
async fn run_cli(h: &Harness, store: &Path, args: &[&str]) -> (bool, String, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_intercom-mcp"));
    for var in [
        "INTERCOM_ACCESS_TOKEN",
        "INTERCOM_API_BASE",
        "INTERCOM_MCP_TIME_ZONE",
        "INTERCOM_MCP_SANDBOX",
        "INTERCOM_MCP_ADMIN_ID",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd
        .env("INTERCOM_MCP_LOG", "warn")
        .args(args)
        .args(["--api-base", &h.sandbox.base_url()])
        .args(["--access-token", h.sandbox.token()])
        .arg("--store")
        .arg(store)
        .output()
        .await
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_command_takes_filters_names_and_date_words_too() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let tz = workspace_zone(&h).await;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let month_start = local(tz, today.with_day(1).unwrap(), 0);
    let expected = rest_total(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "created_at", "operator": ">", "value": month_start},
        ]}),
    )
    .await;
    assert!(expected > 0, "open conversations this month in the sandbox");
    let filters = r#"{"state": "open", "created_after": "this_month"}"#;
    let (ok_run, out, errs) = run_cli(
        &h,
        &store,
        &[
            "bulk",
            "manage-conversations",
            "--action",
            "snooze",
            "--until",
            "next monday",
            "--filters",
            filters,
            "--dry-run",
        ],
    )
    .await;
    assert!(ok_run, "{out}\n{errs}");
    assert!(
        out.contains(&format!("{expected} target(s)")),
        "expected {expected} targets: {out}"
    );
    assert!(out.contains("snooze conversations until"), "{out}");

    // A real run assigning them to an admin named by first name, read back.
    let admins = h.get("/admins").await["admins"].as_array().unwrap().clone();
    let name = |a: &Value| a["name"].as_str().unwrap_or_default().to_lowercase();
    let unique = admins
        .iter()
        .find(|a| {
            let first = name(a).split(' ').next().unwrap_or_default().to_string();
            admins
                .iter()
                .filter(|b| name(b).split(' ').any(|w| w.starts_with(&first)))
                .count()
                == 1
        })
        .expect("an admin with a first name of their own");
    let first = name(unique).split(' ').next().unwrap().to_string();
    let (ok_run, out, errs) = run_cli(
        &h,
        &store,
        &[
            "bulk",
            "manage-conversations",
            "--action",
            "assign",
            "--assignee",
            &first,
            "--filters",
            filters,
            "--json",
        ],
    )
    .await;
    assert!(ok_run, "{out}\n{errs}");
    let assigned = rest_total(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "created_at", "operator": ">", "value": month_start},
            {"field": "admin_assignee_id", "operator": "=", "value": id_of(&unique["id"])},
        ]}),
    )
    .await;
    assert_eq!(assigned, expected, "{out}");

    // A snooze in the past is refused with the future forms, before any job.
    let (ok_run, _, errs) = run_cli(
        &h,
        &store,
        &[
            "bulk",
            "manage-conversations",
            "--action",
            "snooze",
            "--until",
            "last friday",
            "--ids",
            "1",
            "--dry-run",
        ],
    )
    .await;
    assert!(!ok_run);
    assert!(
        errs.contains("not in the future") && errs.contains("in 2h"),
        "{errs}"
    );
}

/// The working day's start is a setting (`--workday-start` / `INTERCOM_MCP_WORKDAY_START`):
/// with 08:30 configured, "snooze until tomorrow" wakes at 08:30 in the workspace zone, for
/// a tool called through the binary and for the `bulk` command; a bad value stops start-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_working_day_start_moves_date_only_snoozes() {
    let h = Harness::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.sqlite3");
    let tz = workspace_zone(&h).await;
    let tomorrow = Utc::now().with_timezone(&tz).date_naive() + Duration::days(1);
    let at = |hour: u32, minute: u32| {
        tz.from_local_datetime(&tomorrow.and_hms_opt(hour, minute, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp()
    };
    let id = first_open_conversation(&h).await;
    let args = json!({"id": id, "action": "snooze", "snoozed_until": "tomorrow"}).to_string();
    let (ran, out, errs) = run_cli(
        &h,
        &store,
        &[
            "call",
            "manage_conversation",
            &args,
            "--json",
            "--workday-start",
            "08:30",
        ],
    )
    .await;
    assert!(ran, "{out}\n{errs}");
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(c["state"], "snoozed");
    assert_eq!(c["snoozed_until"].as_i64(), Some(at(8, 30)), "{out}");

    // The bulk command reads the same setting.
    h.post(
        &format!("/conversations/{id}/parts"),
        json!({"message_type": "open", "type": "admin",
               "admin_id": id_of(&h.get("/me").await["id"])}),
    )
    .await;
    let (ran, out, errs) = run_cli(
        &h,
        &store,
        &[
            "bulk",
            "manage-conversations",
            "--action",
            "snooze",
            "--until",
            "tomorrow",
            "--ids",
            &id,
            "--workday-start",
            "07:15",
        ],
    )
    .await;
    assert!(ran, "{out}\n{errs}");
    let c = h.get(&format!("/conversations/{id}")).await;
    assert_eq!(c["snoozed_until"].as_i64(), Some(at(7, 15)), "{out}");

    // A value that is no time of day stops the command before any request, and says why.
    let before = h.get("/_sandbox/stats").await["requests_total"].clone();
    let (ran, _, errs) = run_cli(
        &h,
        &store,
        &["call", "whoami", "{}", "--workday-start", "8.30"],
    )
    .await;
    assert!(!ran);
    assert!(
        errs.contains("--workday-start")
            && errs.contains("HH:MM")
            && errs.contains("INTERCOM_MCP_WORKDAY_START"),
        "{errs}"
    );
    assert_eq!(h.get("/_sandbox/stats").await["requests_total"], before);
}
