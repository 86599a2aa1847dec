//! Reading a rules file: TOML syntax errors and our own validation errors, every one
//! with the line it is on, all reported together so a file can be fixed in one pass.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::rules::*;
use super::template::{BodyTemplate, Template};

/// One problem in a rules file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Every problem found in one file.
#[derive(Debug, Clone)]
pub struct RuleErrors {
    pub file: String,
    pub errors: Vec<RuleError>,
}

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        writeln!(
            f,
            "{}: {n} error{} in the automations rules",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            writeln!(f, "  {}:{}:{}: {}", self.file, e.line, e.column, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleErrors {}

/// Read and validate a rules file; secrets named by `secret_env` come from the environment.
pub fn load_rules(path: &std::path::Path) -> Result<RuleSet, RuleErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| RuleErrors {
        file: file.clone(),
        errors: vec![RuleError {
            line: 0,
            column: 0,
            message: format!("cannot read the rules file: {e}"),
        }],
    })?;
    parse_rules(&text, &|name| std::env::var(name).ok())
        .map_err(|errors| RuleErrors { file, errors })
}

/// Parse rules from TOML text; `env` resolves `secret_env` names.
pub fn parse_rules(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RuleSet, Vec<RuleError>> {
    let mut p = Parser {
        line_starts: std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        errors: Vec::new(),
        env,
        rule_names: Vec::new(),
    };
    let (doc, syntax_errors) = DeTable::parse_recoverable(text);
    for e in syntax_errors {
        let span = e.span().unwrap_or(0..0);
        p.error(span, e.message().trim().to_string());
    }
    let mut set = RuleSet {
        settings: Settings::default(),
        rules: Vec::new(),
    };
    let mut seen_rules = false;
    for (key, value) in doc.get_ref().iter() {
        match key.get_ref().as_ref() {
            "settings" => match value.get_ref().as_table() {
                Some(t) => set.settings = p.settings(t),
                None => p.error(value.span(), "`settings` must be a table: [settings]"),
            },
            "rules" => {
                seen_rules = true;
                match value.get_ref().as_array() {
                    Some(items) => {
                        for item in items.iter() {
                            match item.get_ref().as_table() {
                                Some(t) => {
                                    if let Some(rule) = p.rule(item.span(), t, &set.settings) {
                                        set.rules.push(rule);
                                    }
                                }
                                None => {
                                    p.error(item.span(), "each rule must be a table: [[rules]]")
                                }
                            }
                        }
                    }
                    None => p.error(
                        value.span(),
                        "`rules` must be an array of tables: [[rules]]",
                    ),
                }
            }
            other => p.error(
                key.span(),
                format!("unknown top-level key `{other}`; expected [settings] or [[rules]]"),
            ),
        }
    }
    if !seen_rules && p.errors.is_empty() {
        p.error(
            0..0,
            "the file declares no rules; add at least one [[rules]] table",
        );
    }
    let mut names = HashSet::new();
    for (name, line) in std::mem::take(&mut p.rule_names) {
        if !names.insert(name.clone()) {
            p.errors.push(RuleError {
                line,
                column: 1,
                message: format!(
                    "a rule named {name:?} is already declared above; rule names must be unique"
                ),
            });
        }
    }
    if p.errors.is_empty() {
        Ok(set)
    } else {
        p.errors.sort_by_key(|e| (e.line, e.column));
        p.errors.dedup();
        Err(p.errors)
    }
}

type Table<'i> = DeTable<'i>;
type Node<'i> = Spanned<DeValue<'i>>;

struct Parser<'e> {
    line_starts: Vec<usize>,
    errors: Vec<RuleError>,
    env: &'e dyn Fn(&str) -> Option<String>,
    /// Every rule name with its line, to report duplicates even among invalid rules.
    rule_names: Vec<(String, usize)>,
}

