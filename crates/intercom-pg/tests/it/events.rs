//! The shared event log: dedupe across replicas, LISTEN/NOTIFY delivery, resume from a sequence.

use std::time::Duration;

use intercom_pg::{
    Appended, Database, EventLog, LISTENER_NAME, NewEvent, StoredEvent, Subscription,
};
use serde_json::json;

use crate::cluster::{admin, fresh_database};

fn event(id: &str) -> NewEvent {
    NewEvent {
        id: id.to_owned(),
        topic: "conversation.user.replied".into(),
        source: "webhook".into(),
        object_type: Some("conversation".into()),
        object_id: Some(format!("c-{id}")),
        occurred_at: 1_700_000_000,
        received_at: 1_700_000_001,
        payload: Some(json!({"id": id, "data": {"item": {"type": "conversation"}}})),
    }
}

/// The next event, or a failure after `within`.
async fn next_within(sub: &mut Subscription, within: Duration) -> StoredEvent {
    tokio::time::timeout(within, sub.next())
        .await
        .expect("no event arrived in time")
        .expect("the subscription ended")
}

async fn two_replicas() -> (String, EventLog, EventLog) {
    let url = fresh_database().await;
    let a = EventLog::new(Database::connect(&url).await.unwrap());
    let b = EventLog::new(Database::connect(&url).await.unwrap());
    (url, a, b)
}

#[tokio::test]
async fn an_event_delivered_to_two_replicas_is_stored_once_and_reaches_subscribers_of_both() {
    let (url, a, b) = two_replicas().await;
    let mut on_a = a.subscribe(0);
    let mut on_b = b.subscribe(0);

    let first = a.append(&event("n1")).await.unwrap();
    assert!(matches!(first, Appended::New(_)), "{first:?}");
    // The same notification redelivered to the other replica.
    assert_eq!(
        b.append(&event("n1")).await.unwrap(),
        Appended::Duplicate(first.seq())
    );
    let second = b.append(&event("n2")).await.unwrap();
    assert!(second.seq() > first.seq());

    // Notified: well within the 5 s poll interval a lost notification would fall back to.
    for sub in [&mut on_a, &mut on_b] {
        let got = [
            next_within(sub, Duration::from_secs(3)).await,
            next_within(sub, Duration::from_secs(3)).await,
        ];
        assert_eq!(
            got.map(|e| (e.seq, e.id)),
            [
                (first.seq(), "n1".to_owned()),
                (second.seq(), "n2".to_owned())
            ]
        );
    }
    let stored: i64 = admin(&url)
        .await
        .query_one("SELECT count(*) FROM events", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 2);
    let read = a.after(0, 10).await.unwrap();
    assert_eq!(read[0].payload, event("n1").payload);
    assert_eq!(read[0].object_id.as_deref(), Some("c-n1"));
}

#[tokio::test]
async fn concurrent_redeliveries_on_two_replicas_store_each_notification_once() {
    let (url, a, b) = two_replicas().await;
    let mut on_b = b.subscribe(0);
    let appends = (0..40).map(|i| {
        let (a, b) = (a.clone(), b.clone());
        async move {
            let e = event(&format!("race-{i}"));
            let (x, y) = tokio::join!(a.append(&e), b.append(&e));
            (x.unwrap(), y.unwrap())
        }
    });
    let outcomes = futures::future::join_all(appends).await;
    for (x, y) in &outcomes {
        assert_eq!(x.seq(), y.seq());
        let new = [x, y]
            .iter()
            .filter(|o| matches!(o, Appended::New(_)))
            .count();
        assert_eq!(new, 1, "exactly one replica stores it: {x:?} {y:?}");
    }
    let stored: i64 = admin(&url)
        .await
        .query_one(
            "SELECT count(DISTINCT id) FROM events WHERE id LIKE 'race-%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 40);
    // The subscriber sees each once, in increasing sequence.
    let mut last = 0;
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let e = next_within(&mut on_b, Duration::from_secs(10)).await;
        assert!(e.seq > last, "out of order: {} after {last}", e.seq);
        last = e.seq;
        assert!(ids.insert(e.id.clone()), "{} delivered twice", e.id);
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(300), on_b.next())
            .await
            .is_err(),
        "no more than 40"
    );
}

