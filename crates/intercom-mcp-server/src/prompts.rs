//! MCP prompts: ready-made workflows that chain the tools.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::Value;

use crate::workspace_context::Workspace;

fn arg(name: &str, description: &str, required: bool) -> PromptArgument {
    PromptArgument::new(name)
        .with_description(description)
        .with_required(required)
}

pub fn list() -> Vec<Prompt> {
    vec![
        Prompt::new(
            "support_triage",
            Some("Work through the open queue: find what needs attention first, summarise each item and propose the next action."),
            Some(vec![
                arg("team", "Team name or id whose queue to triage (default: everyone).", false),
                arg("limit", "How many conversations to look at (default 10).", false),
            ]),
        )
        .with_title("Support triage"),
        Prompt::new(
            "customer_360",
            Some("Everything about one customer from their email: profile, company, recent conversations and tickets."),
            Some(vec![arg("email", "The customer's email address.", true)]),
        )
        .with_title("Customer 360"),
        Prompt::new(
            "weekly_report",
            Some("A support report for a period: volume, open backlog, response times, top tags and notable conversations."),
            Some(vec![
                arg("period", "Period in people's words: last_week (default), this_week, yesterday, today, 7d, 30d, this_month, last_month, or an ISO date to start from.", false),
                arg("team", "Team name or id to report on (default: everyone).", false),
            ]),
        )
        .with_title("Weekly report"),
    ]
}

