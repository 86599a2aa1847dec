//! The workspace directory: admins, teams and tags with their names. One type for
//! every engine (tools, bulk jobs, analytics, automations), read through
//! [`DirectoryCache`], which keeps a usable answer for a short time and never keeps an
//! unusable one.
//!
//! Names resolve the way people say them: an id, an email, a full name, a first
//! name or part of a name resolves when it names exactly one entry; otherwise
//! [`NameMiss`] says which entries come close.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Result;
use crate::http::Client;

/// An admin (teammate) as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryAdmin {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub away: bool,
    pub team_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryTeam {
    pub id: String,
    pub name: String,
    pub admin_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryTag {
    pub id: String,
    pub name: String,
}

impl DirectoryAdmin {
    /// Whether `needle` is this admin's id, email or full name (case and spacing aside).
    pub fn is_exactly(&self, needle: &str) -> bool {
        fit(&normal(needle), &self.id, &self.name, self.email.as_deref()) == Some(Fit::Exact)
    }
}

impl DirectoryTeam {
    /// Whether `needle` is this team's id or full name (case and spacing aside).
    pub fn is_exactly(&self, needle: &str) -> bool {
        fit(&normal(needle), &self.id, &self.name, None) == Some(Fit::Exact)
    }
}

/// Admins, teams and tags of one workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Directory {
    pub admins: Vec<DirectoryAdmin>,
    pub teams: Vec<DirectoryTeam>,
    pub tags: Vec<DirectoryTag>,
    /// Entries Intercom sent that could not be read (`null`, no id) and were left out.
    pub skipped: u64,
    /// The tag list could not be read (a token without the tags scope, an outage): `tags`
    /// is empty, and the directory is not kept so the next read tries again.
    #[serde(skip)]
    pub tags_unavailable: bool,
}

/// A name that did not pick out exactly one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameMiss {
    /// `admin`, `team` or `tag`.
    pub what: &'static str,
    pub needle: String,
    /// True when several entries match; false when none does.
    pub ambiguous: bool,
    /// The entries that match (ambiguous) or come closest (none), described for a reader.
    pub near: Vec<String>,
}

impl std::fmt::Display for NameMiss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, needle) = (self.what, &self.needle);
        if self.ambiguous {
            write!(
                f,
                "`{needle}` matches {} {what}s: {}; say which one (full name, email or id)",
                self.near.len(),
                self.near.join("; ")
            )
        } else if self.near.is_empty() {
            write!(f, "no {what} matches `{needle}` (by id, email or name)")
        } else {
            write!(
                f,
                "no {what} matches `{needle}` (by id, email or name); did you mean {}?",
                self.near.join(" or ")
            )
        }
    }
}

impl std::error::Error for NameMiss {}

/// How well a needle names one entry, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    Exact,
    Words,
    Part,
}

