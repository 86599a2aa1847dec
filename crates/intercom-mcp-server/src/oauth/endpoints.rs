//! The authorization server's HTTP endpoints.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::clients::{MAX_REDIRECT_URIS, redirect_uri_acceptable, redirect_uri_matches};
use super::seal::{pkce_matches, random_token, token_hash};
use super::store::{ClientRecord, GrantRecord, TokenKind, TokenRecord};
use super::{CODE_TTL_SECS, MAX_PENDING, OAuthServer, PendingSignIn, SIGN_IN_WINDOW, now_unix};

type Shared = State<Arc<OAuthServer>>;

pub fn router(server: Arc<OAuthServer>) -> Router {
    Router::new()
        .route(
            "/.well-known/oauth-protected-resource",
            get(resource_metadata),
        )
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(resource_metadata_mcp),
        )
        .route(
            "/.well-known/oauth-protected-resource/sse",
            get(resource_metadata_sse),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(server_metadata),
        )
        .route("/.well-known/openid-configuration", get(server_metadata))
        .route("/register", post(register))
        .route("/authorize", get(authorize))
        .route("/oauth/callback", get(callback))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .with_state(server)
}

/// An OAuth error answer (RFC 6749 §5.2), never cached.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn no_store_json(value: Value) -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(value),
    )
        .into_response()
}

fn protected_resource(server: &OAuthServer, resource: String) -> Json<Value> {
    Json(json!({
        "resource": resource,
        "authorization_servers": [server.config.issuer()],
        "bearer_methods_supported": ["header"],
        "resource_name": "Intercom (intercom-mcp)",
    }))
}

async fn resource_metadata(State(server): Shared) -> Json<Value> {
    protected_resource(&server, server.config.public_url.clone())
}

async fn resource_metadata_mcp(State(server): Shared) -> Json<Value> {
    protected_resource(&server, server.config.resource())
}

async fn resource_metadata_sse(State(server): Shared) -> Json<Value> {
    protected_resource(&server, format!("{}/sse", server.config.public_url))
}

async fn server_metadata(State(server): Shared) -> Json<Value> {
    let issuer = server.config.issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "registration_endpoint": format!("{issuer}/register"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
    }))
}

#[derive(Debug, Deserialize)]
struct RegistrationRequest {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
}

/// RFC 7591 dynamic registration of a public client (no secret: PKCE protects the code).
async fn register(State(server): Shared, body: axum::body::Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<RegistrationRequest>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "the body must be JSON client metadata with redirect_uris",
        );
    };
    if request.redirect_uris.is_empty() || request.redirect_uris.len() > MAX_REDIRECT_URIS {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "give 1 to 10 redirect_uris",
        );
    }
    if let Some(bad) = request
        .redirect_uris
        .iter()
        .find(|u| !redirect_uri_acceptable(u))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            &format!(
                "redirect URI `{bad}` is not acceptable: use https, http on a loopback host, or an app's private scheme"
            ),
        );
    }
    let client_name = request
        .client_name
        .map(|n| n.chars().take(200).collect::<String>());
    let record = ClientRecord {
        client_id: random_token("mcp-client-"),
        client_name: client_name.clone(),
        redirect_uris: request.redirect_uris.clone(),
        created_at: now_unix(),
    };
    if server.store.put_client(record.clone()).await.is_err() {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the client could not be stored; try again",
        );
    }
    tracing::info!(client_id = %record.client_id, "OAuth client registered");
    (
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "client_id": record.client_id,
            "client_id_issued_at": record.created_at,
            "client_name": client_name,
            "redirect_uris": record.redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        })),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    state: Option<String>,
    resource: Option<String>,
}

/// Sends an error back to the client's (verified) redirect URI.
fn redirect_error(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
    issuer: &str,
) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return oauth_error(StatusCode::BAD_REQUEST, error, description);
    };
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("error", error);
        pairs.append_pair("error_description", description);
        if let Some(state) = state {
            pairs.append_pair("state", state);
        }
        pairs.append_pair("iss", issuer);
    }
    Redirect::to(url.as_str()).into_response()
}

