//! The four pagination styles, as streams with caps and as single pages.

use crate::common;

use std::sync::{Arc, Mutex};

use common::*;
use futures::{StreamExt, TryStreamExt};
use intercom_api::{Company, Conversation, Error, SearchQuery};
use serde_json::{Value, json};

fn ids<T>(items: &[T], id: impl Fn(&T) -> Option<&str>) -> Vec<String> {
    items
        .iter()
        .map(|i| id(i).unwrap_or("?").to_owned())
        .collect()
}

/// Six conversations, two per page, cursors `p2` and `p3`.
fn conversation_page(cursor: Option<&str>) -> Value {
    let (items, next) = match cursor {
        None => (["1", "2"], Some("p2")),
        Some("p2") => (["3", "4"], Some("p3")),
        Some("p3") => (["5", "6"], None),
        Some(other) => panic!("unexpected cursor {other}"),
    };
    let mut pages = json!({"type": "pages", "per_page": 2, "total_pages": 3});
    if let Some(n) = next {
        pages["next"] = json!({"per_page": 2, "starting_after": n});
    }
    json!({"type": "conversation.list", "total_count": 6, "pages": pages,
           "conversations": items.iter().map(|id| json!({"type": "conversation", "id": id})).collect::<Vec<_>>()})
}

#[tokio::test]
async fn cursor_list_stream_follows_starting_after() {
    let server = scripted(|req, _| async move {
        assert_eq!(req.path, "/conversations");
        assert_eq!(req.query_param("per_page").as_deref(), Some("2"));
        ok(conversation_page(
            req.query_param("starting_after").as_deref(),
        ))
    })
    .await;
    let c = client(&server.base);
    let all: Vec<Conversation> = c
        .list_conversations_stream(Some(2), 100)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        ids(&all, |c| c.id.as_deref()),
        ["1", "2", "3", "4", "5", "6"]
    );
    assert_eq!(server.count(), 3);
    assert_eq!(
        server.request(1).query_param("starting_after").as_deref(),
        Some("p2")
    );
    assert_eq!(
        server.request(2).query_param("starting_after").as_deref(),
        Some("p3")
    );
}

#[tokio::test]
async fn cap_stops_fetching_pages() {
    let server = scripted(|req, _| async move {
        ok(conversation_page(
            req.query_param("starting_after").as_deref(),
        ))
    })
    .await;
    let c = client(&server.base);
    let three: Vec<Conversation> = c
        .list_conversations_stream(Some(2), 3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(three.len(), 3);
    assert_eq!(server.count(), 2, "the third page is never requested");
    let two: Vec<Conversation> = c
        .list_conversations_stream(Some(2), 2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    assert_eq!(
        server.count(),
        3,
        "a cap met by the first page fetches only it"
    );
}

#[tokio::test]
async fn single_page_exposes_cursor_and_total() {
    let server = scripted(|req, _| async move {
        ok(conversation_page(
            req.query_param("starting_after").as_deref(),
        ))
    })
    .await;
    let c = client(&server.base);
    let first = c.list_conversations(Some(2), None).await.unwrap();
    assert_eq!(first.total_count, Some(6));
    assert_eq!(first.next_cursor.as_deref(), Some("p2"));
    let last = c.list_conversations(Some(2), Some("p3")).await.unwrap();
    assert_eq!(ids(&last.items, |c| c.id.as_deref()), ["5", "6"]);
    assert!(last.is_last());
}

#[tokio::test]
async fn search_stream_carries_cursor_in_the_body() {
    let server = scripted(|req, _| async move {
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/tickets/search");
        let body = req.json();
        assert_eq!(body["query"], json!({"field": "open", "operator": "=", "value": true}));
        let cursor = body["pagination"]["starting_after"].as_str().map(str::to_owned);
        let (items, next) = match cursor.as_deref() {
            None => (vec!["t1", "t2"], Some("c2")),
            Some("c2") => (vec!["t3"], None),
            Some(o) => panic!("cursor {o}"),
        };
        let mut pages = json!({"type": "pages", "per_page": 2});
        if let Some(n) = next {
            pages["next"] = json!({"per_page": 2, "starting_after": n});
        }
        ok(json!({"type": "ticket.list", "total_count": 3, "pages": pages,
                  "tickets": items.iter().map(|i| json!({"type": "ticket", "id": i})).collect::<Vec<_>>()}))
    })
    .await;
    let tickets: Vec<_> = client(&server.base)
        .search_tickets_stream(SearchQuery::field("open").eq(true), Some(2), 50)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&tickets, |t| t.id.as_deref()), ["t1", "t2", "t3"]);
    assert_eq!(server.request(0).json()["pagination"]["per_page"], 2);
    assert_eq!(
        server.request(1).json()["pagination"]["starting_after"],
        "c2"
    );
}

