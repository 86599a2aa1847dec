//! Search query builder: serialisation, every validation rule (naming the filter), JSON parsing,
//! and the request body actually sent.

use crate::common;

use common::*;
use futures::StreamExt;
use intercom_api::{Error, Operator, SearchQuery, SearchRequest, SortOrder};
use serde_json::json;

fn invalid(q: &SearchQuery) -> String {
    match q.validate() {
        Err(Error::InvalidQuery(m)) => m,
        other => panic!("expected InvalidQuery, got {other:?}"),
    }
}

#[test]
fn builds_intercoms_json() {
    let q = SearchQuery::and([
        SearchQuery::field("state").eq("open"),
        SearchQuery::field("admin_assignee_id").eq(0),
        SearchQuery::or([
            SearchQuery::field("priority").is_in(["high", "urgent"]),
            SearchQuery::field("snoozed_until").eq(None::<i64>),
            SearchQuery::field("read").ne(true),
        ]),
        SearchQuery::field("source.subject").contains("refund"),
        SearchQuery::field("created_at").gt(1_700_000_000),
    ]);
    q.validate().unwrap();
    assert_eq!(q.depth(), 2);
    assert_eq!(
        q.to_json(),
        json!({"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "admin_assignee_id", "operator": "=", "value": 0},
            {"operator": "OR", "value": [
                {"field": "priority", "operator": "IN", "value": ["high", "urgent"]},
                {"field": "snoozed_until", "operator": "=", "value": null},
                {"field": "read", "operator": "!=", "value": true}
            ]},
            {"field": "source.subject", "operator": "~", "value": "refund"},
            {"field": "created_at", "operator": ">", "value": 1700000000}
        ]})
    );
}

#[test]
fn every_operator_round_trips() {
    for op in Operator::ALL {
        assert_eq!(Operator::parse(op.symbol()), Some(op));
    }
    assert_eq!(Operator::parse("in"), Some(Operator::In));
    assert_eq!(Operator::parse("=="), None);
}

#[test]
fn three_levels_of_nesting_are_rejected_naming_the_filter() {
    let q = SearchQuery::and([SearchQuery::or([SearchQuery::and([SearchQuery::field(
        "tag_ids",
    )
    .eq("12")])])]);
    let m = invalid(&q);
    assert!(m.contains("`tag_ids =`"), "{m}");
    assert!(m.contains("at most 2"), "{m}");
}

#[test]
fn more_than_fifteen_filters_in_a_group_are_rejected() {
    let fifteen: Vec<_> = (0..15)
        .map(|i| SearchQuery::field(format!("f{i}")).eq(i))
        .collect();
    SearchQuery::and(fifteen.clone()).validate().unwrap();
    let mut sixteen = fifteen;
    sixteen.push(SearchQuery::field("contact_ids").ne("x"));
    let m = invalid(&SearchQuery::or(sixteen));
    assert!(m.contains("16 entries"), "{m}");
    assert!(m.contains("`contact_ids !=`"), "{m}");
}

#[test]
fn in_and_nin_need_arrays() {
    let m = invalid(&SearchQuery::field("state").op(Operator::In, "open"));
    assert!(m.contains("`state IN`") && m.contains("array"), "{m}");
    let m = invalid(&SearchQuery::field("id").op(Operator::Nin, 5));
    assert!(m.contains("`id NIN`"), "{m}");
    // And arrays only with IN/NIN.
    let m = invalid(&SearchQuery::field("id").op(Operator::Eq, vec![1, 2]));
    assert!(m.contains("`id =`"), "{m}");
}

#[test]
fn string_operators_need_strings() {
    for op in [
        Operator::Contains,
        Operator::NotContains,
        Operator::StartsWith,
        Operator::EndsWith,
    ] {
        let m = invalid(&SearchQuery::field("created_at").op(op, 5));
        assert!(m.contains(&format!("`created_at {}`", op.symbol())), "{m}");
        assert!(m.contains("strings only"), "{m}");
    }
    SearchQuery::field("email")
        .ends_with("@example.com")
        .validate()
        .unwrap();
}

#[test]
fn empty_group_and_field_are_rejected() {
    assert!(invalid(&SearchQuery::and([])).contains("no filters"));
    assert!(invalid(&SearchQuery::field(" ").eq(1)).contains("empty field"));
}

