//! Contacts: writes read back, pagination, search rules, merge, archive, notes, tags, companies.

use crate::common;

use std::collections::HashSet;

use common::{Harness, NOW};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn create_update_delete_read_back() {
    let h = Harness::start().await;
    let created = h
        .ok(
            Method::POST,
            "/contacts",
            Some(json!({"email": "ada@example.org", "name": "Ada", "custom_attributes": {"plan_tier": "gold"}})),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 24, "contact ids are 24-hex");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(created["email_domain"], "example.org");
    assert_eq!(created["role"], "user");

    let dup = h
        .post("/contacts", json!({"email": "ada@example.org"}))
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.code(), "conflict");

    let updated = h
        .ok(
            Method::PUT,
            &format!("/contacts/{id}"),
            Some(json!({"name": "Ada L.", "phone": "+1 555"})),
        )
        .await;
    assert_eq!(updated["name"], "Ada L.");
    let back = h.ok(Method::GET, &format!("/contacts/{id}"), None).await;
    assert_eq!(back["name"], "Ada L.");
    assert_eq!(back["phone"], "+1 555");
    assert_eq!(back["custom_attributes"]["plan_tier"], "gold");

    let wrong = h.put(&format!("/contacts/{id}"), json!({"name": 5})).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.body["errors"][0]["field"], "name");
    assert_eq!(
        h.ok(Method::GET, &format!("/contacts/{id}"), None).await["name"],
        "Ada L."
    );

    let deleted = h.ok(Method::DELETE, &format!("/contacts/{id}"), None).await;
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["id"], id.as_str());
    let gone = h.get(&format!("/contacts/{id}")).await;
    assert_eq!(gone.status, 404);

    let empty = h.post("/contacts", json!({"name": "no identity"})).await;
    assert_eq!(empty.status, 400);
    assert_eq!(empty.code(), "parameter_not_found");
}

#[tokio::test]
async fn list_pages_cover_every_contact_once() {
    let h = Harness::start().await;
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    let mut total: u64;
    let mut pages = 0;
    loop {
        let path = match &after {
            Some(c) => format!("/contacts?per_page=7&starting_after={c}"),
            None => "/contacts?per_page=7".to_string(),
        };
        let page = h.ok(Method::GET, &path, None).await;
        assert_eq!(page["type"], "list");
        total = page["total_count"].as_u64().unwrap();
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 7);
        for c in data {
            assert!(
                seen.insert(c["id"].as_str().unwrap().to_string()),
                "no repeats"
            );
        }
        pages += 1;
        assert_eq!(page["pages"]["page"], pages);
        match page["pages"]["next"]["starting_after"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
    }
    assert!(
        total > 7,
        "tiny workspace has more than one page of contacts"
    );
    assert_eq!(seen.len() as u64, total);
    let bad = h.get("/contacts?starting_after=garbage!").await;
    assert_eq!(bad.status, 400);
}

async fn search(h: &Harness, query: Value) -> Value {
    h.search("/contacts/search", query).await
}

fn ids(result: &Value) -> HashSet<String> {
    common::ids_in(result, "data")
}

#[tokio::test]
async fn search_operators_and_nesting() {
    let h = Harness::start().await;
    let a = h.new_contact("zed.alpha@search-test.io").await;
    let b = h.new_contact("zed.beta@search-test.io").await;
    let c = h.new_contact("other@elsewhere.io").await;

    let eq = search(
        &h,
        json!({"field": "email", "operator": "=", "value": "zed.alpha@search-test.io"}),
    )
    .await;
    assert_eq!(ids(&eq), HashSet::from([a.clone()]));
    let domain = search(
        &h,
        json!({"field": "email_domain", "operator": "=", "value": "search-test.io"}),
    )
    .await;
    assert_eq!(ids(&domain), HashSet::from([a.clone(), b.clone()]));
    let starts = search(
        &h,
        json!({"field": "email", "operator": "^", "value": "zed."}),
    )
    .await;
    assert_eq!(ids(&starts), HashSet::from([a.clone(), b.clone()]));
    let ends = search(
        &h,
        json!({"field": "email", "operator": "$", "value": "elsewhere.io"}),
    )
    .await;
    assert_eq!(ids(&ends), HashSet::from([c.clone()]));
    let contains = search(
        &h,
        json!({"field": "name", "operator": "~", "value": "BETA"}),
    )
    .await;
    assert_eq!(ids(&contains), HashSet::from([b.clone()]));
    let within = search(
        &h,
        json!({"field": "id", "operator": "IN", "value": [a, c]}),
    )
    .await;
    assert_eq!(within["total_count"], 2);
    let group = search(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "email_domain", "operator": "=", "value": "search-test.io"},
            {"operator": "OR", "value": [
                {"field": "name", "operator": "=", "value": "zed.beta"},
                {"field": "name", "operator": "=", "value": "nobody"}
            ]}
        ]}),
    )
    .await;
    assert_eq!(ids(&group), HashSet::from([b.clone()]));
    let not = search(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "email_domain", "operator": "=", "value": "search-test.io"},
            {"field": "name", "operator": "!~", "value": "alpha"}
        ]}),
    )
    .await;
    assert_eq!(ids(&not), HashSet::from([b]));
}

