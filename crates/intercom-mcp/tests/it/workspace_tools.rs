//! Workspace tools against the sandbox, checked against the API's own answers.

use crate::common;

use common::{Harness, id_of};
use serde_json::{Value, json};

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not a list in {v}"))
}

#[tokio::test]
async fn whoami_matches_me() {
    let h = Harness::start().await;
    let out = h.ok("whoami", json!({})).await;
    let me = h.get("/me").await;
    assert_eq!(out["admin"]["id"], id_of(&me["id"]));
    assert_eq!(out["admin"]["email"], me["email"]);
    assert_eq!(out["workspace_name"], me["app"]["name"]);
    assert_eq!(out["api_version"], "2.16");
    // No zone configured: the workspace's own, as /me gives it (the sandbox's is not UTC).
    assert_eq!(out["time_zone"], me["app"]["timezone"]);
    assert_ne!(out["time_zone"], "UTC");
}

#[tokio::test]
async fn admins_teams_tags_segments_attributes_match_the_api() {
    let h = Harness::start().await;

    let admins = h.ok("list_admins", json!({})).await;
    let api_admins = h.get("/admins").await;
    assert_eq!(
        arr(&admins, "admins").len(),
        arr(&api_admins, "admins").len()
    );
    for a in arr(&api_admins, "admins") {
        let mine = arr(&admins, "admins")
            .iter()
            .find(|m| m["id"] == id_of(&a["id"]))
            .expect("admin listed");
        assert_eq!(mine["name"], a["name"]);
        assert_eq!(
            mine["away"],
            a["away_mode_enabled"].as_bool().unwrap_or(false)
        );
    }
    let away = h.ok("list_admins", json!({"away": "true"})).await;
    let expected_away = arr(&api_admins, "admins")
        .iter()
        .filter(|a| a["away_mode_enabled"] == true)
        .count();
    assert_eq!(arr(&away, "admins").len(), expected_away);

    let teams = h.ok("list_teams", json!({})).await;
    let api_teams = h.get("/teams").await;
    assert_eq!(teams["total_count"], arr(&api_teams, "teams").len());
    let first = &arr(&api_teams, "teams")[0];
    let listed = arr(&teams, "teams")
        .iter()
        .find(|t| t["id"] == id_of(&first["id"]))
        .unwrap();
    assert_eq!(listed["name"], first["name"]);
    assert_eq!(
        listed["members"].as_array().unwrap().len(),
        first["admin_ids"].as_array().map_or(0, Vec::len)
    );

    let tags = h.ok("list_tags", json!({})).await;
    let api_tags = h.get("/tags").await;
    assert_eq!(arr(&tags, "tags").len(), arr(&api_tags, "data").len());

    let segments = h.ok("list_segments", json!({})).await;
    let api_segments = h.get("/segments").await;
    assert_eq!(
        arr(&segments, "segments").len(),
        arr(&api_segments, "segments").len()
    );

    let attrs = h
        .ok("list_data_attributes", json!({"model": "contact"}))
        .await;
    let api_attrs = h
        .api
        .send_json(
            intercom_api::Method::GET,
            "/data_attributes",
            &[("model", "contact")],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        arr(&attrs, "data_attributes").len(),
        arr(&api_attrs, "data").len()
    );
    assert!(
        arr(&attrs, "data_attributes")
            .iter()
            .all(|a| a["model"] == "contact")
    );
    let err = h
        .err("list_data_attributes", json!({"model": "planet"}))
        .await;
    assert!(err.contains("contact, company or conversation"), "{err}");
}

#[tokio::test]
async fn create_tag_creates_once_and_is_listed() {
    let h = Harness::start().await;
    let made = h.ok("create_tag", json!({"name": "mcp-test-tag"})).await;
    let again = h.ok("create_tag", json!({"name": "mcp-test-tag"})).await;
    assert_eq!(
        made["id"], again["id"],
        "creating the same tag twice returns the same tag"
    );
    let api_tags = h.get("/tags").await;
    let matching: Vec<&Value> = arr(&api_tags, "data")
        .iter()
        .filter(|t| t["name"] == "mcp-test-tag")
        .collect();
    assert_eq!(matching.len(), 1);
    assert_eq!(id_of(&matching[0]["id"]), made["id"]);
    // The cached tag list was refreshed: the new tag is listed at once.
    let listed = h
        .ok("list_tags", json!({"name_contains": "MCP-TEST"}))
        .await;
    assert_eq!(arr(&listed, "tags").len(), 1);
    let err = h.err("create_tag", json!({"name": "  "})).await;
    assert!(err.contains("empty"), "{err}");
}
