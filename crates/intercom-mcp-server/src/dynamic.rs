//! Dynamic toolsets (`--dynamic-toolsets`): a session lists the core tools plus
//! `list_toolsets` and `enable_toolset`; enabling a toolset adds its tools to this session's
//! list and tells the client with `notifications/tools/list_changed`.

use std::collections::BTreeSet;
use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, Tool, ToolAnnotations};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use serde_json::{Map, Value, json};

use crate::context::IntercomServer;
use crate::toolsets::{CORE, Toolset};

pub const LIST_TOOLSETS: &str = "list_toolsets";
pub const ENABLE_TOOLSET: &str = "enable_toolset";

fn object(v: Value) -> Arc<Map<String, Value>> {
    match v {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(Map::new()),
    }
}

/// The two tools that manage a dynamic session's toolsets.
pub fn meta_tools() -> Vec<Tool> {
    let toolset_row = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "enabled": {"type": "boolean"},
            "tools": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["name", "description", "enabled", "tools"]
    });
    let list = Tool::new(
        LIST_TOOLSETS,
        "List the toolsets this server can add (with their tools) and which are enabled.",
        object(json!({"type": "object", "properties": {}})),
    )
    .with_title("List toolsets")
    .with_annotations(
        ToolAnnotations::new()
            .read_only(true)
            .open_world(false)
            .idempotent(true)
            .destructive(false),
    )
    .with_raw_output_schema(object(json!({
        "type": "object",
        "properties": {"toolsets": {"type": "array", "items": toolset_row}},
        "required": ["toolsets"]
    })));
    let enable = Tool::new(
        ENABLE_TOOLSET,
        "Add a toolset's tools to this session (see list_toolsets), e.g. tickets, contacts, bulk, analytics.",
        object(json!({
            "type": "object",
            "properties": {
                "toolset": {
                    "type": "string",
                    "description": "Toolset name, several comma-separated, or `all`."
                }
            },
            "required": ["toolset"]
        })),
    )
    .with_title("Enable toolset")
    .with_annotations(
        ToolAnnotations::new()
            .read_only(true)
            .open_world(false)
            .idempotent(true)
            .destructive(false),
    )
    .with_raw_output_schema(object(json!({
        "type": "object",
        "properties": {
            "enabled": {"type": "array", "items": {"type": "string"}},
            "added_tools": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["enabled", "added_tools"]
    })));
    vec![list, enable]
}

/// Whether the request belongs to no session: protocol 2026-07-28 and later carry
/// everything in each request (versions are dates, so they compare as text).
fn sessionless(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= rmcp::model::ProtocolVersion::V_2026_07_28.as_str())
}

impl IntercomServer {
    /// The toolsets this server can list: those selected that have a tool this server can run.
    fn available_toolsets(&self) -> BTreeSet<Toolset> {
        self.catalogue()
            .iter()
            .filter(|e| self.can_run(e.toolset))
            .map(|e| e.toolset)
            .collect()
    }

    /// Whether a toolset's tools can run here: real time needs the mirror, automations a
    /// rules file. Tools that cannot run are not listed.
    pub fn can_run(&self, toolset: Toolset) -> bool {
        match toolset {
            Toolset::Realtime => self.realtime().is_some(),
            Toolset::Automations => self.automations().is_some(),
            _ => true,
        }
    }

    /// What `tools/list` answers this request. Toolsets are enabled per session, so a
    /// sessionless request (protocol 2026-07-28 and later, where every request stands alone)
    /// gets every runnable tool, as in static mode.
    pub fn listed_tools_for(&self, context: &RequestContext<RoleServer>) -> Vec<Tool> {
        if self.is_dynamic() && sessionless(context) {
            return self.runnable_tools();
        }
        self.listed_tools()
    }

    /// Every tool of the catalogue that can run here.
    pub fn runnable_tools(&self) -> Vec<Tool> {
        self.catalogue()
            .iter()
            .filter(|e| self.can_run(e.toolset))
            .map(|e| e.tool.clone())
            .collect()
    }

    /// What `tools/list` answers in a session: every runnable tool of the catalogue; in
    /// dynamic mode the core tools and the enabled toolsets' tools, then the two toolset tools.
    pub fn listed_tools(&self) -> Vec<Tool> {
        let enabled = self.session.enabled.lock().clone();
        let mut tools: Vec<Tool> = self
            .catalogue()
            .iter()
            .filter(|e| self.can_run(e.toolset))
            .filter(|e| {
                !self.is_dynamic()
                    || enabled.contains(&e.toolset)
                    || CORE.contains(&e.tool.name.as_ref())
            })
            .map(|e| e.tool.clone())
            .collect();
        if self.is_dynamic() {
            tools.extend(meta_tools());
        }
        tools
    }

    /// In dynamic mode, a session's tool list changes when it enables a toolset: the
    /// `initialize` answer of a session says so (`tools.listChanged`). Sessionless clients
    /// (2026-07-28) never see the list change, so their discovery does not announce it.
    pub fn announce_tool_list_changes(&self, result: &mut rmcp::model::InitializeResult) {
        if self.is_dynamic()
            && result.protocol_version.as_str()
                < rmcp::model::ProtocolVersion::V_2026_07_28.as_str()
        {
            result
                .capabilities
                .tools
                .get_or_insert_with(Default::default)
                .list_changed = Some(true);
        }
    }