/// `/authorize`: checks the client, redirect URI, PKCE and resource, then sends the
/// person to Intercom's consent page.
async fn authorize(State(server): Shared, Query(q): Query<AuthorizeQuery>) -> Response {
    let Some(client_id) = q.client_id.filter(|c| !c.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id is required",
        );
    };
    let client = match server.resolve_client(&client_id).await {
        Ok(client) => client,
        Err(reason) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", &reason),
    };
    // Until the redirect URI is verified, errors are shown here, never redirected.
    let redirect_uri = match q.redirect_uri {
        Some(uri)
            if client
                .redirect_uris
                .iter()
                .any(|r| redirect_uri_matches(r, &uri)) =>
        {
            uri
        }
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri is not one registered for this client",
            );
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri is required (the client registered several)",
            );
        }
    };
    let issuer = server.config.issuer();
    let state = q.state.as_deref();
    if q.response_type.as_deref() != Some("code") {
        return redirect_error(
            &redirect_uri,
            "unsupported_response_type",
            "only response_type=code is supported",
            state,
            issuer,
        );
    }
    let challenge = match (q.code_challenge, q.code_challenge_method.as_deref()) {
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => c,
        _ => {
            return redirect_error(
                &redirect_uri,
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
                state,
                issuer,
            );
        }
    };
    let resource = match q.resource {
        Some(r) if server.config.is_own_resource(&r) => r,
        Some(_) => {
            return redirect_error(
                &redirect_uri,
                "invalid_target",
                "resource is not this server; use the MCP endpoint's URL",
                state,
                issuer,
            );
        }
        None => server.config.resource(),
    };
    let upstream_state = random_token("");
    let now = now_unix();
    match server.store.count_live(TokenKind::SignIn, now).await {
        Ok(n) if n < MAX_PENDING as u64 => {}
        Ok(_) => {
            return redirect_error(
                &redirect_uri,
                "temporarily_unavailable",
                "too many sign-ins in progress; try again in a minute",
                state,
                issuer,
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the sign-ins in progress");
            return redirect_error(
                &redirect_uri,
                "temporarily_unavailable",
                "the sign-in could not be started; try again",
                state,
                issuer,
            );
        }
    }
    let pending = PendingSignIn {
        client_id: client.client_id,
        redirect_uri: redirect_uri.clone(),
        client_state: q.state.clone(),
        code_challenge: challenge,
        resource,
    };
    let record = TokenRecord {
        token_hash: token_hash(&upstream_state),
        kind: TokenKind::SignIn,
        grant_id: String::new(),
        expires_at: now + SIGN_IN_WINDOW.as_secs() as i64,
        used_at: None,
        detail: Some(serde_json::to_string(&pending).unwrap_or_default()),
    };
    if let Err(e) = server.store.put_token(record).await {
        tracing::warn!(error = %e, "could not store the sign-in");
        return redirect_error(
            &redirect_uri,
            "temporarily_unavailable",
            "the sign-in could not be started; try again",
            state,
            issuer,
        );
    }
    let Ok(mut intercom) = url::Url::parse(&server.config.intercom_authorize_url) else {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Intercom's authorize URL is misconfigured",
        );
    };
    intercom
        .query_pairs_mut()
        .append_pair("client_id", &server.config.intercom_client_id)
        .append_pair("state", &upstream_state)
        .append_pair("redirect_uri", &server.config.callback_url());
    Redirect::to(intercom.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct IntercomTokenAnswer {
    token: Option<String>,
    access_token: Option<String>,
}

#[derive(Serialize)]
struct CodeDetail<'a> {
    client_id: &'a str,
    redirect_uri: &'a str,
    code_challenge: &'a str,
}

#[derive(Deserialize)]
struct StoredCodeDetail {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
}

