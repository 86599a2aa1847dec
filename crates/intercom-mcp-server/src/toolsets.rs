//! Toolsets and tool selection: which tools a server exposes.
//!
//! Selection is applied once when the server is built, so every transport and
//! every session sees the same, deterministic catalogue.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use rmcp::model::Tool;

/// A named group of tools, one per domain. The order of the variants is the
/// order in which tools are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Toolset {
    Workspace,
    Conversations,
    Tickets,
    Contacts,
    Companies,
    Articles,
    Realtime,
    Bulk,
    Analytics,
    Automations,
}

impl Toolset {
    pub const ALL: [Toolset; 10] = [
        Toolset::Workspace,
        Toolset::Conversations,
        Toolset::Tickets,
        Toolset::Contacts,
        Toolset::Companies,
        Toolset::Articles,
        Toolset::Realtime,
        Toolset::Bulk,
        Toolset::Analytics,
        Toolset::Automations,
    ];

    /// The toolsets enabled when nothing is asked for: everything a support
    /// agent uses daily, without the heavy or specialised ones.
    /// What a support team asks for most: looking things up and acting on them,
    /// "how did we do this week?" and "do this to all of these" (bulk tools
    /// default to a dry run). Real time and automations need a mirror or a rules
    /// file, so they are opt-in.
    pub const DEFAULT: [Toolset; 8] = [
        Toolset::Workspace,
        Toolset::Conversations,
        Toolset::Tickets,
        Toolset::Contacts,
        Toolset::Companies,
        Toolset::Articles,
        Toolset::Analytics,
        Toolset::Bulk,
    ];

    /// What the toolset is for, in a few words (for `list_toolsets`).
    pub fn description(self) -> &'static str {
        match self {
            Toolset::Workspace => "admins, teams, tags, segments, data attributes",
            Toolset::Conversations => "find, read, reply to, assign, tag, close conversations",
            Toolset::Tickets => "find, create, update, reply to tickets; queues",
            Toolset::Contacts => "find, create, update, tag, merge contacts; notes",
            Toolset::Companies => "find, create, update companies and their contacts",
            Toolset::Articles => "help center articles",
            Toolset::Realtime => "recent events and sync status of the local mirror",
            Toolset::Bulk => "act on many contacts/conversations at once (dry run first)",
            Toolset::Analytics => "support metrics over a period",
            Toolset::Automations => "list, test and audit automation rules",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Toolset::Workspace => "workspace",
            Toolset::Conversations => "conversations",
            Toolset::Tickets => "tickets",
            Toolset::Contacts => "contacts",
            Toolset::Companies => "companies",
            Toolset::Articles => "articles",
            Toolset::Realtime => "realtime",
            Toolset::Bulk => "bulk",
            Toolset::Analytics => "analytics",
            Toolset::Automations => "automations",
        }
    }
}

impl fmt::Display for Toolset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Toolset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Toolset::ALL
            .into_iter()
            .find(|t| t.name() == wanted)
            .ok_or_else(|| {
                let known: Vec<&str> = Toolset::ALL.iter().map(|t| t.name()).collect();
                format!(
                    "unknown toolset `{s}`; known toolsets: {}, default, all",
                    known.join(", ")
                )
            })
    }
}

/// What the operator asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Toolset names, plus the keywords `default` and `all`. Empty = `default`.
    pub toolsets: Vec<String>,
    /// Allow-list of tool names; when non-empty only these tools are exposed.
    pub tools: Vec<String>,
    /// Remove every tool that is not annotated read-only, whatever else is asked.
    pub read_only: bool,
    /// Dynamic toolsets even when toolsets or tools are named (see [`Selection::is_dynamic`]).
    pub dynamic: bool,
}

/// The tools a dynamic session lists before it enables a toolset: search and fetch, and
/// the conversation, ticket and contact essentials.
pub const CORE: [&str; 10] = [
    "whoami",
    "search",
    "fetch",
    "search_conversations",
    "get_conversation",
    "reply_to_conversation",
    "manage_conversation",
    "search_tickets",
    "get_ticket",
    "find_contact",
];

