//! The tool catalogue is reviewed through snapshots: every tool's name,
//! description, input and output schemas and annotations live in
//! `tests/snapshots/tools/<name>.json`. A missing, stale or different snapshot
//! fails; `UPDATE_SNAPSHOTS=1` rewrites them.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use intercom_mcp_server::toolsets::{Selection, is_read_only};
use serde_json::{Value, json};

fn catalogue(selection: Selection) -> Vec<rmcp::model::Tool> {
    common::server_for("http://127.0.0.1:9", "unused", selection).tools()
}

/// Every tool a client can be shown: the whole catalogue plus the two dynamic-toolset tools.
fn every_tool() -> Vec<rmcp::model::Tool> {
    let mut tools = catalogue(common::all_tools());
    tools.extend(intercom_mcp_server::dynamic::meta_tools());
    tools
}

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/tools")
}

fn snapshot_of(tool: &rmcp::model::Tool) -> Value {
    json!({
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "annotations": tool.annotations,
        "inputSchema": tool.input_schema,
        "outputSchema": tool.output_schema,
    })
}

#[test]
fn catalogue_matches_snapshots() {
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let dir = snapshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let tools = every_tool();
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();
    for tool in &tools {
        names.insert(format!("{}.json", tool.name));
        let path = dir.join(format!("{}.json", tool.name));
        let current = serde_json::to_string_pretty(&snapshot_of(tool)).unwrap() + "\n";
        match std::fs::read_to_string(&path) {
            Ok(saved) if saved == current => {}
            _ if update => std::fs::write(&path, &current).unwrap(),
            Ok(_) => failures.push(format!("{} differs from its snapshot", tool.name)),
            Err(_) => failures.push(format!("{} has no snapshot", tool.name)),
        }
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().to_string();
        if file.ends_with(".json") && !names.contains(&file) {
            if update {
                std::fs::remove_file(dir.join(&file)).unwrap();
            } else {
                failures.push(format!(
                    "{file} is a snapshot of a tool that no longer exists"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "tool catalogue changed:\n  {}\nreview, then run `UPDATE_SNAPSHOTS=1 cargo test -p intercom-mcp --test it catalogue` and commit tests/snapshots/",
        failures.join("\n  ")
    );
}

#[test]
fn every_tool_is_documented_with_output_schema_and_annotations() {
    for tool in every_tool() {
        let name = &tool.name;
        let description = tool.description.as_deref().unwrap_or_default();
        assert!(
            description.len() > 40,
            "{name}: description should tell a model when to use it"
        );
        assert!(tool.output_schema.is_some(), "{name}: no outputSchema");
        let a = tool
            .annotations
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no annotations"));
        assert!(
            a.read_only_hint.is_some(),
            "{name}: readOnlyHint must be set"
        );
        assert!(
            a.open_world_hint.is_some(),
            "{name}: openWorldHint must be set"
        );
        if a.read_only_hint == Some(false) {
            assert!(
                a.destructive_hint.is_some(),
                "{name}: write tools must set destructiveHint"
            );
            assert!(
                a.idempotent_hint.is_some(),
                "{name}: write tools must set idempotentHint"
            );
        }
        let props = tool
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (arg, schema) in props {
            let described = schema
                .get("description")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.is_empty());
            assert!(described, "{name}: argument `{arg}` has no description");
        }
    }
}

#[test]
fn read_only_leaves_only_read_only_tools_whatever_else_is_asked() {
    let all = catalogue(common::all_tools());
    assert!(
        all.iter().any(|t| !is_read_only(t)),
        "the catalogue should contain write tools"
    );
    let write_names: Vec<String> = all
        .iter()
        .filter(|t| !is_read_only(t))
        .map(|t| t.name.to_string())
        .collect();
    for selection in [
        Selection {
            toolsets: vec!["all".into()],
            read_only: true,
            ..Default::default()
        },
        Selection {
            tools: write_names.clone(),
            read_only: true,
            ..Default::default()
        },
        Selection {
            read_only: true,
            ..Default::default()
        },
    ] {
        let tools = catalogue(selection.clone());
        assert!(
            tools.iter().all(is_read_only),
            "{selection:?} kept a write tool"
        );
    }
    let read_only_all = catalogue(Selection {
        toolsets: vec!["all".into()],
        read_only: true,
        ..Default::default()
    });
    assert_eq!(
        read_only_all.len(),
        all.iter().filter(|t| is_read_only(t)).count()
    );
}

#[test]
fn toolsets_and_allow_list_select_and_order_deterministically() {
    let only = catalogue(Selection {
        toolsets: vec!["workspace".into()],
        ..Default::default()
    });
    let names: Vec<&str> = only.iter().map(|t| t.name.as_ref()).collect();
    assert!(
        names.contains(&"whoami") && !names.contains(&"get_conversation"),
        "{names:?}"
    );
    let picked = catalogue(Selection {
        tools: vec!["get_conversation".into(), "whoami".into()],
        ..Default::default()
    });
    let names: Vec<&str> = picked.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        vec!["whoami", "get_conversation"],
        "toolset order, then name"
    );
    assert_eq!(
        catalogue(common::all_tools())
            .iter()
            .map(|t| t.name.to_string())
            .collect::<Vec<_>>(),
        catalogue(common::all_tools())
            .iter()
            .map(|t| t.name.to_string())
            .collect::<Vec<_>>()
    );
    let err = intercom_mcp_server::server::IntercomServer::new(
        intercom_mcp_server::server::ServerOptions {
            selection: Selection {
                tools: vec!["no_such_tool".into()],
                ..Default::default()
            },
            workspaces: std::sync::Arc::new(
                intercom_mcp_server::workspace_context::Workspaces::new(Default::default(), None),
            ),
            token_from_request: false,
        },
    )
    .unwrap_err();
    assert!(err.contains("no_such_tool"), "{err}");
}
