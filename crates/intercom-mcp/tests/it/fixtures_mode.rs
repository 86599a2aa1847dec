//! `--conformance-fixtures` (the `conformance-fixtures` cargo feature) wraps the
//! server in a handler that adds the conformance suite's fixtures; the server
//! alone has none. Completion works for our own prompts either way.

use crate::common;

use std::sync::Arc;

use intercom_mcp_server::inprocess::InProcessClient;
use intercom_mcp_server::server::{IntercomServer, ServerOptions};
use intercom_mcp_server::workspace_context::{ApiSettings, Workspaces};
use rmcp::model::{ArgumentInfo, CompleteRequestParams, Reference};

fn server() -> IntercomServer {
    IntercomServer::new(ServerOptions {
        selection: common::all_tools(),
        workspaces: Arc::new(Workspaces::new(ApiSettings::default(), None)),
        token_from_request: false,
    })
    .unwrap()
}

#[cfg(feature = "conformance-fixtures")]
#[tokio::test]
async fn fixtures_appear_only_when_asked_for() {
    use intercom_mcp_server::fixtures::FixtureServer;
    use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams};
    use serde_json::json;

    let plain = InProcessClient::connect(server()).await.unwrap();
    let plain_tools = plain.peer().list_all_tools().await.unwrap();
    let plain_names: Vec<String> = plain_tools.iter().map(|t| t.name.to_string()).collect();
    plain.close().await;
    let client = InProcessClient::connect(FixtureServer::new(server()))
        .await
        .unwrap();
    let tools = client.peer().list_all_tools().await.unwrap();
    let names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
    // Our own `test_automation` shares the prefix; what matters is that no fixture leaks.
    for fixture in [
        "test_simple_text",
        "test_image_content",
        "test_tool_with_progress",
    ] {
        assert!(
            !plain_names.contains(&fixture.to_string()),
            "{fixture} only in fixture mode"
        );
    }
    for fixture in [
        "test_simple_text",
        "test_image_content",
        "test_tool_with_progress",
        "json_schema_2020_12_tool",
    ] {
        assert!(
            names.contains(&fixture.to_string()),
            "{fixture} in {names:?}"
        );
    }
    assert_eq!(names.len(), plain_names.len() + 13);

    let out = client.call("test_simple_text", json!({})).await.unwrap();
    assert_eq!(
        common::text(&out),
        "This is a simple text response for testing."
    );
    let out = client.call("test_error_handling", json!({})).await.unwrap();
    assert_eq!(out.is_error, Some(true));
    let read = client
        .peer()
        .read_resource(ReadResourceRequestParams::new("test://template/42/data"))
        .await
        .unwrap();
    assert!(
        serde_json::to_string(&read)
            .unwrap()
            .contains("Data for ID: 42")
    );
    let prompt = client
        .peer()
        .get_prompt(
            GetPromptRequestParams::new("test_prompt_with_arguments").with_arguments(
                json!({"arg1": "a", "arg2": "b"})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        )
        .await
        .unwrap();
    assert!(
        serde_json::to_string(&prompt)
            .unwrap()
            .contains("arg1='a', arg2='b'")
    );
    client.close().await;

    let client = InProcessClient::connect(server()).await.unwrap();
    let missing = client
        .peer()
        .read_resource(ReadResourceRequestParams::new("test://static-text"))
        .await;
    let err = format!("{:?}", missing.unwrap_err());
    assert!(
        err.contains("test://static-text"),
        "not found, naming the URI: {err}"
    );
    client.close().await;
}

#[tokio::test]
async fn prompt_arguments_complete() {
    let client = InProcessClient::connect(server()).await.unwrap();
    let result = client
        .peer()
        .complete(CompleteRequestParams::new(
            Reference::for_prompt("weekly_report"),
            ArgumentInfo::new("period", "last"),
        ))
        .await
        .unwrap();
    assert_eq!(result.completion.values, vec!["last_week", "last_month"]);
    client.close().await;
}
