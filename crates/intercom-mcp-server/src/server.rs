//! The MCP server: one `ServerHandler` exposing the selected tools, the
//! resources and the prompts, whatever the transport.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
#[allow(deprecated)]
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CompleteRequestParams, CompleteResult,
    CompletionInfo, ContentBlock, GetPromptRequestParams, GetPromptResponse, Implementation,
    InitializeRequestParams, InitializeResult, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, Reference, ServerCapabilities, ServerConfig, SetLevelRequestParams, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

pub use crate::context::{CatalogueEntry, IntercomServer};
use crate::output::ToolError;
use crate::toolsets::Selection;
use crate::workspace_context::Workspaces;
use crate::{prompts, resources, tools};

pub const SERVER_NAME: &str = "intercom-mcp";
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

const INSTRUCTIONS: &str = "Tools for an Intercom workspace: read and act on conversations, \
tickets, contacts, companies and articles. Ids may be given raw, prefixed (conversation_123) \
or as Intercom inbox URLs. Dates accept ISO dates or words such as today, yesterday, this_week, \
last_week, 7d. List tools take limit/cursor and return next_cursor. Call whoami first to learn \
which admin the token acts as.";

/// Added to the instructions with dynamic toolsets.
const DYNAMIC_INSTRUCTIONS: &str = " When enable_toolset is listed, only the everyday tools are: \
list_toolsets names the other toolsets (tickets, contacts, companies, articles, workspace, bulk, \
analytics) and enable_toolset adds their tools.";

/// Everything needed to build a server.
#[derive(Debug)]
pub struct ServerOptions {
    pub selection: Selection,
    pub workspaces: Arc<Workspaces>,
    /// Use each HTTP client's bearer token as its Intercom token.
    pub token_from_request: bool,
}

impl IntercomServer {
    pub fn new(options: ServerOptions) -> Result<Self, String> {
        let toolsets = options.selection.toolsets()?;
        let registry = tools::registry();
        let unknown = options.selection.unknown_tools(
            registry
                .iter()
                .flat_map(|(_, router)| router.map.keys().map(|k| k.as_ref())),
        );
        if !unknown.is_empty() {
            return Err(format!(
                "unknown tool(s) in --tools: {}; run `intercom-mcp tools` to see the names",
                unknown.join(", ")
            ));
        }
        let mut router = ToolRouter::new();
        let mut catalogue = Vec::new();
        for (toolset, domain) in registry {
            for route in domain {
                if options.selection.admits(toolset, &route.attr, &toolsets) {
                    let mut tool = route.attr.clone();
                    crate::error::admit_applied_outcome(&mut tool);
                    compact_schemas(&mut tool);
                    catalogue.push(CatalogueEntry { toolset, tool });
                    router.add_route(route);
                }
            }
        }
        // Deterministic order: by toolset, then by name.
        catalogue.sort_by(|a, b| (a.toolset, &a.tool.name).cmp(&(b.toolset, &b.tool.name)));
        Ok(Self::from_parts(
            router,
            catalogue,
            options.workspaces,
            options.token_from_request,
            options.selection.is_dynamic(),
        ))
    }
}

/// The schemas as a client receives them: see [`crate::catalogue`].
fn compact_schemas(tool: &mut Tool) {
    let mut input = (*tool.input_schema).clone();
    crate::catalogue::compact_input_schema(&mut input);
    tool.input_schema = std::sync::Arc::new(input);
    if let Some(output) = tool.output_schema.as_ref() {
        let mut output = (**output).clone();
        crate::catalogue::compact_output_schema(&mut output);
        tool.output_schema = Some(std::sync::Arc::new(output));
    }
}

fn error_result(err: ToolError) -> CallToolResponse {
    use rmcp::handler::server::tool::IntoCallToolResult;
    err.into_call_tool_result()
        .unwrap_or_else(|e| CallToolResult::error(vec![ContentBlock::text(e.message)]).into())
}

