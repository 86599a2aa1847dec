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
use intercom_api::{Client, ClientConfig, Id, RateBudget, Region, Secret};
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
    /// Workspace time zone for people's-words dates and rendered times; `None`: the
    /// workspace's own (`/me`'s `app.timezone`).
    pub time_zone: Option<Tz>,
    /// When the working day starts (a date-only snooze wakes then); default 09:00.
    pub workday_start: intercom_core::dates::WorkdayStart,
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
            time_zone: None,
            workday_start: intercom_core::dates::WorkdayStart::DEFAULT,
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
}

/// An admin as the directory knows it (the shared directory's type).
pub type AdminEntry = intercom_api::DirectoryAdmin;

/// Names for ids, a snapshot of the workspace directory (the one directory type every
/// engine shares: [`intercom_api::Directory`]).
pub type Names = intercom_api::Directory;

/// A name that picked out no entry, or several, as a tool error that lists the near
/// matches and where to see them all.
pub fn name_miss(miss: intercom_api::NameMiss) -> ToolError {
    let list = match miss.what {
        "admin" => "list_admins",
        "team" => "list_teams",
        _ => "list_tags",
    };
    let text = format!("{miss}. {list} shows them all");
    if miss.ambiguous {
        ToolError::invalid(text)
    } else {
        ToolError::not_found(text)
    }
}

/// How long directory lists are trusted before being read again.
const DIRECTORY_TTL: Duration = Duration::from_secs(300);

#[derive(Default)]
struct Cached {
    value: Option<(Instant, Arc<Value>)>,
}

/// Cached raw list bodies, keyed by endpoint (what the list tools render).
#[derive(Default)]
struct Lists {
    lists: Mutex<HashMap<&'static str, Cached>>,
}

/// One Intercom workspace, reached with one token.
pub struct Workspace {
    api: Api,
    time_zone: Tz,
    lists: Lists,
    directory: intercom_api::DirectoryCache,
    me: OnceCell<Value>,
    /// The workspace's own zone (from `/me`), used when none is configured.
    learned_zone: std::sync::OnceLock<Tz>,
    configured_zone: Option<Tz>,
    workday_start: intercom_core::dates::WorkdayStart,
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
    /// `time_zone`: the configured zone; `None` means the workspace's own, read from
    /// `/me` (UTC until it is known).
    pub fn new(client: Client, time_zone: Option<Tz>) -> Self {
        Self {
            directory: intercom_api::DirectoryCache::new(client.clone()),
            api: Api::new(client),
            time_zone: time_zone.unwrap_or(Tz::UTC),
            lists: Lists::default(),
            me: OnceCell::new(),
            learned_zone: std::sync::OnceLock::new(),
            configured_zone: time_zone,
            workday_start: intercom_core::dates::WorkdayStart::DEFAULT,
        }
    }

    /// The same workspace with the working day starting at `start` (default 09:00).
    pub fn with_workday_start(mut self, start: intercom_core::dates::WorkdayStart) -> Self {
        self.workday_start = start;
        self
    }

    /// With no zone configured, learn the workspace's own from `/me` (`app.timezone`).
    /// Best effort: when `/me` cannot be read, UTC stays and the next call tries again.
    pub async fn learn_time_zone(&self) {
        if self.configured_zone.is_some() || self.learned_zone.get().is_some() {
            return;
        }
        let Ok(me) = self.me().await else { return };
        let zone = me
            .pointer("/app/timezone")
            .and_then(Value::as_str)
            .and_then(|name| name.parse::<Tz>().ok());
        if let Some(zone) = zone {
            let _ = self.learned_zone.set(zone);
        }
    }

