//! The Intercom workspace a tool call works on: an API client, the workspace
//! directory (admins, teams, tags, ticket states, cached), the time zone and
//! the token's own admin (`/me`).
//!
//! One [`Workspace`] exists per access token. With `--token-from-request`
//! every client's bearer token gets its own, and nothing is shared across
//! tokens: not the client, not the cached directory.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono_tz::Tz;
use hashlink::LruCache;
use intercom_api::{Client, ClientConfig, Id, Method, RateBudget, Region, Secret};
use parking_lot::Mutex;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::output::ToolError;

/// How to reach Intercom; everything except the token, which is per workspace.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    pub region: Region,
    /// Overrides the region's URL (sandbox, proxy).
    pub base_url: Option<String>,
    /// Workspace time zone for people's-words dates and rendered times.
    pub time_zone: Tz,
    /// Where clients draw their rate budget when several processes share one (a fleet of
    /// replicas); `None`: each client paces on its own.
    pub rate_budgets: Option<RateBudgets>,
}

/// Gives each access token's clients one rate budget shared with the other replicas of the
/// fleet (`budget(key)` is called with a fingerprint of the token, never the token).
#[derive(Clone)]
pub struct RateBudgets(Arc<BudgetFor>);

/// Makes (or finds) the shared budget of a key.
type BudgetFor = dyn Fn(&str) -> Arc<dyn RateBudget> + Send + Sync;

impl RateBudgets {
    pub fn new(budget: impl Fn(&str) -> Arc<dyn RateBudget> + Send + Sync + 'static) -> Self {
        Self(Arc::new(budget))
    }

    /// The budget of `token`'s clients.
    pub fn for_token(&self, token: &Secret) -> Arc<dyn RateBudget> {
        let digest = Sha256::digest(token.expose().as_bytes());
        let key: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        (self.0)(&format!("token-{key}"))
    }
}

impl std::fmt::Debug for RateBudgets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RateBudgets")
    }
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            region: Region::Us,
            base_url: None,
            time_zone: Tz::UTC,
            rate_budgets: None,
        }
    }
}

impl ApiSettings {
    pub fn client(&self, token: &Secret) -> Result<Client, ToolError> {
        let mut builder = ClientConfig::builder(token.clone()).region(self.region);
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url.clone());
        }
        let config = builder.build()?;
        Ok(match &self.rate_budgets {
            Some(budgets) => Client::with_rate_budget(config, budgets.for_token(token))?,
            None => Client::new(config)?,
        })
    }
}

/// Thin JSON access to the API with ids checked before they go into a path.
#[derive(Debug, Clone)]
pub struct Api {
    client: Client,
}

/// Check an id before it becomes a path segment, so `../admins` cannot reach
/// another endpoint.
pub fn path_id(id: &str) -> Result<Id, ToolError> {
    Ok(Id::new(id)?)
}

impl Api {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, ToolError> {
        Ok(self
            .client
            .send_json(Method::GET, path, query, None)
            .await?)
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Value, ToolError> {
        Ok(self
            .client
            .send_json(Method::POST, path, &[], Some(body))
            .await?)
    }

    pub async fn put(&self, path: &str, body: Value) -> Result<Value, ToolError> {
        Ok(self
            .client
            .send_json(Method::PUT, path, &[], Some(body))
            .await?)
    }

    pub async fn delete(&self, path: &str, body: Option<Value>) -> Result<Value, ToolError> {
        Ok(self
            .client
            .send_json(Method::DELETE, path, &[], body)
            .await?)
    }
}

/// An admin as the directory knows it.
#[derive(Debug, Clone)]
pub struct AdminEntry {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub away: bool,
    pub team_ids: Vec<String>,
}

/// Names for ids, a snapshot of the workspace directory.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub admins: Vec<AdminEntry>,
    pub teams: Vec<(String, String)>,
}

impl Names {
    pub fn admin(&self, id: &str) -> Option<&AdminEntry> {
        self.admins.iter().find(|a| a.id == id)
    }

    pub fn admin_name(&self, id: &str) -> Option<&str> {
        self.admin(id).map(|a| a.name.as_str())
    }

    pub fn team_name(&self, id: &str) -> Option<&str> {
        self.teams
            .iter()
            .find(|(tid, _)| tid == id)
            .map(|(_, n)| n.as_str())
    }

    /// `Ann Lee (admin 12)` or `admin 12` when the id is unknown.
    pub fn describe_admin(&self, id: &str) -> String {
        match self.admin_name(id) {
            Some(name) => name.to_string(),
            None => format!("admin {id}"),
        }
    }

    pub fn describe_team(&self, id: &str) -> String {
        match self.team_name(id) {
            Some(name) => name.to_string(),
            None => format!("team {id}"),
        }
    }

