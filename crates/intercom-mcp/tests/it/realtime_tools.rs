//! The realtime toolset and the mirror-backed full-text search, through an MCP
//! client against a sandbox whose state is read back through the API.

use crate::common;
use crate::realtime_support;

use intercom_api::{Client, Method};
use intercom_mcp_server::inprocess::InProcessClient;
use intercom_mcp_server::live::Realtime;
use intercom_mirror::Mirror;
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use realtime_support::{self as support, admin_reply, id, some_conversations, sync};
use serde_json::{Value, json};

struct Setup {
    _dir: tempfile::TempDir,
    sandbox: Sandbox,
    api: Client,
    mirror: Mirror,
    with_mirror: InProcessClient,
    without_mirror: InProcessClient,
}

async fn setup() -> Setup {
    let sandbox = support::sandbox(Scale::Tiny, SandboxConfig::default()).await;
    let api = support::api_client(&sandbox);
    let (dir, mirror) = support::temp_mirror();
    sync(&mirror, &api).await;
    let realtime = Realtime::start(mirror.clone(), None);
    let server = common::server_for(&sandbox.base_url(), sandbox.token(), common::all_tools())
        .with_realtime(realtime);
    let with_mirror = InProcessClient::connect(server).await.unwrap();
    let plain = common::server_for(&sandbox.base_url(), sandbox.token(), common::all_tools());
    let without_mirror = InProcessClient::connect(plain).await.unwrap();
    Setup {
        _dir: dir,
        sandbox,
        api,
        mirror,
        with_mirror,
        without_mirror,
    }
}

async fn call(client: &InProcessClient, tool: &str, args: Value) -> (bool, Value, String) {
    let result = client.call(tool, args).await.unwrap();
    let text = result
        .content
        .iter()
        .filter_map(|c| c.as_text())
        .map(|t| t.text.clone())
        .collect::<Vec<_>>()
        .join("\n");
    (
        result.is_error.unwrap_or(false),
        result.structured_content.unwrap_or(Value::Null),
        text,
    )
}