#[tokio::test]
async fn a_restarted_subscriber_resumes_after_its_last_sequence_and_misses_nothing() {
    let (_url, a, b) = two_replicas().await;
    let mut sub = b.subscribe(0);
    a.append(&event("before-1")).await.unwrap();
    a.append(&event("before-2")).await.unwrap();
    let _ = next_within(&mut sub, Duration::from_secs(3)).await;
    let handled = next_within(&mut sub, Duration::from_secs(3)).await;
    assert_eq!(handled.id, "before-2");
    // Replica b goes away; events keep arriving on a meanwhile (nobody listens on b).
    drop(sub);
    drop(b);
    for i in 0..3 {
        a.append(&event(&format!("while-down-{i}"))).await.unwrap();
    }
    // b comes back with a new handle and resumes from the last sequence it handled.
    let url = _url;
    let b = EventLog::new(Database::connect(&url).await.unwrap());
    let mut sub = b.subscribe(handled.seq);
    a.append(&event("after")).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(next_within(&mut sub, Duration::from_secs(3)).await.id);
    }
    assert_eq!(
        got,
        ["while-down-0", "while-down-1", "while-down-2", "after"]
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), sub.next())
            .await
            .is_err()
    );
    assert_eq!(
        b.last_seq().await.unwrap(),
        a.after(0, 100).await.unwrap().last().unwrap().seq
    );
}

#[tokio::test]
async fn a_subscription_survives_its_connection_being_cut() {
    let (url, a, b) = two_replicas().await;
    let mut sub = b.subscribe(0);
    a.append(&event("one")).await.unwrap();
    assert_eq!(
        next_within(&mut sub, Duration::from_secs(3)).await.id,
        "one"
    );
    // Cut every listening connection (the server restarting looks the same).
    let admin = admin(&url).await;
    let cut: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = $1) t",
            &[&LISTENER_NAME],
        )
        .await
        .unwrap()
        .get(0);
    assert!(cut >= 1, "the subscription's connection was not found");
    a.append(&event("two")).await.unwrap();
    // Read after reconnecting (no notification reached the dead connection).
    assert_eq!(
        next_within(&mut sub, Duration::from_secs(5)).await.id,
        "two"
    );
}

#[tokio::test]
async fn a_batch_is_stored_in_order_once_per_id_and_announced() {
    let (_url, a, b) = two_replicas().await;
    let mut sub = b.subscribe(0);
    assert!(matches!(
        a.append(&event("n2")).await.unwrap(),
        Appended::New(_)
    ));
    let first = next_within(&mut sub, Duration::from_secs(10)).await;
    // A batch with an id stored earlier (by another replica) and one given twice.
    let batch = [
        event("n1"),
        event("n2"),
        event("n3"),
        event("n1"),
        event("n4"),
    ];
    let outcomes = b.append_many(&batch).await.unwrap();
    let seqs: Vec<i64> = outcomes.iter().map(|o| o.seq()).collect();
    assert!(matches!(outcomes[0], Appended::New(_)), "{outcomes:?}");
    assert_eq!(outcomes[1], Appended::Duplicate(first.seq));
    assert!(matches!(outcomes[2], Appended::New(_)), "{outcomes:?}");
    assert_eq!(outcomes[3], Appended::Duplicate(seqs[0]));
    assert!(matches!(outcomes[4], Appended::New(_)), "{outcomes:?}");
    // New ones take sequence numbers in the batch's order.
    assert!(seqs[0] < seqs[2] && seqs[2] < seqs[4], "{seqs:?}");
    // The subscriber on the other replica gets them, in order, once each.
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(next_within(&mut sub, Duration::from_secs(10)).await.id);
    }
    assert_eq!(got, ["n1", "n3", "n4"]);
    assert_eq!(a.after(0, 100).await.unwrap().len(), 4);
    assert!(a.append_many(&[]).await.unwrap().is_empty());
}
