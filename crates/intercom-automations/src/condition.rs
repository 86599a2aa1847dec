//! Evaluating a rule's conditions against one event's context. Pure and synchronous:
//! every lookup it needs was done before (see `engine.rs`).

use chrono::{Datelike, TimeZone, Timelike};
use serde::Serialize;
use serde_json::Value;

use super::context::{EventContext, RuleDirectory as Directory};
use super::rules::{BusinessHours, CompareOp, Condition, ConditionTest, Rule};
use intercom_mirror::columns::id_string;

/// How one condition fared, for logs and `test_automation`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ConditionOutcome {
    pub line: usize,
    /// What the condition asks, e.g. `priority is any of ["urgent"]`.
    pub condition: String,
    pub matched: bool,
    /// What the event actually had.
    pub actual: String,
}

/// Evaluate `rule`'s conditions; all must match. With `all`, keep going after the
/// first failure so every condition's outcome is shown.
pub fn evaluate(
    rule: &Rule,
    ctx: &EventContext,
    dir: &Directory,
    all: bool,
) -> (bool, Vec<ConditionOutcome>) {
    let mut outcomes = Vec::with_capacity(rule.conditions.len());
    let mut matched = true;
    for cond in &rule.conditions {
        let outcome = check(cond, ctx, dir);
        matched &= outcome.matched;
        outcomes.push(outcome);
        if !matched && !all {
            break;
        }
    }
    (matched, outcomes)
}

/// Evaluate one condition (its `not` applied).
pub fn check(cond: &Condition, ctx: &EventContext, dir: &Directory) -> ConditionOutcome {
    let (hit, actual) = test(&cond.test, ctx, dir);
    let mut description = cond.test.describe();
    if cond.negate {
        description = format!("not ({description})");
    }
    ConditionOutcome {
        line: cond.line,
        condition: description,
        matched: hit != cond.negate,
        actual,
    }
}