/// Completion values for our prompts' arguments, filtered by `prefix`.
pub async fn complete(
    prompt: &str,
    argument: &str,
    prefix: &str,
    workspace: Option<&Workspace>,
) -> Vec<String> {
    let lower = prefix.to_lowercase();
    let candidates: Vec<String> = match (prompt, argument) {
        ("weekly_report", "period") => [
            "last_week",
            "this_week",
            "yesterday",
            "today",
            "7d",
            "30d",
            "last_month",
            "this_month",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        ("support_triage" | "weekly_report", "team") => match workspace {
            Some(ws) => ws
                .names()
                .await
                .map(|n| n.teams.iter().map(|t| t.name.clone()).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        },
        ("support_triage", "limit") => ["5", "10", "20", "50"]
            .into_iter()
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    };
    candidates
        .into_iter()
        .filter(|c| c.to_lowercase().starts_with(&lower))
        .collect()
}

fn text_arg(arguments: Option<&JsonObject>, name: &str) -> Option<String> {
    arguments
        .and_then(|a| a.get(name))
        .and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty())
}

/// Arguments of a tool call a prompt spells out, in order.
type CallArgs = Vec<(&'static str, Value)>;

/// A JSON object literal for a tool call in a prompt, e.g. `{"period": "last_week"}`.
fn call_args(pairs: &[(&str, Value)]) -> String {
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        map.insert((*k).to_string(), v.clone());
    }
    Value::Object(map).to_string()
}

/// The `support_metrics` arguments for a report period in people's words, and the
/// `search_conversations` date bounds of the same period (`created_after`, `created_before`).
fn report_period(period: &str) -> (CallArgs, CallArgs) {
    let word = period.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let s = |v: &str| Value::String(v.to_string());
    match word.as_str() {
        "today" | "this_week" | "last_7d" | "last_30d" => (
            vec![("period", s(&word))],
            vec![("created_after", s(&word))],
        ),
        "7d" | "30d" => (
            vec![("period", s(&format!("last_{word}")))],
            vec![("created_after", s(&word))],
        ),
        "yesterday" => (
            vec![("period", s("yesterday"))],
            vec![
                ("created_after", s("yesterday")),
                ("created_before", s("today")),
            ],
        ),
        "last_week" => (
            vec![("period", s("last_week"))],
            vec![
                ("created_after", s("last_week")),
                ("created_before", s("this_week")),
            ],
        ),
        "this_month" => (
            vec![("from", s("this_month"))],
            vec![("created_after", s("this_month"))],
        ),
        "last_month" => (
            vec![("from", s("last_month")), ("to", s("last_month"))],
            vec![
                ("created_after", s("last_month")),
                ("created_before", s("this_month")),
            ],
        ),
        // A date or datetime to start from; the period runs until now.
        _ => (
            vec![("from", s(period.trim()))],
            vec![("created_after", s(period.trim()))],
        ),
    }
}

pub fn get(name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, ErrorData> {
    let (description, text) = match name {
        "support_triage" => {
            let team = text_arg(arguments, "team");
            let limit: u32 = text_arg(arguments, "limit")
                .map(|l| {
                    l.parse::<u32>().map_err(|_| {
                        ErrorData::invalid_params(
                            format!("support_triage: limit `{l}` is not a number; give 1 to 150"),
                            None,
                        )
                    })
                })
                .transpose()?
                .unwrap_or(10)
                .clamp(1, 150);
            let scope = team
                .as_deref()
                .map(|t| format!("team \"{t}\""))
                .unwrap_or_else(|| "the whole workspace".into());
            let mut queue = vec![("limit", Value::from(limit))];
            let mut breaches = vec![("sla", Value::from("missed"))];
            if let Some(t) = &team {
                queue.push(("team", Value::from(t.as_str())));
                breaches.push(("team", Value::from(t.as_str())));
            }
            (
                "Triage the open support queue.",
                format!(
                    "Triage the open support queue for {scope}.\n\
                     1. Call `ticket_queue {queue}`. It ranks open tickets and conversations as a lead would: severity \
                     (ticket Severity such as Critical/SEV1) or priority first, then how long the customer has waited for \
                     a reply (customer_waiting_for; absent when nobody waits on us), then SLA state. Items waiting on the \
                     customer and snoozed items are counted separately: mention those counts, do not triage them.\n\
                     2. Call `ticket_queue {breaches}` for SLA breaches (sla_matches is their number).\n\
                     3. Read the top items: get_conversation or get_ticket with their id.\n\
                     4. For each item give: customer, what they need in one sentence, severity/priority, how long they \
                     have waited (the queue's figure, as labelled), SLA, owner, and the next action (reply, assign, \
                     tag, snooze or close).\n\
                     5. Propose the actions and only perform writes (reply_to_conversation, reply_to_ticket, \
                     manage_conversation, update_ticket) after I confirm. Quote counts as the tools give them; when \
                     the queue says it was cut (truncated or next_cursor), say so.",
                    queue = call_args(&queue),
                    breaches = call_args(&breaches),
                ),
            )
        }
        "customer_360" => {
            let email = text_arg(arguments, "email").ok_or_else(|| {
                ErrorData::invalid_params("customer_360 needs the `email` argument", None)
            })?;
            let e = || Value::from(email.as_str());
            (
                "A full picture of one customer.",
                format!(
                    "Give me a 360° view of the customer with email {email}.\n\
                     1. Call `find_contact {find}` once: it returns the profile (name, role, tags, companies, owner, \
                     custom attributes, how many notes). Use its id from then on; do not look the contact up again. If it \
                     finds nobody, say so and stop.\n\
                     2. If the profile mentions notes, read them with the same tool, given the profile's `id` and detail \"full\" (not the email).\n\
                     3. For each company on the profile, call get_company with the company id.\n\
                     4. Call `search_conversations {conversations}` for their recent conversations (total_count is how \
                     many they have) and `search_tickets {tickets}` for their open tickets.\n\
                     5. Summarise: who they are and their value, open issues and how long they have waited, sentiment \
                     (CSAT ratings on the conversations), and anything a teammate should know before replying.",
                    find = call_args(&[("email", e())]),
                    conversations =
                        call_args(&[("contact_email", e()), ("limit", Value::from(10))]),
                    tickets = call_args(&[("contact_email", e()), ("open", Value::from(true))]),
                ),
            )
        }
        "weekly_report" => {
            let period = text_arg(arguments, "period").unwrap_or_else(|| "last_week".into());
            let team = text_arg(arguments, "team");
            let (metrics, bounds) = report_period(&period);
            let mut by_team = metrics.clone();
            by_team.push(("group_by", Value::from("team")));
            let mut by_tag = metrics.clone();
            by_tag.push(("group_by", Value::from("tag")));
            let mut low_rated = bounds.clone();
            low_rated.push((
                "query",
                serde_json::json!({"field": "conversation_rating.score", "operator": "<=", "value": 2}),
            ));
            let mut queue = vec![("sla", Value::from("missed"))];
            let mut team_note = String::new();
            if let Some(t) = &team {
                low_rated.push(("team", Value::from(t.as_str())));
                queue.push(("team", Value::from(t.as_str())));
                team_note = format!(
                    " The team's own figures are its row (label \"{t}\") in the team breakdown of step 1."
                );
            }
            (
                "A support report for a period.",
                format!(
                    "Write a support report for {period}{for_team}.\n\
                     1. Figures: call `support_metrics {metrics}`. Use its numbers as they are: conversations created, \
                     closed and reopened, open backlog at the end, median and p90 time to first reply, median time to \
                     close, CSAT, SLA hits and misses, tickets created and resolved. State the period's exact start \
                     and end as it reports them. Do not count conversations with search_conversations: a date filter \
                     alone has no end, so it would count days after the period. Call `support_metrics {by_team}` for \
                     the figures per team.{team_note}\n\
                     2. Topics: call `support_metrics {by_tag}` and name the biggest tags.\n\
                     3. Unhappy customers: call `search_conversations {low_rated}` (ratings 1 and 2 in the period) \
                     and read up to 3 of them with get_conversation.\n\
                     4. Still at risk now: call `ticket_queue {queue}` (sla_matches counts open SLA breaches).\n\
                     5. End with three recommendations drawn from these figures.",
                    for_team = team
                        .as_deref()
                        .map(|t| format!(" for team \"{t}\""))
                        .unwrap_or_default(),
                    metrics = call_args(&metrics),
                    by_team = call_args(&by_team),
                    by_tag = call_args(&by_tag),
                    low_rated = call_args(&low_rated),
                    queue = call_args(&queue),
                ),
            )
        }
        other => {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown prompt `{other}`; available: support_triage, customer_360, weekly_report"
                ),
                None,
            ));
        }
    };
    Ok(
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(description),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prompts_fill_their_arguments() {
        let args = json!({"email": "jane@example.com"});
        let r = get("customer_360", args.as_object()).unwrap();
        let text = serde_json::to_string(&r.messages).unwrap();
        assert!(text.contains("jane@example.com"));
        assert!(get("customer_360", None).is_err());
        assert!(get("nope", None).is_err());
        assert_eq!(list().len(), 3);
    }

    #[test]
    fn every_report_period_maps_onto_support_metrics() {
        for period in [
            "last_week",
            "this_week",
            "yesterday",
            "today",
            "7d",
            "30d",
            "this_month",
            "last_month",
            "2024-05-01",
        ] {
            let (metrics, bounds) = report_period(period);
            assert!(!metrics.is_empty() && !bounds.is_empty(), "{period}");
        }
        let (metrics, bounds) = report_period("last_week");
        assert_eq!(call_args(&metrics), r#"{"period":"last_week"}"#);
        assert_eq!(
            call_args(&bounds),
            r#"{"created_after":"last_week","created_before":"this_week"}"#
        );
    }
}
