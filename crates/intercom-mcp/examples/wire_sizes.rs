//! Wire size of tool answers with and without `detail: "summary"` (issue 17): bytes of the
//! JSON-RPC `result` (text block plus structured content) of get_conversation,
//! search_conversations, search_tickets and get_contact (find_contact by id) on the small
//! sandbox. Figures go to docs/BENCHMARKS.md.
//!
//!     cargo run --release -p intercom-mcp --example wire_sizes

use std::sync::Arc;

use intercom_api::Secret;
use intercom_mcp_server::inprocess::InProcessClient;
use intercom_mcp_server::server::{IntercomServer, ServerOptions};
use intercom_mcp_server::toolsets::Selection;
use intercom_mcp_server::workspace_context::{ApiSettings, Workspaces};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use serde_json::{Value, json};

async fn sizes(client: &InProcessClient, tool: &str, args: Value) -> (usize, usize, usize) {
    let result = client.call(tool, args.clone()).await.expect("call runs");
    assert_ne!(result.is_error, Some(true), "{tool} {args} failed");
    let whole = serde_json::to_string(&result).unwrap().len();
    let text: usize = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.len()))
        .sum();
    let structured = result
        .structured_content
        .as_ref()
        .map_or(0, |s| serde_json::to_string(s).unwrap().len());
    (whole, text, structured)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sandbox = Sandbox::start(SandboxConfig {
        scale: Scale::Small,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let server = IntercomServer::new(ServerOptions {
        selection: Selection {
            toolsets: vec!["all".into()],
            ..Default::default()
        },
        workspaces: Arc::new(Workspaces::new(
            ApiSettings {
                base_url: Some(sandbox.base_url()),
                ..Default::default()
            },
            Some(Secret::new(sandbox.token())),
        )),
        token_from_request: false,
    })
    .expect("server builds");
    let client = InProcessClient::connect(server)
        .await
        .expect("client connects");

    // The longest of the 20 newest conversations, and a contact with an email.
    let page = client
        .call("search_conversations", json!({"limit": 20}))
        .await
        .unwrap();
    let mut longest = (0, String::new());
    for c in page.structured_content.unwrap()["conversations"]
        .as_array()
        .unwrap()
    {
        let id = c["id"].as_str().unwrap().to_string();
        let read = client
            .call("get_conversation", json!({"id": id}))
            .await
            .unwrap();
        let n = read.structured_content.unwrap()["message_count"]
            .as_u64()
            .unwrap_or(0);
        if n > longest.0 {
            longest = (n, id);
        }
    }
    let contacts = client
        .call("find_contact", json!({"role": "user", "limit": 1}))
        .await
        .unwrap();
    let contact = contacts.structured_content.unwrap()["contacts"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let calls = [
        (
            format!("get_conversation ({} messages)", longest.0),
            "get_conversation",
            json!({"id": longest.1}),
        ),
        (
            "search_conversations (limit 20)".to_string(),
            "search_conversations",
            json!({"limit": 20}),
        ),
        (
            "search_tickets (limit 20)".to_string(),
            "search_tickets",
            json!({"limit": 20}),
        ),
        (
            "get_contact (find_contact by id)".to_string(),
            "find_contact",
            json!({"id": contact}),
        ),
    ];
    println!(
        "bytes of the result: whole (text + structured) without detail -> with detail: summary"
    );
    for (label, tool, args) in calls {
        let (whole, text, structured) = sizes(&client, tool, args.clone()).await;
        let mut summary_args = args;
        summary_args["detail"] = json!("summary");
        let (slim_whole, slim_text, slim_structured) = sizes(&client, tool, summary_args).await;
        assert_eq!(text, slim_text, "{label}: the text must not change");
        println!(
            "  {label}: {whole} ({text} + {structured}) -> {slim_whole} ({slim_text} + {slim_structured}), {:.0}% less",
            100.0 * (whole - slim_whole) as f64 / whole as f64
        );
    }
    client.close().await;
}