fn test(t: &ConditionTest, ctx: &EventContext, dir: &Directory) -> (bool, String) {
    let obj = &ctx.object;
    let text_of = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_lowercase();
    match t {
        ConditionTest::TextContains(words) => {
            let text = ctx.text.to_lowercase();
            (
                words.iter().any(|w| text.contains(w.as_str())),
                excerpt(&ctx.text),
            )
        }
        ConditionTest::TextMatches(re) => (re.is_match(&ctx.text), excerpt(&ctx.text)),
        ConditionTest::Tag(wanted) => {
            let tags = object_tags(obj, dir);
            let hit = wanted.iter().any(|w| {
                let want_id = dir.find_tag(w).ok().map(|t| t.id.as_str());
                tags.iter().any(|(id, name)| {
                    id == w || Some(id.as_str()) == want_id || name.eq_ignore_ascii_case(w)
                })
            });
            let names: Vec<&str> = tags.iter().map(|(_, n)| n.as_str()).collect();
            (hit, format!("{names:?}"))
        }
        ConditionTest::Priority(wanted) => {
            let p = text_of(obj.get("priority"));
            let p = if p.is_empty() { "none".to_string() } else { p };
            (wanted.contains(&p), p)
        }
        ConditionTest::State(wanted) => {
            let mut states = vec![text_of(obj.get("state"))];
            if let Some(ts) = obj.get("ticket_state") {
                for key in ["category", "internal_label", "external_label"] {
                    states.push(text_of(ts.get(key)));
                }
                if let Some(s) = ts.as_str() {
                    states.push(s.to_lowercase());
                }
            }
            // A conversation's `state` says it all (a snoozed one is also `open: true`);
            // tickets have no `state` string, so their `open` flag answers open/closed.
            if states[0].is_empty()
                && let Some(open) = obj.get("open").and_then(Value::as_bool)
            {
                states.push(if open { "open" } else { "closed" }.to_string());
            }
            states.retain(|s| !s.is_empty());
            (states.iter().any(|s| wanted.contains(s)), states.join("/"))
        }
        ConditionTest::Team(wanted) => {
            let id = assignee_id(obj.get("team_assignee_id"));
            let name = id.as_deref().and_then(|i| dir.team_name(i));
            let hit = wanted.iter().any(|w| match &id {
                None => w.eq_ignore_ascii_case("unassigned") || w.eq_ignore_ascii_case("none"),
                Some(id) => w == id || name.is_some_and(|n| n.eq_ignore_ascii_case(w)),
            });
            (hit, describe_assignee(id.as_deref(), name))
        }
        ConditionTest::Assignee(wanted) => {
            let id = assignee_id(obj.get("admin_assignee_id"));
            let admin = id
                .as_deref()
                .and_then(|i| dir.admins.iter().find(|a| a.id == i));
            let hit = wanted.iter().any(|w| match (&id, admin) {
                (None, _) => w.eq_ignore_ascii_case("unassigned") || w.eq_ignore_ascii_case("none"),
                (Some(id), a) => {
                    w == id
                        || a.is_some_and(|a| {
                            a.name.eq_ignore_ascii_case(w)
                                || a.email
                                    .as_deref()
                                    .is_some_and(|e| e.eq_ignore_ascii_case(w))
                        })
                }
            });
            (
                hit,
                describe_assignee(id.as_deref(), admin.map(|a| a.name.as_str())),
            )
        }
        ConditionTest::Channel(wanted) => {
            let mut channels = vec![
                text_of(obj.pointer("/source/type")),
                text_of(obj.pointer("/source/delivered_as")),
                text_of(obj.pointer("/channel/initial")),
                text_of(obj.pointer("/channel/current")),
            ];
            channels.retain(|c| !c.is_empty());
            channels.dedup();
            (
                channels.iter().any(|c| wanted.contains(c)),
                channels.join("/"),
            )
        }
        ConditionTest::Attribute { path, op, value } => {
            let actual = ctx.lookup(path);
            let shown = actual
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_else(|| "(missing)".into());
            (compare(actual.as_ref(), *op, value), shown)
        }
        ConditionTest::BusinessHours(hours) => {
            let (inside, local) = within_hours(hours, ctx.event.created_at);
            (inside, local)
        }
    }
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        out.push('…');
    }
    format!("{out:?}")
}

fn describe_assignee(id: Option<&str>, name: Option<&str>) -> String {
    match (id, name) {
        (None, _) => "unassigned".into(),
        (Some(id), Some(name)) => format!("{name} ({id})"),
        (Some(id), None) => id.to_string(),
    }
}

/// Assignee ids are integers with `0` for nobody (2.16), sometimes strings or null.
fn assignee_id(v: Option<&Value>) -> Option<String> {
    v.and_then(id_string).filter(|id| id != "0")
}

/// (id, name) of each tag on the object; names come from the directory when the object has only ids.
fn object_tags(obj: &Value, dir: &Directory) -> Vec<(String, String)> {
    let list = obj
        .pointer("/tags/tags")
        .or_else(|| obj.pointer("/tags/data"))
        .and_then(Value::as_array);
    list.map(|tags| {
        tags.iter()
            .filter_map(|t| {
                let id = t.get("id").and_then(id_string)?;
                let name = t
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| dir.tag_name(&id).map(str::to_string))
                    .unwrap_or_default();
                Some((id, name))
            })
            .collect()
    })
    .unwrap_or_default()
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => match (as_number(a), as_number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// Compare an attribute's value (missing = `None`) with the rule's.
pub fn compare(actual: Option<&Value>, op: CompareOp, expected: &Value) -> bool {
    let actual = actual.filter(|v| !v.is_null());
    match op {
        CompareOp::Exists => actual.is_some_and(|v| v.as_str() != Some("")),
        CompareOp::Ne => !actual.is_some_and(|a| loosely_equal(a, expected)),
        _ => {
            let Some(a) = actual else { return false };
            match op {
                CompareOp::Eq => loosely_equal(a, expected),
                CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                    match (as_number(a), as_number(expected)) {
                        (Some(x), Some(y)) => match op {
                            CompareOp::Gt => x > y,
                            CompareOp::Ge => x >= y,
                            CompareOp::Lt => x < y,
                            _ => x <= y,
                        },
                        _ => false,
                    }
                }
                CompareOp::Contains => match a {
                    Value::String(s) => expected
                        .as_str()
                        .is_some_and(|e| s.to_lowercase().contains(&e.to_lowercase())),
                    Value::Array(items) => items.iter().any(|i| loosely_equal(i, expected)),
                    _ => false,
                },
                CompareOp::In => expected
                    .as_array()
                    .is_some_and(|items| items.iter().any(|i| loosely_equal(a, i))),
                CompareOp::Exists | CompareOp::Ne => unreachable!("handled above"),
            }
        }
    }
}

