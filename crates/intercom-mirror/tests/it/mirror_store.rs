//! The SQLite mirror store: upserts, full-text search, checkpoints, event log, export.

use intercom_mirror::export::{ExportFormat, export, parse_jsonl};
use intercom_mirror::*;
use serde_json::{Value, json};

fn open() -> (tempfile::TempDir, Mirror) {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    (dir, mirror)
}

fn conversation(id: &str, updated_at: i64, parts: &[(&str, &str)]) -> Value {
    json!({
        "type": "conversation", "id": id, "created_at": 1_000, "updated_at": updated_at,
        "state": "open", "open": true, "priority": "high", "admin_assignee_id": 0, "team_assignee_id": 42,
        "source": {"type": "conversation", "delivered_as": "customer_initiated",
                   "body": "<p>My invoice is wrong</p>", "author": {"type": "user", "id": "c1"}},
        "tags": {"type": "tag.list", "tags": [{"id": "7", "name": "billing"}]},
        "statistics": {"first_admin_reply_at": 1_100, "time_to_admin_reply": 100, "count_reopens": 1},
        "conversation_rating": {"rating": 5},
        "conversation_parts": {"type": "conversation_part.list", "total_count": parts.len(),
            "conversation_parts": parts.iter().enumerate().map(|(i, (pid, body))| json!({
                "type": "conversation_part", "id": pid, "part_type": "comment",
                "body": body, "created_at": 1_000 + i as i64, "author": {"type": "admin", "id": "9"}
            })).collect::<Vec<_>>()}
    })
}

fn upsert(kind: ObjectKind, raw: Value, log_changes: bool) -> WriteBatch {
    WriteBatch {
        writes: vec![MirrorWrite::Upsert(kind, raw)],
        checkpoint: None,
        log_changes,
    }
}

