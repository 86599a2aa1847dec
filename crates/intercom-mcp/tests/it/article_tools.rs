//! Article tools against the sandbox: results are compared with the sandbox's
//! articles read back through the API, and writes are read back.

use crate::common;

use common::{Harness, id_of};
use serde_json::json;

#[tokio::test]
async fn list_and_get_match_the_workspace() {
    let h = Harness::start().await;
    let api = h.get("/articles?per_page=5").await;
    let out = h.ok("list_articles", json!({"limit": 5})).await;
    assert_eq!(out["total_count"], api["total_count"]);
    let got: Vec<String> = out["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| id_of(&a["id"]))
        .collect();
    let want: Vec<String> = api["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| id_of(&a["id"]))
        .collect();
    assert_eq!(got, want);
    assert!(!got.is_empty(), "the sandbox has articles");

    // The cursor walks to the second page, which holds different articles.
    if let Some(cursor) = out["next_cursor"].as_str() {
        let second = h
            .ok("list_articles", json!({"limit": 5, "cursor": cursor}))
            .await;
        let api2 = h.get("/articles?per_page=5&page=2").await;
        assert_eq!(
            second["articles"][0]["id"].as_str().map(str::to_string),
            Some(id_of(&api2["data"][0]["id"]))
        );
    }

    let article = h.get(&format!("/articles/{}", got[0])).await;
    let view = h
        .ok("get_article", json!({"id": got[0], "detail": "full"}))
        .await;
    assert_eq!(view["title"], article["title"]);
    assert_eq!(view["state"], article["state"]);
    let body = view["body"].as_str().unwrap_or_default();
    assert!(!body.contains('<'), "HTML is turned into text: {body}");
}

#[tokio::test]
async fn search_finds_articles_by_phrase() {
    let h = Harness::start().await;
    let api = h.get("/articles?per_page=50").await;
    let title = api["data"][0]["title"].as_str().unwrap().to_string();
    let word = title
        .split_whitespace()
        .max_by_key(|w| w.len())
        .unwrap()
        .to_string();
    let out = h
        .ok("search_articles", json!({"phrase": word, "state": "all"}))
        .await;
    let expected = h
        .get(&format!("/articles/search?phrase={word}&state=all"))
        .await;
    assert_eq!(out["total_count"], expected["total_count"]);
    let found: Vec<String> = out["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| id_of(&a["id"]))
        .collect();
    assert!(
        found.contains(&id_of(&api["data"][0]["id"])),
        "searching `{word}` finds `{title}`"
    );
}

#[tokio::test]
async fn create_then_update_reads_back() {
    let h = Harness::start().await;
    let created = h
        .ok(
            "create_article",
            json!({"title": "Resetting your password", "body": "<p>Open <b>Settings</b>.</p>"}),
        )
        .await;
    let id = id_of(&created["id"]);
    let stored = h.get(&format!("/articles/{id}")).await;
    assert_eq!(stored["title"], "Resetting your password");
    assert_eq!(
        stored["state"], "draft",
        "new articles are drafts by default"
    );
    let me = h.get("/me").await;
    assert_eq!(id_of(&stored["author_id"]), id_of(&me["id"]));

    h.ok(
        "update_article",
        json!({"id": id, "state": "published", "title": "Reset your password"}),
    )
    .await;
    let stored = h.get(&format!("/articles/{id}")).await;
    assert_eq!(stored["state"], "published");
    assert_eq!(stored["title"], "Reset your password");
    assert!(
        stored["body"].as_str().unwrap().contains("Settings"),
        "fields not given are kept"
    );
}

#[tokio::test]
async fn bad_input_is_a_clear_error_and_changes_nothing() {
    let h = Harness::start().await;
    let before = h.get("/articles?per_page=1").await["total_count"].clone();
    let err = h.err("create_article", json!({"body": "no title"})).await;
    assert!(err.contains("title"), "{err}");
    let err = h
        .err("create_article", json!({"title": "x", "state": "live"}))
        .await;
    assert!(err.contains("published"), "{err}");
    assert_eq!(h.get("/articles?per_page=1").await["total_count"], before);
    let err = h.err("get_article", json!({"id": "999999999"})).await;
    assert!(err.to_lowercase().contains("not found"), "{err}");
}