/// Whether `at` (Unix seconds) falls in the opening hours, and the local time it was.
pub fn within_hours(hours: &BusinessHours, at: i64) -> (bool, String) {
    let Some(local) = hours.timezone.timestamp_opt(at, 0).single() else {
        return (false, format!("invalid time {at}"));
    };
    let day = local.weekday().num_days_from_monday();
    let minute = local.hour() * 60 + local.minute();
    let inside = hours
        .windows
        .iter()
        .any(|&(d, start, end)| d == day && (start..end).contains(&minute));
    (inside, local.format("%a %H:%M %Z").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Event;
    use crate::parse::parse_rules;
    use serde_json::json;

    fn rule_with(conditions: &str, topic: &str) -> Rule {
        let text = format!(
            "[[rules]]\nname = \"r\"\ntopics = [\"{topic}\"]\nconditions = [{conditions}]\nactions = [{{ add_tag = \"x\" }}]\n"
        );
        parse_rules(&text, &|_| None).unwrap().rules.remove(0)
    }

    fn ctx(item: Value, topic: &str, at: i64) -> EventContext {
        let event = Event {
            id: "n1".into(),
            topic: topic.into(),
            created_at: at,
            item: item.clone(),
        };
        EventContext::new(event, item)
    }

    fn dir() -> Directory {
        Directory {
            workspace: std::sync::Arc::new(intercom_api::Directory {
                admins: vec![crate::context::AdminEntry {
                    id: "11".into(),
                    name: "Ada".into(),
                    email: Some("ada@example.com".into()),
                    away: false,
                    team_ids: vec!["5".into()],
                }],
                teams: vec![intercom_api::DirectoryTeam {
                    id: "5".into(),
                    name: "Billing".into(),
                    admin_ids: vec!["11".into()],
                }],
                tags: vec![intercom_api::DirectoryTag {
                    id: "90".into(),
                    name: "VIP".into(),
                }],
                ..Default::default()
            }),
            ticket_types: Default::default(),
        }
    }

    const TOPIC: &str = "conversation.user.created";

    fn conv() -> Value {
        json!({"type": "conversation", "id": "1", "state": "open", "priority": "urgent",
            "admin_assignee_id": 0, "team_assignee_id": 5,
            "source": {"type": "email", "body": "<p>Please refund my INVOICE</p>"},
            "tags": {"tags": [{"id": "90", "name": "VIP"}]},
            "custom_attributes": {"Product": "Widgets"}})
    }

    #[test]
    fn each_kind_matches_and_fails() {
        let d = dir();
        let c = ctx(conv(), TOPIC, 0);
        let cases = [
            (r#"{ text_contains = ["invoice"] }"#, true),
            (r#"{ text_contains = "shipping" }"#, false),
            (r#"{ text_matches = "(?i)refund\\s+my" }"#, true),
            (r#"{ tag = "vip" }"#, true),
            (r#"{ tag = "90" }"#, true),
            (r#"{ tag = "other", not = true }"#, true),
            (r#"{ priority = ["high", "urgent"] }"#, true),
            (r#"{ state = "closed" }"#, false),
            (r#"{ team = "billing" }"#, true),
            (r#"{ assignee = "unassigned" }"#, true),
            (r#"{ assignee = "Ada" }"#, false),
            (r#"{ channel = "email" }"#, true),
            (
                r#"{ attribute = "conversation.Product", value = "widgets" }"#,
                true,
            ),
            (
                r#"{ attribute = "conversation.missing", op = "exists" }"#,
                false,
            ),
        ];
        for (cond, expected) in cases {
            let rule = rule_with(cond, TOPIC);
            let (hit, outcomes) = evaluate(&rule, &c, &d, true);
            assert_eq!(hit, expected, "{cond}: {outcomes:?}");
        }
    }

    #[test]
    fn contact_and_company_attributes_compare() {
        let d = dir();
        let mut c = ctx(conv(), TOPIC, 0);
        c.contact = Some(json!({"custom_attributes": {"plan": "Enterprise"}}));
        c.company = Some(json!({"monthly_spend": 1500, "plan": {"name": "pro"}}));
        let r = rule_with(
            r#"{ attribute = "contact.plan", value = "enterprise" }, { attribute = "company.monthly_spend", op = ">=", value = 1000 }"#,
            TOPIC,
        );
        assert!(evaluate(&r, &c, &d, true).0);
        let r = rule_with(
            r#"{ attribute = "company.monthly_spend", op = "<", value = 1000 }"#,
            TOPIC,
        );
        let (hit, out) = evaluate(&r, &c, &d, true);
        assert!(!hit);
        assert_eq!(out[0].actual, "1500");
        let r = rule_with(
            r#"{ attribute = "company.plan.name", op = "in", value = ["pro", "team"] }"#,
            TOPIC,
        );
        assert!(evaluate(&r, &c, &d, true).0);
    }

    #[test]
    fn business_hours_in_a_time_zone() {
        let d = dir();
        // 2026-11-23 is a Monday; 08:30 UTC is 09:30 in Berlin (CET).
        let monday_0830_utc = 1_795_422_600;
        let r = rule_with(
            r#"{ business_hours = "mon-fri 09:00-17:00", timezone = "Europe/Berlin" }"#,
            TOPIC,
        );
        let (hit, out) = evaluate(&r, &ctx(conv(), TOPIC, monday_0830_utc), &d, true);
        assert!(hit, "{out:?}");
        let r = rule_with(
            r#"{ business_hours = "mon-fri 09:00-17:00", timezone = "America/New_York" }"#,
            TOPIC,
        );
        assert!(!evaluate(&r, &ctx(conv(), TOPIC, monday_0830_utc), &d, true).0);
    }

    #[test]
    fn snoozed_is_not_open_but_tickets_use_their_open_flag() {
        let d = dir();
        let snoozed = ctx(
            json!({"id": "1", "state": "snoozed", "open": true}),
            TOPIC,
            0,
        );
        assert!(
            !evaluate(
                &rule_with(r#"{ state = "open" }"#, TOPIC),
                &snoozed,
                &d,
                true
            )
            .0
        );
        assert!(
            evaluate(
                &rule_with(r#"{ state = "snoozed" }"#, TOPIC),
                &snoozed,
                &d,
                true
            )
            .0
        );
        let ticket_topic = "ticket.created";
        let ticket = ctx(
            json!({"id": "9", "open": false, "ticket_state": {"category": "resolved"}}),
            ticket_topic,
            0,
        );
        assert!(
            evaluate(
                &rule_with(r#"{ state = ["closed"] }"#, ticket_topic),
                &ticket,
                &d,
                true
            )
            .0
        );
        assert!(
            evaluate(
                &rule_with(r#"{ state = "resolved" }"#, ticket_topic),
                &ticket,
                &d,
                true
            )
            .0
        );
    }

    #[test]
    fn stops_at_first_failure_unless_asked_for_all() {
        let r = rule_with(r#"{ state = "closed" }, { priority = "urgent" }"#, TOPIC);
        let c = ctx(conv(), TOPIC, 0);
        assert_eq!(evaluate(&r, &c, &dir(), false).1.len(), 1);
        let (hit, all) = evaluate(&r, &c, &dir(), true);
        assert!(!hit);
        assert_eq!(all.len(), 2);
        assert!(all[1].matched);
    }
}