    /// Find an admin by id, email or name (case-insensitive).
    pub fn find_admin(&self, needle: &str) -> Option<&AdminEntry> {
        let n = needle.trim();
        let lower = n.to_lowercase();
        self.admins
            .iter()
            .find(|a| a.id == n)
            .or_else(|| {
                self.admins
                    .iter()
                    .find(|a| a.email.as_deref().map(str::to_lowercase) == Some(lower.clone()))
            })
            .or_else(|| self.admins.iter().find(|a| a.name.to_lowercase() == lower))
    }

    /// Find a team by id or name (case-insensitive).
    pub fn find_team(&self, needle: &str) -> Option<(&str, &str)> {
        let n = needle.trim();
        let lower = n.to_lowercase();
        self.teams
            .iter()
            .find(|(id, name)| id == n || name.to_lowercase() == lower)
            .map(|(id, name)| (id.as_str(), name.as_str()))
    }
}

/// How long directory lists are trusted before being read again.
const DIRECTORY_TTL: Duration = Duration::from_secs(300);

#[derive(Default)]
struct Cached {
    value: Option<(Instant, Arc<Value>)>,
}

/// Cached workspace lists, keyed by endpoint.
#[derive(Default)]
struct Directory {
    lists: Mutex<HashMap<&'static str, Cached>>,
}

/// One Intercom workspace, reached with one token.
pub struct Workspace {
    api: Api,
    time_zone: Tz,
    directory: Directory,
    me: OnceCell<Value>,
}

/// The admin id in a `/me` answer, when it has a non-empty one (string or number).
pub fn usable_admin_id(me: &Value) -> Option<String> {
    me.get("id")
        .and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        })
        .filter(|id| !id.trim().is_empty())
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("time_zone", &self.time_zone)
            .finish_non_exhaustive()
    }
}

