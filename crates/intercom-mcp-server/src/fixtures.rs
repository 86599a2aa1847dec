//! Conformance fixtures (`serve --conformance-fixtures`): the tools,
//! resources and prompts with fixed names that the official MCP conformance
//! suite calls, so its content, progress, logging, sampling, elicitation,
//! resource, prompt and completion scenarios can run against this server.
//!
//! Test code: compiled only with the `conformance-fixtures` cargo feature, and
//! served by [`FixtureServer`], a handler that wraps [`IntercomServer`] and
//! answers for the fixtures before handing everything else to it. The server
//! itself knows nothing of them.

// Sampling and logging are deprecated in 2026-07-28 but still tested for 2025-11-25.
#![allow(deprecated)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rmcp::ErrorData;
use rmcp::handler::server::router::tool::{ToolRoute, ToolRouter};
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    ContentBlock, CreateMessageRequestParams, ElicitRequestParams, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, JsonObject, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, LoggingLevel, LoggingMessageNotificationParam,
    PaginatedRequestParams, ProgressNotificationParam, Prompt, PromptArgument, PromptMessage,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Reference, Resource,
    ResourceContents, ResourceTemplate, Role, ServerConfig, SetLevelRequestParams,
    SubscribeRequestParams, SubscriptionFilter, Tool, ToolAnnotations, UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, SubscriptionContext};
use rmcp::{RoleServer, ServerHandler};
use serde_json::{Value, json};

use crate::server::{IntercomServer, McpHandler, completion};

pub const URI_PREFIX: &str = "test://";

/// A 1×1 red PNG.
fn png() -> String {
    const BYTES: [u8; 69] = [
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90,
        0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8,
        0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    base64::engine::general_purpose::STANDARD.encode(BYTES)
}

/// A short silent mono 8 kHz 8-bit WAV.
fn wav() -> String {
    let samples = 8u32;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + samples).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&8u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&samples.to_le_bytes());
    bytes.extend(std::iter::repeat_n(0x80u8, samples as usize));
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn schema(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

fn no_args() -> Arc<JsonObject> {
    schema(json!({"type": "object", "properties": {}}))
}

fn tool(name: &'static str, description: &'static str, input: Arc<JsonObject>) -> Tool {
    Tool::new(name, description, input)
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false))
}

type Call<'a> = futures::future::BoxFuture<'a, Result<CallToolResponse, ErrorData>>;

fn route(
    attr: Tool,
    run: impl for<'a> Fn(ToolCallContext<'a, FixtureServer>) -> Call<'a> + Send + Sync + 'static,
) -> ToolRoute<FixtureServer> {
    ToolRoute::new_dyn(attr, run)
}

fn text(t: impl Into<String>) -> Result<CallToolResponse, ErrorData> {
    Ok(CallToolResult::success(vec![ContentBlock::text(t)]).into())
}

