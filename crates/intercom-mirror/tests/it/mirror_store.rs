//! What is particular to the SQLite mirror store: its typed columns and its file. The behaviour
//! every store shares is tested against SQLite and PostgreSQL alike in intercom-pg's
//! `mirror_store` tests.

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