/// The sign-in `upstream_state` names, taken once: a second callback with the same state (a
/// replay, or a race between replicas) finds it used.
async fn take_sign_in(server: &OAuthServer, upstream_state: &str) -> Option<PendingSignIn> {
    let hash = token_hash(upstream_state);
    let record = server.store.token(hash.clone()).await.ok().flatten()?;
    if record.kind != TokenKind::SignIn
        || record.used_at.is_some()
        || record.expires_at < now_unix()
    {
        return None;
    }
    if !server.store.use_token(hash, now_unix()).await.ok()? {
        return None;
    }
    serde_json::from_str(record.detail.as_deref()?).ok()
}

/// `/oauth/callback`: Intercom's redirect after consent. Trades Intercom's code for the
/// person's token, seals it in a new grant, and redirects to the client with our code.
async fn callback(State(server): Shared, Query(q): Query<CallbackQuery>) -> Response {
    let pending = match q.state.as_deref().filter(|s| !s.is_empty()) {
        Some(upstream_state) => take_sign_in(&server, upstream_state).await,
        None => None,
    };
    let Some(pending) = pending else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "this sign-in is unknown or expired (state does not match a sign-in in progress); start again from your MCP client",
        );
    };
    let issuer = server.config.issuer();
    let client_state = pending.client_state.as_deref();
    if q.error.is_some() {
        return redirect_error(
            &pending.redirect_uri,
            "access_denied",
            "the person did not allow access on Intercom",
            client_state,
            issuer,
        );
    }
    let Some(code) = q.code.filter(|c| !c.is_empty()) else {
        return redirect_error(
            &pending.redirect_uri,
            "server_error",
            "Intercom returned no code",
            client_state,
            issuer,
        );
    };
    let intercom_token = match server.exchange_intercom_code(&code).await {
        Ok(token) => token,
        Err(reason) => {
            tracing::warn!(reason, "Intercom code exchange failed");
            return redirect_error(
                &pending.redirect_uri,
                "access_denied",
                reason,
                client_state,
                issuer,
            );
        }
    };
    let grant_id = random_token("grant-");
    let context = OAuthServer::seal_context(&grant_id, &pending.client_id, &pending.resource);
    let grant = GrantRecord {
        grant_id: grant_id.clone(),
        client_id: pending.client_id.clone(),
        resource: pending.resource.clone(),
        sealed_token: server.config.key.seal(&intercom_token, &context),
        created_at: now_unix(),
        revoked_at: None,
    };
    drop(intercom_token);
    let our_code = random_token("code-");
    let detail = serde_json::to_string(&CodeDetail {
        client_id: &pending.client_id,
        redirect_uri: &pending.redirect_uri,
        code_challenge: &pending.code_challenge,
    })
    .unwrap_or_default();
    let stored = async {
        server.store.put_grant(grant).await?;
        server
            .store
            .put_token(TokenRecord {
                token_hash: token_hash(&our_code),
                kind: TokenKind::Code,
                grant_id: grant_id.clone(),
                expires_at: now_unix() + CODE_TTL_SECS,
                used_at: None,
                detail: Some(detail),
            })
            .await
    };
    if stored.await.is_err() {
        return redirect_error(
            &pending.redirect_uri,
            "server_error",
            "the sign-in could not be stored; try again",
            client_state,
            issuer,
        );
    }
    tracing::info!(grant = %grant_id, client_id = %pending.client_id, "signed in with Intercom");
    let Ok(mut url) = url::Url::parse(&pending.redirect_uri) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "bad redirect_uri",
        );
    };
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("code", &our_code);
        if let Some(state) = client_state {
            pairs.append_pair("state", state);
        }
        pairs.append_pair("iss", issuer);
    }
    Redirect::to(url.as_str()).into_response()
}