fn string_arg(ctx: &ToolCallContext<'_, FixtureServer>, name: &str) -> String {
    ctx.arguments
        .as_ref()
        .and_then(|a| a.get(name))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn elicitation_schema_defaults() -> Value {
    json!({"type": "object", "properties": {
        "name": {"type": "string", "default": "John Doe"},
        "age": {"type": "integer", "default": 30},
        "score": {"type": "number", "default": 95.5},
        "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
        "verified": {"type": "boolean", "default": true}
    }})
}

fn elicitation_schema_enums() -> Value {
    json!({"type": "object", "properties": {
        "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
        "titledSingle": {"type": "string", "oneOf": [
            {"const": "value1", "title": "First Option"},
            {"const": "value2", "title": "Second Option"},
            {"const": "value3", "title": "Third Option"}]},
        "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
        "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
        "titledMulti": {"type": "array", "items": {"anyOf": [
            {"const": "value1", "title": "First Choice"},
            {"const": "value2", "title": "Second Choice"},
            {"const": "value3", "title": "Third Choice"}]}}
    }})
}

async fn elicit(
    ctx: &ToolCallContext<'_, FixtureServer>,
    message: String,
    requested: Value,
) -> Result<String, ErrorData> {
    let params: ElicitRequestParams = serde_json::from_value(json!({
        "mode": "form", "message": message, "requestedSchema": requested
    }))
    .map_err(|e| ErrorData::internal_error(format!("fixture elicitation schema: {e}"), None))?;
    let result = ctx
        .request_context
        .peer
        .create_elicitation(params)
        .await
        .map_err(|e| ErrorData::internal_error(format!("elicitation failed: {e}"), None))?;
    let value = serde_json::to_value(&result).unwrap_or(Value::Null);
    Ok(format!(
        "action={}, content={}",
        value
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or("unknown"),
        value.get("content").cloned().unwrap_or(Value::Null)
    ))
}

pub fn tools() -> ToolRouter<FixtureServer> {
    let json_schema_2020_12 = schema(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"address": {"$anchor": "addressDef", "type": "object",
                              "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"},
            "contactMethod": {"type": "string", "enum": ["phone", "email"]},
            "phone": {"type": "string"},
            "email": {"type": "string"}
        },
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false
    }));
    let prompt_arg = |name: &str, what: &str| {
        schema(
            json!({"type": "object", "properties": {name: {"type": "string", "description": what}}, "required": [name]}),
        )
    };
    ToolRouter::new()
        .with_route(route(tool("test_simple_text", "Fixture: returns simple text.", no_args()), |_| {
            Box::pin(async { text("This is a simple text response for testing.") })
        }))
        .with_route(route(tool("test_image_content", "Fixture: returns an image.", no_args()), |_| {
            Box::pin(async { Ok(CallToolResult::success(vec![ContentBlock::image(png(), "image/png")]).into()) })
        }))
        .with_route(route(tool("test_audio_content", "Fixture: returns audio.", no_args()), |_| {
            Box::pin(async { Ok(CallToolResult::success(vec![ContentBlock::audio(wav(), "audio/wav")]).into()) })
        }))
        .with_route(route(tool("test_embedded_resource", "Fixture: returns an embedded resource.", no_args()), |_| {
            Box::pin(async {
                let resource = ResourceContents::text("This is an embedded resource content.", "test://embedded-resource")
                    .with_mime_type("text/plain");
                Ok(CallToolResult::success(vec![ContentBlock::resource(resource)]).into())
            })
        }))
        .with_route(route(tool("test_multiple_content_types", "Fixture: returns text, image and a resource.", no_args()), |_| {
            Box::pin(async {
                let resource = ResourceContents::text(r#"{"test":"data","value":123}"#, "test://mixed-content-resource")
                    .with_mime_type("application/json");
                Ok(CallToolResult::success(vec![
                    ContentBlock::text("Multiple content types test:"),
                    ContentBlock::image(png(), "image/png"),
                    ContentBlock::resource(resource),
                ])
                .into())
            })
        }))
        .with_route(route(tool("test_error_handling", "Fixture: always fails as a tool error.", no_args()), |_| {
            Box::pin(async {
                Ok(CallToolResult::error(vec![ContentBlock::text("This tool intentionally returns an error for testing")]).into())
            })
        }))
        .with_route(route(tool("test_tool_with_progress", "Fixture: reports progress 0, 50, 100 of 100.", no_args()), |ctx| {
            Box::pin(async move {
                let token = ctx.request_context.meta.get_progress_token();
                for (i, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    if let Some(token) = &token {
                        let _ = ctx
                            .request_context
                            .peer
                            .notify_progress(ProgressNotificationParam::new(token.clone(), progress).with_total(100.0))
                            .await;
                    }
                }
                text("Progress tool completed")
            })
        }))
        .with_route(route(tool("test_tool_with_logging", "Fixture: sends three log messages.", no_args()), |ctx| {
            Box::pin(async move {
                for (i, message) in ["Tool execution started", "Tool processing data", "Tool execution completed"].into_iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    let _ = ctx
                        .request_context
                        .peer
                        .notify_logging_message(LoggingMessageNotificationParam::new(LoggingLevel::Info, json!(message)))
                        .await;
                }
                text("Logging tool completed")
            })
        }))
        .with_route(route(tool("test_sampling", "Fixture: asks the client's model to answer a prompt.", prompt_arg("prompt", "The prompt to send to the model")), |ctx| {
            Box::pin(async move {
                let params: CreateMessageRequestParams = serde_json::from_value(json!({
                    "messages": [{"role": "user", "content": {"type": "text", "text": string_arg(&ctx, "prompt")}}],
                    "maxTokens": 100
                }))
                .map_err(|e| ErrorData::internal_error(format!("fixture sampling request: {e}"), None))?;
                match ctx.request_context.peer.create_message(params).await {
                    Ok(result) => {
                        let value = serde_json::to_value(&result).unwrap_or(Value::Null);
                        let answer = value.pointer("/content/text").and_then(Value::as_str).unwrap_or_default().to_string();
                        text(format!("LLM response: {answer}"))
                    }
                    Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(format!("sampling failed: {e}"))]).into()),
                }
            })
        }))
        .with_route(route(tool("test_elicitation", "Fixture: asks the user for a username and email.", prompt_arg("message", "The message to show the user")), |ctx| {
            Box::pin(async move {
                let requested = json!({"type": "object", "properties": {
                    "username": {"type": "string", "description": "User's response"},
                    "email": {"type": "string", "description": "User's email address"}
                }, "required": ["username", "email"]});
                match elicit(&ctx, string_arg(&ctx, "message"), requested).await {
                    Ok(answer) => text(format!("User response: {answer}")),
                    Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(e.message.to_string())]).into()),
                }
            })
        }))
        .with_route(route(tool("test_elicitation_sep1034_defaults", "Fixture: elicitation with defaults.", no_args()), |ctx| {
            Box::pin(async move {
                match elicit(&ctx, "Please review and update the form fields with defaults".into(), elicitation_schema_defaults()).await {
                    Ok(answer) => text(format!("Elicitation completed: {answer}")),
                    Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(e.message.to_string())]).into()),
                }
            })
        }))
        .with_route(route(tool("test_elicitation_sep1330_enums", "Fixture: elicitation with enum variants.", no_args()), |ctx| {
            Box::pin(async move {
                match elicit(&ctx, "Please select options from the enum fields".into(), elicitation_schema_enums()).await {
                    Ok(answer) => text(format!("Elicitation completed: {answer}")),
                    Err(e) => Ok(CallToolResult::error(vec![ContentBlock::text(e.message.to_string())]).into()),
                }
            })
        }))
        .with_route(route(tool("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features", json_schema_2020_12), |_| {
            Box::pin(async { text("ok") })
        }))
}

