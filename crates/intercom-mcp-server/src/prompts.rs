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
                arg("period", "Period in people's words: last_week (default), this_week, 7d, 30d, or an ISO date to start from.", false),
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
                .map(|n| n.teams.into_iter().map(|(_, name)| name).collect())
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

pub fn get(name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, ErrorData> {
    let (description, text) = match name {
        "support_triage" => {
            let team = text_arg(arguments, "team");
            let limit = text_arg(arguments, "limit").unwrap_or_else(|| "10".into());
            let scope = team
                .as_deref()
                .map(|t| format!("team \"{t}\""))
                .unwrap_or_else(|| "the whole workspace".into());
            let team_arg = team.map(|t| format!(", team: \"{t}\"")).unwrap_or_default();
            (
                "Triage the open support queue.",
                format!(
                    "Triage the open support queue for {scope}.\n\
                     1. Call search_conversations with {{open: true, limit: {limit}{team_arg}}} (add priority or tag filters if the queue is large).\n\
                     2. For the most urgent or longest-waiting ones, call get_conversation (detail: summary) to read them.\n\
                     3. For each conversation give: who is asking, what they need in one sentence, how long they have waited, and the next action \
                     (reply, assign to the right admin or team, tag, snooze or close).\n\
                     4. Propose the actions and only perform writes (reply_to_conversation, manage_conversation, tag_conversation) after I confirm."
                ),
            )
        }
        "customer_360" => {
            let email = text_arg(arguments, "email").ok_or_else(|| {
                ErrorData::invalid_params("customer_360 needs the `email` argument", None)
            })?;
            (
                "A full picture of one customer.",
                format!(
                    "Give me a 360° view of the customer with email {email}.\n\
                     1. Find the contact: use find_contact with email \"{email}\" if available, otherwise search with query \"object_type:contacts email:{email}\".\n\
                     2. Read the profile (get_contact or fetch contact_<id>): name, plan and custom attributes, tags, last seen.\n\
                     3. Read their company (get_company for the companies on the profile).\n\
                     4. List their recent conversations with search_conversations {{contact_email: \"{email}\", limit: 10}} and open tickets with search_tickets if available.\n\
                     5. Summarise: who they are, their value, open issues and sentiment, and anything a teammate should know before replying."
                ),
            )
        }
        "weekly_report" => {
            let period = text_arg(arguments, "period").unwrap_or_else(|| "last_week".into());
            let team = text_arg(arguments, "team");
            let team_arg = team
                .as_deref()
                .map(|t| format!(", team: \"{t}\""))
                .unwrap_or_default();
            (
                "A support report for a period.",
                format!(
                    "Write a support report for {period}{}.\n\
                     1. Volume: search_conversations {{created_after: \"{period}\"{team_arg}, limit: 150}} and use total_count.\n\
                     2. Backlog: search_conversations {{open: true{team_arg}}} and its total_count; note the longest waiting.\n\
                     3. Response times: use statistics from the conversations (time to first admin reply, time to close).\n\
                     4. Top topics: count tags across the period's conversations (list_tags for names).\n\
                     5. Highlight 3 notable conversations (get_conversation) and end with recommendations.",
                    team.as_deref()
                        .map(|t| format!(" for team \"{t}\""))
                        .unwrap_or_default()
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
}