#[tokio::test]
async fn search_limits_and_type_errors_are_400() {
    let h = Harness::start().await;
    let leaf = json!({"field": "role", "operator": "=", "value": "user"});
    let three_levels = json!({"operator": "AND", "value": [
        {"operator": "OR", "value": [{"operator": "AND", "value": [leaf.clone()]}]}
    ]});
    let too_deep = h
        .post("/contacts/search", json!({"query": three_levels}))
        .await;
    assert_eq!(too_deep.status, 400);
    let sixteen: Vec<Value> = (0..16).map(|_| leaf.clone()).collect();
    let too_many = h
        .post(
            "/contacts/search",
            json!({"query": {"operator": "OR", "value": sixteen}}),
        )
        .await;
    assert_eq!(too_many.status, 400);
    let fifteen: Vec<Value> = (0..15).map(|_| leaf.clone()).collect();
    let fine = h
        .post(
            "/contacts/search",
            json!({"query": {"operator": "OR", "value": fifteen}}),
        )
        .await;
    assert_eq!(fine.status, 200);

    for bad in [
        json!({"field": "created_at", "operator": "=", "value": "foobar"}),
        json!({"field": "created_at", "operator": ">=", "value": NOW}),
        json!({"field": "created_at", "operator": "!=", "value": NOW}),
        json!({"field": "tag_id", "operator": "IN", "value": ["1"]}),
        json!({"field": "email", "operator": ">", "value": "a"}),
        json!({"field": "no_such_field", "operator": "=", "value": "a"}),
        json!({"field": "email", "operator": "LIKE", "value": "a"}),
        json!({"field": "email", "operator": "IN", "value": "not-an-array"}),
    ] {
        let resp = h
            .post("/contacts/search", json!({"query": bad.clone()}))
            .await;
        assert_eq!(resp.status, 400, "{bad}");
        assert_eq!(resp.body["type"], "error.list");
    }
    let missing = h.post("/contacts/search", json!({})).await;
    assert_eq!(missing.code(), "parameter_not_found");
    let bad_sort = h
        .post(
            "/contacts/search",
            json!({"query": leaf, "sort": {"field": "created_at", "order": "desc"}}),
        )
        .await;
    assert_eq!(bad_sort.code(), "invalid_sort_order");
}