#[tokio::test]
async fn page_number_stream_stops_at_total_pages() {
    let server = scripted(|req, _| async move {
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/companies/list");
        let page: u64 = req.query_param("page").unwrap().parse().unwrap();
        let items: Vec<Value> = (0..2)
            .map(|i| json!({"type": "company", "id": format!("co{}", (page - 1) * 2 + i)}))
            .collect();
        ok(json!({"type": "list", "data": items, "total_count": 6,
                  "pages": {"type": "pages", "page": page, "per_page": 2, "total_pages": 3}}))
    })
    .await;
    let c = client(&server.base);
    let all: Vec<Company> = c
        .list_companies_stream(Some(2), 100)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        ids(&all, |c| c.id.as_deref()),
        ["co0", "co1", "co2", "co3", "co4", "co5"]
    );
    assert_eq!(server.count(), 3);
    let one = c.list_companies(Some(3), Some(2)).await.unwrap();
    assert!(one.is_last());
    let mid = c.list_companies(Some(2), Some(2)).await.unwrap();
    assert_eq!(mid.next_page, Some(3));
}

#[tokio::test]
async fn pages_link_stream_follows_full_urls() {
    let base_cell: Arc<Mutex<String>> = Arc::default();
    let cell = base_cell.clone();
    let server = scripted(move |req, _| {
        let base = cell.lock().unwrap().clone();
        async move {
            assert_eq!(req.path, "/contacts/c1/companies");
            let page = req.query_param("page").unwrap_or_else(|| "1".into());
            let (items, next) = match page.as_str() {
                "1" => (vec!["a", "b"], Some(format!("{base}/contacts/c1/companies?page=2"))),
                "2" => (vec!["c"], None),
                o => panic!("page {o}"),
            };
            ok(json!({"type": "list", "total_count": 3,
                      "pages": {"type": "pages", "page": page.parse::<u32>().unwrap(), "next": next, "per_page": 2, "total_pages": 2},
                      "companies": items.iter().map(|i| json!({"type": "company", "id": i})).collect::<Vec<_>>()}))
        }
    })
    .await;
    *base_cell.lock().unwrap() = server.base.clone();
    let c = client(&server.base);
    let first = c.list_contact_companies(&id("c1")).await.unwrap();
    assert_eq!(
        first.next_url,
        Some(format!("{}/contacts/c1/companies?page=2", server.base))
    );
    let all: Vec<Company> = c
        .list_contact_companies_stream(&id("c1"), 10)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&all, |c| c.id.as_deref()), ["a", "b", "c"]);
    // The followed link still carries auth and version headers.
    let followed = server.request(2);
    assert!(followed.headers.contains_key("authorization"));
    assert_eq!(followed.headers["intercom-version"], "2.16");
}