#[tokio::test]
async fn upsert_keeps_raw_json_parts_and_indexed_columns() {
    let (_dir, mirror) = open();
    let changes = mirror
        .apply(
            upsert(
                ObjectKind::Conversation,
                conversation("100", 2_000, &[("p1", "<p>Hello</p>")]),
                false,
            ),
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert!(changes[0].created);

    let stored = mirror
        .get(ObjectKind::Conversation, "100")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.raw["priority"], "high");
    let parts = stored.raw["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0]["id"], "p1");

    let row = mirror
        .sqlite()
        .unwrap()
        .read(|c| {
            c.query_row(
                "SELECT state, team_assignee_id, first_admin_reply_at, time_to_admin_reply,
                        count_reopens, rating_score, tag_ids, source_delivered_as
                 FROM conversations WHERE id = '100'",
                [],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                },
            )
        })
        .unwrap();
    assert_eq!(
        row,
        (
            "open".into(),
            42,
            1_100,
            100,
            1,
            5,
            r#"["7"]"#.into(),
            "customer_initiated".into()
        )
    );
    let tagged: i64 = mirror
        .sqlite()
        .unwrap()
        .read(|c| {
            c.query_row(
                "SELECT count(*) FROM conversation_tags WHERE tag_id = '7'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(tagged, 1);
}

#[tokio::test]
async fn older_copies_never_overwrite_newer_ones_and_repeats_change_nothing() {
    let (_dir, mirror) = open();
    let newer = conversation("100", 3_000, &[("p1", "one")]);
    mirror
        .apply(
            upsert(ObjectKind::Conversation, newer.clone(), false),
            ChangeSource::Sync,
        )
        .await
        .unwrap();

    let mut older = conversation("100", 2_000, &[("p1", "one")]);
    older["state"] = json!("closed");
    let changes = mirror
        .apply(
            upsert(ObjectKind::Conversation, older, false),
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    assert!(
        changes.is_empty(),
        "a stale copy must not count as a change: {changes:?}"
    );
    let stored = mirror
        .get(ObjectKind::Conversation, "100")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.raw["state"], "open");

    let again = mirror
        .apply(
            upsert(ObjectKind::Conversation, newer, false),
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    assert!(again.is_empty());

    // A new part on a stale copy is still kept: parts do not go stale.
    let late = conversation("100", 2_500, &[("p1", "one"), ("p2", "two")]);
    let changes = mirror
        .apply(
            upsert(ObjectKind::Conversation, late, false),
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert!(!changes[0].created);
    let stored = mirror
        .get(ObjectKind::Conversation, "100")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.raw["conversation_parts"]["total_count"], 2);
    assert_eq!(stored.raw["state"], "open");
}

#[tokio::test]
async fn full_text_search_covers_every_part_not_just_the_first_message() {
    let (_dir, mirror) = open();
    let batch = WriteBatch {
        writes: vec![
            MirrorWrite::Upsert(
                ObjectKind::Conversation,
                conversation(
                    "1",
                    10,
                    &[("a1", "<p>Have you tried restarting the router?</p>")],
                ),
            ),
            MirrorWrite::Upsert(
                ObjectKind::Conversation,
                conversation("2", 10, &[("b1", "<p>Your refund was issued today</p>")]),
            ),
        ],
        checkpoint: None,
        log_changes: false,
    };
    mirror.apply(batch, ChangeSource::Sync).await.unwrap();

    assert_eq!(
        mirror.search_text("router restarting", 10).await.unwrap(),
        vec!["1"]
    );
    assert_eq!(mirror.search_text("REFUND", 10).await.unwrap(), vec!["2"]);
    // Words of the opening message are indexed too, for both conversations.
    let mut both = mirror.search_text("invoice", 10).await.unwrap();
    both.sort();
    assert_eq!(both, vec!["1", "2"]);
    assert_eq!(mirror.search_text("invoice", 1).await.unwrap().len(), 1);
    assert!(
        mirror
            .search_text("nonexistentword", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // FTS syntax in user text is treated as words, not as an error.
    assert_eq!(
        mirror.search_text("refund* \"(", 10).await.unwrap(),
        vec!["2"]
    );
    let err = mirror.search_text("?!", 10).await.unwrap_err();
    assert!(err.to_string().contains("no words"), "{err}");

    let hits = mirror.search_text_hits("refund", 10).await.unwrap();
    assert_eq!(hits[0].part_id, "b1");
    assert!(hits[0].snippet.contains("refund"), "{}", hits[0].snippet);

    // A redacted part leaves the index.
    mirror
        .apply(
            upsert(
                ObjectKind::Conversation,
                conversation("2", 20, &[("b1", "<p>[redacted]</p>")]),
                false,
            ),
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    assert!(mirror.search_text("refund", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn checkpoint_commits_with_its_batch_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite3");
    {
        let mirror = Mirror::open_sqlite(&path).unwrap();
        let checkpoint = Checkpoint {
            kind: ObjectKind::Contact,
            phase: SyncPhase::Backfill,
            cursor: Some("page-2".into()),
            high_water: 0,
            run_started_at: Some(500),
            run_items: 1,
            last_completed_at: None,
        };
        let batch = WriteBatch {
            writes: vec![MirrorWrite::Upsert(
                ObjectKind::Contact,
                json!({"type":"contact","id":"c1","email":"a@b.c","updated_at":5,"role":"user"}),
            )],
            checkpoint: Some(checkpoint.clone()),
            log_changes: false,
        };
        mirror.apply(batch, ChangeSource::Sync).await.unwrap();
        assert_eq!(
            mirror
                .run(|s| s.checkpoint(ObjectKind::Contact))
                .await
                .unwrap(),
            Some(checkpoint)
        );

        // A batch that fails part-way leaves neither its objects nor its checkpoint.
        let broken = WriteBatch {
            writes: vec![
                MirrorWrite::Upsert(
                    ObjectKind::Contact,
                    json!({"type":"contact","id":"c2","updated_at":6}),
                ),
                MirrorWrite::Upsert(
                    ObjectKind::Contact,
                    json!({"type":"contact","email":"no id"}),
                ),
            ],
            checkpoint: Some(Checkpoint {
                cursor: Some("page-3".into()),
                ..checkpoint_of(ObjectKind::Contact)
            }),
            log_changes: false,
        };
        let err = mirror.apply(broken, ChangeSource::Sync).await.unwrap_err();
        assert!(err.to_string().contains("without an id"), "{err}");
        assert!(
            mirror
                .get(ObjectKind::Contact, "c2")
                .await
                .unwrap()
                .is_none()
        );
    }
    let reopened = Mirror::open_sqlite(&path).unwrap();
    let cp = reopened
        .run(|s| s.checkpoint(ObjectKind::Contact))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cp.cursor.as_deref(), Some("page-2"));
    assert_eq!(
        reopened
            .get(ObjectKind::Contact, "c1")
            .await
            .unwrap()
            .unwrap()
            .raw["email"],
        "a@b.c"
    );
    let mode: String = reopened
        .sqlite()
        .unwrap()
        .read(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(mode, "wal");
}

fn checkpoint_of(kind: ObjectKind) -> Checkpoint {
    Checkpoint {
        kind,
        phase: SyncPhase::Backfill,
        cursor: None,
        high_water: 0,
        run_started_at: None,
        run_items: 0,
        last_completed_at: None,
    }
}

fn notification(id: &str, topic: &str, item: Value) -> Notification {
    Notification {
        id: id.into(),
        topic: topic.into(),
        created_at: 1_700_000_000,
        received_at: 1_700_000_001,
        envelope: json!({"type":"notification_event","id":id,"topic":topic,
            "data":{"type":"notification_event_data","item":item}}),
    }
}

#[tokio::test]
async fn notifications_are_logged_once_applied_and_broadcast() {
    let (_dir, mirror) = open();
    let mut bus = mirror.subscribe();
    let first = notification(
        "notif_1",
        "conversation.user.created",
        conversation("9", 50, &[]),
    );
    let outcomes = mirror
        .record_notifications(vec![first.clone()])
        .await
        .unwrap();
    assert!(
        matches!(&outcomes[0], NotificationOutcome::Stored { changes, .. } if changes.len() == 1)
    );
    let event = bus.try_recv().unwrap();
    assert_eq!(
        event.resource_uri().as_deref(),
        Some("intercom://conversations/9")
    );
    assert!(event.created);
    assert_eq!(event.topic.as_deref(), Some("conversation.user.created"));

    // Redelivery: nothing logged, nothing applied, nothing broadcast.
    let outcomes = mirror.record_notifications(vec![first]).await.unwrap();
    assert_eq!(outcomes, vec![NotificationOutcome::Duplicate]);
    assert!(bus.try_recv().is_err());

    let contact = json!({"type":"contact","id":"c7","role":"user","updated_at":60});
    mirror
        .record_notifications(vec![
            notification("notif_2", "contact.user.created", contact.clone()),
            notification("notif_3", "ping", json!({"type":"ping","message":"hi"})),
            notification(
                "notif_4",
                "conversation.deleted",
                json!({"type":"conversation","id":"9"}),
            ),
        ])
        .await
        .unwrap();
    assert!(
        mirror
            .get(ObjectKind::Conversation, "9")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        mirror
            .get(ObjectKind::Contact, "c7")
            .await
            .unwrap()
            .unwrap()
            .raw,
        contact
    );

    let all = mirror
        .recent_events(EventQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["notif_1", "notif_2", "notif_3", "notif_4"]
    );
    let conversations = mirror
        .recent_events(EventQuery {
            topics: vec!["conversation.".into()],
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(conversations.len(), 2);
    let after = mirror
        .recent_events(EventQuery {
            after_seq: Some(all[1].seq),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        after.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["notif_3", "notif_4"]
    );
    let stats = mirror.stats().await.unwrap();
    assert_eq!(stats.events, 4);
    assert_eq!(stats.last_webhook_at, Some(1_700_000_001));
}

#[tokio::test]
async fn incremental_changes_are_logged_once_per_version() {
    let (_dir, mirror) = open();
    let ticket = |updated_at: i64| json!({"type":"ticket","id":"t1","updated_at":updated_at,"ticket_state":{"id":"s","category":"submitted"}});
    for version in [10, 10, 20] {
        mirror
            .apply(
                upsert(ObjectKind::Ticket, ticket(version), true),
                ChangeSource::Sync,
            )
            .await
            .unwrap();
    }
    let events = mirror
        .recent_events(EventQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        events.iter().map(|e| e.topic.as_str()).collect::<Vec<_>>(),
        ["ticket.created", "ticket.updated"]
    );
    assert!(events.iter().all(|e| e.source == "sync"));
}

#[tokio::test]
async fn export_streams_jsonl_and_csv_filtered_by_since() {
    let (_dir, mirror) = open();
    let batch = WriteBatch {
        writes: vec![
            MirrorWrite::Upsert(
                ObjectKind::Conversation,
                conversation("old", 100, &[("o1", "x")]),
            ),
            MirrorWrite::Upsert(
                ObjectKind::Conversation,
                conversation("new", 900, &[("n1", "hello, \"world\"")]),
            ),
        ],
        checkpoint: None,
        log_changes: false,
    };
    mirror.apply(batch, ChangeSource::Sync).await.unwrap();
    let store = mirror.store().clone();

    let mut out = Vec::new();
    let n = export(
        store.as_ref(),
        ObjectKind::Conversation,
        ExportFormat::Jsonl,
        Some(500),
        &mut out,
    )
    .unwrap();
    assert_eq!(n, 1);
    let objects = parse_jsonl(std::str::from_utf8(&out).unwrap()).unwrap();
    assert_eq!(objects[0]["id"], "new");
    assert_eq!(
        objects[0]["conversation_parts"]["conversation_parts"][0]["id"],
        "n1"
    );

    let mut out = Vec::new();
    export(
        store.as_ref(),
        ObjectKind::Conversation,
        ExportFormat::Csv,
        None,
        &mut out,
    )
    .unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "id");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][0], "old");
    let raw_column = headers.iter().position(|h| h == "raw").unwrap();
    let raw: Value = serde_json::from_str(&rows[1][raw_column]).unwrap();
    assert_eq!(
        raw["conversation_parts"]["conversation_parts"][0]["body"],
        "hello, \"world\""
    );
}

#[tokio::test]
async fn very_common_words_are_answered_newest_first() {
    let (_dir, mirror) = open();
    // More parts than the relevance-ranking threshold (20,000) contain "order".
    for chunk in 0..11 {
        let writes = (0..2_000)
            .map(|i| {
                let n = chunk * 2_000 + i;
                let body = if n % 1_000 == 7 {
                    "order zebra"
                } else {
                    "order"
                };
                MirrorWrite::Upsert(
                    ObjectKind::Conversation,
                    json!({"type": "conversation", "id": n.to_string(), "updated_at": n,
                           "conversation_parts": {"total_count": 1, "conversation_parts": [
                               {"id": format!("p{n}"), "part_type": "comment", "body": body}]}}),
                )
            })
            .collect();
        mirror
            .apply(
                WriteBatch {
                    writes,
                    checkpoint: None,
                    log_changes: false,
                },
                ChangeSource::Sync,
            )
            .await
            .unwrap();
    }
    let newest = mirror.search_text("order", 3).await.unwrap();
    assert_eq!(newest, ["21999", "21998", "21997"]);
    // A rare word next to the common one is ranked by relevance and finds exactly its parts.
    let mut rare = mirror.search_text("zebra order", 50).await.unwrap();
    rare.sort_by_key(|id| id.parse::<u32>().unwrap());
    let expected: Vec<String> = (0..22).map(|k| (k * 1_000 + 7).to_string()).collect();
    assert_eq!(rare, expected);
}
