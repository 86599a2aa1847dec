//! The mirror store's behaviour, run against both stores: SQLite (intercom-mirror's
//! `SqliteStore`) and PostgreSQL ([`intercom_pg::PgMirrorStore`]). Each test is one async
//! function taking the backend; `both!` makes a test per backend.

use intercom_mirror::export::{ExportFormat, export, parse_jsonl};
use intercom_mirror::*;
use serde_json::{Value, json};

use crate::cluster::fresh_database;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Keeps a store's files alive for the test.
pub struct Guard(#[allow(dead_code)] Option<tempfile::TempDir>);

pub async fn open(backend: Backend) -> (Guard, Mirror) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
            (Guard(Some(dir)), mirror)
        }
        Backend::Postgres => {
            let db = intercom_pg::Database::connect(&fresh_database().await)
                .await
                .unwrap();
            let (mirror, _store) = intercom_pg::pg_mirror(db, "test".into());
            (Guard(None), mirror)
        }
    }
}

/// One test per backend, each on a multi-threaded runtime.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Backend::Postgres).await })*
        }
    };
}

both!(
    older_copies_never_overwrite_newer_ones_and_repeats_change_nothing,
    full_text_search_covers_every_part_not_just_the_first_message,
    notifications_are_logged_once_applied_and_broadcast,
    incremental_changes_are_logged_once_per_version,
    export_streams_jsonl_and_csv_filtered_by_since,
    very_common_words_are_answered_newest_first,
    search_with_filters_counts_pages_and_marks_the_words,
    checkpoints_versions_and_stats,
);

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