fn normal(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// How `needle` (normalised) fits an entry with this id, name and email.
fn fit(needle: &str, id: &str, name: &str, email: Option<&str>) -> Option<Fit> {
    let name = normal(name);
    let email = email.map(str::to_lowercase);
    if needle == id || needle == name || email.as_deref() == Some(needle) {
        return Some(Fit::Exact);
    }
    // Every word given starts a word of the name: `ann`, `ann l`, `lee`.
    let words: Vec<&str> = name.split(' ').collect();
    if needle
        .split(' ')
        .all(|w| words.iter().any(|nw| nw.starts_with(w)))
    {
        return Some(Fit::Words);
    }
    let local = email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .unwrap_or_default();
    if needle.chars().count() >= 3 && (name.contains(needle) || local.starts_with(needle)) {
        return Some(Fit::Part);
    }
    None
}

/// The one entry `needle` names among `items`, or what came close.
fn pick<'a, T>(
    items: &'a [T],
    what: &'static str,
    needle: &str,
    keys: impl Fn(&T) -> (&str, &str, Option<&str>),
) -> std::result::Result<&'a T, NameMiss> {
    let wanted = normal(needle);
    let describe = |item: &T| {
        let (id, name, email) = keys(item);
        match email.filter(|e| !e.is_empty()) {
            Some(email) => format!("{name} <{email}> (id {id})"),
            None => format!("{name} (id {id})"),
        }
    };
    let miss = |ambiguous, near: Vec<&T>| NameMiss {
        what,
        needle: needle.trim().to_string(),
        ambiguous,
        near: near.into_iter().take(8).map(describe).collect(),
    };
    if wanted.is_empty() {
        return Err(miss(false, Vec::new()));
    }
    let fits: Vec<(Fit, &T)> = items
        .iter()
        .filter_map(|item| {
            let (id, name, email) = keys(item);
            fit(&wanted, id, name, email).map(|f| (f, item))
        })
        .collect();
    if let Some(best) = fits.iter().map(|(f, _)| *f).min() {
        let top: Vec<&T> = fits
            .iter()
            .filter(|(f, _)| *f == best)
            .map(|(_, t)| *t)
            .collect();
        return match top.as_slice() {
            [one] => Ok(one),
            _ => Err(miss(true, top)),
        };
    }
    // Nothing fits: offer the closest spellings (typos and swapped letters).
    let close = |a: &str, b: &str| {
        strsim::jaro_winkler(a, b).max(strsim::normalized_damerau_levenshtein(a, b))
    };
    let mut scored: Vec<(f64, &T)> = items
        .iter()
        .map(|item| {
            let (_, name, email) = keys(item);
            let name = normal(name);
            let mut score = close(&wanted, &name);
            for word in name.split(' ') {
                score = score.max(close(&wanted, word));
            }
            if let Some(email) = email {
                let email = email.to_lowercase();
                let local = email.split('@').next().unwrap_or_default();
                score = score.max(close(&wanted, &email)).max(close(&wanted, local));
            }
            (score, item)
        })
        .filter(|(score, _)| *score >= 0.65)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    Err(miss(
        false,
        scored.into_iter().take(3).map(|(_, t)| t).collect(),
    ))
}

