//! One rate budget for three replicas, against the sandbox's enforced limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use intercom_api::{Client, ClientConfig, RateBudget};
use intercom_pg::{Database, PgRateBudget};
use intercom_sandbox::{Sandbox, SandboxConfig};

use crate::cluster::{admin, fresh_database};

const LIMIT: u32 = 15;
const REPLICAS: usize = 3;
const TASKS_PER_REPLICA: usize = 5;
const REQUESTS: usize = 40;

#[tokio::test]
async fn three_replicas_hammering_one_app_stay_within_its_limit_together() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = fresh_database().await;
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit: Some(LIMIT),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    // Each replica: its own pool on the shared database, its own budget handle, its own client.
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        let db = Database::connect(&url).await.unwrap();
        let budget = Arc::new(PgRateBudget::new(db, "sandbox-app"));
        let client = Client::with_rate_budget(
            ClientConfig::builder(sandbox.token())
                .base_url(sandbox.base_url())
                .build()
                .unwrap(),
            budget.clone(),
        )
        .unwrap();
        replicas.push((client, budget));
    }
    let left = Arc::new(AtomicUsize::new(REQUESTS));
    let mut tasks = Vec::new();
    for (client, _) in &replicas {
        for _ in 0..TASKS_PER_REPLICA {
            let (client, left) = (client.clone(), left.clone());
            tasks.push(tokio::spawn(async move {
                let mut answered = 0;
                while left
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_ok()
                {
                    client
                        .list_teams()
                        .await
                        .expect("every request is answered");
                    answered += 1;
                }
                answered
            }));
        }
    }
    let mut answered = 0;
    for t in tasks {
        answered += t.await.unwrap();
    }
    assert_eq!(answered, REQUESTS);

    let stats: serde_json::Value = reqwest::get(format!("{}/_sandbox/stats", sandbox.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The sandbox refuses any request past the limit of its 10-second window: none refused
    // means no window ever saw more than LIMIT from the three replicas together.
    assert_eq!(stats["rate_limited"], 0, "{stats}");
    let sent: Vec<u64> = replicas
        .iter()
        .map(|(_, b)| b.snapshot().requests_sent)
        .collect();
    assert_eq!(
        sent.iter().sum::<u64>(),
        stats["requests_total"].as_u64().unwrap(),
        "{sent:?} {stats}"
    );
    assert_eq!(stats["requests_total"], REQUESTS as u64, "{stats}");
    for (_, budget) in &replicas {
        assert_eq!(budget.snapshot().rate_limited_responses, 0);
    }
    assert!(
        sent.iter().all(|&n| n > 0),
        "every replica drew on the budget: {sent:?}"
    );

    // The ledger: no window past the limit, and a window the run covered whole used all of it
    // (the replicas shared one budget rather than each pacing to a third of it).
    let rows = admin(&url)
        .await
        .query(
            "SELECT window_reset, window_limit, granted FROM rate_windows WHERE budget = 'sandbox-app' ORDER BY window_reset",
            &[],
        )
        .await
        .unwrap();
    let ledger: Vec<(i64, i32, i32)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert!(ledger.len() >= 2, "{ledger:?}");
    assert!(
        ledger
            .iter()
            .all(|&(_, limit, granted)| limit == LIMIT as i32 && granted <= limit),
        "{ledger:?}"
    );
    assert!(
        ledger
            .iter()
            .any(|&(_, _, granted)| granted == LIMIT as i32),
        "{ledger:?}"
    );
    // Each replica's budget reads the same ledger.
    let (reset, _, granted) = ledger[0];
    for (_, budget) in &replicas {
        assert_eq!(
            budget.granted_in(reset as u64).await.unwrap(),
            Some(granted)
        );
    }
    sandbox.shutdown();
}

/// Polls the ledger until `window` shows `granted`, for at most 10 s.
async fn ledger_reaches(budget: &PgRateBudget, window: u64, granted: i32) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = budget.granted_in(window).await.unwrap();
        if now == Some(granted) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the ledger shows {now:?} for window {window}, expected {granted}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn requests_the_ledger_could_not_count_beforehand_are_counted_after_the_fact() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = fresh_database().await;
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit: Some(4),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let config = || {
        ClientConfig::builder(sandbox.token())
            .base_url(sandbox.base_url())
            .build()
            .unwrap()
    };
    let budget = Arc::new(PgRateBudget::new(
        Database::connect(&url).await.unwrap(),
        "shared-app",
    ));
    let replica = Client::with_rate_budget(config(), budget.clone()).unwrap();
    // The first request goes out before the limit is known: its answer counts it.
    replica.list_teams().await.unwrap();
    let window = budget
        .snapshot()
        .reset_at
        .expect("the sandbox sets a window");
    ledger_reaches(&budget, window, 1).await;

    // Another client of the same app, outside the fleet, spends the rest of the window (unless
    // the window turned meanwhile: then there is nothing to see in this one).
    let outsider = Client::new(config()).unwrap();
    for _ in 0..3 {
        outsider.list_teams().await.unwrap();
    }
    if outsider.rate_limit().reset_at != Some(window) {
        return;
    }
    // The replica's next request is refused by the sandbox (the outsider drew on the same
    // limit, the ledger could not know) and waits for the next window; the refusal marks the
    // window spent in the ledger, for every replica.
    replica.list_teams().await.unwrap();
    assert_eq!(budget.snapshot().rate_limited_responses, 1);
    ledger_reaches(&budget, window, 4).await;
    sandbox.shutdown();
}