impl Parser<'_> {
    fn position(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        (line, offset - self.line_starts[line - 1] + 1)
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = self.position(span.start);
        self.errors.push(RuleError {
            line,
            column,
            message: message.into(),
        });
    }

    fn line(&self, span: &Range<usize>) -> usize {
        self.position(span.start).0
    }

    fn string(&mut self, node: &Node<'_>, what: &str) -> Option<String> {
        match node.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(
                    node.span(),
                    format!("{what} must be a string, not {}", node.get_ref().type_str()),
                );
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node<'_>, what: &str) -> Option<bool> {
        let b = node.get_ref().as_bool();
        if b.is_none() {
            self.error(
                node.span(),
                format!(
                    "{what} must be true or false, not {}",
                    node.get_ref().type_str()
                ),
            );
        }
        b
    }

    fn integer(&mut self, node: &Node<'_>, what: &str, range: Range<i64>) -> Option<i64> {
        let n = node
            .get_ref()
            .as_integer()
            .and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok())
            .filter(|n| range.contains(n));
        if n.is_none() {
            self.error(
                node.span(),
                format!(
                    "{what} must be a whole number from {} to {}",
                    range.start,
                    range.end - 1
                ),
            );
        }
        n
    }

    /// A string, or an array of strings (any of them matches).
    fn strings(&mut self, node: &Node<'_>, what: &str) -> Option<Vec<String>> {
        match node.get_ref() {
            DeValue::String(s) => Some(vec![s.to_string()]),
            DeValue::Array(items) if !items.is_empty() => {
                let mut out = Vec::new();
                for item in items.iter() {
                    out.push(self.string(item, what)?);
                }
                Some(out)
            }
            _ => {
                self.error(
                    node.span(),
                    format!("{what} must be a string or a non-empty array of strings"),
                );
                None
            }
        }
    }

    fn duration(&mut self, node: &Node<'_>, what: &str) -> Option<i64> {
        let parsed = match node.get_ref() {
            DeValue::String(s) => parse_duration(s),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        }
        .filter(|s| *s > 0);
        if parsed.is_none() {
            self.error(
                node.span(),
                format!(
                    "{what} must be a positive duration such as \"90s\", \"10m\", \"2h\" or \"1d\""
                ),
            );
        }
        parsed
    }

    fn timezone(&mut self, node: &Node<'_>) -> Option<chrono_tz::Tz> {
        let name = self.string(node, "timezone")?;
        let tz = name.parse::<chrono_tz::Tz>().ok();
        if tz.is_none() {
            self.error(
                node.span(),
                format!("unknown time zone {name:?}; use an IANA name such as \"Europe/Berlin\""),
            );
        }
        tz
    }

    fn settings(&mut self, table: &Table<'_>) -> Settings {
        let mut s = Settings::default();
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "admin" => s.admin = self.string(value, "settings.admin"),
                "timezone" => {
                    if let Some(tz) = self.timezone(value) {
                        s.timezone = tz;
                    }
                }
                "max_runs_per_object" => {
                    if let Some(n) = self.integer(value, "settings.max_runs_per_object", 1..10_001)
                    {
                        s.max_runs_per_object = n as u32;
                    }
                }
                "rate_window" => {
                    if let Some(d) = self.duration(value, "settings.rate_window") {
                        s.rate_window_secs = d;
                    }
                }
                "echo_window" => {
                    if let Some(d) = self.duration(value, "settings.echo_window") {
                        s.echo_window_secs = d;
                    }
                }
                "retry_attempts" => {
                    if let Some(n) = self.integer(value, "settings.retry_attempts", 1..11) {
                        s.retry_attempts = n as u32;
                    }
                }
                other => self.error(
                    key.span(),
                    format!(
                        "unknown setting `{other}`; settings are admin, timezone, \
                         max_runs_per_object, rate_window, echo_window, retry_attempts"
                    ),
                ),
            }
        }
        s
    }

    fn rule(&mut self, span: Range<usize>, table: &Table<'_>, settings: &Settings) -> Option<Rule> {
        let errors_before = self.errors.len();
        let line = self.line(&span);
        let mut name = None;
        let mut description = None;
        let mut topics = Vec::new();
        let mut enabled = true;
        let mut dry_run = false;
        let mut secret = None;
        // Set when `secret_env` names a variable, found or not (a missing one is its own error).
        let mut secret_declared = false;
        let mut conditions = Vec::new();
        let mut actions = Vec::new();
        let mut topics_span = None;
        let mut has_actions = false;
        for (key, value) in table.iter() {
            match key.get_ref().as_ref() {
                "name" => {
                    name = self.string(value, "name").filter(|n| {
                        let ok = !n.trim().is_empty();
                        if !ok {
                            self.error(value.span(), "a rule's name must not be empty");
                        }
                        ok
                    })
                }
                "description" => description = self.string(value, "description"),
                "topics" => {
                    topics_span = Some(value.span());
                    topics = self.topics(value);
                }
                "enabled" => enabled = self.boolean(value, "enabled").unwrap_or(true),
                "dry_run" => dry_run = self.boolean(value, "dry_run").unwrap_or(false),
                "secret" => secret = self.string(value, "secret").map(Secret::new),
                "secret_env" => {
                    secret_declared = true;
                    if let Some(var) = self.string(value, "secret_env") {
                        match (self.env)(&var) {
                            Some(v) if !v.is_empty() => secret = Some(Secret::new(v)),
                            _ => self.error(
                                value.span(),
                                format!(
                                    "environment variable {var} (secret_env) is not set or empty"
                                ),
                            ),
                        }
                    }
                }
                "conditions" => {
                    for item in self.tables(value, "conditions", "[[rules.conditions]]") {
                        if let Some(c) = self.condition(item.0, item.1, settings) {
                            conditions.push(c);
                        }
                    }
                }
                "actions" => {
                    has_actions = true;
                    for item in self.tables(value, "actions", "[[rules.actions]]") {
                        if let Some(a) = self.action(item.0, item.1) {
                            actions.push(a);
                        }
                    }
                }
                other => self.error(
                    key.span(),
                    format!(
                        "unknown rule key `{other}`; a rule has name, description, topics, \
                         enabled, dry_run, secret or secret_env, conditions, actions"
                    ),
                ),
            }
        }
        if let Some(n) = &name {
            self.rule_names.push((n.clone(), line));
        }
        if name.is_none() && !table.contains_key("name") {
            self.error(span.clone(), "this rule has no `name`");
        }
        if topics_span.is_none() {
            self.error(
                span.clone(),
                "this rule has no `topics`; list the webhook topics that trigger it",
            );
        }
        if !has_actions {
            self.error(span.clone(), "this rule has no [[rules.actions]]");
        }
        let rule = Rule {
            name: name.unwrap_or_default(),
            description,
            line,
            topics,
            enabled,
            dry_run,
            secret,
            conditions,
            actions,
        };
        self.check_fit(&rule, secret_declared);
        (self.errors.len() == errors_before).then_some(rule)
    }

    /// Conditions and actions must make sense for every object the topics are about.
    fn check_fit(&mut self, rule: &Rule, secret_declared: bool) {
        let types = rule.object_types();
        for action in &rule.actions {
            for ty in &types {
                if !action.kind.applies_to().contains(ty) {
                    self.errors.push(RuleError {
                        line: action.line,
                        column: 1,
                        message: format!(
                            "action `{}` cannot act on a {ty}, but the rule's topics include {ty} events",
                            action.kind.kind()
                        ),
                    });
                }
            }
            if matches!(action.kind, ActionKind::Post { .. })
                && rule.secret.is_none()
                && !secret_declared
            {
                self.errors.push(RuleError {
                    line: action.line,
                    column: 1,
                    message: "`post` signs its body with the rule's secret: set `secret_env` (or `secret`) on the rule".into(),
                });
            }
        }
        for cond in &rule.conditions {
            let allowed: &[ObjectType] = match &cond.test {
                ConditionTest::TextContains(_) | ConditionTest::TextMatches(_) => {
                    &[ObjectType::Conversation, ObjectType::Ticket]
                }
                ConditionTest::Priority(_) | ConditionTest::Channel(_) => {
                    &[ObjectType::Conversation]
                }
                ConditionTest::State(_) | ConditionTest::Team(_) | ConditionTest::Assignee(_) => {
                    &[ObjectType::Conversation, ObjectType::Ticket]
                }
                ConditionTest::Tag(_) => &[
                    ObjectType::Conversation,
                    ObjectType::Ticket,
                    ObjectType::Contact,
                    ObjectType::Company,
                ],
                ConditionTest::Attribute { .. } | ConditionTest::BusinessHours(_) => continue,
            };
            for ty in &types {
                if !allowed.contains(ty) {
                    self.errors.push(RuleError {
                        line: cond.line,
                        column: 1,
                        message: format!(
                            "condition `{}` does not apply to a {ty}, but the rule's topics include {ty} events",
                            cond.test.kind()
                        ),
                    });
                }
            }
        }
    }

    fn topics(&mut self, node: &Node<'_>) -> Vec<String> {
        let Some(list) = self.strings(node, "topics") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for topic in list {
            let known = match topic.strip_suffix(".*") {
                Some(prefix) => KNOWN_TOPICS
                    .iter()
                    .any(|t| t.starts_with(&format!("{prefix}."))),
                None => KNOWN_TOPICS.contains(&topic.as_str()),
            };
            if known {
                out.push(topic);
            } else {
                let hint = KNOWN_TOPICS
                    .iter()
                    .find(|t| t.split('.').next() == topic.split('.').next())
                    .map(|t| {
                        format!(
                            " (for example {t:?}, or {:?})",
                            format!("{}.*", topic.split('.').next().unwrap_or(""))
                        )
                    })
                    .unwrap_or_default();
                self.error(node.span(), format!("unknown topic {topic:?}{hint}"));
            }
        }
        out
    }

    /// The tables of an array of tables, reporting entries that are not tables.
    fn tables<'n, 'i>(
        &mut self,
        node: &'n Node<'i>,
        what: &str,
        header: &str,
    ) -> Vec<(Range<usize>, &'n Table<'i>)> {
        let Some(items) = node.get_ref().as_array() else {
            self.error(
                node.span(),
                format!("`{what}` must be an array of tables: {header}"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref().as_table() {
                Some(t) => out.push((item.span(), t)),
                None => self.error(
                    item.span(),
                    format!("each of `{what}` must be a table: {header}"),
                ),
            }
        }
        out
    }

    /// Split a table into its one kind key and its modifiers.
    fn kind_key<'n, 'i>(
        &mut self,
        span: &Range<usize>,
        table: &'n Table<'i>,
        kinds: &[&str],
        what: &str,
    ) -> Option<(String, &'n Node<'i>)> {
        let present: Vec<_> = table
            .iter()
            .filter(|(k, _)| kinds.contains(&k.get_ref().as_ref()))
            .collect();
        match present.as_slice() {
            [(k, v)] => Some((k.get_ref().to_string(), v)),
            [] => {
                self.error(
                    span.clone(),
                    format!(
                        "this {what} names no kind; use one of: {}",
                        kinds.join(", ")
                    ),
                );
                None
            }
            [_, (k, _), ..] => {
                self.error(
                    k.span(),
                    format!(
                        "one {what} per table: `{}` is a second kind here; start another table",
                        k.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn reject_extra(&mut self, table: &Table<'_>, allowed: &[&str], kind: &str, what: &str) {
        for (key, _) in table.iter() {
            let k = key.get_ref().as_ref();
            if k != kind && !allowed.contains(&k) {
                let hint = if allowed.is_empty() {
                    String::new()
                } else {
                    format!(" (it takes: {})", allowed.join(", "))
                };
                self.error(
                    key.span(),
                    format!("unknown key `{k}` in a `{kind}` {what}{hint}"),
                );
            }
        }
    }

    fn condition(
        &mut self,
        span: Range<usize>,
        table: &Table<'_>,
        settings: &Settings,
    ) -> Option<Condition> {
        const KINDS: [&str; 10] = [
            "text_contains",
            "text_matches",
            "tag",
            "priority",
            "state",
            "team",
            "assignee",
            "channel",
            "attribute",
            "business_hours",
        ];
        let line = self.line(&span);
        let (kind, node) = self.kind_key(&span, table, &KINDS, "condition")?;
        let modifiers: &[&str] = match kind.as_str() {
            "attribute" => &["op", "value", "not"],
            "business_hours" => &["timezone", "not"],
            _ => &["not"],
        };
        self.reject_extra(table, modifiers, &kind, "condition");
        let negate = match table.get("not") {
            Some(n) => self.boolean(n, "not")?,
            None => false,
        };
        let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
        let test = match kind.as_str() {
            "text_contains" => ConditionTest::TextContains(lower(self.strings(node, &kind)?)),
            "text_matches" => {
                let pattern = self.string(node, &kind)?;
                match regex::Regex::new(&pattern) {
                    Ok(re) => ConditionTest::TextMatches(re),
                    Err(e) => {
                        self.error(
                            node.span(),
                            format!(
                                "text_matches is not a valid regular expression: {}",
                                e.to_string().lines().last().unwrap_or_default().trim()
                            ),
                        );
                        return None;
                    }
                }
            }
            "tag" => ConditionTest::Tag(self.strings(node, &kind)?),
            "priority" => {
                let v = lower(self.strings(node, &kind)?);
                const P: [&str; 5] = ["none", "low", "medium", "high", "urgent"];
                if let Some(bad) = v.iter().find(|p| !P.contains(&p.as_str())) {
                    self.error(
                        node.span(),
                        format!("unknown priority {bad:?}; use one of {}", P.join(", ")),
                    );
                    return None;
                }
                ConditionTest::Priority(v)
            }
            "state" => ConditionTest::State(lower(self.strings(node, &kind)?)),
            "team" => ConditionTest::Team(self.strings(node, &kind)?),
            "assignee" => ConditionTest::Assignee(self.strings(node, &kind)?),
            "channel" => ConditionTest::Channel(lower(self.strings(node, &kind)?)),
            "attribute" => self.attribute(&span, node, table)?,
            "business_hours" => {
                let timezone = match table.get("timezone") {
                    Some(tz) => self.timezone(tz)?,
                    None => settings.timezone,
                };
                let specs = self.strings(node, &kind)?;
                let mut windows = Vec::new();
                for spec in &specs {
                    match parse_hours(spec) {
                        Ok(w) => windows.extend(w),
                        Err(e) => {
                            self.error(node.span(), e);
                            return None;
                        }
                    }
                }
                ConditionTest::BusinessHours(BusinessHours {
                    text: specs.join(", "),
                    timezone,
                    windows,
                })
            }
            _ => unreachable!("kind_key returns one of KINDS"),
        };
        Some(Condition { line, negate, test })
    }

    fn attribute(
        &mut self,
        span: &Range<usize>,
        node: &Node<'_>,
        table: &Table<'_>,
    ) -> Option<ConditionTest> {
        const ROOTS: [&str; 5] = ["contact", "company", "conversation", "ticket", "object"];
        let raw = self.string(node, "attribute")?;
        let path: Vec<String> = raw.split('.').map(str::to_string).collect();
        if path.len() < 2 || path.iter().any(String::is_empty) || !ROOTS.contains(&path[0].as_str())
        {
            self.error(
                node.span(),
                format!(
                    "attribute {raw:?} must be a dotted path starting with one of {} (e.g. \"contact.plan\", \"company.monthly_spend\")",
                    ROOTS.join(", ")
                ),
            );
            return None;
        }
        let op = match table.get("op") {
            Some(op_node) => {
                let text = self.string(op_node, "op")?;
                match CompareOp::parse(&text) {
                    Some(op) => op,
                    None => {
                        let all: Vec<_> = CompareOp::ALL.iter().map(|o| o.as_str()).collect();
                        self.error(
                            op_node.span(),
                            format!("unknown op {text:?}; use one of {}", all.join(" ")),
                        );
                        return None;
                    }
                }
            }
            None => CompareOp::Eq,
        };
        let value = match table.get("value") {
            Some(v) => to_json(v),
            None if op == CompareOp::Exists => Value::Null,
            None => {
                self.error(
                    span.clone(),
                    format!(
                        "attribute condition with op `{}` needs a `value`",
                        op.as_str()
                    ),
                );
                return None;
            }
        };
        match op {
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le if !value.is_number() => {
                self.error(
                    span.clone(),
                    format!(
                        "op `{}` compares numbers; `value` must be a number",
                        op.as_str()
                    ),
                );
                return None;
            }
            CompareOp::In if !value.is_array() => {
                self.error(span.clone(), "op `in` needs an array `value`");
                return None;
            }
            _ => {}
        }
        Some(ConditionTest::Attribute { path, op, value })
    }

    fn template(&mut self, node: &Node<'_>, what: &str) -> Option<Template> {
        let text = self.string(node, what)?;
        match Template::parse(&text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.error(node.span(), format!("{what}: {e}"));
                None
            }
        }
    }

    fn action(&mut self, span: Range<usize>, table: &Table<'_>) -> Option<Action> {
        const KINDS: [&str; 10] = [
            "add_tag",
            "remove_tag",
            "assign_admin",
            "assign_team",
            "note",
            "reply",
            "snooze",
            "close",
            "create_ticket",
            "post",
        ];
        let line = self.line(&span);
        let (kind, node) = self.kind_key(&span, table, &KINDS, "action")?;
        let modifiers: &[&str] = match kind.as_str() {
            "assign_team" => &["round_robin"],
            "create_ticket" => &["title"],
            "post" => &["body"],
            _ => &[],
        };
        self.reject_extra(table, modifiers, &kind, "action");
        let non_empty = |p: &mut Self, s: Option<String>| -> Option<String> {
            let s = s?;
            if s.trim().is_empty() {
                p.error(node.span(), format!("`{kind}` must not be empty"));
                return None;
            }
            Some(s)
        };
        let action = match kind.as_str() {
            "add_tag" => {
                let s = self.string(node, &kind);
                ActionKind::AddTag(non_empty(self, s)?)
            }
            "remove_tag" => {
                let s = self.string(node, &kind);
                ActionKind::RemoveTag(non_empty(self, s)?)
            }
            "assign_admin" => {
                let s = self.string(node, &kind);
                ActionKind::AssignAdmin(non_empty(self, s)?)
            }
            "assign_team" => {
                let s = self.string(node, &kind);
                let team = non_empty(self, s)?;
                let round_robin = match table.get("round_robin") {
                    Some(n) => self.boolean(n, "round_robin")?,
                    None => false,
                };
                ActionKind::AssignTeam { team, round_robin }
            }
            "note" => ActionKind::Note(self.template(node, "note")?),
            "reply" => ActionKind::Reply(self.template(node, "reply")?),
            "snooze" => ActionKind::Snooze {
                seconds: self.duration(node, "snooze")?,
            },
            "close" => match node.get_ref() {
                DeValue::Boolean(true) => ActionKind::Close(None),
                DeValue::String(_) => ActionKind::Close(Some(self.template(node, "close")?)),
                _ => {
                    self.error(
                        node.span(),
                        "`close` is true, or the text of a closing message",
                    );
                    return None;
                }
            },
            "create_ticket" => {
                let s = self.string(node, &kind);
                let ticket_type = non_empty(self, s)?;
                let title = match table.get("title") {
                    Some(t) => Some(self.template(t, "title")?),
                    None => None,
                };
                ActionKind::CreateTicket { ticket_type, title }
            }
            "post" => {
                let raw = self.string(node, "post")?;
                let url = match url::Url::parse(&raw) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => u,
                    _ => {
                        self.error(node.span(), format!("post {raw:?} is not an http(s) URL"));
                        return None;
                    }
                };
                let body = match table.get("body") {
                    Some(b) if b.get_ref().is_table() => Some(self.body(b)?),
                    Some(b) => {
                        self.error(
                            b.span(),
                            "`body` must be a table, e.g. body = { id = \"{{conversation.id}}\" }",
                        );
                        return None;
                    }
                    None => None,
                };
                ActionKind::Post { url, body }
            }
            _ => unreachable!("kind_key returns one of KINDS"),
        };
        Some(Action { line, kind: action })
    }

    fn body(&mut self, node: &Node<'_>) -> Option<BodyTemplate> {
        Some(match node.get_ref() {
            DeValue::String(s) => match Template::parse(s) {
                Ok(t) => BodyTemplate::Text(t),
                Err(e) => {
                    self.error(node.span(), format!("body: {e}"));
                    return None;
                }
            },
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    out.push(self.body(item)?);
                }
                BodyTemplate::Array(out)
            }
            DeValue::Table(t) => {
                let mut out = Vec::new();
                for (k, v) in t.iter() {
                    out.push((k.get_ref().to_string(), self.body(v)?));
                }
                BodyTemplate::Object(out)
            }
            _ => BodyTemplate::Literal(to_json(node)),
        })
    }
}

/// A TOML value as JSON (dates become strings).
fn to_json(node: &Node<'_>) -> Value {
    match node.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(Value::from)
            .unwrap_or(Value::Null),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        DeValue::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.get_ref().to_string(), to_json(v)))
                .collect(),
        ),
    }
}