    /// The date grammar at this zone and one reading of the clock: make one per call.
    pub fn dates(&self) -> intercom_core::dates::Dates {
        intercom_core::dates::Dates::now(self.time_zone()).with_workday_start(self.workday_start)
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    /// The configured zone, else the workspace's own once learned, else UTC.
    pub fn time_zone(&self) -> Tz {
        match self.configured_zone {
            Some(zone) => zone,
            None => self.learned_zone.get().copied().unwrap_or(self.time_zone),
        }
    }

    /// `GET /me`, kept once it names an admin. `/me` is nullable in the spec: a
    /// null or id-less answer is an error and is never kept, so the next call asks again.
    pub async fn me(&self) -> Result<&Value, ToolError> {
        self.me
            .get_or_try_init(|| async {
                // A `/me` that cannot be read (null, not an object) names no admin either.
                let me = match self.api.client().me().await {
                    Ok(me) => crate::output::intercom_json(&me),
                    Err(intercom_api::Error::Decode { .. }) => Value::Null,
                    Err(e) => return Err(e.into()),
                };
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

    /// A cached list, as Intercom's list JSON (`{"admins": [...]}`, `{"data": [...]}` for
    /// ticket states) read through the typed client, with `skipped` counting the items that
    /// could not be read.
    pub async fn cached_list(&self, list: Listed) -> Result<Arc<Value>, ToolError> {
        let path = list.path();
        if let Some((at, value)) = self
            .lists
            .lists
            .lock()
            .get(path)
            .and_then(|c| c.value.clone())
            && at.elapsed() < DIRECTORY_TTL
        {
            return Ok(value);
        }
        let client = self.api.client();
        let value = Arc::new(match list {
            Listed::Admins => list_json("admins", client.list_admins().await?),
            Listed::Teams => list_json("teams", client.list_teams().await?),
            Listed::Tags => list_json("tags", client.list_tags().await?),
            Listed::TicketStates => list_json("data", client.list_ticket_states().await?),
        });
        self.lists.lists.lock().insert(
            path,
            Cached {
                value: Some((Instant::now(), value.clone())),
            },
        );
        Ok(value)
    }

    /// Forget a cached list after a write changed it (a new tag).
    pub fn invalidate(&self, list: Listed) {
        self.lists.lists.lock().remove(list.path());
        if list != Listed::TicketStates {
            self.directory.invalidate();
        }
    }

    /// The cache behind [`names`](Self::names), for engines that take one.
    pub fn directory_cache(&self) -> &intercom_api::DirectoryCache {
        &self.directory
    }

    /// The workspace directory (admins, teams, tags), cached for a short time.
    pub async fn names(&self) -> Result<Arc<Names>, ToolError> {
        Ok(self.directory.get().await?)
    }

    /// Resolve an admin given as id, email, name (full, first or part) or `me` to
    /// `(id, name)`. Several or no matches: the error lists the near ones.
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
        let admin = names.find_admin(needle).map_err(name_miss)?;
        let id = Id::named(&admin.id, format!("the admin `{needle}`"))?;
        Ok((id, admin.name.clone()))
    }

    /// Resolve a team given as id, name or part of a name to `(id, name)`.
    pub async fn resolve_team(&self, needle: &str) -> Result<(Id, String), ToolError> {
        let names = self.names().await?;
        let team = names.find_team(needle).map_err(name_miss)?;
        let id = Id::named(&team.id, format!("the team `{}`", needle.trim()))?;
        Ok((id, team.name.clone()))
    }

    /// An assignee given as an admin or a team (`Billing`, `ann`, an email, `me`): admins
    /// are tried first, then teams; a name that fits both is refused with both listed.
    pub async fn resolve_assignee(&self, needle: &str) -> Result<Assignee, ToolError> {
        let trimmed = needle.trim();
        if trimmed.eq_ignore_ascii_case("me") {
            let (id, name) = self.resolve_admin("me").await?;
            return Ok(Assignee::Admin { id, name });
        }
        let names = self.names().await?;
        match (names.find_admin(trimmed), names.find_team(trimmed)) {
            (Ok(a), Err(_)) => Ok(Assignee::Admin {
                id: Id::named(&a.id, format!("the admin `{trimmed}`"))?,
                name: a.name.clone(),
            }),
            (Err(_), Ok(t)) => Ok(Assignee::Team {
                id: Id::named(&t.id, format!("the team `{trimmed}`"))?,
                name: t.name.clone(),
            }),
            // Both fit: an exact name, email or id wins over a partial one.
            (Ok(a), Ok(t)) if a.is_exactly(trimmed) && !t.is_exactly(trimmed) => {
                Ok(Assignee::Admin {
                    id: Id::named(&a.id, format!("the admin `{trimmed}`"))?,
                    name: a.name.clone(),
                })
            }
            (Ok(a), Ok(t)) if t.is_exactly(trimmed) && !a.is_exactly(trimmed) => {
                Ok(Assignee::Team {
                    id: Id::named(&t.id, format!("the team `{trimmed}`"))?,
                    name: t.name.clone(),
                })
            }
            (Ok(a), Ok(t)) => Err(ToolError::invalid(format!(
                "`{trimmed}` names both the admin {} (id {}) and the team {} (id {}); say which \
                 (an email or id, or pass it as team)",
                a.name, a.id, t.name, t.id
            ))),
            (Err(admin), Err(team)) => {
                let mut near: Vec<String> = admin.near.clone();
                near.extend(team.near.iter().map(|t| format!("team {t}")));
                let text = if admin.ambiguous || team.ambiguous {
                    format!(
                        "`{trimmed}` matches several: {}; say which one (full name, email or id)",
                        near.join("; ")
                    )
                } else if near.is_empty() {
                    format!(
                        "no admin or team matches `{trimmed}`; list_admins and list_teams show them"
                    )
                } else {
                    format!(
                        "no admin or team matches `{trimmed}`; did you mean {}?",
                        near.join(" or ")
                    )
                };
                Err(if admin.ambiguous || team.ambiguous {
                    ToolError::invalid(text)
                } else {
                    ToolError::not_found(text)
                })
            }
        }
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
    /// workspace adds its cached tag list. A name that is not a tag's is never guessed;
    /// the error offers close names.
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
        let cached = self.cached_list(Listed::Tags).await?;
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
            self.invalidate(Listed::Tags);
        }
        resolved?.ok_or_else(|| {
            // Close names, from the same list (a tag is never guessed).
            let known = intercom_api::Directory {
                tags: tags
                    .iter()
                    .filter_map(|t| {
                        Some(intercom_api::DirectoryTag {
                            id: t.id.clone()?,
                            name: t.name.clone().unwrap_or_default(),
                        })
                    })
                    .collect(),
                ..Default::default()
            };
            let near = match known.find_tag(needle) {
                Err(miss) if !miss.near.is_empty() => {
                    format!(" (did you mean {}?)", miss.near.join(" or "))
                }
                _ => String::new(),
            };
            ToolError::not_found(format!(
                "there is no tag named `{needle}`{near}; call list_tags to see the tags, or pass \
                 create_missing_tags=true to create it"
            ))
        })
    }
}

/// An assignee resolved from a name: an admin or a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Admin { id: Id, name: String },
    Team { id: Id, name: String },
}

/// The workspace lists kept for a short time (see [`Workspace::cached_list`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Admins,
    Teams,
    Tags,
    TicketStates,
}

impl Listed {
    /// The endpoint, also the cache key and what [`Workspace::invalidate`] takes.
    pub fn path(self) -> &'static str {
        match self {
            Listed::Admins => "/admins",
            Listed::Teams => "/teams",
            Listed::Tags => "/tags",
            Listed::TicketStates => "/ticket_states",
        }
    }
}

fn list_json<T: serde::Serialize>(key: &str, page: intercom_api::Page<T>) -> Value {
    let items: Vec<Value> = page
        .items
        .iter()
        .map(crate::output::intercom_json)
        .collect();
    serde_json::json!({ key: items, "skipped": page.skipped })
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
                Ok(Arc::new(
                    Workspace::new(client, self.settings.time_zone)
                        .with_workday_start(self.settings.workday_start),
                ))
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
        let ws = Arc::new(
            Workspace::new(client, self.settings.time_zone)
                .with_workday_start(self.settings.workday_start),
        );
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