    /// Answers `list_toolsets` and `enable_toolset`; `None` for any other name.
    pub(crate) async fn call_toolset_tool(
        &self,
        name: &str,
        arguments: Option<&Map<String, Value>>,
        context: &RequestContext<RoleServer>,
    ) -> Option<Result<CallToolResult, ErrorData>> {
        if !self.is_dynamic() {
            return None;
        }
        if matches!(name, LIST_TOOLSETS | ENABLE_TOOLSET) && sessionless(context) {
            return Some(Ok(CallToolResult::error(vec![ContentBlock::text(
                "toolsets are enabled per session, and this request has none: every tool is \
                 already listed",
            )])));
        }
        match name {
            LIST_TOOLSETS => Some(Ok(self.list_toolsets())),
            ENABLE_TOOLSET => Some(self.enable_toolset(arguments, context).await),
            _ => None,
        }
    }

    fn tool_names_of(&self, toolset: Toolset) -> Vec<String> {
        self.catalogue()
            .iter()
            .filter(|e| e.toolset == toolset)
            .map(|e| e.tool.name.to_string())
            .collect()
    }

    fn list_toolsets(&self) -> CallToolResult {
        let enabled = self.session.enabled.lock().clone();
        let mut text = String::from("Toolsets (enable with enable_toolset):\n");
        let mut rows = Vec::new();
        for toolset in self.available_toolsets() {
            let tools = self.tool_names_of(toolset);
            let on = enabled.contains(&toolset);
            text.push_str(&format!(
                "- {}{}: {} ({})\n",
                toolset.name(),
                if on { " [enabled]" } else { "" },
                toolset.description(),
                tools.join(", ")
            ));
            rows.push(json!({
                "name": toolset.name(),
                "description": toolset.description(),
                "enabled": on,
                "tools": tools,
            }));
        }
        let mut result = CallToolResult::success(vec![ContentBlock::text(text.trim_end())]);
        result.structured_content = Some(json!({ "toolsets": rows }));
        result
    }

    async fn enable_toolset(
        &self,
        arguments: Option<&Map<String, Value>>,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let raw = arguments
            .and_then(|a| a.get("toolset"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ErrorData::invalid_params(
                    "enable_toolset needs `toolset`: a name from list_toolsets, or `all`",
                    None,
                )
            })?;
        let available = self.available_toolsets();
        let mut wanted = BTreeSet::new();
        for name in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if name.eq_ignore_ascii_case("all") {
                wanted.extend(available.iter().copied());
                continue;
            }
            let known: Vec<&str> = available.iter().map(|t| t.name()).collect();
            match name.parse::<Toolset>() {
                Ok(t) if available.contains(&t) => {
                    wanted.insert(t);
                }
                _ => {
                    return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                        "no toolset `{name}` on this server; available: {}",
                        known.join(", ")
                    ))]));
                }
            }
        }
        let before = self.listed_tools();
        let enabled: Vec<String> = {
            let mut on = self.session.enabled.lock();
            on.extend(wanted.iter().copied());
            on.iter().map(|t| t.name().to_string()).collect()
        };
        let added: Vec<String> = self
            .listed_tools()
            .into_iter()
            .filter(|t| !before.iter().any(|b| b.name == t.name))
            .map(|t| t.name.to_string())
            .collect();
        if !added.is_empty()
            && let Err(err) = context.peer.notify_tool_list_changed().await
        {
            tracing::debug!(error = %err, "tools/list_changed not sent");
        }
        let text = if added.is_empty() {
            format!(
                "Nothing new: those tools were already listed. Enabled: {}.",
                enabled.join(", ")
            )
        } else {
            // The tools with their arguments, for clients that do not read the list again.
            let lines: Vec<String> = added
                .iter()
                .filter_map(|name| self.catalogue().iter().find(|e| e.tool.name == *name))
                .map(|e| signature(&e.tool))
                .collect();
            format!(
                "Added {} tool(s) (enabled toolsets: {}); tools/list now shows them:\n{}",
                added.len(),
                enabled.join(", "),
                lines.join("\n")
            )
        };
        let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
        result.structured_content = Some(json!({ "enabled": enabled, "added_tools": added }));
        Ok(result)
    }
}

/// `name(required*, optional): first sentence of the description`.
fn signature(tool: &Tool) -> String {
    let required: Vec<&str> = tool
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let args: Vec<String> = tool
        .input_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .keys()
                .map(|k| {
                    if required.contains(&k.as_str()) {
                        format!("{k}*")
                    } else {
                        k.clone()
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let description = tool.description.as_deref().unwrap_or_default();
    let first = description
        .split_once(". ")
        .map_or(description, |(first, _)| first)
        .trim_end_matches('.');
    format!("- {}({}): {first}.", tool.name, args.join(", "))
}