/// `"90s"`, `"10m"`, `"2h"`, `"1d"`, `"10 minutes"` (or a bare number of seconds) in
/// seconds: the units of the one date grammar ([`intercom_core::dates::parse_duration`]).
pub fn parse_duration(text: &str) -> Option<i64> {
    intercom_core::dates::parse_duration(text)
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `"mon-fri 09:00-17:00"` into (weekday, start minute, end minute) windows.
pub fn parse_hours(spec: &str) -> Result<Vec<(u32, u32, u32)>, String> {
    let bad = |why: &str| {
        format!("business_hours {spec:?}: {why}; write it like \"mon-fri 09:00-17:00\"")
    };
    let mut parts = spec.split_whitespace();
    let (days, hours) = match (parts.next(), parts.next(), parts.next()) {
        (Some(d), Some(h), None) => (d, h),
        _ => return Err(bad("expected days then hours")),
    };
    let day = |d: &str| {
        DAYS.iter()
            .position(|x| d.eq_ignore_ascii_case(x))
            .map(|i| i as u32)
    };
    let day_list: Vec<u32> = if days.eq_ignore_ascii_case("daily") {
        (0..7).collect()
    } else {
        let mut out = Vec::new();
        for group in days.split(',') {
            match group.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (
                        day(a).ok_or_else(|| bad(&format!("unknown day {a:?}")))?,
                        day(b).ok_or_else(|| bad(&format!("unknown day {b:?}")))?,
                    );
                    let mut d = a;
                    loop {
                        out.push(d);
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => out.push(day(group).ok_or_else(|| bad(&format!("unknown day {group:?}")))?),
            }
        }
        out
    };
    let minute = |t: &str| -> Option<u32> {
        let (h, m) = t.split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
    };
    let (start, end) = hours
        .split_once('-')
        .and_then(|(a, b)| Some((minute(a)?, minute(b)?)))
        .ok_or_else(|| bad("hours must be HH:MM-HH:MM"))?;
    if end <= start {
        return Err(bad(
            "the end must be after the start (split overnight hours into two entries)",
        ));
    }
    Ok(day_list.into_iter().map(|d| (d, start, end)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    const GOOD: &str = r#"
[settings]
timezone = "Europe/Berlin"
max_runs_per_object = 3

[[rules]]
name = "billing"
topics = ["conversation.user.created", "conversation.user.replied"]

  [[rules.conditions]]
  text_contains = ["Invoice", "refund"]

  [[rules.conditions]]
  attribute = "company.monthly_spend"
  op = ">="
  value = 1000

  [[rules.actions]]
  add_tag = "billing"

  [[rules.actions]]
  assign_team = "Billing"
  round_robin = true

  [[rules.actions]]
  note = "Plan {{contact.plan}}"

[[rules]]
name = "alert"
topics = ["ticket.*"]
secret = "s3cret"
dry_run = true
conditions = [{ business_hours = ["mon-fri 09:00-17:00"], not = true }]
actions = [{ post = "http://127.0.0.1:9/hook", body = { id = "{{ticket.id}}", n = 1 } }]
"#;

    #[test]
    fn parses_a_good_file() {
        let set = parse_rules(GOOD, &no_env).unwrap();
        assert_eq!(set.settings.max_runs_per_object, 3);
        assert_eq!(set.settings.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(set.rules.len(), 2);
        let billing = &set.rules[0];
        assert_eq!(billing.line, 6);
        assert_eq!(billing.conditions.len(), 2);
        assert_eq!(billing.conditions[1].line, 13);
        assert!(matches!(
            &billing.conditions[0].test,
            ConditionTest::TextContains(w) if w == &["invoice", "refund"]
        ));
        assert_eq!(billing.actions.len(), 3);
        assert!(billing.needs_contact());
        assert!(billing.needs_company());
        let alert = &set.rules[1];
        assert!(
            alert.dry_run
                && alert.listens_to("ticket.created")
                && !alert.listens_to("contact.user.created")
        );
        assert!(alert.conditions[0].negate);
        assert_eq!(
            alert.topic_for(ObjectType::Ticket).as_deref(),
            Some("ticket.created")
        );
        assert_eq!(alert.topic_for(ObjectType::Contact), None);
        assert!(format!("{:?}", alert.secret).contains("***"));
        assert!(!format!("{:?}", alert).contains("s3cret"));
    }

    #[test]
    fn reports_every_error_with_its_line() {
        let text = r#"[[rules]]
name = "a"
topics = ["conversation.user.nope"]
colour = "red"

  [[rules.conditions]]
  priority = "sky-high"

  [[rules.conditions]]
  text_matches = "(unclosed"

  [[rules.actions]]
  snooze = "soon"

  [[rules.actions]]
  post = "http://x/"

[[rules]]
name = "b"
topics = ["contact.user.created"]
actions = [{ close = true }, { note = "{{nothing.here}}" }]
"#;
        let errors = parse_rules(text, &no_env).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        for (line, needle) in [
            (3, "unknown topic"),
            (4, "unknown rule key `colour`"),
            (7, "unknown priority"),
            (10, "regular expression"),
            (13, "positive duration"),
            (15, "secret"),
            (21, "cannot act on a contact"),
            (21, "unknown field"),
        ] {
            assert!(
                errors
                    .iter()
                    .any(|e| e.line == line && e.message.contains(needle)),
                "no error {needle:?} on line {line}: {errors:#?}"
            );
        }
        assert!(lines.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn syntax_errors_carry_lines() {
        let errors = parse_rules(
            "[[rules]]\nname = \"a\"\ntopics = [\"ticket.created\"\n",
            &no_env,
        )
        .unwrap_err();
        assert!(errors.iter().any(|e| e.line >= 3), "{errors:?}");
    }

    #[test]
    fn missing_secret_env_and_duplicate_names() {
        let text = r#"[[rules]]
name = "x"
topics = ["ticket.created"]
secret_env = "NOT_SET_ANYWHERE"
actions = [{ add_tag = "t" }]

[[rules]]
name = "x"
topics = ["ticket.created"]
actions = [{ add_tag = "t" }]
"#;
        let errors = parse_rules(text, &no_env).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.line == 4 && e.message.contains("NOT_SET_ANYWHERE"))
        );
        assert!(
            errors
                .iter()
                .any(|e| e.line == 7 && e.message.contains("unique")),
            "{errors:?}"
        );
        let env = |n: &str| (n == "NOT_SET_ANYWHERE").then(|| "k".to_string());
        let errors = parse_rules(text, &env).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn durations_and_hours() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("1d"), Some(86_400));
        assert_eq!(parse_duration("10 minutes"), Some(600));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(
            parse_hours("sat-sun 10:00-12:30").unwrap(),
            vec![(5, 600, 750), (6, 600, 750)]
        );
        assert_eq!(parse_hours("fri-mon 00:00-24:00").unwrap().len(), 4);
        assert!(parse_hours("mon 17:00-09:00").is_err());
        assert!(parse_hours("someday 10:00-11:00").is_err());
    }
}