impl ServerHandler for IntercomServer {
    fn get_info(&self) -> ServerConfig {
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_prompts()
            .enable_completions()
            .build();
        // Real time: resource updates need the mirror's change feed.
        if self.realtime().is_some()
            && let Some(resources) = capabilities.resources.as_mut()
        {
            resources.subscribe = Some(true);
            resources.list_changed = Some(true);
        }
        ServerConfig::new(capabilities)
        .with_server_info(
            Implementation::new(SERVER_NAME, SERVER_VERSION)
                .with_title("Intercom")
                .with_description("Work an Intercom workspace: conversations, tickets, contacts, companies, articles."),
        )
        .with_instructions(if self.is_dynamic() {
            format!("{INSTRUCTIONS}{DYNAMIC_INSTRUCTIONS}")
        } else {
            INSTRUCTIONS.to_string()
        })
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        context.peer.set_peer_info(request.clone());
        let mut result = self.negotiate_initialize(&request)?;
        self.announce_tool_list_changes(&mut result);
        Ok(result)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.listed_tools_for(&context),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        let name = crate::aliases::canonical(name);
        self.catalogue()
            .iter()
            .find(|e| e.tool.name == name)
            .map(|e| e.tool.clone())
            .or_else(|| {
                self.is_dynamic()
                    .then(crate::dynamic::meta_tools)
                    .and_then(|tools| tools.into_iter().find(|t| t.name == name))
            })
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        mut context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // An unlisted alias runs the tool it names (see `crate::aliases`).
        if let Some(alias) = crate::aliases::alias(&request.name)
            && self.shared.router.has_route(alias.tool)
        {
            request.arguments = alias.arguments(request.arguments.take());
            request.name = alias.tool.into();
        }
        if let Some(result) = self
            .call_toolset_tool(&request.name, request.arguments.as_ref(), &context)
            .await
        {
            return result.map(Into::into);
        }
        if !self.shared.router.has_route(&request.name) {
            return Err(ErrorData::invalid_params(
                format!(
                    "unknown tool `{}`; call tools/list to see the available tools",
                    request.name
                ),
                None,
            ));
        }
        let workspace = match self.workspace_for(&context).await {
            Ok(ws) => ws,
            Err(err) => return Ok(error_result(err)),
        };
        workspace.learn_time_zone().await;
        context.extensions.insert(workspace.clone());
        let name = request.name.clone();
        let summary = crate::summary::asks_for_summary(request.arguments.as_ref());
        let started = std::time::Instant::now();
        // `notifications/cancelled` fires `ct`; a client whose connection or event stream
        // closed fires `gone`. Either drops the tool's future, and with it every request
        // to Intercom in flight and every page not yet asked for.
        let cancelled = context.ct.clone();
        let gone = crate::transport::gone::ClientGone::of(&context.extensions).unwrap_or_default();
        // Every object the tool writes is noted, so the mirror can read it back.
        let call = intercom_api::writes::recording_writes(
            self.shared
                .router
                .call(ToolCallContext::new(self, request, context)),
        );
        let result = tokio::select! {
            (result, written) = call => {
                if let Some(realtime) = self.realtime()
                    && !written.is_empty()
                {
                    realtime.refresh_written(workspace.api().client(), &written).await;
                }
                result
            }
            () = cancelled.cancelled() => {
                tracing::info!(tool = %name, elapsed_ms = started.elapsed().as_millis() as u64, "tool call cancelled by the client");
                return Err(ErrorData::new(
                    rmcp::model::ErrorCode::INTERNAL_ERROR,
                    "the call was cancelled by the client before it finished",
                    None,
                ));
            }
            () = gone.cancelled() => {
                tracing::info!(tool = %name, elapsed_ms = started.elapsed().as_millis() as u64, "tool call stopped: the client went away");
                return Err(ErrorData::new(
                    rmcp::model::ErrorCode::INTERNAL_ERROR,
                    "the call was stopped: the client closed its connection",
                    None,
                ));
            }
        };
        tracing::debug!(tool = %name, elapsed_ms = started.elapsed().as_millis() as u64, "tool call");
        match result {
            Ok(CallToolResponse::Complete(mut done)) => {
                // rmcp marks every error branch `isError`; a write that landed is a success.
                if crate::error::is_applied_outcome(&done) {
                    done.is_error = Some(false);
                }
                if summary {
                    let schema = self.get_tool(&name).and_then(|t| t.output_schema);
                    crate::summary::slim(&name, schema.as_deref(), &mut done);
                }
                if self.redacts_pii() {
                    crate::redact::redact_result(&mut done);
                }
                Ok(CallToolResponse::Complete(done))
            }
            other => other,
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(
            resources::static_resources(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let target = resources::parse(&request.uri)?;
        let workspace = self.workspace_for(&context).await.map_err(|e| {
            e.log("resource read");
            e.to_rpc(Some(&request.uri))
        })?;
        resources::read(&workspace, &request.uri, target)
            .await
            .map(Into::into)
    }

    // Real time: resource subscriptions, both protocol eras (see mirror::live).
    fn accepted_subscription_filter(
        &self,
        requested: &rmcp::model::SubscriptionFilter,
    ) -> Option<rmcp::model::SubscriptionFilter> {
        self.realtime()
            .map(|rt| rt.accepted_subscription_filter(requested))
    }

    async fn listen(&self, context: rmcp::service::SubscriptionContext) -> Result<(), ErrorData> {
        match self.realtime() {
            Some(rt) => rt.listen(context).await,
            None => {
                context.cancelled().await;
                Ok(())
            }
        }
    }

    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: rmcp::model::SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        match self.realtime() {
            Some(rt) => rt.subscribe(&request.uri, &context.peer),
            None => Err(ErrorData::invalid_request(
                "resource subscriptions need the local mirror: start the server with --sync",
                None,
            )),
        }
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: rmcp::model::UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if let Some(rt) = self.realtime() {
            rt.unsubscribe(&request.uri, &context.peer);
        }
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        prompts::get(&request.name, request.arguments.as_ref()).map(Into::into)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let prefix = request.argument.value.as_str();
        let values = match &request.r#ref {
            Reference::Prompt(prompt) => {
                // Team names need the workspace; other arguments do not.
                let workspace = self.workspace_for(&context).await.ok();
                prompts::complete(
                    &prompt.name,
                    &request.argument.name,
                    prefix,
                    workspace.as_deref(),
                )
                .await
            }
            _ => Vec::new(),
        };
        completion(values)
    }

    #[allow(deprecated)]
    async fn set_level(
        &self,
        _request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Err(ErrorData::new(
            rmcp::model::ErrorCode::METHOD_NOT_FOUND,
            "logging/setLevel: this server does not send log messages",
            None,
        ))
    }
}

/// A completion answer: the first `CompletionInfo::MAX_VALUES` values.
pub fn completion(values: Vec<String>) -> Result<CompleteResult, ErrorData> {
    let info = CompletionInfo::with_all_values(
        values
            .into_iter()
            .take(CompletionInfo::MAX_VALUES)
            .collect(),
    )
    .map_err(|e| ErrorData::internal_error(e, None))?;
    Ok(CompleteResult::new(info))
}

/// What the transports serve: the server itself, or a handler that wraps it
/// (the conformance fixtures do). The transports reach the server for its
/// workspaces, catalogue and real-time side.
pub trait McpHandler: ServerHandler + Clone + Send + Sync + 'static {
    fn intercom(&self) -> &IntercomServer;

    /// The handler for a new MCP session (per-session state, such as the toolsets a
    /// dynamic session enabled, starts empty).
    fn new_session(&self) -> Self;
}

impl McpHandler for IntercomServer {
    fn intercom(&self) -> &IntercomServer {
        self
    }

    fn new_session(&self) -> Self {
        IntercomServer::new_session(self)
    }
}