async fn older_copies_never_overwrite_newer_ones_and_repeats_change_nothing(backend: Backend) {
    let (_guard, mirror) = open(backend).await;
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

async fn full_text_search_covers_every_part_not_just_the_first_message(backend: Backend) {
    let (_guard, mirror) = open(backend).await;
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

async fn notifications_are_logged_once_applied_and_broadcast(backend: Backend) {
    let (_guard, mirror) = open(backend).await;
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

async fn incremental_changes_are_logged_once_per_version(backend: Backend) {
    let (_guard, mirror) = open(backend).await;
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

async fn export_streams_jsonl_and_csv_filtered_by_since(backend: Backend) {
    let (_guard, mirror) = open(backend).await;
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

async fn very_common_words_are_answered_newest_first(backend: Backend) {
    let (_guard, mirror) = open(backend).await;
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

async fn search_with_filters_counts_pages_and_marks_the_words(backend: Backend) {
    let (_guard, mirror) = open(backend).await;
    // 30 conversations mention a refund, every third is closed, tags alternate 7 / 8.
    let writes = (1..=30)
        .map(|n: i64| {
            let mut c = conversation(
                &n.to_string(),
                5_000 + n,
                &[(&format!("p{n}"), "<p>Where is my <b>refund</b> for the order?</p>")],
            );
            c["created_at"] = json!(1_000 + n);
            c["state"] = json!(if n % 3 == 0 { "closed" } else { "open" });
            c["tags"]["tags"] = json!([{"id": if n % 2 == 0 { "7" } else { "8" }}]);
            c["sla_applied"] = json!({"sla_name": "gold", "sla_status": if n % 5 == 0 { "missed" } else { "hit" }});
            MirrorWrite::Upsert(ObjectKind::Conversation, c)
        })
        .chain(std::iter::once(MirrorWrite::Upsert(
            ObjectKind::Conversation,
            conversation("99", 9_000, &[("q1", "<p>Nothing to see</p>")]),
        )))
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
    let search = |filter: Option<Value>, cursor: Option<String>| ConversationTextSearch {
        text: "Refund order".into(),
        filter,
        sla_status: None,
        limit: 4,
        cursor,
    };
    let open_tag_7 = json!({"operator": "AND", "value": [
        {"field": "state", "operator": "!=", "value": "closed"},
        {"field": "tag_ids", "operator": "IN", "value": ["7"]},
        {"field": "created_at", "operator": ">", "value": 1_002},
    ]});
    // Even n in 2..=30 not divisible by 3 and created at or after 1002: 2,4,8,10,14,16,20,22,26,28.
    let mut seen = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = mirror
            .search_conversations(search(Some(open_tag_7.clone()), cursor))
            .await
            .unwrap();
        assert_eq!(page.total, 10, "the total counts every page");
        for hit in &page.hits {
            assert!(hit.snippet.contains("[refund]"), "{}", hit.snippet);
            assert!(hit.snippet.contains("[order]"), "{}", hit.snippet);
            assert!(hit.part_id.starts_with('p'), "{}", hit.part_id);
            assert!(hit.conversation.get("conversation_parts").is_none());
            seen.push(hit.conversation["id"].as_str().unwrap().to_string());
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(
        seen,
        ["28", "26", "22", "20", "16", "14", "10", "8", "4", "2"],
        "newest first, each once"
    );
    let missed = mirror
        .search_conversations(ConversationTextSearch {
            sla_status: Some("missed".into()),
            ..search(None, None)
        })
        .await
        .unwrap();
    assert_eq!(missed.total, 6);
    // The opening message's words through `source.body`, and text-matching operators.
    let source = mirror
        .search_conversations(search(
            Some(json!({"operator": "AND", "value": [
                {"field": "source.body", "operator": "=", "value": "invoice wrong"},
                {"field": "priority", "operator": "^", "value": "HI"},
                {"field": "source.author.id", "operator": "IN", "value": ["c1", "c2"]},
                {"field": "statistics.count_reopens", "operator": "=", "value": "1"},
            ]})),
            None,
        ))
        .await
        .unwrap();
    assert_eq!(source.total, 30);
    let none = mirror
        .search_conversations(search(
            Some(json!({"field": "conversation_rating.score", "operator": "<", "value": 4})),
            None,
        ))
        .await
        .unwrap();
    assert_eq!((none.total, none.hits.len()), (0, 0));
    let bad = mirror
        .search_conversations(search(
            Some(json!({"field": "state", "operator": "<>", "value": "open"})),
            None,
        ))
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("unknown"), "{bad}");
}

async fn checkpoints_versions_and_stats(backend: Backend) {
    let (_guard, mirror) = open(backend).await;
    let checkpoint = Checkpoint {
        kind: ObjectKind::Contact,
        phase: SyncPhase::Incremental,
        cursor: Some("page-2".into()),
        high_water: 40,
        run_started_at: Some(500),
        run_items: 3,
        last_completed_at: Some(600),
    };
    mirror
        .apply(
            WriteBatch {
                writes: vec![
                    MirrorWrite::Upsert(
                        ObjectKind::Contact,
                        json!({"type":"contact","id":"c1","email":"a@b.c","updated_at":5}),
                    ),
                    MirrorWrite::Upsert(ObjectKind::Tag, json!({"type":"tag","id":7,"name":"vip"})),
                ],
                checkpoint: Some(checkpoint.clone()),
                log_changes: false,
            },
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    // A batch that fails part-way leaves neither its objects nor its checkpoint.
    let err = mirror
        .apply(
            WriteBatch {
                writes: vec![
                    MirrorWrite::Upsert(
                        ObjectKind::Contact,
                        json!({"type":"contact","id":"c2","updated_at":6}),
                    ),
                    MirrorWrite::Upsert(ObjectKind::Contact, json!({"type":"contact"})),
                ],
                checkpoint: Some(checkpoint_of(ObjectKind::Contact)),
                log_changes: false,
            },
            ChangeSource::Sync,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("without an id"), "{err}");
    assert!(
        mirror
            .get(ObjectKind::Contact, "c2")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        mirror
            .run(|s| s.checkpoint(ObjectKind::Contact))
            .await
            .unwrap(),
        Some(checkpoint)
    );
    let versions = mirror
        .run(|s| s.updated_at_of(ObjectKind::Contact, &["c1".into(), "nope".into()]))
        .await
        .unwrap();
    assert_eq!(versions, [("c1".to_string(), 5)].into_iter().collect());
    assert_eq!(
        mirror.get(ObjectKind::Tag, "7").await.unwrap().unwrap().raw["name"],
        "vip"
    );
    mirror
        .apply(
            upsert(
                ObjectKind::Conversation,
                conversation("1", 10, &[("p1", "a"), ("p2", "b")]),
                false,
            ),
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    let stats = mirror.stats().await.unwrap();
    assert_eq!(stats.counts["contacts"], 1);
    assert_eq!(stats.counts["tags"], 1);
    assert_eq!(stats.counts["conversations"], 1);
    // Two parts and the opening message.
    assert_eq!(stats.conversation_parts, 3);
    assert_eq!((stats.events, stats.last_event_seq), (0, None));
    assert_eq!(stats.checkpoints.len(), 1);
}
