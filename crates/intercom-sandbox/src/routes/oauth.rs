//! Intercom's OAuth pages: the consent page at `GET /oauth` where the person picks the admin
//! who signs in, and the code exchange at `POST /auth/eagle/token`.

use std::time::Instant;

use axum::Form;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::app::SharedApp;
use crate::errors::ApiError;
use crate::oauth::{CODE_LIFETIME, IssuedCode, random_token};

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1>{title}</h1>{body}</body></html>"
        )),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    state: Option<String>,
    redirect_uri: Option<String>,
}

/// Checks the app and redirect URI: the refusal page when they do not match. Errors are
/// shown on the page, never redirected to an unregistered URI.
fn refusal(app: &SharedApp, client_id: &str, redirect_uri: &str) -> Option<Response> {
    let configured = app.oauth.app.lock().clone();
    let Some(oauth) = configured.filter(|o| o.client_id == client_id) else {
        return Some(page(
            StatusCode::BAD_REQUEST,
            "Unknown app",
            "<p>No app with this client_id is installed for OAuth.</p>",
        ));
    };
    if !oauth.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Some(page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect URI",
            "<p>The redirect_uri is not one registered on this app.</p>",
        ));
    }
    None
}

/// `GET /oauth`: the consent page; the person picks which admin signs in.
async fn consent_page(State(app): State<SharedApp>, Query(q): Query<AuthorizeQuery>) -> Response {
    let client_id = q.client_id.unwrap_or_default();
    let redirect_uri = q.redirect_uri.unwrap_or_default();
    if let Some(page) = refusal(&app, &client_id, &redirect_uri) {
        return page;
    }
    let admins: Vec<(String, String, String)> = {
        let state = app.state.read();
        state
            .admins
            .values()
            .map(|a| {
                (
                    a["id"].as_str().unwrap_or_default().to_string(),
                    a["name"].as_str().unwrap_or_default().to_string(),
                    a["email"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let mut options = String::new();
    for (i, (id, name, email)) in admins.iter().enumerate() {
        options.push_str(&format!(
            "<p><label><input type=\"radio\" name=\"admin_id\" value=\"{}\"{}> {} &lt;{}&gt;</label></p>",
            escape(id),
            if i == 0 { " checked" } else { "" },
            escape(name),
            escape(email)
        ));
    }
    page(
        StatusCode::OK,
        "Connect to Intercom",
        &format!(
            "<form method=\"post\" action=\"/oauth\">\
             <input type=\"hidden\" name=\"client_id\" value=\"{}\">\
             <input type=\"hidden\" name=\"redirect_uri\" value=\"{}\">\
             <input type=\"hidden\" name=\"state\" value=\"{}\">\
             <p>Sign in as:</p>{options}\
             <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button> \
             <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
            escape(&client_id),
            escape(&redirect_uri),
            escape(&q.state.unwrap_or_default()),
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    client_id: String,
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    admin_id: String,
    decision: String,
}

fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = match url_parse(base) {
        Some(url) => url,
        None => return base.to_string(),
    };
    url.query_pairs_mut().extend_pairs(pairs.iter());
    url.to_string()
}

fn url_parse(text: &str) -> Option<reqwest::Url> {
    reqwest::Url::parse(text).ok()
}

/// `POST /oauth`: the consent form's answer; redirects with `code` and `state`.
async fn consent_answer(State(app): State<SharedApp>, Form(form): Form<ConsentForm>) -> Response {
    if let Some(page) = refusal(&app, &form.client_id, &form.redirect_uri) {
        return page;
    }
    if form.decision != "allow" {
        return Redirect::to(&with_query(
            &form.redirect_uri,
            &[("error", "access_denied"), ("state", &form.state)],
        ))
        .into_response();
    }
    if !app.state.read().admins.contains(&form.admin_id) {
        return page(
            StatusCode::BAD_REQUEST,
            "Unknown admin",
            "<p>Choose an admin of this workspace.</p>",
        );
    }
    let code = random_token("");
    app.oauth.codes.lock().insert(
        code.clone(),
        IssuedCode {
            admin_id: form.admin_id,
            issued: Instant::now(),
        },
    );
    Redirect::to(&with_query(
        &form.redirect_uri,
        &[("code", &code), ("state", &form.state)],
    ))
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    #[serde(default)]
    code: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

/// `POST /auth/eagle/token`: trades a code for the admin's token (JSON or form body).
async fn exchange(State(app): State<SharedApp>, headers: HeaderMap, body: Bytes) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed: Option<TokenRequest> = if is_json {
        serde_json::from_slice(&body).ok()
    } else {
        serde_urlencoded::from_bytes(&body).ok()
    };
    let Some(request) = parsed else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "Send code, client_id and client_secret",
        )
        .into_response();
    };
    let configured = app.oauth.app.lock().clone();
    let secret_ok = configured.as_ref().is_some_and(|o| {
        o.client_id == request.client_id
            && subtle_eq(o.client_secret.as_bytes(), request.client_secret.as_bytes())
    });
    if !secret_ok {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Client credentials invalid",
        )
        .into_response();
    }
    // Taken out whatever happens next: a code is good for one attempt.
    let issued = app.oauth.codes.lock().remove(&request.code);
    let Some(issued) = issued.filter(|c| c.issued.elapsed() < CODE_LIFETIME) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "The authorization code is invalid, expired or already used",
        )
        .into_response();
    };
    if !app.state.read().admins.contains(&issued.admin_id) {
        return ApiError::unauthorized().into_response();
    }
    let token = random_token("dG9rOm");
    app.oauth
        .tokens
        .lock()
        .insert(token.clone(), issued.admin_id);
    axum::Json(json!({
        "token": token,
        "access_token": token,
        "token_type": "Bearer",
    }))
    .into_response()
}

fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The OAuth routes; they sit outside the API middleware (no bearer token yet).
pub fn router(app: SharedApp) -> Router {
    Router::new()
        .route("/oauth", get(consent_page).post(consent_answer))
        .route("/auth/eagle/token", post(exchange))
        .with_state(app)
}
