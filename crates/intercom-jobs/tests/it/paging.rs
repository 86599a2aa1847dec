//! Every search loop of analytics and bulk targets is bounded: a server that repeats
//! its cursor, names a cursor on its last page, or never ends is stopped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::Router;
use axum::extract::State;
use intercom_api::{Client, ClientConfig, Error, PageGuard, SearchQuery};
use intercom_jobs::analytics::source::{search_pages, search_pages_guarded};
use intercom_jobs::bulk::{TargetKind, TargetSpec, targets};
use serde_json::{Value, json};

/// How the mock answers the n-th search (0-based).
type Script = fn(usize) -> Value;

struct Mock {
    client: Client,
    requests: Arc<AtomicUsize>,
}

async fn mock(script: Script) -> Mock {
    let requests = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .fallback(
            |State((count, script)): State<(Arc<AtomicUsize>, Script)>| async move {
                let n = count.fetch_add(1, Ordering::SeqCst);
                Json(script(n))
            },
        )
        .with_state((requests.clone(), script));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client::new(
        ClientConfig::builder("test-token")
            .base_url(base.as_str())
            .build()
            .unwrap(),
    )
    .unwrap();
    Mock { client, requests }
}

fn conversations(n: usize, pages: Value) -> Value {
    json!({"type": "conversation.list", "total_count": 3,
           "conversations": [{"type": "conversation", "id": n.to_string()}], "pages": pages})
}

/// Prism's static example: the same placeholder cursor on every page.
fn stuck(n: usize) -> Value {
    conversations(
        n,
        json!({"type": "pages", "next": {"starting_after": "your-cursor-from-response"}}),
    )
}

fn page_count(mock: &Mock) -> usize {
    mock.requests.load(Ordering::SeqCst)
}

#[tokio::test]
async fn search_pages_stops_on_a_repeated_cursor() {
    let mock = mock(stuck).await;
    let query = SearchQuery::field("state").eq("open");
    let mut seen = 0;
    let result = search_pages(
        &mock.client,
        "/conversations/search",
        "conversations",
        &query,
        |items, _| {
            seen += items.len();
            Ok::<_, Error>(true)
        },
    )
    .await;
    match result {
        Err(Error::Paging { reason, .. }) => assert!(reason.contains("second time"), "{reason}"),
        other => panic!("expected a paging error, got {other:?}"),
    }
    assert_eq!(page_count(&mock), 2, "the repeated cursor is not followed");
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn search_pages_ends_at_total_pages_whatever_next_says() {
    let mock = mock(|n| {
        conversations(
            n,
            json!({"type": "pages", "page": n + 1, "total_pages": 2,
                   "next": {"starting_after": format!("c{n}")}}),
        )
    })
    .await;
    let mut seen = 0;
    search_pages(
        &mock.client,
        "/conversations/search",
        "conversations",
        &SearchQuery::field("state").eq("open"),
        |items, _| {
            seen += items.len();
            Ok::<_, Error>(true)
        },
    )
    .await
    .unwrap();
    assert_eq!(page_count(&mock), 2);
    assert_eq!(seen, 2);
}

#[tokio::test]
async fn search_pages_refuses_to_go_past_its_page_cap() {
    // A fresh cursor on every page, without end.
    let mock = mock(|n| {
        conversations(
            n,
            json!({"type": "pages", "next": {"starting_after": format!("c{n}")}}),
        )
    })
    .await;
    let result = search_pages_guarded(
        &mock.client,
        "/conversations/search",
        "conversations",
        &SearchQuery::field("state").eq("open"),
        PageGuard::with_max_pages("POST /conversations/search", 5),
        |_, _| Ok::<_, Error>(true),
    )
    .await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Paging { pages: 5, .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("cap of 5 pages"), "{text}");
    assert!(text.contains("narrow the request"), "{text}");
    assert_eq!(page_count(&mock), 5);
}

#[tokio::test]
async fn bulk_targets_from_a_query_stop_on_a_repeated_cursor() {
    let mock = mock(stuck).await;
    let spec = TargetSpec {
        query: Some(json!({"field": "state", "operator": "=", "value": "open"})),
        ..TargetSpec::default()
    };
    let err = targets::resolve(&mock.client, TargetKind::Conversation, &spec, 1_000)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("second time"), "{err}");
    assert_eq!(page_count(&mock), 2);
}
