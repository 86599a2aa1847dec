//! One replica at a time: the leader lock.

use std::time::Duration;

use intercom_pg::Database;

use crate::cluster::{admin, fresh_database};

#[tokio::test]
async fn one_replica_leads_and_another_follows_when_it_lets_go() {
    let url = fresh_database().await;
    let (a, b) = (
        Database::connect(&url).await.unwrap(),
        Database::connect(&url).await.unwrap(),
    );
    let lead = a.try_lead("sync").await.unwrap().expect("a leads");
    assert!(lead.is_held());
    assert!(
        b.try_lead("sync").await.unwrap().is_none(),
        "b must not lead too"
    );
    // Another name is another lock.
    let other = b.try_lead("purge").await.unwrap().expect("b leads purge");
    assert!(a.try_lead("purge").await.unwrap().is_none());
    drop(other);

    lead.release().await.unwrap();
    let lead_b = b
        .try_lead("sync")
        .await
        .unwrap()
        .expect("b leads after a released");
    assert!(a.try_lead("sync").await.unwrap().is_none());
    // Dropping the handle (a replica that stops) frees it as well, once the server sees the
    // connection close.
    drop(lead_b);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(lead) = a.try_lead("sync").await.unwrap() {
            assert!(lead.is_held());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lock was never freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_leader_whose_connection_dies_knows_it_and_another_takes_over() {
    let url = fresh_database().await;
    let (a, b) = (
        Database::connect(&url).await.unwrap(),
        Database::connect(&url).await.unwrap(),
    );
    let lead = a.try_lead("sync").await.unwrap().expect("a leads");
    // The server ends a's session (a network cut or a failover looks the same to a).
    let terminated: bool = admin(&url)
        .await
        .query_one("SELECT pg_terminate_backend($1)", &[&lead.backend_pid()])
        .await
        .unwrap()
        .get(0);
    assert!(terminated);
    tokio::time::timeout(Duration::from_secs(10), lead.lost())
        .await
        .expect("the leader must learn it lost the lock");
    assert!(!lead.is_held());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while b.try_lead("sync").await.unwrap().is_none() {
        assert!(tokio::time::Instant::now() < deadline, "b never took over");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn replicas_waiting_for_their_turn_take_it_one_after_another() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let url = fresh_database().await;
    let holding = Arc::new(AtomicUsize::new(0));
    let turns = Arc::new(AtomicUsize::new(0));
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let db = Database::connect(&url).await.unwrap();
        let (holding, turns) = (holding.clone(), turns.clone());
        replicas.push(tokio::spawn(async move {
            for _ in 0..3 {
                let turn = db.lead_when_free("sync", Duration::from_millis(20)).await;
                // Nobody else holds a turn while this one does.
                assert_eq!(
                    holding.fetch_add(1, Ordering::SeqCst),
                    0,
                    "two turns at once"
                );
                tokio::task::yield_now().await;
                turns.fetch_add(1, Ordering::SeqCst);
                assert_eq!(holding.fetch_sub(1, Ordering::SeqCst), 1);
                turn.release().await.unwrap();
            }
        }));
    }
    for r in replicas {
        r.await.unwrap();
    }
    assert_eq!(turns.load(Ordering::SeqCst), 9);
}
