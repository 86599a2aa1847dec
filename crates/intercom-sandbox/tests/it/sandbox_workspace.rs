//! Workspace routes, auth, version header, unknown routes and malformed input.

use crate::common;

use common::Harness;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn me_admins_and_teams_follow_the_spec_shapes() {
    let h = Harness::start().await;
    let me = h.ok(Method::GET, "/me", None).await;
    assert_eq!(me["type"], "admin");
    assert_eq!(me["app"]["type"], "app");
    assert!(me["app"]["id_code"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(me["avatar"]["type"], "avatar");

    let admins = h.ok(Method::GET, "/admins", None).await;
    assert_eq!(admins["type"], "admin.list");
    let first = &admins["admins"][0];
    let id = first["id"].as_str().unwrap();
    assert_eq!(me["id"], first["id"], "/me is the first admin");
    let one = h.ok(Method::GET, &format!("/admins/{id}"), None).await;
    assert_eq!(one["email"], first["email"]);

    let missing = h.get("/admins/1").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.code(), "admin_not_found");
    assert_eq!(missing.body["type"], "error.list");

    let teams = h.ok(Method::GET, "/teams", None).await;
    assert_eq!(teams["type"], "team.list");
    let team_id = teams["teams"][0]["id"].as_str().unwrap();
    let team = h.ok(Method::GET, &format!("/teams/{team_id}"), None).await;
    assert_eq!(team["id"], team_id);
    assert_eq!(h.get("/teams/999").await.code(), "team_not_found");
}

#[tokio::test]
async fn away_mode_is_written_and_read_back() {
    let h = Harness::start().await;
    let id = h.admin_id().await;
    let path = format!("/admins/{id}/away");
    let updated = h
        .ok(
            Method::PUT,
            &path,
            Some(json!({"away_mode_enabled": true, "away_mode_reassign": true})),
        )
        .await;
    assert_eq!(updated["away_mode_enabled"], true);
    let back = h.ok(Method::GET, &format!("/admins/{id}"), None).await;
    assert_eq!(back["away_mode_enabled"], true);
    assert_eq!(back["away_mode_reassign"], true);

    let missing = h.put(&path, json!({"away_mode_enabled": true})).await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.code(), "parameter_not_found");
    let wrong = h
        .put(
            &path,
            json!({"away_mode_enabled": "yes", "away_mode_reassign": false}),
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.body["errors"][0]["field"], "away_mode_enabled");
}

#[tokio::test]
async fn tags_are_created_renamed_found_and_deleted() {
    let h = Harness::start().await;
    let tag = h
        .ok(Method::POST, "/tags", Some(json!({"name": "sandbox-test"})))
        .await;
    let id = tag["id"].as_str().unwrap().to_string();
    assert_eq!(tag["type"], "tag");
    // Same name again: the same tag, not a duplicate.
    let again = h
        .ok(Method::POST, "/tags", Some(json!({"name": "sandbox-test"})))
        .await;
    assert_eq!(again["id"], tag["id"]);
    let renamed = h
        .ok(
            Method::POST,
            "/tags",
            Some(json!({"id": id, "name": "renamed"})),
        )
        .await;
    assert_eq!(renamed["name"], "renamed");
    let found = h.ok(Method::GET, &format!("/tags/{id}"), None).await;
    assert_eq!(found["name"], "renamed");
    let list = h.ok(Method::GET, "/tags", None).await;
    assert_eq!(list["type"], "list");
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id)
    );

    assert_eq!(h.delete(&format!("/tags/{id}")).await.status, 200);
    assert_eq!(h.get(&format!("/tags/{id}")).await.status, 404);
    assert_eq!(h.delete(&format!("/tags/{id}")).await.code(), "not_found");
    assert_eq!(
        h.post("/tags", json!({})).await.code(),
        "parameter_not_found"
    );
}

#[tokio::test]
async fn segments_data_attributes_ticket_types_and_help_centers_list() {
    let h = Harness::start().await;
    let segments = h.ok(Method::GET, "/segments", None).await;
    assert_eq!(segments["type"], "segment.list");
    let attributes = h
        .ok(Method::GET, "/data_attributes?model=company", None)
        .await;
    let data = attributes["data"].as_array().unwrap();
    assert!(!data.is_empty());
    assert!(data.iter().all(|a| a["model"] == "company"));
    let rejected = h.get("/data_attributes?model=conversation").await;
    assert_eq!(rejected.status, 422);

    let types = h.ok(Method::GET, "/ticket_types", None).await;
    let type_id = types["data"][0]["id"].as_str().unwrap();
    let one = h
        .ok(Method::GET, &format!("/ticket_types/{type_id}"), None)
        .await;
    assert_eq!(one["id"], type_id);
    let states = h.ok(Method::GET, "/ticket_states", None).await;
    assert!(
        states["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["category"] == "resolved")
    );
    let centers = h.ok(Method::GET, "/help_center/help_centers", None).await;
    assert_eq!(centers["type"], "list");
}

#[tokio::test]
async fn wrong_or_missing_token_gets_intercoms_401() {
    let h = Harness::start().await;
    for auth in [None, Some("Bearer wrong"), Some("sandbox-token")] {
        let mut request = h.client.get(h.url("/admins"));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let resp = request.send().await.unwrap();
        assert_eq!(resp.status(), 401, "auth {auth:?}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["type"], "error.list");
        assert_eq!(body["errors"][0]["code"], "unauthorized");
        assert_eq!(body["errors"][0]["message"], "Access Token Invalid");
        assert!(body["request_id"].is_string());
    }
}

#[tokio::test]
async fn version_header_is_checked_only_when_present() {
    let h = Harness::start().await;
    let send = |version: Option<&'static str>| {
        let mut request = h
            .client
            .get(h.url("/admins"))
            .bearer_auth(h.sandbox.token());
        if let Some(v) = version {
            request = request.header("Intercom-Version", v);
        }
        request.send()
    };
    assert_eq!(send(None).await.unwrap().status(), 200);
    assert_eq!(send(Some("2.14")).await.unwrap().status(), 200);
    let bad = send(Some("3.0")).await.unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "intercom_version_invalid");
}

#[tokio::test]
async fn unknown_routes_and_bad_bodies_get_intercom_errors() {
    let h = Harness::start().await;
    let unknown = h.get("/no/such/route").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.code(), "not_found");
    let wrong_method = h.call(Method::PATCH, "/contacts", Some(json!({}))).await;
    assert_eq!(wrong_method.status, 404);
    assert_eq!(wrong_method.code(), "not_found");

    let malformed = h
        .client
        .post(h.url("/contacts"))
        .bearer_auth(h.sandbox.token())
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let body: serde_json::Value = malformed.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "parameter_invalid");

    let not_object = h.post("/contacts", json!(["a"])).await;
    assert_eq!(not_object.status, 400);

    let huge = "x".repeat(6 * 1024 * 1024);
    let too_big = h
        .client
        .post(h.url("/contacts"))
        .bearer_auth(h.sandbox.token())
        .header("content-type", "application/json")
        .body(format!("{{\"name\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
    // Nothing was created by any of the rejected requests.
    let search = h
        .ok(
            Method::POST,
            "/contacts/search",
            Some(json!({"query": {"field": "name", "operator": "^", "value": "xxxx"}})),
        )
        .await;
    assert_eq!(search["total_count"], 0);
}