impl Directory {
    /// `GET /admins`, `/teams` and `/tags`, at once. Admins and teams are needed; a tag
    /// list that cannot be read leaves `tags` empty and sets `tags_unavailable`.
    pub async fn load(client: &Client) -> Result<Self> {
        let (admins, teams, tags) = tokio::join!(
            client.list_admins(),
            client.list_teams(),
            client.list_tags()
        );
        let (admins, teams) = (admins?, teams?);
        let tags_unavailable = tags.is_err();
        let tags = match tags {
            Ok(tags) => tags,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the workspace's tags");
                crate::models::Page::default()
            }
        };
        let mut skipped = (admins.skipped + teams.skipped + tags.skipped) as u64;
        let mut keep = |id: Option<String>| {
            let id = id.filter(|id| !id.trim().is_empty());
            if id.is_none() {
                skipped += 1;
            }
            id
        };
        let ids = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>();
        let admins = admins
            .into_iter()
            .filter_map(|a| {
                Some(DirectoryAdmin {
                    id: keep(a.id)?,
                    name: a.name.unwrap_or_default(),
                    email: a.email.filter(|e| !e.trim().is_empty()),
                    away: a.away_mode_enabled.unwrap_or(false),
                    team_ids: ids(&a.team_ids),
                })
            })
            .collect();
        let teams = teams
            .into_iter()
            .filter_map(|t| {
                Some(DirectoryTeam {
                    id: keep(t.id)?,
                    name: t.name.unwrap_or_default(),
                    admin_ids: ids(&t.admin_ids),
                })
            })
            .collect();
        let tags = tags
            .into_iter()
            .filter_map(|t| {
                Some(DirectoryTag {
                    id: keep(t.id)?,
                    name: t.name.unwrap_or_default(),
                })
            })
            .collect();
        Ok(Self {
            admins,
            teams,
            tags,
            skipped,
            tags_unavailable,
        })
    }

    /// An answer worth keeping: every workspace has at least one admin (the token's),
    /// and the tag list was read.
    pub fn is_usable(&self) -> bool {
        !self.admins.is_empty() && !self.tags_unavailable
    }

    pub fn admin(&self, id: &str) -> Option<&DirectoryAdmin> {
        self.admins.iter().find(|a| a.id == id)
    }

    pub fn team(&self, id: &str) -> Option<&DirectoryTeam> {
        self.teams.iter().find(|t| t.id == id)
    }

    pub fn admin_name(&self, id: &str) -> Option<&str> {
        self.admin(id).map(|a| a.name.as_str())
    }

    pub fn team_name(&self, id: &str) -> Option<&str> {
        self.team(id).map(|t| t.name.as_str())
    }

    pub fn tag_name(&self, id: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.id == id)
            .map(|t| t.name.as_str())
    }

    /// The admin's name, or `admin 12` when the id is unknown.
    pub fn describe_admin(&self, id: &str) -> String {
        match self.admin_name(id) {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => format!("admin {id}"),
        }
    }

    /// The team's name, or `team 3` when the id is unknown.
    pub fn describe_team(&self, id: &str) -> String {
        match self.team_name(id) {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => format!("team {id}"),
        }
    }

    /// The admin named by id, email, full name, first name or part of a name.
    pub fn find_admin(&self, needle: &str) -> std::result::Result<&DirectoryAdmin, NameMiss> {
        pick(&self.admins, "admin", needle, |a| {
            (&a.id, &a.name, a.email.as_deref())
        })
    }

    /// The team named by id, name or part of its name.
    pub fn find_team(&self, needle: &str) -> std::result::Result<&DirectoryTeam, NameMiss> {
        pick(&self.teams, "team", needle, |t| (&t.id, &t.name, None))
    }

    /// The tag with this id or exact name (case-insensitive). Tags are not guessed:
    /// `vip` and `vip-trial` are different tags.
    pub fn find_tag(&self, needle: &str) -> std::result::Result<&DirectoryTag, NameMiss> {
        let wanted = normal(needle);
        if let Some(tag) = self
            .tags
            .iter()
            .find(|t| t.id == needle.trim() || normal(&t.name) == wanted)
        {
            return Ok(tag);
        }
        match pick(&self.tags, "tag", needle, |t| (&t.id, &t.name, None)) {
            // Close is not the same: report what came close, never pick it.
            Ok(t) => Err(NameMiss {
                what: "tag",
                needle: needle.trim().to_string(),
                ambiguous: false,
                near: vec![format!("{} (id {})", t.name, t.id)],
            }),
            Err(miss) => Err(NameMiss {
                ambiguous: false,
                ..miss
            }),
        }
    }
}

/// How long a directory answer is trusted before it is read again.
pub const DIRECTORY_TTL: Duration = Duration::from_secs(60);

/// One workspace's directory, read on demand and kept for [`DIRECTORY_TTL`]. An
/// unusable answer (no admins) or an error is never kept: the next call asks again.
#[derive(Debug)]
pub struct DirectoryCache {
    client: Client,
    ttl: Duration,
    /// Held only to copy or replace the `Arc`.
    kept: std::sync::Mutex<Option<(Instant, Arc<Directory>)>>,
    refresh: tokio::sync::Mutex<()>,
}

impl DirectoryCache {
    pub fn new(client: Client) -> Self {
        Self::with_ttl(client, DIRECTORY_TTL)
    }

    pub fn with_ttl(client: Client, ttl: Duration) -> Self {
        Self {
            client,
            ttl,
            kept: Default::default(),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn kept(&self) -> Option<(Instant, Arc<Directory>)> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn keep(&self, value: Option<(Instant, Arc<Directory>)>) {
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = value;
    }

    fn fresh(&self) -> Option<Arc<Directory>> {
        self.kept()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, d)| d)
    }

    /// The directory, read again when the kept one is older than the TTL. Concurrent
    /// callers share one read.
    pub async fn get(&self) -> Result<Arc<Directory>> {
        if let Some(d) = self.fresh() {
            return Ok(d);
        }
        let _one_reader = self.refresh.lock().await;
        if let Some(d) = self.fresh() {
            return Ok(d);
        }
        let loaded = Arc::new(Directory::load(&self.client).await?);
        if loaded.is_usable() {
            self.keep(Some((Instant::now(), loaded.clone())));
        } else {
            tracing::warn!(
                "the directory lists no admins, or its tags could not be read; it is not kept"
            );
        }
        Ok(loaded)
    }