#[tokio::test]
async fn pages_link_to_another_host_is_refused() {
    let server = scripted(|_, _| async move {
        ok(json!({"type": "list", "companies": [{"id": "a"}],
                  "pages": {"type": "pages", "next": "http://evil.example:9/contacts/c1/companies?page=2"}}))
    })
    .await;
    let results: Vec<_> = client(&server.base)
        .list_contact_companies_stream(&id("c1"), 10)
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    match &results[1] {
        Err(Error::Config(m)) => assert!(m.contains("another host"), "{m}"),
        other => panic!("expected refusal, got {other:?}"),
    }
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn scroll_stream_ends_on_empty_page() {
    let server = scripted(|req, _| async move {
        assert_eq!(req.path, "/companies/scroll");
        let (items, param) = match req.query_param("scroll_param").as_deref() {
            None => (vec!["s1", "s2"], "sp-1"),
            Some("sp-1") => (vec!["s3"], "sp-2"),
            Some("sp-2") => (vec![], "sp-3"),
            Some(o) => panic!("param {o}"),
        };
        ok(json!({"type": "list", "scroll_param": param,
                  "data": items.iter().map(|i| json!({"type": "company", "id": i})).collect::<Vec<_>>()}))
    })
    .await;
    let c = client(&server.base);
    let all: Vec<Company> = c.scroll_companies(100).try_collect().await.unwrap();
    assert_eq!(ids(&all, |c| c.id.as_deref()), ["s1", "s2", "s3"]);
    assert_eq!(server.count(), 3, "the empty page ends the scroll");
    let page = c.scroll_companies_page(Some("sp-1")).await.unwrap();
    assert_eq!(page.next_cursor.as_deref(), Some("sp-2"));
    let end = c.scroll_companies_page(Some("sp-2")).await.unwrap();
    assert!(end.items.is_empty() && end.is_last());
}

fn assert_paging_stopped<T: std::fmt::Debug>(results: &[Result<T, Error>], what: &str) {
    match results.last() {
        Some(Err(Error::Paging { reason, .. })) => {
            assert!(reason.contains("second time"), "{what}: {reason}")
        }
        other => panic!("{what}: expected a paging error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_repeating_its_cursor_stops_with_an_error() {
    let server = scripted(|_, _| async move {
        ok(
            json!({"type": "list", "data": [{"type": "contact", "id": "same"}],
                  "pages": {"type": "pages", "next": {"starting_after": "stuck"}}}),
        )
    })
    .await;
    let c = client(&server.base);
    let results: Vec<_> = c.list_contacts_stream(None, 100_000).collect().await;
    assert_eq!(server.count(), 2, "the repeated cursor is not followed");
    assert_paging_stopped(&results, "list");
    let query = SearchQuery::field("email").contains("@");
    let results: Vec<_> = c
        .search_contacts_stream(query, None, 100_000)
        .collect()
        .await;
    assert_eq!(server.count(), 4);
    assert_paging_stopped(&results, "search");
}

#[tokio::test]
async fn every_paging_style_stops_on_a_repeated_marker() {
    // Page numbers: the server always answers page 1 of 3.
    let server = scripted(|_, _| async move {
        ok(
            json!({"type": "list", "data": [{"type": "company", "id": "co"}],
                  "pages": {"type": "pages", "page": 1, "per_page": 1, "total_pages": 3}}),
        )
    })
    .await;
    let results: Vec<_> = client(&server.base)
        .list_companies_stream(Some(1), 100_000)
        .collect()
        .await;
    assert_eq!(server.count(), 2);
    assert_paging_stopped(&results, "page numbers");

    // Scroll: the same scroll_param every time.
    let server = scripted(|_, _| async move {
        ok(json!({"type": "list", "scroll_param": "sp", "data": [{"type": "company", "id": "s"}]}))
    })
    .await;
    let results: Vec<_> = client(&server.base)
        .scroll_companies(100_000)
        .collect()
        .await;
    assert_eq!(server.count(), 2);
    assert_paging_stopped(&results, "scroll");

    // pages_link: the same next URL every time.
    let base_cell: Arc<Mutex<String>> = Arc::default();
    let cell = base_cell.clone();
    let server = scripted(move |_, _| {
        let base = cell.lock().unwrap().clone();
        async move {
            ok(json!({"type": "list", "companies": [{"type": "company", "id": "a"}],
                      "pages": {"type": "pages", "next": format!("{base}/contacts/c1/companies?page=2")}}))
        }
    })
    .await;
    *base_cell.lock().unwrap() = server.base.clone();
    let results: Vec<_> = client(&server.base)
        .list_contact_companies_stream(&id("c1"), 100_000)
        .collect()
        .await;
    assert_eq!(server.count(), 2);
    assert_paging_stopped(&results, "pages_link");
}

#[tokio::test]
async fn the_last_page_by_total_pages_ends_a_cursor_stream_whatever_next_says() {
    // Page 2 of 2 still names a next cursor (Prism's static examples do this).
    let server = scripted(|req, _| async move {
        let page = if req.query_param("starting_after").is_some() {
            2
        } else {
            1
        };
        ok(
            json!({"type": "list", "data": [{"type": "contact", "id": format!("c{page}")}],
                  "pages": {"type": "pages", "page": page, "total_pages": 2,
                            "next": {"starting_after": format!("after-{page}")}}}),
        )
    })
    .await;
    let c = client(&server.base);
    let all: Vec<_> = c
        .list_contacts_stream(None, 100)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(server.count(), 2, "page 2 of 2 is not followed");
    let last = c.list_contacts(None, Some("after-1")).await.unwrap();
    assert!(
        last.is_last(),
        "a single page at total_pages offers no cursor"
    );
}

#[tokio::test]
async fn unusable_list_items_are_left_out_and_counted() {
    let server = scripted(|_, _| async move {
        ok(json!({"type": "list", "data": [
            null,
            {"type": "contact", "id": "good"},
            "a string where a contact belongs",
            {"type": "contact", "id": "also-good"},
        ]}))
    })
    .await;
    let page = client(&server.base)
        .list_contacts(None, None)
        .await
        .unwrap();
    assert_eq!(ids(&page.items, |c| c.id.as_deref()), ["good", "also-good"]);
    assert_eq!(page.skipped, 2);
    let tags = client(&server.base).list_tags().await.unwrap();
    assert_eq!(tags.skipped, 2, "plain lists count what they leave out too");
}

#[test]
fn page_guard_honours_total_pages_and_its_cap() {
    use intercom_api::PageGuard;
    let mut guard = PageGuard::new("GET /x");
    assert_eq!(
        guard.next(Some("2"), Some(1), Some(2)).unwrap().as_deref(),
        Some("2")
    );
    assert_eq!(
        guard.next(Some("3"), Some(2), Some(2)).unwrap(),
        None,
        "page 2 of 2 is the last"
    );
    let mut capped = PageGuard::with_max_pages("GET /x", 3);
    assert!(capped.next(Some("a"), None, None).unwrap().is_some());
    assert!(capped.next(Some("b"), None, None).unwrap().is_some());
    match capped.next(Some("c"), None, None) {
        Err(Error::Paging {
            pages: 3, reason, ..
        }) => assert!(reason.contains("cap of 3"), "{reason}"),
        other => panic!("expected the cap, got {other:?}"),
    }
}

#[tokio::test]
async fn errors_mid_stream_are_yielded_then_the_stream_ends() {
    let server = scripted(|req, _| async move {
        if req.query_param("starting_after").is_some() {
            reply(401, error_body("unauthorized", "Access Token Invalid"), &[])
        } else {
            ok(conversation_page(None))
        }
    })
    .await;
    let results: Vec<_> = client(&server.base)
        .list_conversations_stream(Some(2), 100)
        .collect()
        .await;
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    assert_eq!(results[2].as_ref().unwrap_err().status(), Some(401));
}
