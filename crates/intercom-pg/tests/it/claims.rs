//! Exactly-once claims with leases.

use std::time::Duration;

use intercom_pg::{ClaimOutcome, Claims, Database};
use serde_json::json;

use crate::cluster::{admin, fresh_database};

#[tokio::test]
async fn of_two_owners_racing_for_each_key_exactly_one_wins() {
    let url = fresh_database().await;
    let (a, b) = (
        Database::connect(&url).await.unwrap(),
        Database::connect(&url).await.unwrap(),
    );
    let (ca, cb) = (
        Claims::new(a, "automation_run"),
        Claims::new(b, "automation_run"),
    );
    let lease = Duration::from_secs(60);
    let races = (0..50).map(|i| {
        let (ca, cb) = (ca.clone(), cb.clone());
        async move {
            let key = format!("event-{i}/rule");
            let (x, y) = tokio::join!(
                ca.claim(&key, "replica-a", lease),
                cb.claim(&key, "replica-b", lease)
            );
            (x.unwrap(), y.unwrap())
        }
    });
    let outcomes = futures::future::join_all(races).await;
    let mut wins = (0, 0);
    for (x, y) in &outcomes {
        match (x, y) {
            (ClaimOutcome::Won { attempt: 1 }, ClaimOutcome::Held { owner }) => {
                assert_eq!(owner, "replica-a");
                wins.0 += 1;
            }
            (ClaimOutcome::Held { owner }, ClaimOutcome::Won { attempt: 1 }) => {
                assert_eq!(owner, "replica-b");
                wins.1 += 1;
            }
            other => panic!("not exactly one winner: {other:?}"),
        }
    }
    assert_eq!(wins.0 + wins.1, 50);
    let rows: i64 = admin(&url)
        .await
        .query_one(
            "SELECT count(*) FROM claims WHERE scope = 'automation_run' AND attempts = 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 50);
}

#[tokio::test]
async fn a_dead_owners_lease_is_taken_over_once_it_runs_out() {
    let url = fresh_database().await;
    let claims = Claims::new(Database::connect(&url).await.unwrap(), "bulk_job");
    let other = Claims::new(Database::connect(&url).await.unwrap(), "bulk_job");
    let short = Duration::from_millis(400);
    assert_eq!(
        claims.claim("job-1", "dies", short).await.unwrap(),
        ClaimOutcome::Won { attempt: 1 }
    );
    // While the lease runs, the other replica cannot have it.
    assert_eq!(
        other.claim("job-1", "survivor", short).await.unwrap(),
        ClaimOutcome::Held {
            owner: "dies".into()
        }
    );
    // "dies" stops renewing. Wait (bounded) until the lease has run out, as the database says.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if other
            .expired(10)
            .await
            .unwrap()
            .iter()
            .any(|c| c.key == "job-1")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lease never ran out"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        other
            .claim("job-1", "survivor", Duration::from_secs(60))
            .await
            .unwrap(),
        ClaimOutcome::Won { attempt: 2 }
    );
    // The dead owner, back, finds its lease gone: it can neither renew nor complete.
    assert!(!claims.renew("job-1", "dies", short).await.unwrap());
    assert!(!claims.complete("job-1", "dies", None).await.unwrap());
    assert!(claims.expired(10).await.unwrap().is_empty());
    // The survivor completes; completed work is never claimed again, even after its lease.
    assert!(
        other
            .complete("job-1", "survivor", Some(&json!({"ok": 3})))
            .await
            .unwrap()
    );
    assert_eq!(
        claims.claim("job-1", "third", short).await.unwrap(),
        ClaimOutcome::Completed {
            owner: "survivor".into()
        }
    );
    let row = admin(&url)
        .await
        .query_one(
            "SELECT owner, attempts, result FROM claims WHERE scope = 'bulk_job' AND key = 'job-1'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "survivor");
    assert_eq!(row.get::<_, i32>(1), 2);
    assert_eq!(row.get::<_, serde_json::Value>(2), json!({"ok": 3}));
}

#[tokio::test]
async fn renewing_keeps_the_lease_and_releasing_hands_it_on() {
    let url = fresh_database().await;
    let db = Database::connect(&url).await.unwrap();
    let claims = Claims::new(db.clone(), "bulk_job");
    let lease = Duration::from_millis(300);
    assert!(claims.claim("job-2", "a", lease).await.unwrap().won());
    // Renew well past the first lease's end: nobody else gets it meanwhile.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(claims.renew("job-2", "a", lease).await.unwrap());
        assert_eq!(
            claims.claim("job-2", "b", lease).await.unwrap(),
            ClaimOutcome::Held { owner: "a".into() }
        );
    }
    assert!(claims.release("job-2", "a").await.unwrap());
    assert_eq!(
        claims.claim("job-2", "b", lease).await.unwrap(),
        ClaimOutcome::Won { attempt: 2 }
    );
    // Scopes are apart: the same key in another scope is a different claim.
    assert!(
        Claims::new(db, "automation_run")
            .claim("job-2", "a", lease)
            .await
            .unwrap()
            .won()
    );
}
