//! Crash safety of sync: `kill -9` an `intercom-mcp sync` child midway, run it
//! again, and the mirror ends equal to the sandbox with no page fetched twice
//! beyond the one in flight.

use crate::realtime_support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use intercom_api::Method;
use intercom_mirror::{Mirror, ObjectKind, SyncPhase};
use intercom_sandbox::{Sandbox, SandboxConfig, Scale};
use realtime_support::{api_client, api_ids, mirror_ids};
use serde_json::Value;

fn sync_command(sandbox: &Sandbox, store: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_intercom-mcp"));
    command
        .args(["sync", "--json", "--concurrency", "4", "--api-base"])
        .arg(sandbox.base_url())
        .arg("--store")
        .arg(store)
        .env("INTERCOM_ACCESS_TOKEN", sandbox.token())
        .env_remove("INTERCOM_MCP_STORE")
        .stderr(Stdio::null());
    command
}

fn mirrored_conversations(store: &std::path::Path) -> usize {
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(store, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return 0;
    };
    conn.query_row("SELECT count(*) FROM conversations", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap_or(0) as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_resumes_from_its_checkpoint() {
    // Added latency makes the run long enough to be killed in the middle.
    let sandbox = realtime_support::sandbox(
        Scale::Small,
        SandboxConfig {
            latency_ms: 15,
            ..SandboxConfig::default()
        },
    )
    .await;
    let api = api_client(&sandbox);
    let expected = api_ids(&api, Method::GET, "/conversations", "conversations").await;
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("crash.sqlite3");

    let mut child = sync_command(&sandbox, &store)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while mirrored_conversations(&store) < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "sync made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "sync finished before it could be killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let at_crash = mirrored_conversations(&store);
    assert!(
        at_crash < expected.len(),
        "killed after the end ({at_crash})"
    );

    {
        let mirror = Mirror::open_sqlite(&store).unwrap();
        let checkpoint = mirror
            .run(|s| s.checkpoint(ObjectKind::Conversation))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(checkpoint.phase, SyncPhase::Backfill);
        assert!(checkpoint.cursor.is_some(), "the page cursor was saved");
    }

    let output = sync_command(&sandbox, &store).output().unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let conversations = report["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "conversations")
        .unwrap();
    assert_eq!(conversations["resumed"], true);
    let seen = conversations["seen"].as_u64().unwrap() as usize;
    assert!(
        seen <= expected.len() - at_crash + 150,
        "the resumed run re-read pages before its checkpoint: saw {seen}, {at_crash} were already mirrored"
    );

    let mirror = Mirror::open_sqlite(&store).unwrap();
    let mirrored = mirror_ids(&mirror, "conversations");
    assert_eq!(mirrored, expected);
    let checkpoint = mirror
        .run(|s| s.checkpoint(ObjectKind::Conversation))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checkpoint.phase, SyncPhase::Incremental);
    // The backfill logs no events, so a resumed backfill cannot double any.
    assert_eq!(mirror.stats().await.unwrap().events, 0);
    // Every conversation's parts are complete: spot-check against the API.
    for id in expected.iter().step_by(97) {
        let live = api
            .send_json(Method::GET, &format!("/conversations/{id}"), &[], None)
            .await
            .unwrap();
        let stored = mirror
            .get(ObjectKind::Conversation, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.raw["conversation_parts"]["total_count"],
            live["conversation_parts"]["conversation_parts"]
                .as_array()
                .unwrap()
                .len(),
            "conversation {id}"
        );
    }
}
