//! Answers the 2.16 spec allows but the sandbox never gives, from a small local mock:
//! a write whose answer cannot be read is reported as applied (never as failed, never
//! repeated); a read whose answer cannot be read says nothing changed; an object that
//! comes back without an id never becomes an empty id in a request; resources decide
//! "not found" by the error's kind.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, extract::Request};
use intercom_mcp_server::inprocess::InProcessClient;
use rmcp::model::ReadResourceRequestParams;
use serde_json::{Value, json};

use crate::common::{all_tools, server_for, text};

#[derive(Default)]
struct Counts {
    ticket_puts: AtomicUsize,
    tag_posts: AtomicUsize,
    company_writes: AtomicUsize,
    other: AtomicUsize,
}

type Shared = State<Arc<Counts>>;

fn error_list(status: u16, code: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        Json(json!({"type": "error.list", "errors": [{"code": code, "message": message}]})),
    )
        .into_response()
}

async fn me() -> Json<Value> {
    Json(json!({"type": "admin", "id": "1", "name": "Ada", "email": "ada@example.com"}))
}

/// Refused (400, never retried), so every step after a write that reads the directory fails.
async fn admins() -> Response {
    error_list(400, "parameter_invalid", "the admin list is unavailable")
}

async fn teams() -> Json<Value> {
    Json(json!({"type": "team.list", "teams": []}))
}

/// A tag record without an id, as Prism's dynamic mode answers.
async fn tags() -> Json<Value> {
    Json(json!({"type": "list", "data": [{"type": "tag", "name": "vip"}]}))
}

async fn put_ticket(State(c): Shared, Path(id): Path<String>) -> Response {
    c.ticket_puts.fetch_add(1, Ordering::SeqCst);
    if id == "88" {
        Json(json!({"type": "ticket", "id": "88", "ticket_attributes": {"_default_title_": "x"}}))
            .into_response()
    } else {
        Json(Value::Null).into_response()
    }
}

async fn get_ticket() -> Json<Value> {
    Json(Value::Null)
}

async fn post_contact_tag(State(c): Shared) -> Json<Value> {
    c.tag_posts.fetch_add(1, Ordering::SeqCst);
    Json(json!({"type": "tag", "id": "1", "name": "vip"}))
}

async fn get_contact(Path(id): Path<String>) -> Response {
    if id == "merged1" {
        return error_list(410, "contact_merged", "this contact was merged");
    }
    Json(json!({"type": "contact", "id": id, "role": "user", "email": "c@example.com"}))
        .into_response()
}

/// A company found by `company_id` whose record has no id.
async fn find_companies(Query(q): Query<Vec<(String, String)>>) -> Response {
    if q.iter().any(|(k, _)| k == "company_id") {
        return Json(json!({"type": "company", "name": "Acme", "company_id": "acme"}))
            .into_response();
    }
    error_list(404, "company_not_found", "no company")
}

async fn company_write(State(c): Shared) -> Json<Value> {
    c.company_writes.fetch_add(1, Ordering::SeqCst);
    Json(json!({"type": "company", "id": "x"}))
}

async fn fallback(State(c): Shared, req: Request) -> Response {
    c.other.fetch_add(1, Ordering::SeqCst);
    error_list(
        404,
        "not_found",
        &format!("{} {} is not mocked", req.method(), req.uri().path()),
    )
}

