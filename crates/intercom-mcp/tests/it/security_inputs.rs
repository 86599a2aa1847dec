//! Stable smoke test for the fuzz targets: a corpus of nasty inputs through
//! the same checks `fuzz/` runs (the search-query validator, the date parser,
//! every tool's argument decoding, the webhook signature check and payload parser with what
//! the mirror does with a notification). None may
//! panic. Crashes found by `scripts/fuzz.sh` are added to this corpus.

#[path = "../../../../fuzz/src/checks.rs"]
mod checks;

fn corpus() -> Vec<Vec<u8>> {
    let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_query = (0..200).fold(
        r#"{"field":"id","operator":"=","value":"1"}"#.to_string(),
        |inner, _| format!(r#"{{"operator":"AND","value":[{inner}]}}"#),
    );
    let wide_query = format!(
        r#"{{"operator":"OR","value":[{}]}}"#,
        vec![r#"{"field":"id","operator":"=","value":"1"}"#; 5000].join(",")
    );
    let texts: Vec<String> = vec![
        String::new(),
        " ".into(),
        "\u{0}".into(),
        "last 99999999999999999999 days".into(),
        "since 9999-99-99".into(),
        "between 2024-02-30 and 2024-01-01".into(),
        "-1 weeks ago".into(),
        "yesterday".repeat(10_000),
        "ⓛⓐⓢⓣ ⓦⓔⓔⓚ".into(),
        "2024-01-01T25:61:61Z".into(),
        "1e309".into(),
        "\u{202e}today".into(),
        "x".repeat(1024 * 1024),
        r#"{"field":"created_at","operator":">","value":-9223372036854775808}"#.into(),
        r#"{"field":"","operator":"","value":null}"#.into(),
        r#"{"operator":"AND","value":[]}"#.into(),
        r#"{"operator":"AND","value":{}}"#.into(),
        r#"{"field":"id","operator":"IN","value":[[],{},null,1e400]}"#.into(),
        r#"{"id": {"id": {"id": 1}}, "limit": -1, "cursor": 5}"#.into(),
        r#"{"contact_id": 1e308, "body": null, "assignee": [], "team": {}}"#.into(),
        r#"{"ids": "1,2,3", "state": "snoozed", "snoozed_until": "never"}"#.into(),
        r#"{"query": "", "limit": 18446744073709551616}"#.into(),
        deep_array,
        deep_query,
        wide_query,
    ];
    let mut inputs: Vec<Vec<u8>> = texts.into_iter().map(String::into_bytes).collect();
    inputs.push(vec![0xff, 0xfe, 0x00, 0x80]);
    inputs.push((0..=255u8).collect());
    inputs
}

#[test]
fn nasty_inputs_never_panic_the_parsers() {
    for input in corpus() {
        checks::search_query(&input);
        checks::dates(&input);
        checks::tool_args(&input);
        checks::webhook(&input);
    }
}

#[test]
fn nasty_webhook_payloads_never_panic_the_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let store = intercom_mirror::SqliteStore::open(&dir.path().join("m.sqlite3")).unwrap();
    let mut payloads = corpus();
    for item in [
        r#"{"type": "conversation", "id": 7, "conversation_parts": {"conversation_parts": "x"}}"#,
        r#"{"type": "contact", "id": "c1", "updated_at": 1e300, "email": ["a"]}"#,
        r#"{"type": "ticket", "id": "t1", "ticket_state": {"category": 5}}"#,
        r#"{"type": "company", "id": "", "created_at": -99999999999999}"#,
        r#"{"type": "conversation", "id": "c2", "source": null, "statistics": []}"#,
    ] {
        for topic in [
            "conversation.user.replied",
            "contact.deleted",
            "ticket.created",
            "company.created",
            "x",
        ] {
            payloads.push(
                format!(
                    r#"{{"id": "n-{topic}-{}", "topic": "{topic}", "data": {{"item": {item}}}}}"#,
                    item.len()
                )
                .into_bytes(),
            );
        }
    }
    for input in payloads {
        checks::webhook_payload(&store, &input);
    }
}

/// The `tool_args` target decodes the argument type of every tool of the catalogue: each
/// tool's input schema is that of one of the types it decodes (less its title), or, for the
/// few schemas the catalogue refines, has exactly that type's properties.
#[test]
fn the_tool_args_target_covers_every_tool() {
    use std::collections::BTreeSet;

    let server = intercom_mcp_server::server::IntercomServer::new(
        intercom_mcp_server::server::ServerOptions {
            selection: crate::common::all_tools(),
            workspaces: std::sync::Arc::new(
                intercom_mcp_server::workspace_context::Workspaces::new(Default::default(), None),
            ),
            token_from_request: false,
        },
    )
    .unwrap();
    let properties = |schema: &serde_json::Map<String, serde_json::Value>| -> BTreeSet<String> {
        schema
            .get("properties")
            .and_then(|p| p.as_object())
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let fuzzed: Vec<_> = checks::tool_arg_schemas()
        .into_iter()
        .map(|(name, schema)| {
            let mut schema = (*schema).clone();
            schema.remove("title");
            (name, properties(&schema), schema)
        })
        .collect();
    assert_eq!(fuzzed.len(), checks::TOOL_ARG_TYPES.len());
    let mut covered = 0;
    let mut missing = Vec::new();
    for tool in server.tools() {
        let wanted = properties(&tool.input_schema);
        if wanted.is_empty() {
            continue; // no arguments to decode
        }
        let exact = fuzzed
            .iter()
            .any(|(_, _, schema)| *schema == *tool.input_schema);
        if exact || fuzzed.iter().any(|(_, names, _)| *names == wanted) {
            covered += 1;
        } else {
            missing.push(format!("{} {wanted:?}", tool.name));
        }
    }
    assert!(
        missing.is_empty(),
        "tools whose arguments are not fuzzed: {missing:?}"
    );
    assert!(covered >= 45, "only {covered} tools take arguments?");
}