pub fn resources() -> Vec<Resource> {
    vec![
        Resource::new("test://static-text", "static-text")
            .with_description("Fixture: static text.")
            .with_mime_type("text/plain"),
        Resource::new("test://static-binary", "static-binary")
            .with_description("Fixture: a PNG image.")
            .with_mime_type("image/png"),
        Resource::new("test://watched-resource", "watched-resource")
            .with_description("Fixture: a resource to subscribe to.")
            .with_mime_type("text/plain"),
    ]
}

pub fn templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new("test://template/{id}/data", "template-data")
            .with_description("Fixture: data for an id.")
            .with_mime_type("application/json"),
    ]
}

/// Read a fixture resource; `None` when the URI is not one.
pub fn read(uri: &str) -> Option<ReadResourceResult> {
    let contents = match uri {
        "test://static-text" => {
            ResourceContents::text("This is the content of the static text resource.", uri)
                .with_mime_type("text/plain")
        }
        "test://static-binary" => ResourceContents::blob(png(), uri).with_mime_type("image/png"),
        "test://watched-resource" => {
            ResourceContents::text("Watched resource content.", uri).with_mime_type("text/plain")
        }
        _ => {
            let id = uri
                .strip_prefix("test://template/")?
                .strip_suffix("/data")?;
            if id.is_empty() || id.contains('/') {
                return None;
            }
            let body =
                json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")});
            ResourceContents::text(body.to_string(), uri).with_mime_type("application/json")
        }
    };
    Some(ReadResourceResult::new(vec![contents]))
}

