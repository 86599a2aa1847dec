//! `--redact-pii`: emails and phone numbers are masked in tool output, in
//! text and structured content, in-process and through the binary.

use crate::common;

use common::{Harness, all_tools, id_of, server_for, text};
use intercom_mcp_server::inprocess::InProcessClient;
use serde_json::json;

#[tokio::test]
async fn contact_details_are_masked_in_text_and_structured_content() {
    let h = Harness::start().await;
    let contact = h
        .post(
            "/contacts",
            json!({"role": "user", "email": "grace.hopper@navy.example", "phone": "+44 20 7946 0123", "name": "Grace Hopper"}),
        )
        .await;
    let id = id_of(&contact["id"]);
    let server = server_for(&h.sandbox.base_url(), h.sandbox.token(), all_tools());
    server.set_redact_pii(true);
    let client = InProcessClient::connect(server).await.unwrap();
    let result = client.call("get_contact", json!({"id": id})).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let shown = format!(
        "{}\n{}",
        text(&result),
        result.structured_content.clone().unwrap()
    );
    assert!(!shown.contains("grace.hopper@"), "{shown}");
    assert!(!shown.contains("7946 0123"), "{shown}");
    assert!(shown.contains("g***@navy.example"), "{shown}");
    assert!(shown.contains("123"), "the last digits stay: {shown}");
    assert!(
        shown.contains("Grace Hopper"),
        "names are not masked: {shown}"
    );

    // Without the flag the same call shows the details (the masking is real).
    let plain = h.ok("get_contact", json!({"id": id})).await;
    assert!(plain.to_string().contains("grace.hopper@navy.example"));
}

#[test]
fn the_binary_masks_with_the_flag_and_the_env_var() {
    let run = |flag: bool, env: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_intercom-mcp"));
        cmd.args([
            "call",
            "list_admins",
            "--sandbox",
            "--sandbox-scale",
            "tiny",
            "--json",
        ])
        .env_remove("INTERCOM_ACCESS_TOKEN")
        .env_remove("INTERCOM_MCP_REDACT_PII")
        .env("INTERCOM_MCP_LOG", "warn");
        if flag {
            cmd.arg("--redact-pii");
        }
        if env {
            cmd.env("INTERCOM_MCP_REDACT_PII", "true");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let email = regex::Regex::new(r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\.").unwrap();
    let plain = run(false, false);
    assert!(email.is_match(&plain), "admins have emails: {plain}");
    for masked in [run(true, false), run(false, true)] {
        assert!(!email.is_match(&masked), "an email escaped: {masked}");
        assert!(masked.contains("***@"), "{masked}");
    }
}