#[tokio::test]
async fn contact_date_search_matches_whole_days() {
    let h = Harness::start().await;
    // Contacts created now: the workspace clock starts at NOW.
    let id = h.new_contact("dates@search-test.io").await;
    let created = h.ok(Method::GET, &format!("/contacts/{id}"), None).await["created_at"]
        .as_i64()
        .unwrap();
    let tz: chrono_tz::Tz = h.ok(Method::GET, "/me", None).await["app"]["timezone"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    use chrono::TimeZone;
    let day = tz.timestamp_opt(created, 0).unwrap().date_naive();
    let midnight = tz
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .timestamp();
    let ours = |query: Value| json!({"operator": "AND", "value": [query, {"field": "email", "operator": "=", "value": "dates@search-test.io"}]});
    // `=` with any instant of that day matches; `>` that day does not (starts next day);
    // `<` the next day's instant matches, `<` that same day does not.
    let same_day_late = midnight + 86_399;
    assert_eq!(
        search(
            &h,
            ours(json!({"field": "created_at", "operator": "=", "value": same_day_late}))
        )
        .await["total_count"],
        1
    );
    assert_eq!(
        search(
            &h,
            ours(json!({"field": "created_at", "operator": ">", "value": midnight}))
        )
        .await["total_count"],
        0
    );
    assert_eq!(
        search(
            &h,
            ours(json!({"field": "created_at", "operator": ">", "value": midnight - 1}))
        )
        .await["total_count"],
        1
    );
    assert_eq!(
        search(
            &h,
            ours(json!({"field": "created_at", "operator": "<", "value": created}))
        )
        .await["total_count"],
        0
    );
    assert_eq!(
        search(
            &h,
            ours(json!({"field": "created_at", "operator": "<", "value": midnight + 86_400}))
        )
        .await["total_count"],
        1
    );
}

#[tokio::test]
async fn search_pagination_walks_all_results() {
    let h = Harness::start().await;
    let query = json!({"field": "role", "operator": "IN", "value": ["user", "lead"]});
    let everything = search(&h, query.clone()).await;
    let total = everything["total_count"].as_u64().unwrap();
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    loop {
        let mut body = json!({"query": query, "pagination": {"per_page": 4}});
        if let Some(c) = &after {
            body["pagination"]["starting_after"] = json!(c);
        }
        let page = h.ok(Method::POST, "/contacts/search", Some(body)).await;
        assert_eq!(page["total_count"].as_u64().unwrap(), total);
        for c in page["data"].as_array().unwrap() {
            assert!(seen.insert(c["id"].as_str().unwrap().to_string()));
        }
        match page["pages"]["next"]["starting_after"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, total);
    let big = h
        .ok(
            Method::POST,
            "/contacts/search",
            Some(json!({"query": query, "pagination": {"per_page": 500}})),
        )
        .await;
    assert_eq!(big["pages"]["per_page"], 150, "per_page is capped at 150");
}

#[tokio::test]
async fn merge_moves_the_lead_into_the_user_and_answers_410_after() {
    let h = Harness::start().await;
    let lead = h
        .ok(Method::POST, "/contacts", Some(json!({"role": "lead", "email": "merge@example.org", "custom_attributes": {"source": "ad"}})))
        .await;
    let user = h
        .ok(
            Method::POST,
            "/contacts",
            Some(json!({"role": "user", "email": "merge@example.org", "external_id": "u-merge"})),
        )
        .await;
    let (lead_id, user_id) = (lead["id"].as_str().unwrap(), user["id"].as_str().unwrap());
    let other = h.new_contact("unrelated@example.org").await;
    let refused = h
        .post("/contacts/merge", json!({"from": other, "into": user_id}))
        .await;
    assert_eq!(refused.code(), "invalid_merge");

    let merged = h
        .ok(
            Method::POST,
            "/contacts/merge",
            Some(json!({"from": lead_id, "into": user_id})),
        )
        .await;
    assert_eq!(merged["id"], user_id);
    assert_eq!(merged["custom_attributes"]["source"], "ad");
    let gone = h.get(&format!("/contacts/{lead_id}")).await;
    assert_eq!(gone.status, 410);
    assert_eq!(gone.code(), "contact_merged");
    assert!(gone.header("link").unwrap().contains(user_id));
    let searched = search(
        &h,
        json!({"field": "email", "operator": "=", "value": "merge@example.org"}),
    )
    .await;
    assert_eq!(ids(&searched), HashSet::from([user_id.to_string()]));
}

#[tokio::test]
async fn archive_notes_tags_and_companies() {
    let h = Harness::start().await;
    let id = h.new_contact("rel@example.org").await;

    let archived = h
        .ok(Method::POST, &format!("/contacts/{id}/archive"), None)
        .await;
    assert_eq!(archived["archived"], true);
    let hidden = search(&h, json!({"field": "id", "operator": "=", "value": id})).await;
    assert_eq!(hidden["total_count"], 0);
    h.ok(Method::POST, &format!("/contacts/{id}/unarchive"), None)
        .await;
    assert_eq!(
        search(&h, json!({"field": "id", "operator": "=", "value": id})).await["total_count"],
        1
    );

    let note = h
        .ok(
            Method::POST,
            &format!("/contacts/{id}/notes"),
            Some(json!({"body": "Called them"})),
        )
        .await;
    assert_eq!(note["body"], "<p>Called them</p>");
    let notes = h
        .ok(Method::GET, &format!("/contacts/{id}/notes"), None)
        .await;
    assert_eq!(notes["data"][0]["id"], note["id"]);
    let one = h
        .ok(
            Method::GET,
            &format!("/notes/{}", note["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(one["contact"]["id"], id.as_str());
    assert_eq!(
        h.post(
            "/contacts/000000000000000000000000/notes",
            json!({"body": "x"})
        )
        .await
        .status,
        404
    );

    let tag = h
        .ok(Method::POST, "/tags", Some(json!({"name": "vip-test"})))
        .await;
    let tag_id = tag["id"].as_str().unwrap();
    h.ok(
        Method::POST,
        &format!("/contacts/{id}/tags"),
        Some(json!({"id": tag_id})),
    )
    .await;
    let tags = h
        .ok(Method::GET, &format!("/contacts/{id}/tags"), None)
        .await;
    assert_eq!(tags["data"][0]["id"], tag_id);
    let by_tag = search(
        &h,
        json!({"field": "tag_id", "operator": "=", "value": tag_id}),
    )
    .await;
    assert_eq!(ids(&by_tag), HashSet::from([id.clone()]));
    h.ok(
        Method::DELETE,
        &format!("/contacts/{id}/tags/{tag_id}"),
        None,
    )
    .await;
    assert_eq!(
        search(
            &h,
            json!({"field": "tag_id", "operator": "=", "value": tag_id})
        )
        .await["total_count"],
        0
    );

    let company = h
        .ok(
            Method::POST,
            "/companies",
            Some(json!({"company_id": "rel-co", "name": "Rel Co"})),
        )
        .await;
    let company_id = company["id"].as_str().unwrap();
    let attached = h
        .ok(
            Method::POST,
            &format!("/contacts/{id}/companies"),
            Some(json!({"id": company_id})),
        )
        .await;
    assert_eq!(attached["user_count"], 1);
    let listed = h
        .ok(Method::GET, &format!("/contacts/{id}/companies"), None)
        .await;
    assert_eq!(listed["companies"][0]["id"], company_id);
    let members = h
        .ok(
            Method::GET,
            &format!("/companies/{company_id}/contacts"),
            None,
        )
        .await;
    assert_eq!(members["data"][0]["id"], id.as_str());
    let detached = h
        .ok(
            Method::DELETE,
            &format!("/contacts/{id}/companies/{company_id}"),
            None,
        )
        .await;
    assert_eq!(detached["user_count"], 0);
    let missing = h
        .post(&format!("/contacts/{id}/companies"), json!({}))
        .await;
    assert_eq!(missing.code(), "parameter_not_found");
}

#[tokio::test]
async fn segments_follow_contact_data() {
    let h = Harness::start().await;
    let segments = h
        .ok(Method::GET, "/segments?include_count=true", None)
        .await;
    let find = |segments: &Value, name: &str| {
        segments["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("segment {name}"))
    };
    let leads = find(&segments, "All leads");
    let leads_id = leads["id"].as_str().unwrap().to_string();
    let before = leads["count"].as_u64().unwrap();

    let lead = h
        .ok(
            Method::POST,
            "/contacts",
            Some(json!({"role": "lead", "email": "seg@example.org"})),
        )
        .await;
    let lead_id = lead["id"].as_str().unwrap();
    let after = h
        .ok(Method::GET, "/segments?include_count=true", None)
        .await;
    assert_eq!(
        find(&after, "All leads")["count"].as_u64().unwrap(),
        before + 1
    );
    let of_lead = h
        .ok(Method::GET, &format!("/contacts/{lead_id}/segments"), None)
        .await;
    assert!(
        of_lead["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == leads_id.as_str())
    );
    let searched = search(
        &h,
        json!({"operator": "AND", "value": [
            {"field": "segment_id", "operator": "=", "value": leads_id},
            {"field": "email", "operator": "=", "value": "seg@example.org"}
        ]}),
    )
    .await;
    assert_eq!(ids(&searched), HashSet::from([lead_id.to_string()]));

    // Becoming a user takes the contact out of the leads segment.
    h.ok(
        Method::PUT,
        &format!("/contacts/{lead_id}"),
        Some(json!({"role": "user"})),
    )
    .await;
    let of_user = h
        .ok(Method::GET, &format!("/contacts/{lead_id}/segments"), None)
        .await;
    assert!(
        !of_user["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == leads_id.as_str())
    );
    let plain = h.ok(Method::GET, "/segments", None).await;
    assert!(plain["segments"][0].get("count").is_none());
}