impl Workspace {
    pub fn new(client: Client, time_zone: Tz) -> Self {
        Self {
            api: Api::new(client),
            time_zone,
            directory: Directory::default(),
            me: OnceCell::new(),
        }
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// `GET /me`, kept once it names an admin. `/me` is nullable in the spec: a
    /// null or id-less answer is an error and is never kept, so the next call asks again.
    pub async fn me(&self) -> Result<&Value, ToolError> {
        self.me
            .get_or_try_init(|| async {
                let me = self.api.get("/me", &[]).await?;
                if usable_admin_id(&me).is_none() {
                    return Err(ToolError::upstream(
                        "Intercom's /me answer names no admin (null or no id); nothing was changed. \
                         Try again, or check the access token with `intercom-mcp doctor`",
                    ));
                }
                Ok(me)
            })
            .await
    }

    /// The id of the admin who owns the token.
    pub async fn my_admin_id(&self) -> Result<Id, ToolError> {
        let me = self.me().await?;
        usable_admin_id(me)
            .and_then(|id| Id::new(id).ok())
            .ok_or_else(|| ToolError::upstream("Intercom's /me answer has no admin id"))
    }

    /// A cached list endpoint (`/admins`, `/teams`, `/tags`, `/ticket_states`).
    pub async fn cached_list(&self, path: &'static str) -> Result<Arc<Value>, ToolError> {
        if let Some((at, value)) = self
            .directory
            .lists
            .lock()
            .get(path)
            .and_then(|c| c.value.clone())
            && at.elapsed() < DIRECTORY_TTL
        {
            return Ok(value);
        }
        let value = Arc::new(self.api.get(path, &[]).await?);
        self.directory.lists.lock().insert(
            path,
            Cached {
                value: Some((Instant::now(), value.clone())),
            },
        );
        Ok(value)
    }

    /// Forget a cached list after a write changed it (a new tag).
    pub fn invalidate(&self, path: &'static str) {
        self.directory.lists.lock().remove(path);
    }

    /// Admin and team names, from the cached lists.
    pub async fn names(&self) -> Result<Names, ToolError> {
        let (admins, teams) =
            tokio::try_join!(self.cached_list("/admins"), self.cached_list("/teams"))?;
        Ok(Names {
            admins: items(&admins, "admins").iter().map(admin_entry).collect(),
            teams: items(&teams, "teams")
                .iter()
                .map(|t| (id_string(t.get("id")), str_field(t, "name")))
                .collect(),
        })
    }

    /// Resolve an admin given as id, email, name or `me` to `(id, name)`.
    pub async fn resolve_admin(&self, needle: &str) -> Result<(Id, String), ToolError> {
        let needle = needle.trim();
        if needle.is_empty() {
            return Err(ToolError::invalid(
                "the admin is empty; pass an admin id, email, name or `me`",
            ));
        }
        let names = self.names().await?;
        if needle.eq_ignore_ascii_case("me") {
            let id = self.my_admin_id().await?;
            let name = names.describe_admin(&id);
            return Ok((id, name));
        }
        let admin = names.find_admin(needle).ok_or_else(|| {
            ToolError::not_found(format!(
                "no admin matches `{needle}` (by id, email or name); call list_admins to see them"
            ))
        })?;
        let id = Id::named(&admin.id, format!("the admin `{needle}`"))?;
        Ok((id, admin.name.clone()))
    }

    /// Resolve a team given as id or name to `(id, name)`.
    pub async fn resolve_team(&self, needle: &str) -> Result<(Id, String), ToolError> {
        let names = self.names().await?;
        let (id, name) = names.find_team(needle).ok_or_else(|| {
            ToolError::not_found(format!(
                "no team matches `{}` (by id or name); call list_teams to see them",
                needle.trim()
            ))
        })?;
        let id = Id::named(id, format!("the team `{}`", needle.trim()))?;
        Ok((id, name.to_string()))
    }

    /// The acting admin: the one named, or the token's own admin.
    pub async fn acting_admin(&self, named: Option<&str>) -> Result<(Id, String), ToolError> {
        match named.map(str::trim).filter(|s| !s.is_empty()) {
            Some(n) => self.resolve_admin(n).await,
            None => self.resolve_admin("me").await,
        }
    }

    /// Resolve a tag name or id to its id; create the tag when `create` is set. The
    /// matching and creating are [`Client::resolve_tag_in`], shared with bulk jobs; the
    /// workspace only adds its cached tag list.
    pub async fn resolve_tag(
        &self,
        name_or_id: &str,
        create: bool,
    ) -> Result<(Id, String), ToolError> {
        let needle = name_or_id.trim();
        if needle.is_empty() {
            return Err(ToolError::invalid(
                "the tag is empty; pass a tag name or id",
            ));
        }
        let cached = self.cached_list("/tags").await?;
        let tags: Vec<intercom_api::Tag> = items(&cached, "tags")
            .iter()
            .filter_map(|t| serde_json::from_value(t.clone()).ok())
            .collect();
        let resolved = self
            .api
            .client()
            .resolve_tag_in(&tags, needle, create)
            .await;
        if create {
            self.invalidate("/tags");
        }
        resolved?.ok_or_else(|| {
            ToolError::not_found(format!(
                "there is no tag named `{needle}`; call list_tags to see the tags, or pass \
                 create_missing_tags=true to create it"
            ))
        })
    }
}

/// The `data`/named array of an Intercom list body (`{"type":"admin.list","admins":[...]}`).
pub fn items<'a>(body: &'a Value, key: &str) -> &'a [Value] {
    body.get(key)
        .or_else(|| body.get("data"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Intercom ids are strings in some places and integers in others.
/// Empty when absent; [`intercom_core::ids::id_text`] is the one reading of an id from JSON.
pub fn id_string(v: Option<&Value>) -> String {
    v.and_then(intercom_core::ids::id_text).unwrap_or_default()
}

pub fn str_field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn admin_entry(a: &Value) -> AdminEntry {
    AdminEntry {
        id: id_string(a.get("id")),
        name: str_field(a, "name"),
        email: a.get("email").and_then(Value::as_str).map(str::to_string),
        away: a
            .get("away_mode_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        team_ids: a
            .get("team_ids")
            .and_then(Value::as_array)
            .map(|ids| ids.iter().map(|i| id_string(Some(i))).collect())
            .unwrap_or_default(),
    }
}

/// Where workspaces come from: the configured token, or each request's bearer.
pub struct Workspaces {
    settings: ApiSettings,
    default_token: Option<Secret>,
    default: OnceCell<Arc<Workspace>>,
    by_token: Mutex<TokenCache>,
}

impl std::fmt::Debug for Workspaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspaces")
            .field("settings", &self.settings)
            .field("has_default_token", &self.default_token.is_some())
            .finish_non_exhaustive()
    }
}

/// Per-token workspaces (keyed by the token's SHA-256), a segmented LRU: a token
/// seen once waits in `probation`; seen again, it moves to `protected`. New tokens
/// only ever evict the least recently used one-off token, so a flood of random
/// bearer tokens cannot push out the clients that keep coming back (a plain LRU
/// would lose them all after as many new tokens as it holds).
struct TokenCache {
    probation: LruCache<[u8; 32], Arc<Workspace>>,
    protected: LruCache<[u8; 32], Arc<Workspace>>,
}

/// Tokens seen once that are kept.
const PROBATION_TOKENS: usize = 64;
/// Tokens seen at least twice that are kept.
const PROTECTED_TOKENS: usize = 256;

impl TokenCache {
    fn new() -> Self {
        Self {
            probation: LruCache::new(PROBATION_TOKENS),
            protected: LruCache::new(PROTECTED_TOKENS),
        }
    }

    fn get(&mut self, key: &[u8; 32]) -> Option<Arc<Workspace>> {
        if let Some(ws) = self.protected.get(key) {
            return Some(ws.clone());
        }
        let ws = self.probation.remove(key)?;
        // Beyond capacity the least recently used returning client is dropped.
        self.protected.insert(*key, ws.clone());
        Some(ws)
    }

    fn insert(&mut self, key: [u8; 32], ws: Arc<Workspace>) {
        self.probation.insert(key, ws);
    }
}

impl Workspaces {
    pub fn new(settings: ApiSettings, default_token: Option<Secret>) -> Self {
        Self {
            settings,
            default_token: default_token.filter(|t| !t.is_blank()),
            default: OnceCell::new(),
            by_token: Mutex::new(TokenCache::new()),
        }
    }

    pub fn settings(&self) -> &ApiSettings {
        &self.settings
    }

    pub fn has_default_token(&self) -> bool {
        self.default_token.is_some()
    }

    /// The workspace of the configured token.
    pub async fn default_workspace(&self) -> Result<Arc<Workspace>, ToolError> {
        let Some(token) = &self.default_token else {
            return Err(ToolError::new(
                crate::output::ErrorKind::Auth,
                "no Intercom access token is configured: set INTERCOM_ACCESS_TOKEN (or \
                 --access-token), or start the server with --sandbox to use the demo workspace",
            ));
        };
        self.default
            .get_or_try_init(|| async {
                let client = self.settings.client(token)?;
                Ok(Arc::new(Workspace::new(client, self.settings.time_zone)))
            })
            .await
            .cloned()
    }

    /// The workspace of a request's own token (`--token-from-request`).
    pub fn for_token(&self, token: &str) -> Result<Arc<Workspace>, ToolError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut cache = self.by_token.lock();
        if let Some(ws) = cache.get(&key) {
            return Ok(ws);
        }
        let client = self.settings.client(&Secret::new(token))?;
        let ws = Arc::new(Workspace::new(client, self.settings.time_zone));
        cache.insert(key, ws.clone());
        Ok(ws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returning_clients_survive_a_flood_of_new_tokens() {
        let workspaces = Workspaces::new(ApiSettings::default(), None);
        let first = workspaces.for_token("client-a").unwrap();
        let again = workspaces.for_token("client-a").unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "a token gets its cached workspace"
        );
        for i in 0..PROBATION_TOKENS + PROTECTED_TOKENS {
            workspaces.for_token(&format!("random-{i}")).unwrap();
        }
        let after = workspaces.for_token("client-a").unwrap();
        assert!(
            Arc::ptr_eq(&first, &after),
            "one-off tokens must not evict a returning client"
        );
        let cache = workspaces.by_token.lock();
        assert_eq!(cache.probation.len(), PROBATION_TOKENS);
        assert_eq!(cache.protected.len(), 1);
    }

    #[test]
    fn returning_clients_beyond_capacity_drop_the_least_recently_used() {
        let workspaces = Workspaces::new(ApiSettings::default(), None);
        let twice = |token: &str| {
            workspaces.for_token(token).unwrap();
            workspaces.for_token(token).unwrap()
        };
        let oldest = twice("client-0");
        let recent = twice("client-1");
        for i in 2..PROTECTED_TOKENS {
            twice(&format!("client-{i}"));
        }
        // client-1 is used again, so client-0 is the least recently used when one more arrives.
        assert!(Arc::ptr_eq(
            &recent,
            &workspaces.for_token("client-1").unwrap()
        ));
        twice("one-more");
        assert!(Arc::ptr_eq(
            &recent,
            &workspaces.for_token("client-1").unwrap()
        ));
        assert!(!Arc::ptr_eq(
            &oldest,
            &workspaces.for_token("client-0").unwrap()
        ));
    }

    #[test]
    fn names_lookup() {
        let names = Names {
            admins: vec![AdminEntry {
                id: "7".into(),
                name: "Ann Lee".into(),
                email: Some("ann@example.com".into()),
                away: false,
                team_ids: vec![],
            }],
            teams: vec![("3".into(), "Billing".into())],
        };
        assert_eq!(names.find_admin("ANN@example.com").unwrap().id, "7");
        assert_eq!(names.find_admin("ann lee").unwrap().id, "7");
        assert_eq!(names.find_team("billing"), Some(("3", "Billing")));
        assert_eq!(names.describe_admin("9"), "admin 9");
    }

    #[test]
    fn tokens_get_separate_workspaces() {
        let pool = Workspaces::new(
            ApiSettings {
                base_url: Some("http://127.0.0.1:9".into()),
                ..Default::default()
            },
            None,
        );
        let a = pool.for_token("token-a").unwrap();
        let a2 = pool.for_token("token-a").unwrap();
        let b = pool.for_token("token-b").unwrap();
        assert!(Arc::ptr_eq(&a, &a2));
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(!format!("{pool:?}").contains("token-a"));
    }
}
