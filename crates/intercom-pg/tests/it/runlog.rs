//! The automations run log shared by replicas: one run per (event, rule) across replicas,
//! runs of a dead replica closed as interrupted while live replicas' runs are left alone,
//! round-robin turns never handed out twice, each replica its own read position.

use std::collections::HashSet;
use std::time::Duration;

use intercom_automations::context::Event;
use intercom_automations::runlog::{LogFilter, RunLog, RunStatus};
use intercom_pg::{Database, PgRunLog};
use serde_json::json;

use crate::cluster::fresh_database;

fn event(id: &str) -> Event {
    Event {
        id: id.into(),
        topic: "conversation.user.created".into(),
        created_at: 1,
        item: json!({"id": "c1"}),
    }
}

async fn replica(url: &str, name: &str, lease: Duration) -> PgRunLog {
    PgRunLog::with_lease(Database::connect(url).await.unwrap(), name, lease)
}

#[tokio::test]
async fn each_rule_runs_once_per_event_across_replicas() {
    let url = fresh_database().await;
    let logs = [
        replica(&url, "a", Duration::from_secs(60)).await,
        replica(&url, "b", Duration::from_secs(60)).await,
        replica(&url, "c", Duration::from_secs(60)).await,
    ];
    let rules = [("tag", false), ("assign", false)];
    let mut won = Vec::new();
    for i in 0..30 {
        let ev = event(&format!("notif_{i}"));
        let claims = futures::future::join_all(
            logs.iter()
                .map(|l| l.claim(&ev, Some("conversation"), Some("c1"), &rules, 10)),
        )
        .await;
        for (r, claim) in claims.into_iter().enumerate() {
            for (k, id) in claim.unwrap().into_iter().enumerate() {
                if let Some(id) = id {
                    won.push((i, k, r, id));
                }
            }
        }
    }
    // Exactly one winner per (event, rule).
    let keys: HashSet<(usize, usize)> = won.iter().map(|(i, k, _, _)| (*i, *k)).collect();
    assert_eq!(won.len(), 60);
    assert_eq!(keys.len(), 60);
    // Each winner records its ending; any replica reads the same log.
    for (_, _, r, id) in &won {
        logs[*r]
            .finish(*id, RunStatus::Applied, &json!({"actions": []}), None, 11)
            .await
            .unwrap();
    }
    let applied = logs[0]
        .query(&LogFilter {
            status: Some(RunStatus::Applied),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(applied.len(), 60);
    assert_eq!(logs[2].recent_runs("tag", "c1", 0).await.unwrap(), 30);
    // A redelivery later finds every claim taken.
    let again = logs[1]
        .claim(
            &event("notif_3"),
            Some("conversation"),
            Some("c1"),
            &rules,
            12,
        )
        .await
        .unwrap();
    assert_eq!(again, vec![None, None]);
}

#[tokio::test]
async fn only_runs_of_replicas_that_are_gone_are_closed_as_interrupted() {
    let url = fresh_database().await;
    let short = Duration::from_millis(300);
    let a = replica(&url, "a", short).await;
    let b = replica(&url, "b", Duration::from_secs(60)).await;
    let a_run = a
        .claim(&event("n1"), None, Some("c1"), &[("r", false)], 1)
        .await
        .unwrap()[0]
        .unwrap();
    let b_run = b
        .claim(&event("n2"), None, Some("c1"), &[("r", false)], 1)
        .await
        .unwrap()[0]
        .unwrap();
    // B's run started (the engine records that before the first action).
    b.progress(b_run, &json!({"actions": []})).await.unwrap();
    // Another replica starting leaves the live runs of A and B alone.
    let b2 = replica(&url, "c", Duration::from_secs(60)).await;
    assert_eq!(b2.mark_interrupted(2).await.unwrap(), 0);
    // A's lease runs out (A died): the next replica to start closes its run, not B's.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = b2.mark_interrupted(3).await.unwrap();
        if n == 1 {
            break;
        }
        assert_eq!(n, 0);
        assert!(
            std::time::Instant::now() < deadline,
            "A's lease never ran out"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = b
        .query(&LogFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let status = |id| rows.iter().find(|r| r.seq == id).unwrap().status;
    assert_eq!(status(a_run), RunStatus::Interrupted);
    assert_eq!(status(b_run), RunStatus::Claimed);
    // B restarts under its own name: its previous process's started run is closed at once.
    let b_again = replica(&url, "b", Duration::from_secs(60)).await;
    assert_eq!(b_again.mark_interrupted(4).await.unwrap(), 1);
    // An interrupted run is never run again.
    assert_eq!(
        b_again
            .claim(&event("n2"), None, Some("c1"), &[("r", false)], 5)
            .await
            .unwrap(),
        vec![None]
    );
}

#[tokio::test]
async fn turns_are_shared_and_read_positions_are_per_replica() {
    let url = fresh_database().await;
    let a = replica(&url, "a", Duration::from_secs(60)).await;
    let b = replica(&url, "b", Duration::from_secs(60)).await;
    let turns = futures::future::join_all((0..20).map(|i| {
        let log = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { log.next_turn("team", 1_000, true).await.unwrap() }
    }))
    .await;
    let distinct: HashSet<usize> = turns.iter().copied().collect();
    assert_eq!(distinct.len(), 20, "a turn was handed out twice: {turns:?}");
    assert_eq!(a.next_turn("team", 1_000, false).await.unwrap(), 20);
    assert_eq!(b.next_turn("team", 3, false).await.unwrap(), 20 % 3);

    a.set_state("event_cursor", "7").await.unwrap();
    b.set_state("event_cursor", "9").await.unwrap();
    assert_eq!(a.state("event_cursor").await.unwrap().as_deref(), Some("7"));
    assert_eq!(b.state("event_cursor").await.unwrap().as_deref(), Some("9"));
    a.set_state("other", "x").await.unwrap();
    assert_eq!(b.state("other").await.unwrap().as_deref(), Some("x"));

    a.expect_echo("c1", &["conversation.admin.noted"], "r", i64::MAX / 2)
        .await
        .unwrap();
    assert_eq!(
        b.echo_rules("c1", "conversation.admin.noted", 50)
            .await
            .unwrap(),
        vec!["r"]
    );
}

#[tokio::test]
async fn a_run_never_started_by_a_process_that_is_gone_is_taken_over_once() {
    let url = fresh_database().await;
    let rules = [("tag", false)];
    // B claims and dies before its first action (no progress recorded).
    let b = replica(&url, "b", Duration::from_secs(60)).await;
    let run = b
        .claim(&event("n1"), None, Some("c1"), &rules, 1)
        .await
        .unwrap()[0]
        .unwrap();
    // Another live replica reading the event again does not take a live lease's run.
    let c = replica(&url, "c", Duration::from_secs(60)).await;
    assert_eq!(
        c.claim(&event("n1"), None, Some("c1"), &rules, 2)
            .await
            .unwrap(),
        vec![None]
    );
    // B restarts under its name: starting closes nothing of it (the run never started), and
    // reading the event again takes the run over, once.
    let b2 = replica(&url, "b", Duration::from_secs(60)).await;
    assert_eq!(b2.mark_interrupted(3).await.unwrap(), 0);
    assert_eq!(
        b2.claim(&event("n1"), None, Some("c1"), &rules, 4)
            .await
            .unwrap(),
        vec![Some(run)]
    );
    assert_eq!(
        b2.claim(&event("n1"), None, Some("c1"), &rules, 5)
            .await
            .unwrap(),
        vec![None]
    );
    assert_eq!(
        c.claim(&event("n1"), None, Some("c1"), &rules, 5)
            .await
            .unwrap(),
        vec![None]
    );
    let attempts: i32 = crate::cluster::admin(&url)
        .await
        .query_one("SELECT attempts FROM claims WHERE key = 'n1/tag'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(attempts, 2);
    // Once it started, a process that dies leaves it to be closed, not rerun.
    b2.progress(run, &json!({"actions": [{"action": "add_tag"}]}))
        .await
        .unwrap();
    let b3 = replica(&url, "b", Duration::from_secs(60)).await;
    assert_eq!(
        b3.claim(&event("n1"), None, Some("c1"), &rules, 6)
            .await
            .unwrap(),
        vec![None]
    );
    assert_eq!(b3.mark_interrupted(7).await.unwrap(), 1);

    // A replica whose lease ran out, never started: another replica reading it takes it over.
    let short = replica(&url, "d", Duration::from_millis(200)).await;
    let run = short
        .claim(&event("n2"), None, Some("c1"), &rules, 8)
        .await
        .unwrap()[0]
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match c
            .claim(&event("n2"), None, Some("c1"), &rules, 9)
            .await
            .unwrap()[0]
        {
            Some(taken) => {
                assert_eq!(taken, run);
                break;
            }
            None => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the lease never ran out"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