impl OAuthServer {
    /// `POST /auth/eagle/token` at Intercom: the person's Intercom token (never logged).
    async fn exchange_intercom_code(&self, code: &str) -> Result<String, &'static str> {
        let response = self
            .http
            .post(&self.config.intercom_token_url)
            .json(&json!({
                "code": code,
                "client_id": self.config.intercom_client_id,
                "client_secret": self.config.intercom_client_secret.expose(),
            }))
            .send()
            .await
            .map_err(|_| "Intercom could not be reached to finish the sign-in")?;
        if !response.status().is_success() {
            return Err("Intercom did not accept the sign-in (code expired or app misconfigured)");
        }
        let answer: IntercomTokenAnswer = response
            .json()
            .await
            .map_err(|_| "Intercom's token answer was not understood")?;
        answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or("Intercom's token answer had no token")
    }

    /// A new access + refresh token pair under a grant.
    async fn issue_tokens(&self, grant_id: &str) -> anyhow::Result<Value> {
        let now = now_unix();
        let access = random_token("ima_");
        let refresh = random_token("imr_");
        let access_ttl = self.config.access_ttl.as_secs() as i64;
        self.store
            .put_token(TokenRecord {
                token_hash: token_hash(&access),
                kind: TokenKind::Access,
                grant_id: grant_id.to_string(),
                expires_at: now + access_ttl,
                used_at: None,
                detail: None,
            })
            .await?;
        self.store
            .put_token(TokenRecord {
                token_hash: token_hash(&refresh),
                kind: TokenKind::Refresh,
                grant_id: grant_id.to_string(),
                expires_at: now + self.config.refresh_ttl.as_secs() as i64,
                used_at: None,
                detail: None,
            })
            .await?;
        // Expired rows go now and then; the table holds only live tokens for long.
        let _ = self.store.purge_expired(now).await;
        Ok(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": access_ttl,
            "refresh_token": refresh,
        }))
    }
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    resource: Option<String>,
}

/// `/token`: authorization_code (PKCE) and refresh_token (rotation, reuse detection).
async fn token(State(server): Shared, Form(request): Form<TokenRequest>) -> Response {
    if let Some(resource) = &request.resource
        && !server.config.is_own_resource(resource)
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource is not this server",
        );
    }
    match request.grant_type.as_deref() {
        Some("authorization_code") => code_grant(&server, request).await,
        Some("refresh_token") => refresh_grant(&server, request).await,
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "grant_type is required",
        ),
    }
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn store_failed() -> Response {
    oauth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the grant store could not be used; try again",
    )
}

/// A live grant's resource, checked against the one the token request names.
async fn live_grant(server: &OAuthServer, grant_id: &str) -> Result<GrantRecord, Response> {
    match server.store.grant(grant_id.to_string()).await {
        Ok(Some(grant)) if grant.revoked_at.is_none() => Ok(grant),
        Ok(_) => Err(invalid_grant("this sign-in was revoked; sign in again")),
        Err(_) => Err(store_failed()),
    }
}

async fn code_grant(server: &OAuthServer, request: TokenRequest) -> Response {
    let (Some(code), Some(client_id)) = (request.code, request.client_id) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code and client_id are required",
        );
    };
    let Some(verifier) = request.code_verifier else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code_verifier is required (PKCE)",
        );
    };
    let hash = token_hash(&code);
    let record = match server.store.token(hash.clone()).await {
        Ok(Some(r)) if r.kind == TokenKind::Code => r,
        Ok(_) => return invalid_grant("the authorization code is not valid"),
        Err(_) => return store_failed(),
    };
    if record.used_at.is_some() {
        // A replayed code: whoever holds it may not be the client; end the whole sign-in.
        let _ = server
            .store
            .revoke_grant(record.grant_id.clone(), now_unix())
            .await;
        return invalid_grant(
            "the authorization code was already used; every token issued from it is revoked",
        );
    }
    if record.expires_at <= now_unix() {
        return invalid_grant("the authorization code expired; start the sign-in again");
    }
    let Some(detail) = record
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str::<StoredCodeDetail>(d).ok())
    else {
        return invalid_grant("the authorization code is not valid");
    };
    if detail.client_id != client_id {
        return invalid_grant("the authorization code was issued to another client");
    }
    if request.redirect_uri.as_deref() != Some(detail.redirect_uri.as_str()) {
        return invalid_grant("redirect_uri does not match the one used at /authorize");
    }
    if !pkce_matches(&verifier, &detail.code_challenge) {
        return invalid_grant("code_verifier does not match the code_challenge (PKCE)");
    }
    let grant = match live_grant(server, &record.grant_id).await {
        Ok(g) => g,
        Err(response) => return response,
    };
    if let Some(resource) = &request.resource
        && resource.trim_end_matches('/') != grant.resource.trim_end_matches('/')
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource differs from the one authorized",
        );
    }
    match server.store.use_token(hash, now_unix()).await {
        Ok(true) => {}
        Ok(false) => {
            let _ = server.store.revoke_grant(grant.grant_id, now_unix()).await;
            return invalid_grant("the authorization code was already used");
        }
        Err(_) => return store_failed(),
    }
    match server.issue_tokens(&grant.grant_id).await {
        Ok(answer) => no_store_json(answer),
        Err(_) => store_failed(),
    }
}