#[tokio::test]
async fn sync_status_reports_what_the_mirror_holds() {
    let s = setup().await;
    let (is_error, status, _) = call(&s.with_mirror, "sync_status", json!({})).await;
    assert!(!is_error, "{status}");
    let stats = s.mirror.stats().await.unwrap();
    let conversations = status["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "conversations")
        .unwrap();
    assert_eq!(conversations["objects"], stats.counts["conversations"]);
    assert_eq!(conversations["phase"], "incremental");
    assert!(conversations["age_seconds"].as_i64().unwrap() < 60);
    // The tiny sandbox fits in one page: count what the API lists.
    let listed = s
        .api
        .send_json(Method::GET, "/conversations", &[("per_page", "150")], None)
        .await
        .unwrap();
    assert!(listed.pointer("/pages/next/starting_after").is_none());
    assert_eq!(
        conversations["objects"],
        listed["conversations"].as_array().unwrap().len()
    );
    assert_eq!(status["backlog"], json!([]));
    assert_eq!(status["webhooks_enabled"], false);

    let (is_error, _, text) = call(&s.without_mirror, "sync_status", json!({})).await;
    assert!(is_error);
    assert!(text.contains("--sync"), "{text}");
}

#[tokio::test]
async fn recent_events_pages_through_changes_with_a_cursor() {
    let s = setup().await;
    let (_, first, _) = call(&s.with_mirror, "recent_events", json!({})).await;
    assert_eq!(first["events"], json!([]), "a backfill logs no events");
    let cursor = first["next_cursor"].as_str().unwrap().to_string();

    // A reply and a new contact, picked up by an incremental sync.
    let target = some_conversations(&s.api, 1).await.remove(0);
    admin_reply(
        &s.api,
        &target,
        "note",
        "<p>Customer mentioned the quixotic gadget</p>",
    )
    .await;
    s.api
        .send_json(
            Method::POST,
            "/contacts",
            &[],
            Some(json!({"role": "lead", "email": "lead.one@example.com"})),
        )
        .await
        .unwrap();
    sync(&s.mirror, &s.api).await;

    let (_, page, text) = call(
        &s.with_mirror,
        "recent_events",
        json!({"cursor": cursor, "topics": "conversation."}),
    )
    .await;
    let events = page["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["topic"] == "conversation.updated" && e["object_id"] == target.as_str()),
        "{page}"
    );
    assert!(
        events
            .iter()
            .all(|e| e["topic"].as_str().unwrap().starts_with("conversation."))
    );
    assert_eq!(page["source"], "mirror");
    assert!(text.contains("conversation.updated"), "{text}");

    let (_, all, _) = call(
        &s.with_mirror,
        "recent_events",
        json!({"cursor": cursor, "limit": 1}),
    )
    .await;
    assert_eq!(all["events"].as_array().unwrap().len(), 1);
    assert_eq!(all["more"], true);

    // Nothing new after the last cursor.
    let (_, rest, _) = call(
        &s.with_mirror,
        "recent_events",
        json!({"cursor": page["next_cursor"], "topics": ["conversation."]}),
    )
    .await;
    assert_eq!(rest["events"], json!([]));
    assert_eq!(rest["next_cursor"], page["next_cursor"]);

    let (is_error, _, text) = call(
        &s.with_mirror,
        "recent_events",
        json!({"cursor": "not-a-cursor"}),
    )
    .await;
    assert!(is_error && text.contains("next_cursor"), "{text}");
    let (is_error, _, text) = call(
        &s.with_mirror,
        "recent_events",
        json!({"since": "the day after never"}),
    )
    .await;
    assert!(is_error && text.contains("since"), "{text}");
}

#[tokio::test]
async fn search_text_finds_words_beyond_the_first_message_with_the_mirror() {
    let s = setup().await;
    let target = some_conversations(&s.api, 2).await.remove(1);
    admin_reply(
        &s.api,
        &target,
        "comment",
        "<p>Your flibbertigibbet replacement ships Monday</p>",
    )
    .await;
    sync(&s.mirror, &s.api).await;

    let (is_error, found, _) = call(
        &s.with_mirror,
        "search_conversations",
        json!({"text": "flibbertigibbet"}),
    )
    .await;
    assert!(!is_error, "{found}");
    let ids: Vec<String> = found["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id(&c["id"]))
        .collect();
    assert_eq!(ids, vec![target.clone()]);

    // Intercom's own search only looks at the first message.
    let (_, plain, _) = call(
        &s.without_mirror,
        "search_conversations",
        json!({"text": "flibbertigibbet"}),
    )
    .await;
    assert_eq!(plain["conversations"], json!([]));

    // Other filters still apply to the full-text matches.
    let (_, closed, _) = call(
        &s.with_mirror,
        "search_conversations",
        json!({"text": "flibbertigibbet", "state": "closed"}),
    )
    .await;
    let state = s
        .api
        .send_json(Method::GET, &format!("/conversations/{target}"), &[], None)
        .await
        .unwrap();
    let expected = if state["state"] == "closed" { 1 } else { 0 };
    assert_eq!(closed["conversations"].as_array().unwrap().len(), expected);
    let (_, none, _) = call(
        &s.with_mirror,
        "search_conversations",
        json!({"text": "nosuchwordanywhere"}),
    )
    .await;
    assert_eq!(none["conversations"], json!([]));
    drop(s.sandbox);
}

#[tokio::test]
async fn get_conversation_reads_a_fresh_mirror_and_says_so() {
    let s = setup().await;
    let target = some_conversations(&s.api, 3).await.remove(2);
    let args = json!({"id": target, "max_messages": 500});
    let (is_error, from_mirror, _) = call(&s.with_mirror, "get_conversation", args.clone()).await;
    assert!(!is_error, "{from_mirror}");
    assert_eq!(from_mirror["source"], "mirror");
    assert!(from_mirror["mirror_age_seconds"].as_i64().unwrap() < 60);
    let (_, from_api, _) = call(&s.without_mirror, "get_conversation", args).await;
    assert_eq!(from_api["source"], "api");
    assert!(from_api.get("mirror_age_seconds").is_none());
    // Same conversation either way.
    for field in [
        "id",
        "state",
        "created_at",
        "assignee",
        "team",
        "tags",
        "contacts",
    ] {
        assert_eq!(from_mirror[field], from_api[field], "{field}");
    }
    let count = from_api["message_count"].as_u64().unwrap();
    assert!(count > 0);
    assert_eq!(from_mirror["message_count"], count);
}

/// An open conversation's id, from the API.
async fn an_open_conversation(api: &Client) -> String {
    let body = json!({"query": {"field": "state", "operator": "=", "value": "open"},
                      "pagination": {"per_page": 5}});
    let found = api
        .send_json(Method::POST, "/conversations/search", &[], Some(body))
        .await
        .unwrap();
    id(&found["conversations"][0]["id"])
}

#[tokio::test]
async fn a_write_through_the_server_is_read_back_from_the_mirror_at_once() {
    let s = setup().await;
    let conversation = an_open_conversation(&s.api).await;
    // The mirror answers reads while fresh: before the write it holds the open state.
    let (_, before, _) = call(
        &s.with_mirror,
        "get_conversation",
        json!({"id": conversation}),
    )
    .await;
    assert_eq!(before["source"], "mirror", "{before}");
    assert_eq!(before["state"], "open");

    let (is_error, _, said) = call(
        &s.with_mirror,
        "manage_conversation",
        json!({"id": conversation, "action": "close"}),
    )
    .await;
    assert!(!is_error, "{said}");
    let note = "Read-your-writes check: this reply must be in the next read";
    let (is_error, _, said) = call(
        &s.with_mirror,
        "reply_to_conversation",
        json!({"id": conversation, "body": note, "message_type": "note"}),
    )
    .await;
    assert!(!is_error, "{said}");

    // The next read, still from the mirror, shows both writes, as Intercom does.
    let stored = s
        .api
        .send_json(
            Method::GET,
            &format!("/conversations/{conversation}"),
            &[],
            None,
        )
        .await
        .unwrap();
    let (_, after, text) = call(
        &s.with_mirror,
        "get_conversation",
        json!({"id": conversation}),
    )
    .await;
    assert_eq!(after["source"], "mirror", "{after}");
    assert_eq!(after["state"], stored["state"], "{after}");
    assert_eq!(after["state"], "closed");
    assert!(text.contains(note), "{text}");
    let mirrored = s
        .mirror
        .get(intercom_mirror::ObjectKind::Conversation, &conversation)
        .await
        .unwrap()
        .expect("the conversation is in the mirror");
    assert_eq!(mirrored.raw["state"], "closed");

    // The change is in the event log, for recent_events.
    let (_, events, _) = call(
        &s.with_mirror,
        "recent_events",
        json!({"topics": "conversation.", "limit": 500}),
    )
    .await;
    // It says what changed, not only the topic.
    let changed: Vec<String> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_id"] == conversation.as_str())
        .flat_map(|e| e["changed"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    assert!(
        changed.iter().any(|c| c == "state open → closed"),
        "{changed:?} in {events}"
    );
}

#[tokio::test]
async fn recent_events_name_the_new_assignee_of_a_write() {
    let s = setup().await;
    let conversation = an_open_conversation(&s.api).await;
    let admins = s
        .api
        .send_json(Method::GET, "/admins", &[], None)
        .await
        .unwrap();
    let stored = s
        .api
        .send_json(
            Method::GET,
            &format!("/conversations/{conversation}"),
            &[],
            None,
        )
        .await
        .unwrap();
    // An admin other than the current assignee, named the way a person would.
    let target = admins["admins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| id(&a["id"]) != id(&stored["admin_assignee_id"]))
        .unwrap()
        .clone();
    let name = target["name"].as_str().unwrap().to_string();
    let (is_error, _, said) = call(
        &s.with_mirror,
        "manage_conversation",
        json!({"id": conversation, "action": "assign", "assignee": target["email"]}),
    )
    .await;
    assert!(!is_error, "{said}");
    let after = s
        .api
        .send_json(
            Method::GET,
            &format!("/conversations/{conversation}"),
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(id(&after["admin_assignee_id"]), id(&target["id"]));
    let (_, _, text) = call(
        &s.with_mirror,
        "recent_events",
        json!({"topics": "conversation.", "limit": 500}),
    )
    .await;
    let line = text
        .lines()
        .find(|l| l.contains(&format!("conversation {conversation} ")))
        .unwrap_or_else(|| panic!("no event for {conversation}: {text}"));
    assert!(line.contains(&format!("→ {name}")), "{line}");
}
