//! What people and assistants see of the rules, tests and the run log: one set of
//! views, serialised by the tools and printed by the CLI.

use chrono::DateTime;
use serde::Serialize;

use super::engine::TestReport;
use super::rules::{Rule, RuleSet};
use super::runlog::RunRecord;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RuleView {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Line of the rule in the rules file.
    pub line: usize,
    pub topics: Vec<String>,
    pub enabled: bool,
    /// Dry-run rules only log what they would do.
    pub dry_run: bool,
    /// `line N: condition`, all of which must hold.
    pub conditions: Vec<String>,
    /// `line N: action`, in order.
    pub actions: Vec<String>,
    /// Whether the rule has a secret to sign outbound POSTs (its value is never shown).
    pub has_secret: bool,
}

impl RuleView {
    pub fn of(rule: &Rule) -> Self {
        Self {
            name: rule.name.clone(),
            description: rule.description.clone(),
            line: rule.line,
            topics: rule.topics.clone(),
            enabled: rule.enabled,
            dry_run: rule.dry_run,
            conditions: rule
                .conditions
                .iter()
                .map(|c| {
                    let d = c.test.describe();
                    let d = if c.negate { format!("not ({d})") } else { d };
                    format!("line {}: {d}", c.line)
                })
                .collect(),
            actions: rule
                .actions
                .iter()
                .map(|a| format!("line {}: {}", a.line, a.kind.describe()))
                .collect(),
            has_secret: rule.secret.is_some(),
        }
    }
}

pub fn rule_views(set: &RuleSet) -> Vec<RuleView> {
    set.rules.iter().map(RuleView::of).collect()
}

pub fn render_rules(rules: &[RuleView]) -> String {
    if rules.is_empty() {
        return "No rules.".into();
    }
    let mut out = String::new();
    for r in rules {
        let mut flags = Vec::new();
        if !r.enabled {
            flags.push("disabled");
        }
        if r.dry_run {
            flags.push("dry run");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" [{}]", flags.join(", "))
        };
        out.push_str(&format!("{} (line {}){flags}\n", r.name, r.line));
        if let Some(d) = &r.description {
            out.push_str(&format!("  {d}\n"));
        }
        out.push_str(&format!("  on: {}\n", r.topics.join(", ")));
        if r.conditions.is_empty() {
            out.push_str("  if: always\n");
        }
        for c in &r.conditions {
            out.push_str(&format!("  if: {c}\n"));
        }
        for a in &r.actions {
            out.push_str(&format!("  do: {a}\n"));
        }
    }
    out.trim_end().to_string()
}

pub fn render_test(t: &TestReport) -> String {
    let mut out = format!(
        "Rule {} on {} {} (as a {} event), dry run: {}\n",
        t.rule,
        t.object_type,
        t.object_id,
        t.topic,
        if t.matched {
            "all conditions match, the actions would run"
        } else {
            "the conditions do not match, nothing would run"
        }
    );
    if t.conditions.is_empty() {
        out.push_str("  no conditions: always matches\n");
    }
    for c in &t.conditions {
        out.push_str(&format!(
            "  [{}] line {}: {} (actual: {})\n",
            if c.matched { "match" } else { "no match" },
            c.line,
            c.condition,
            c.actual
        ));
    }
    for e in &t.lookup_errors {
        out.push_str(&format!("  lookup failed: {e}\n"));
    }
    for a in &t.actions {
        out.push_str(&format!("  line {} {}: {}", a.line, a.action, a.summary));
        if let Some(e) = &a.error {
            out.push_str(&format!(" (error: {e})"));
        }
        out.push('\n');
    }
    out.trim_end().to_string()
}

pub fn render_log(runs: &[RunRecord]) -> String {
    if runs.is_empty() {
        return "No automation runs match.".into();
    }
    let mut out = String::new();
    for r in runs {
        let when = DateTime::from_timestamp(r.claimed_at, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let object = match (&r.object_type, &r.object_id) {
            (Some(t), Some(id)) => format!("{t} {id}"),
            (None, Some(id)) => id.clone(),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "#{} {when} {} {} on {object} ({}, event {}){}\n",
            r.seq,
            r.rule,
            r.status.as_str(),
            r.topic,
            r.event_id,
            if r.dry_run { " [dry run]" } else { "" }
        ));
        if let Some(actions) = r
            .detail
            .as_ref()
            .and_then(|d| d.get("actions"))
            .and_then(|a| a.as_array())
        {
            for a in actions {
                out.push_str(&format!(
                    "    {} {}: {}\n",
                    a["status"].as_str().unwrap_or_default(),
                    a["action"].as_str().unwrap_or_default(),
                    a["summary"].as_str().unwrap_or_default()
                ));
            }
        }
        if let Some(e) = &r.error {
            out.push_str(&format!("    error: {e}\n"));
        }
    }
    out.trim_end().to_string()
}