fn required(name: &str, description: &str) -> PromptArgument {
    PromptArgument::new(name)
        .with_description(description)
        .with_required(true)
}

pub fn prompts() -> Vec<Prompt> {
    vec![
        Prompt::new(
            "test_simple_prompt",
            Some("Fixture: a prompt without arguments."),
            None,
        ),
        Prompt::new(
            "test_prompt_with_arguments",
            Some("Fixture: a prompt with two arguments."),
            Some(vec![
                required("arg1", "First test argument"),
                required("arg2", "Second test argument"),
            ]),
        ),
        Prompt::new(
            "test_prompt_with_embedded_resource",
            Some("Fixture: a prompt embedding a resource."),
            Some(vec![required(
                "resourceUri",
                "URI of the resource to embed",
            )]),
        ),
        Prompt::new(
            "test_prompt_with_image",
            Some("Fixture: a prompt with an image."),
            None,
        ),
    ]
}

/// Get a fixture prompt; `None` when the name is not one.
pub fn get_prompt(name: &str, arguments: Option<&JsonObject>) -> Option<GetPromptResult> {
    let arg = |key: &str| {
        arguments
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let messages = match name {
        "test_simple_prompt" => vec![PromptMessage::new_text(
            Role::User,
            "This is a simple prompt for testing.",
        )],
        "test_prompt_with_arguments" => vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Prompt with arguments: arg1='{}', arg2='{}'",
                arg("arg1"),
                arg("arg2")
            ),
        )],
        "test_prompt_with_embedded_resource" => vec![
            PromptMessage::new(
                Role::User,
                ContentBlock::resource(
                    ResourceContents::text(
                        "Embedded resource content for testing.",
                        arg("resourceUri"),
                    )
                    .with_mime_type("text/plain"),
                ),
            ),
            PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
        ],
        "test_prompt_with_image" => vec![
            PromptMessage::new(Role::User, ContentBlock::image(png(), "image/png")),
            PromptMessage::new_text(Role::User, "Please analyze the image above."),
        ],
        _ => return None,
    };
    Some(GetPromptResult::new(messages))
}

/// Completion values for fixture prompt arguments.
pub fn complete(prompt: &str, argument: &str, prefix: &str) -> Option<Vec<String>> {
    let candidates: &[&str] = match (prompt, argument) {
        ("test_prompt_with_arguments", "arg1" | "arg2") => {
            &["paris", "park", "party", "hello", "world"]
        }
        _ => return None,
    };
    Some(
        candidates
            .iter()
            .filter(|c| c.starts_with(prefix))
            .map(|c| c.to_string())
            .collect(),
    )
}

/// The server plus the conformance fixtures: fixture names are answered here,
/// everything else by the wrapped server. Fixture tools need no workspace.
#[derive(Clone)]
pub struct FixtureServer {
    inner: IntercomServer,
    tools: Arc<ToolRouter<FixtureServer>>,
}

impl FixtureServer {
    pub fn new(inner: IntercomServer) -> Self {
        Self {
            inner,
            tools: Arc::new(tools()),
        }
    }
}

impl McpHandler for FixtureServer {
    fn intercom(&self) -> &IntercomServer {
        &self.inner
    }

