//! `support_metrics` over MCP against the sandbox: structured report, Markdown
//! table, the PNG chart as an image block, and clear errors for bad arguments.

use crate::common;

use base64::Engine;
use common::{Harness, text};
use intercom_sandbox::Scale;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_with_chart_and_groups() {
    let h = Harness::start_scale(Scale::Small).await;
    let result = h
        .client
        .call(
            "support_metrics",
            json!({"period": "last_7d", "group_by": "channel", "chart": true}),
        )
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    let report = result.structured_content.clone().unwrap();
    assert_eq!(report["source"]["source"], "api");
    let created = report["conversations"]["created"].as_u64().unwrap();
    assert!(created > 0);
    // The channel rows add up to the total (each conversation has one channel).
    let by_channel: u64 = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["conversations"]["created"].as_u64().unwrap())
        .sum();
    assert_eq!(by_channel, created);
    let markdown = text(&result);
    assert!(
        markdown.contains("| Conversations created | "),
        "{markdown}"
    );
    assert!(markdown.contains("### By channel"));
    let image = result
        .content
        .iter()
        .find_map(|c| c.as_image().cloned())
        .expect("an image block");
    assert_eq!(image.mime_type, "image/png");
    let png = base64::engine::general_purpose::STANDARD
        .decode(&image.data)
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 10_000,
        "a chart with text and bars, not an empty canvas"
    );
}

#[tokio::test]
async fn bad_arguments_are_explained() {
    let h = Harness::start().await;
    let err = h
        .err("support_metrics", json!({"period": "fortnight"}))
        .await;
    assert!(
        err.contains("fortnight") && err.contains("last_month") && err.contains("last friday"),
        "{err}"
    );
    let err = h
        .err("support_metrics", json!({"group_by": "planet"}))
        .await;
    assert!(err.contains("priority"), "{err}");
    let err = h
        .err(
            "support_metrics",
            json!({"from": "2024-05-03", "to": "2024-05-01"}),
        )
        .await;
    assert!(err.contains("empty"), "{err}");
    let err = h.err("support_metrics", json!({"source": "mirror"})).await;
    assert!(err.contains("sync"), "{err}");
}