#[test]
fn raw_json_parses_and_is_validated() {
    let raw = json!({"operator": "or", "value": [
        {"field": "email", "operator": "$", "value": "@acme.io"},
        {"field": "role", "operator": "=", "value": "lead"}
    ]});
    let q = SearchQuery::from_json(&raw).unwrap();
    assert_eq!(
        q,
        SearchQuery::or([
            SearchQuery::field("email").ends_with("@acme.io"),
            SearchQuery::field("role").eq("lead"),
        ])
    );
    // Same rules as the builder, naming the filter.
    let bad = json!({"field": "tag_ids", "operator": "IN", "value": "1"});
    let e = SearchQuery::from_json(&bad).unwrap_err().to_string();
    assert!(e.contains("`tag_ids IN`"), "{e}");
    let deep = json!({"operator": "AND", "value": [{"operator": "OR", "value": [
        {"operator": "AND", "value": [{"field": "open", "operator": "=", "value": true}]}]}]});
    let e = SearchQuery::from_json(&deep).unwrap_err().to_string();
    assert!(e.contains("`open =`"), "{e}");
    let unknown = json!({"field": "state", "operator": "LIKE", "value": "x"});
    let e = SearchQuery::from_json(&unknown).unwrap_err().to_string();
    assert!(
        e.contains("`state LIKE`") && e.contains("unknown operator"),
        "{e}"
    );
    let object_value = json!({"field": "state", "operator": "=", "value": {"a": 1}});
    assert!(SearchQuery::from_json(&object_value).is_err());
    assert!(SearchQuery::from_json(&json!("state = open")).is_err());
    assert!(SearchQuery::from_json(&json!({"operator": "AND"})).is_err());
}

#[tokio::test]
async fn invalid_query_is_never_sent() {
    let server = scripted(|_, _| async move { ok(json!({"type": "list", "data": []})) }).await;
    let bad = SearchRequest::new(SearchQuery::field("name").op(Operator::Contains, 3));
    let err = client(&server.base)
        .search_contacts(&bad)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidQuery(_)));
    let mut stream = Box::pin(client(&server.base).search_tickets_stream(
        SearchQuery::field("state").op(Operator::In, "x"),
        None,
        10,
    ));
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::InvalidQuery(_)))
    ));
    assert!(stream.next().await.is_none());
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn request_body_carries_query_pagination_and_sort() {
    let server = scripted(|_, _| async move {
        ok(
            json!({"type": "list", "data": [{"type": "contact", "id": "c9"}], "total_count": 1,
                  "pages": {"type": "pages", "page": 1, "per_page": 5, "total_pages": 1}}),
        )
    })
    .await;
    let req = SearchRequest::new(SearchQuery::field("email").eq("a@b.io"))
        .per_page(5)
        .starting_after("abc==")
        .sort("created_at", SortOrder::Descending);
    let page = client(&server.base).search_contacts(&req).await.unwrap();
    assert_eq!(page.items[0].id.as_deref(), Some("c9"));
    assert_eq!(page.total_count, Some(1));
    assert!(page.is_last());
    let sent = server.request(0);
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/contacts/search");
    assert_eq!(
        sent.json(),
        json!({"query": {"field": "email", "operator": "=", "value": "a@b.io"},
               "pagination": {"per_page": 5, "starting_after": "abc=="},
               "sort": {"field": "created_at", "order": "descending"}})
    );
}

#[tokio::test]
async fn find_contact_by_email_uses_search() {
    let server = scripted(|req, _| async move {
        let q = req.json();
        if q["query"]["value"] == "known@x.io" {
            ok(json!({"type": "list", "data": [{"type": "contact", "id": "k1", "email": "known@x.io"}]}))
        } else {
            ok(json!({"type": "list", "data": [], "total_count": 0}))
        }
    })
    .await;
    let c = client(&server.base);
    let found = c.find_contact_by_email("known@x.io").await.unwrap();
    assert_eq!(found.and_then(|c| c.id).as_deref(), Some("k1"));
    assert!(
        c.find_contact_by_email("nobody@x.io")
            .await
            .unwrap()
            .is_none()
    );
    let ext = server.request(0).json();
    assert_eq!(ext["query"]["field"], "email");
}
