//! The Intercom token, the webhook secret and the HTTP access token never
//! appear in anything the binary prints: stdout (tool output), stderr (logs at
//! trace level, errors), over stdio and HTTP, on success and on auth failures.

use crate::security_support;

use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use security_support::{HttpServer, StdioServer, bin, call};
use serde_json::json;

const INTERCOM_TOKEN: &str = "dG9rOmNhbmFyeS1pbnRlcmNvbS0zZjlhN2Mx";
const WRONG_TOKEN: &str = "dG9rOmNhbmFyeS13cm9uZy1iODJlNWQ0";
const WEBHOOK_SECRET: &str = "whsec-canary-91c0ffee77";
const ACCESS_TOKEN: &str = "mcp-access-canary-5e1d";

fn assert_no_secret(printed: &str, context: &str) {
    for secret in [INTERCOM_TOKEN, WRONG_TOKEN, WEBHOOK_SECRET, ACCESS_TOKEN] {
        // The whole secret, and any long enough piece of it.
        let piece = &secret[..secret.len() * 2 / 3];
        assert!(
            !printed.contains(piece),
            "{context}: a secret ({}…) was printed:\n{printed}",
            &secret[..4]
        );
    }
}

fn serve_against(sandbox: &Sandbox, token: &str) -> std::process::Command {
    let mut cmd = bin();
    cmd.args(["serve", "--api-base", &sandbox.base_url()])
        .env("INTERCOM_ACCESS_TOKEN", token)
        .env("INTERCOM_CLIENT_SECRET", WEBHOOK_SECRET)
        .env("INTERCOM_MCP_LOG", "trace")
        .env("RUST_LOG", "trace");
    cmd
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        scale: Scale::Tiny,
        token: INTERCOM_TOKEN.into(),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn session_calls() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("whoami", json!({})),
        ("list_admins", json!({})),
        (
            "search_contacts",
            json!({"query": "created in the last 30 days"}),
        ),
        ("get_contact", json!({"id": "no-such-contact"})),
        (
            "create_contact",
            json!({"email": "canary@example.com", "name": "Canary"}),
        ),
        (
            "search_conversations",
            json!({"query": {"field": "nope", "operator": "?", "value": 1}}),
        ),
        ("sync_status", json!({})),
        ("no_such_tool", json!({})),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_is_printed_over_stdio() {
    let sandbox = sandbox().await;
    for token in [INTERCOM_TOKEN, WRONG_TOKEN] {
        let mut server = StdioServer::start(serve_against(&sandbox, token));
        let mut answered = 0;
        for (i, (tool, args)) in session_calls().into_iter().enumerate() {
            let id = 100 + i as i64;
            server.send(&call(id, tool, args));
            if server.response(id).is_some() {
                answered += 1;
            }
        }
        assert_eq!(answered, session_calls().len(), "every call answered");
        let printed = server.finish();
        if token == WRONG_TOKEN {
            // The upstream refused the token: the session saw that, without the token.
            assert!(printed.contains("401") || printed.to_lowercase().contains("unauthorized"));
        } else {
            assert!(
                printed.contains("canary@example.com"),
                "the session did real work"
            );
        }
        assert!(
            printed.to_lowercase().contains("trace")
                || printed.contains("DEBUG")
                || printed.len() > 2000
        );
        assert_no_secret(&printed, "stdio");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_is_printed_over_http() {
    let sandbox = sandbox().await;
    let mut cmd = serve_against(&sandbox, INTERCOM_TOKEN);
    cmd.args(["--auth-token", ACCESS_TOKEN]);
    let mut server = HttpServer::start(cmd);

    // Wrong and missing bearer: 401 whose body and headers carry no secret.
    for bearer in [Some("wrong-bearer"), None] {
        let mut req = server
            .http
            .post(format!("{}/mcp", server.base))
            .header("Accept", "application/json, text/event-stream")
            .json(&security_support::initialize(1));
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        let headers = format!("{:?}", resp.headers());
        assert_no_secret(&headers, "401 headers");
        assert_no_secret(&resp.text().await.unwrap(), "401 body");
    }
    // A webhook with a bad signature.
    let resp = server
        .http
        .post(format!("{}/webhooks/intercom", server.base))
        .header("X-Hub-Signature", "sha1=0000")
        .body(r#"{"type":"notification_event","topic":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error() || resp.status() == 404);
    assert_no_secret(&resp.text().await.unwrap(), "webhook answer");

    server.bearer = Some(ACCESS_TOKEN.into());
    let session = server.session().await;
    let mut outputs = String::new();
    for (i, (tool, args)) in session_calls().into_iter().enumerate() {
        let (status, body) = server
            .send_raw(&session, call(200 + i as i64, tool, args).to_string())
            .await;
        assert_eq!(status, 200, "{tool}: {body}");
        outputs.push_str(&body);
    }
    assert!(
        outputs.contains("canary@example.com"),
        "the session did real work"
    );
    assert_no_secret(&outputs, "HTTP tool output");
    let printed = server.finish();
    assert_no_secret(&printed, "HTTP server output");
}

#[test]
fn no_secret_is_printed_by_doctor_or_call_with_a_rejected_token() {
    // A closed port and a refusing sandbox are covered above; here the CLI paths.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt.block_on(sandbox());
    for sub in [vec!["doctor"], vec!["call", "whoami"]] {
        let out = bin()
            .args(&sub)
            .args(["--api-base", &sandbox.base_url()])
            .env("INTERCOM_ACCESS_TOKEN", WRONG_TOKEN)
            .env("INTERCOM_CLIENT_SECRET", WEBHOOK_SECRET)
            .env("INTERCOM_MCP_LOG", "trace")
            .output()
            .unwrap();
        let printed = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!printed.trim().is_empty(), "{sub:?} printed something");
        assert_no_secret(&printed, &format!("{sub:?}"));
    }
}