impl Selection {
    /// Dynamic toolsets: a session starts with [`CORE`] plus `list_toolsets` /
    /// `enable_toolset`, and the toolsets asked for (all when none is named) can be enabled.
    /// The default when no toolset and no tool is named; naming them (`--toolsets default`
    /// for the usual set) gives a static list unless `dynamic` is set too.
    pub fn is_dynamic(&self) -> bool {
        self.dynamic || (self.toolset_names().is_empty() && self.tool_names().is_empty())
    }

    fn toolset_names(&self) -> Vec<&str> {
        self.toolsets
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Resolve the toolset names into a set, rejecting unknown names.
    pub fn toolsets(&self) -> Result<BTreeSet<Toolset>, String> {
        let mut out = BTreeSet::new();
        let names = self.toolset_names();
        if names.is_empty() {
            out.extend(if self.is_dynamic() {
                &Toolset::ALL[..]
            } else {
                &Toolset::DEFAULT[..]
            });
        }
        for name in names {
            match name.to_ascii_lowercase().as_str() {
                "all" => out.extend(Toolset::ALL),
                "default" => out.extend(Toolset::DEFAULT),
                _ => {
                    out.insert(name.parse::<Toolset>()?);
                }
            }
        }
        Ok(out)
    }

    fn tool_names(&self) -> BTreeSet<String> {
        self.tools
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| crate::aliases::canonical(s.trim()).to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Decide whether a tool from `toolset` is exposed.
    ///
    /// An explicit `--tools` allow-list selects tools from any toolset (so a
    /// single tool can be picked without naming its toolset); `--read-only`
    /// always wins.
    pub fn admits(&self, toolset: Toolset, tool: &Tool, toolsets: &BTreeSet<Toolset>) -> bool {
        if self.read_only && !is_read_only(tool) {
            return false;
        }
        let names = self.tool_names();
        if !names.is_empty() {
            return names.contains(tool.name.as_ref());
        }
        toolsets.contains(&toolset)
    }

    /// Names in `--tools` that match no known tool, for a clear startup error.
    pub fn unknown_tools<'a>(&self, known: impl Iterator<Item = &'a str>) -> Vec<String> {
        let known: BTreeSet<&str> = known.collect();
        self.tool_names()
            .into_iter()
            .filter(|n| !known.contains(n.as_str()))
            .collect()
    }
}

pub fn is_read_only(tool: &Tool) -> bool {
    tool.annotations
        .as_ref()
        .and_then(|a| a.read_only_hint)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_selection_is_dynamic_over_every_toolset() {
        let sel = Selection::default();
        assert!(sel.is_dynamic());
        assert_eq!(sel.toolsets().unwrap().len(), Toolset::ALL.len());
        let named = Selection {
            toolsets: vec!["default".into()],
            ..Default::default()
        };
        assert!(!named.is_dynamic());
        assert_eq!(
            named.toolsets().unwrap(),
            Toolset::DEFAULT.into_iter().collect()
        );
        let picked = Selection {
            tools: vec!["whoami".into()],
            ..Default::default()
        };
        assert!(!picked.is_dynamic());
        let both = Selection {
            toolsets: vec!["tickets".into()],
            dynamic: true,
            ..Default::default()
        };
        assert!(both.is_dynamic());
        assert_eq!(
            both.toolsets().unwrap(),
            [Toolset::Tickets].into_iter().collect()
        );
    }

    #[test]
    fn all_and_names_combine() {
        let sel = Selection {
            toolsets: vec!["tickets, workspace".into()],
            ..Default::default()
        };
        let got = sel.toolsets().unwrap();
        assert_eq!(
            got,
            [Toolset::Tickets, Toolset::Workspace].into_iter().collect()
        );
        let all = Selection {
            toolsets: vec!["all".into()],
            ..Default::default()
        };
        assert_eq!(all.toolsets().unwrap().len(), Toolset::ALL.len());
    }

    #[test]
    fn unknown_toolset_is_an_error_naming_it() {
        let sel = Selection {
            toolsets: vec!["nope".into()],
            ..Default::default()
        };
        let err = sel.toolsets().unwrap_err();
        assert!(
            err.contains("nope") && err.contains("conversations"),
            "{err}"
        );
    }
}