    fn new_session(&self) -> Self {
        Self {
            inner: self.inner.new_session(),
            tools: self.tools.clone(),
        }
    }
}

impl ServerHandler for FixtureServer {
    fn get_info(&self) -> ServerConfig {
        let mut info = self.inner.get_info();
        // The fixtures exercise logging and resource subscriptions.
        info.capabilities.logging = Some(Default::default());
        if let Some(resources) = info.capabilities.resources.as_mut() {
            resources.subscribe = Some(true);
        }
        info
    }

    async fn initialize(
        &self,
        request: rmcp::model::InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        let mut result = self.negotiate_initialize(&request)?;
        self.inner.announce_tool_list_changes(&mut result);
        Ok(result)
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut list = self.inner.list_tools(request, context).await?.tools;
        let mut fixtures = self.tools.list_all();
        fixtures.sort_by(|a, b| a.name.cmp(&b.name));
        list.extend(fixtures);
        Ok(ListToolsResult::with_all_items(list))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools
            .get(name)
            .cloned()
            .or_else(|| self.inner.get_tool(name))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if self.tools.has_route(&request.name) {
            return self
                .tools
                .call(ToolCallContext::new(self, request, context))
                .await;
        }
        self.inner.call_tool(request, context).await
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut list = self.inner.list_resources(request, context).await?.resources;
        list.extend(resources());
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let mut list = self
            .inner
            .list_resource_templates(request, context)
            .await?
            .resource_templates;
        list.extend(templates());
        Ok(ListResourceTemplatesResult::with_all_items(list))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        match read(&request.uri) {
            Some(result) => Ok(result.into()),
            None => self.inner.read_resource(request, context).await,
        }
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        // Acknowledge, then hold the stream open (the real-time side, when on, decides).
        self.inner
            .accepted_subscription_filter(requested)
            .or_else(|| Some(requested.clone()))
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        self.inner.listen(context).await
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if request.uri.starts_with(URI_PREFIX) {
            return Ok(());
        }
        self.inner.subscribe(request, context).await
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.inner.unsubscribe(request, context).await
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let mut list = self.inner.list_prompts(request, context).await?.prompts;
        list.extend(prompts());
        Ok(ListPromptsResult::with_all_items(list))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        match get_prompt(&request.name, request.arguments.as_ref()) {
            Some(result) => Ok(result.into()),
            None => self.inner.get_prompt(request, context).await,
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let fixture = match &request.r#ref {
            Reference::Prompt(prompt) => complete(
                &prompt.name,
                &request.argument.name,
                &request.argument.value,
            ),
            _ => None,
        };
        match fixture {
            Some(values) => completion(values),
            None => self.inner.complete(request, context).await,
        }
    }

    async fn set_level(
        &self,
        _request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        // The fixtures declare logging; they log at info regardless.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_fixtures_are_valid() {
        let png = base64::engine::general_purpose::STANDARD
            .decode(png())
            .unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let wav = base64::engine::general_purpose::STANDARD
            .decode(wav())
            .unwrap();
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(&wav[8..12], b"WAVE");
    }

    #[test]
    fn template_reads_substitute_the_id() {
        let r = read("test://template/123/data").unwrap();
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains("Data for ID: 123"));
        assert!(read("test://template//data").is_none());
        assert!(read("test://nonexistent").is_none());
    }

    #[test]
    fn fixture_tools_and_prompts_exist() {
        let router = tools();
        for name in [
            "test_simple_text",
            "test_tool_with_progress",
            "json_schema_2020_12_tool",
        ] {
            assert!(router.has_route(name), "{name}");
        }
        assert!(
            get_prompt(
                "test_prompt_with_arguments",
                json!({"arg1": "a", "arg2": "b"}).as_object()
            )
            .is_some()
        );
        assert_eq!(
            complete("test_prompt_with_arguments", "arg1", "par").unwrap(),
            vec!["paris", "park", "party"]
        );
    }
}