async fn refresh_grant(server: &OAuthServer, request: TokenRequest) -> Response {
    let Some(refresh) = request.refresh_token else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is required",
        );
    };
    let hash = token_hash(&refresh);
    let record = match server.store.token(hash.clone()).await {
        Ok(Some(r)) if r.kind == TokenKind::Refresh => r,
        Ok(_) => return invalid_grant("the refresh token is not valid (revoked or never issued)"),
        Err(_) => return store_failed(),
    };
    let grant = match live_grant(server, &record.grant_id).await {
        Ok(g) => g,
        Err(response) => return response,
    };
    if let Some(client_id) = &request.client_id
        && client_id != &grant.client_id
    {
        return invalid_grant("the refresh token was issued to another client");
    }
    if let Some(resource) = &request.resource
        && resource.trim_end_matches('/') != grant.resource.trim_end_matches('/')
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource differs from the one authorized",
        );
    }
    if record.expires_at <= now_unix() {
        return invalid_grant("the refresh token expired; sign in again");
    }
    match server.store.use_token(hash, now_unix()).await {
        Ok(true) => {}
        Ok(false) => {
            // Rotation: a used refresh token presented again means it leaked; end the family.
            let _ = server
                .store
                .revoke_grant(grant.grant_id.clone(), now_unix())
                .await;
            tracing::warn!(grant = %grant.grant_id, "refresh token reused: the sign-in is revoked");
            return invalid_grant(
                "the refresh token was already used; this sign-in is revoked, sign in again",
            );
        }
        Err(_) => return store_failed(),
    }
    match server.issue_tokens(&grant.grant_id).await {
        Ok(answer) => no_store_json(answer),
        Err(_) => store_failed(),
    }
}

#[derive(Debug, Deserialize)]
struct RevokeRequest {
    token: Option<String>,
    client_id: Option<String>,
}

/// RFC 7009: revoking either token ends the whole sign-in. Unknown tokens answer 200 too.
async fn revoke(
    State(server): Shared,
    _headers: HeaderMap,
    Form(request): Form<RevokeRequest>,
) -> Response {
    let Some(token) = request.token.filter(|t| !t.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is required",
        );
    };
    let record = match server.store.token(token_hash(&token)).await {
        Ok(r) => r,
        Err(_) => return store_failed(),
    };
    if let Some(record) =
        record.filter(|r| matches!(r.kind, TokenKind::Access | TokenKind::Refresh))
    {
        let owner_ok = match (
            &request.client_id,
            server.store.grant(record.grant_id.clone()).await,
        ) {
            (Some(client_id), Ok(Some(grant))) => &grant.client_id == client_id,
            (None, _) => true,
            _ => false,
        };
        if owner_ok {
            if server
                .store
                .revoke_grant(record.grant_id.clone(), now_unix())
                .await
                .is_err()
            {
                return store_failed();
            }
            tracing::info!(grant = %record.grant_id, "sign-in revoked");
        }
    }
    StatusCode::OK.into_response()
}