    /// Like [`get`](Self::get), but when the read fails and an older directory is
    /// kept, that one is returned (long-running engines keep acting on it).
    pub async fn get_or_stale(&self) -> Result<Arc<Directory>> {
        match self.get().await {
            Ok(d) => Ok(d),
            Err(err) => match self.kept() {
                Some((_, old)) => {
                    tracing::warn!(error = %err, "could not refresh admins, teams and tags; using the previous copy");
                    Ok(old)
                }
                None => Err(err),
            },
        }
    }

    /// Forget the kept directory after a write changed it (a new tag).
    pub fn invalidate(&self) {
        self.keep(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(id: &str, name: &str, email: &str) -> DirectoryAdmin {
        DirectoryAdmin {
            id: id.into(),
            name: name.into(),
            email: Some(email.into()),
            away: false,
            team_ids: vec![],
        }
    }

    fn dir() -> Directory {
        Directory {
            admins: vec![
                admin("1", "Ann Lee", "ann@example.com"),
                admin("2", "Joanna Smith", "joanna@example.com"),
                admin("3", "John Park", "jpark@example.com"),
            ],
            teams: vec![
                DirectoryTeam {
                    id: "10".into(),
                    name: "Billing".into(),
                    admin_ids: vec![],
                },
                DirectoryTeam {
                    id: "11".into(),
                    name: "Billing Escalations".into(),
                    admin_ids: vec![],
                },
            ],
            tags: vec![DirectoryTag {
                id: "90".into(),
                name: "VIP".into(),
            }],
            ..Directory::default()
        }
    }

    #[test]
    fn names_as_people_say_them() {
        let d = dir();
        assert_eq!(d.find_admin("ann").unwrap().id, "1");
        assert_eq!(d.find_admin("ANN@example.com").unwrap().id, "1");
        assert_eq!(d.find_admin("  ann   lee ").unwrap().id, "1");
        assert_eq!(d.find_admin("lee").unwrap().id, "1");
        assert_eq!(d.find_admin("john").unwrap().id, "3");
        assert_eq!(d.find_admin("jpark").unwrap().id, "3");
        assert_eq!(d.find_admin("3").unwrap().id, "3");
        // An exact team name wins over a longer one that starts the same.
        assert_eq!(d.find_team("billing").unwrap().id, "10");
        assert_eq!(d.find_team("escal").unwrap().id, "11");
        assert_eq!(d.find_tag("vip").unwrap().id, "90");
        assert!(d.teams[0].is_exactly(" BILLING "));
        assert!(!d.teams[1].is_exactly("billing"));
        assert!(d.admins[0].is_exactly("ann@example.com") && !d.admins[0].is_exactly("ann"));
    }

    #[test]
    fn several_or_none_are_explained_with_near_matches() {
        let d = dir();
        let miss = d.find_admin("jo").unwrap_err();
        assert!(miss.ambiguous);
        let text = miss.to_string();
        assert!(
            text.contains("Joanna Smith <joanna@example.com> (id 2)")
                && text.contains("John Park")
                && text.contains("say which"),
            "{text}"
        );
        let miss = d.find_admin("aan").unwrap_err();
        assert!(miss.to_string().contains("did you mean Ann Lee"), "{miss}");
        let miss = d.find_admin("jhon").unwrap_err();
        assert!(!miss.ambiguous);
        assert!(
            miss.to_string().contains("did you mean John Park"),
            "{miss}"
        );
        let miss = d.find_admin("zebra").unwrap_err();
        assert!(miss.near.is_empty(), "{miss}");
        // A tag is never guessed from part of its name.
        let miss = d.find_tag("vi").unwrap_err();
        assert!(miss.to_string().contains("did you mean VIP"), "{miss}");
        assert!(d.find_admin("  ").is_err());
    }
}
