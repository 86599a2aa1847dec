//! Two replicas on one PostgreSQL mirror: a notification is stored once whichever replica
//! received it, every replica reads the object and tells its own subscribers, and a follower
//! resumes after a restart without handing anything on twice.

use std::sync::Arc;
use std::time::Duration;

use intercom_mirror::{Mirror, Notification, NotificationOutcome};
use intercom_pg::{Database, PgMirrorStore, follow_fleet_events, pg_mirror};
use serde_json::json;

use crate::cluster::{admin, fresh_database};

fn note(id: &str, conversation: &str) -> Notification {
    Notification {
        id: id.into(),
        topic: "conversation.user.created".into(),
        created_at: 1_700_000_000,
        received_at: 1_700_000_001,
        envelope: json!({
            "type": "notification_event",
            "id": id,
            "topic": "conversation.user.created",
            "created_at": 1_700_000_000,
            "data": {"item": {"type": "conversation", "id": conversation, "updated_at": 1_700_000_000,
                              "title": "Printer on fire", "state": "open"}}
        }),
    }
}

/// The follower position saved under `key`, if any.
async fn saved_position(url: &str, key: &str) -> Option<String> {
    admin(url)
        .await
        .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
        .await
        .unwrap()
        .map(|r| r.get(0))
}

struct Replica {
    mirror: Mirror,
    store: Arc<PgMirrorStore>,
}

async fn replica(url: &str, name: &str) -> Replica {
    let db = Database::connect(url).await.unwrap();
    let (mirror, store) = pg_mirror(db, name.into());
    Replica { mirror, store }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_stored_once_and_reach_every_replica() {
    let url = fresh_database().await;
    let a = replica(&url, "a").await;
    let b = replica(&url, "b").await;
    let mut b_changes = b.mirror.subscribe();
    let follower = tokio::spawn(follow_fleet_events(
        b.mirror.clone(),
        b.store.clone(),
        Database::connect(&url).await.unwrap(),
        "b".into(),
    ));
    // A follower new to the fleet starts at the end of the log and saves that position first;
    // from then on it hands on everything stored.
    let position_key = "mirror_follower:b";
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while saved_position(&url, position_key).await.is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the new follower never saved its starting position"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let first = a
        .mirror
        .record_notifications(vec![note("notif_1", "101")])
        .await
        .unwrap();
    assert!(
        matches!(first[0], NotificationOutcome::Stored { .. }),
        "{first:?}"
    );
    // The same notification redelivered to B: a duplicate for the fleet.
    let again = b
        .mirror
        .record_notifications(vec![note("notif_1", "101")])
        .await
        .unwrap();
    assert_eq!(again, vec![NotificationOutcome::Duplicate]);
    // B's follower applies what A stored (conversation 102 only reached A) and tells B's subscribers.
    a.mirror
        .record_notifications(vec![note("notif_2", "102")])
        .await
        .unwrap();
    let change = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let c = b_changes.recv().await.unwrap();
            if c.id == "102" {
                return c;
            }
        }
    })
    .await
    .expect("B's subscribers hear of the conversation A received");
    assert!(change.created);
    assert!(
        b.mirror
            .get(intercom_mirror::ObjectKind::Conversation, "102")
            .await
            .unwrap()
            .is_some()
    );

    // Both replicas read one log: same events, same sequence.
    let from_a = a.mirror.events_with_payload(0, 10).await.unwrap();
    let from_b = b.mirror.events_with_payload(0, 10).await.unwrap();
    assert_eq!(from_a.len(), 2);
    assert_eq!(
        from_a.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(),
        from_b.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>()
    );
    let stats = b.mirror.stats().await.unwrap();
    assert_eq!(
        (stats.events, stats.last_webhook_at),
        (2, Some(1_700_000_001))
    );
    let stored: i64 = admin(&url)
        .await
        .query_one("SELECT count(*) FROM events WHERE id = 'notif_1'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1);

    // B restarts its follower: it resumes after the last event it handled. A new event
    // arrives while it is down; it is the first (and only) thing the new follower hands on.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let saved = saved_position(&url, position_key).await;
        if saved.as_deref() == Some(&from_a[1].0.seq.to_string()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the follower never saved its position"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    follower.abort();
    let _ = follower.await;
    a.mirror
        .record_notifications(vec![note("notif_3", "103")])
        .await
        .unwrap();
    let mut b_changes = b.mirror.subscribe();
    let _follower = tokio::spawn(follow_fleet_events(
        b.mirror.clone(),
        b.store.clone(),
        Database::connect(&url).await.unwrap(),
        "b".into(),
    ));
    let next = tokio::time::timeout(Duration::from_secs(15), b_changes.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.id, "103");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_a_sync_finds_is_logged_once_for_the_fleet() {
    use intercom_mirror::{ChangeSource, MirrorWrite, ObjectKind, WriteBatch};
    let url = fresh_database().await;
    let a = replica(&url, "a").await;
    let b = replica(&url, "b").await;
    // A webhook first, then the sync's changes after it in the log.
    a.mirror
        .record_notifications(vec![note("notif_9", "900")])
        .await
        .unwrap();
    let batch = || {
        WriteBatch {
        writes: (0..3)
            .map(|i| {
                MirrorWrite::Upsert(
                    ObjectKind::Conversation,
                    json!({"type": "conversation", "id": format!("70{i}"), "updated_at": 1_700_000_100 + i,
                           "state": "open", "title": "synced"}),
                )
            })
            .collect(),
        checkpoint: None,
        log_changes: true,
    }
    };
    let changes = a.mirror.apply(batch(), ChangeSource::Sync).await.unwrap();
    assert_eq!(changes.len(), 3);
    // B's sync of the same pages finds the shared mirror level with them: nothing changes,
    // nothing more is logged.
    assert!(
        b.mirror
            .apply(batch(), ChangeSource::Sync)
            .await
            .unwrap()
            .is_empty()
    );
    let rows = admin(&url)
        .await
        .query(
            "SELECT id, object_id FROM events WHERE source = 'sync' ORDER BY seq",
            &[],
        )
        .await
        .unwrap();
    let ids: Vec<String> = rows.iter().map(|r| r.get::<_, String>(1)).collect();
    assert_eq!(ids, ["700", "701", "702"]);
    // Every replica's engine reads them in the shared log, after the webhook.
    let log = b.mirror.events_with_payload(0, 10).await.unwrap();
    let sources: Vec<&str> = log.iter().map(|(e, _)| e.source.as_str()).collect();
    assert_eq!(sources, ["webhook", "sync", "sync", "sync"]);
}