async fn start() -> (InProcessClient, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let app = Router::new()
        .route("/me", get(me))
        .route("/admins", get(admins))
        .route("/teams", get(teams))
        .route("/tags", get(tags))
        .route("/tickets/{id}", put(put_ticket).get(get_ticket))
        .route("/contacts/{id}", get(get_contact))
        .route("/contacts/{id}/tags", post(post_contact_tag))
        .route(
            "/contacts/{id}/companies",
            post(company_write).delete(company_write),
        )
        .route(
            "/contacts/{id}/companies/{company}",
            axum::routing::delete(company_write),
        )
        .route("/companies", get(find_companies))
        .fallback(fallback)
        .with_state(counts.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = InProcessClient::connect(server_for(&base, "test-token", all_tools()))
        .await
        .unwrap();
    (client, counts)
}

#[tokio::test]
async fn a_write_whose_answer_cannot_be_read_is_reported_as_applied_once() {
    let (client, counts) = start().await;
    let result = client
        .call("update_ticket", json!({"id": "77", "open": false}))
        .await
        .unwrap();
    let said = text(&result);
    assert!(said.starts_with("Applied"), "{said}");
    assert!(said.contains("PUT /tickets/77"), "names the ticket: {said}");
    assert!(said.contains("could not be read"), "{said}");
    assert!(said.contains("do not send it again"), "{said}");
    assert!(!said.contains("Error:"), "{said}");
    assert!(!said.contains("send_json"), "{said}");
    // A success, not a failure: the structured outcome says applied.
    assert_ne!(
        result.is_error,
        Some(true),
        "a landed write is not an error"
    );
    let outcome = result
        .structured_content
        .clone()
        .expect("structured outcome");
    assert_eq!(outcome["applied"], true, "{outcome}");
    assert_eq!(outcome["message"], said.as_str());
    let meta = result.meta.expect("_meta carries the outcome");
    assert_eq!(meta.0["intercom-mcp/error"]["kind"], "applied_unreadable");
    assert_eq!(meta.0["intercom-mcp/error"]["applied"], true);
    assert_eq!(
        counts.ticket_puts.load(Ordering::SeqCst),
        1,
        "the write is sent once, not repeated"
    );
    // The listed output schema admits this outcome beside the tool's own result.
    let tools = client.peer().list_all_tools().await.unwrap();
    let update = tools.iter().find(|t| t.name == "update_ticket").unwrap();
    let schema = Value::Object((**update.output_schema.as_ref().unwrap()).clone());
    assert_eq!(schema["type"], "object");
    let branches = schema["anyOf"].as_array().expect("anyOf");
    assert_eq!(branches.len(), 2, "{schema}");
    assert_eq!(branches[1]["properties"]["applied"]["const"], true);
    assert!(branches[0]["properties"].is_object(), "{schema}");
    let get = tools.iter().find(|t| t.name == "get_ticket").unwrap();
    let read_schema = get.output_schema.as_ref().unwrap();
    assert!(
        !read_schema.contains_key("anyOf"),
        "a read tool keeps its own schema"
    );
}

#[tokio::test]
async fn a_failure_after_a_write_landed_is_reported_as_applied() {
    let (client, counts) = start().await;
    // The PUT answers a good ticket; reading the admin directory afterwards fails.
    let result = client
        .call("update_ticket", json!({"id": "88", "open": false}))
        .await
        .unwrap();
    let said = text(&result);
    assert!(said.starts_with("Applied: ticket 88 was updated"), "{said}");
    assert!(said.contains("admin list is unavailable"), "{said}");
    assert_ne!(
        result.is_error,
        Some(true),
        "a landed write is not an error"
    );
    assert_eq!(result.structured_content.as_ref().unwrap()["id"], "88");
    assert_eq!(result.meta.unwrap().0["intercom-mcp/error"]["id"], "88");
    assert_eq!(counts.ticket_puts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_read_whose_answer_cannot_be_read_is_an_error_that_changed_nothing() {
    let (client, _) = start().await;
    let result = client
        .call("get_ticket", json!({"id": "77"}))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    let said = text(&result);
    assert!(said.starts_with("Error: "), "{said}");
    assert!(said.contains("Nothing was changed"), "{said}");
    assert!(!said.contains("Applied"), "{said}");
    assert_eq!(
        result.meta.unwrap().0["intercom-mcp/error"]["kind"],
        "upstream"
    );
}

#[tokio::test]
async fn a_tag_without_an_id_is_a_clear_error_and_nothing_is_sent() {
    let (client, counts) = start().await;
    let result = client
        .call("tag_contact", json!({"id": "c1", "add": ["vip"]}))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    let said = text(&result);
    assert!(said.contains("the tag `vip` has no id"), "{said}");
    assert_eq!(
        counts.tag_posts.load(Ordering::SeqCst),
        0,
        "no POST /contacts/c1/tags {{\"id\":\"\"}}"
    );
}

#[tokio::test]
async fn a_company_without_an_id_is_a_clear_error_and_nothing_is_sent() {
    let (client, counts) = start().await;
    for detach in [false, true] {
        let result = client
            .call(
                "attach_contact_to_company",
                json!({"contact_id": "c1", "company": "acme", "detach": detach}),
            )
            .await
            .unwrap();
        assert_eq!(result.is_error, Some(true));
        let said = text(&result);
        assert!(said.contains("has no id"), "{said}");
    }
    assert_eq!(
        counts.company_writes.load(Ordering::SeqCst),
        0,
        "no DELETE /contacts/c1/companies/ and no POST with an empty id"
    );
}

#[tokio::test]
async fn resources_choose_not_found_by_kind_not_by_words() {
    let (client, _) = start().await;
    // A merged contact (410) is worded "was merged into another contact": no "not found" in it.
    let err = client
        .peer()
        .read_resource(ReadResourceRequestParams::new(
            "intercom://contacts/merged1",
        ))
        .await
        .unwrap_err();
    let rmcp::ServiceError::McpError(err) = err else {
        panic!("a JSON-RPC error, got {err:?}")
    };
    assert_eq!(err.code.0, -32002, "resource not found: {err:?}");
    assert!(!err.message.contains("not found"), "{}", err.message);
    assert_eq!(err.data.unwrap()["kind"], "not_found");
}
