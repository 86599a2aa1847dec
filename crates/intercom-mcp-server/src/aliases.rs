//! Tool names that still work but are not listed: a tool folded into another, and the names of
//! Intercom's hosted MCP server where ours differ. Calling an alias runs the tool it names with
//! the same arguments (plus the alias's presets where the caller gave none), so an alias is
//! never listed twice and answers exactly what its tool answers.

use serde_json::{Map, Value};

/// An unlisted name for a catalogue tool.
#[derive(Debug, Clone, Copy)]
pub struct Alias {
    /// The name a client may call.
    pub name: &'static str,
    /// The listed tool that runs.
    pub tool: &'static str,
    /// Arguments set when the caller did not give them: `(argument, JSON value)`.
    pub presets: &'static [(&'static str, &'static str)],
}

/// Every alias. `search_contacts` lists what matches (one line each, with paging) even when
/// it is given one full email address, as it did before it was folded into `find_contact`;
/// `get_contact` (an id) is `find_contact` with an id.
pub const ALIASES: &[Alias] = &[
    Alias {
        name: "search_contacts",
        tool: "find_contact",
        presets: &[("list", "true")],
    },
    Alias {
        name: "get_contact",
        tool: "find_contact",
        presets: &[],
    },
];

/// The alias of that name, if any.
pub fn alias(name: &str) -> Option<&'static Alias> {
    ALIASES.iter().find(|a| a.name == name)
}

/// The tool a name runs: the alias's tool, or the name itself.
pub fn canonical(name: &str) -> &str {
    alias(name).map_or(name, |a| a.tool)
}

impl Alias {
    /// The arguments the tool receives: the caller's, plus the presets it did not give.
    pub fn arguments(&self, given: Option<Map<String, Value>>) -> Option<Map<String, Value>> {
        if self.presets.is_empty() {
            return given;
        }
        let mut args = given.unwrap_or_default();
        for (key, value) in self.presets {
            if !args.contains_key(*key) {
                args.insert(
                    (*key).to_string(),
                    serde_json::from_str(value).unwrap_or(Value::Null),
                );
            }
        }
        Some(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_fill_only_what_is_missing() {
        let a = alias("search_contacts").unwrap();
        let args = a.arguments(None).unwrap();
        assert_eq!(args["list"], Value::Bool(true));
        let mut given = Map::new();
        given.insert("list".into(), Value::Bool(false));
        assert_eq!(
            a.arguments(Some(given)).unwrap()["list"],
            Value::Bool(false)
        );
        assert_eq!(canonical("get_contact"), "find_contact");
        assert_eq!(canonical("whoami"), "whoami");
    }

    #[test]
    fn every_preset_is_json() {
        for a in ALIASES {
            for (_, v) in a.presets {
                assert!(serde_json::from_str::<Value>(v).is_ok(), "{}: {v}", a.name);
            }
        }
    }
}
