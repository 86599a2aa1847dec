//! Sync engine against an in-process source: backfill, incremental, resume after failure.
//! (The same engine against the sandbox over HTTP is in `mirror_sync_sandbox.rs`.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use intercom_mirror::sync::*;
use intercom_mirror::*;
use parking_lot::Mutex;
use serde_json::{Value, json};

const PAGE: usize = 3;

/// A workspace held in memory; cursor = offset into the id-ordered list.
#[derive(Default)]
struct FakeSource {
    conversations: Mutex<Vec<Value>>,
    contacts: Mutex<Vec<Value>>,
    page_calls: AtomicUsize,
    detail_calls: AtomicUsize,
    /// Fail the conversation page request with this (1-based) number, once.
    fail_at_conversation_page: Mutex<Option<usize>>,
    conversation_pages: AtomicUsize,
    /// Answer every contact page with this same next cursor (a server stuck on one).
    stuck_contact_cursor: Mutex<Option<String>>,
}

impl FakeSource {
    fn set_conversation(&self, id: u32, updated_at: i64, parts: &[&str]) {
        let conversation = json!({
            "type": "conversation", "id": id.to_string(), "created_at": 100, "updated_at": updated_at,
            "state": "open", "source": {"type": "conversation", "body": format!("<p>opening {id}</p>")},
            "conversation_parts": {"type": "conversation_part.list", "total_count": parts.len(),
                "conversation_parts": parts.iter().enumerate().map(|(i, body)| json!({
                    "type": "conversation_part", "id": format!("{id}-{i}"), "part_type": "comment",
                    "body": body, "created_at": 100 + i as i64})).collect::<Vec<_>>()}
        });
        let mut all = self.conversations.lock();
        all.retain(|c| c["id"] != conversation["id"]);
        all.push(conversation);
        all.sort_by_key(|c| c["id"].as_str().unwrap().parse::<u32>().unwrap());
    }
}

impl SyncSource for FakeSource {
    async fn page(
        &self,
        kind: ObjectKind,
        request: PageRequest,
    ) -> Result<SourcePage, SourceError> {
        self.page_calls.fetch_add(1, Ordering::SeqCst);
        if kind == ObjectKind::Conversation {
            let call = self.conversation_pages.fetch_add(1, Ordering::SeqCst) + 1;
            let mut fail = self.fail_at_conversation_page.lock();
            if *fail == Some(call) {
                *fail = None;
                return Err(SourceError::Other("connection reset (injected)".into()));
            }
        }
        let (after, cursor) = match request {
            PageRequest::All { cursor } => (i64::MIN, cursor),
            PageRequest::UpdatedAfter { after, cursor } => (after, cursor),
        };
        let source = match kind {
            ObjectKind::Conversation => self.conversations.lock().clone(),
            ObjectKind::Contact => self.contacts.lock().clone(),
            _ => Vec::new(),
        };
        let matching: Vec<Value> = source
            .into_iter()
            .filter(|o| o["updated_at"].as_i64().unwrap_or(0) > after)
            // Like Intercom's list, the page carries no parts.
            .map(|mut o| {
                o.as_object_mut().unwrap().remove("conversation_parts");
                o
            })
            .collect();
        if kind == ObjectKind::Contact
            && let Some(stuck) = self.stuck_contact_cursor.lock().clone()
        {
            return Ok(SourcePage {
                items: matching[..PAGE.min(matching.len())].to_vec(),
                next: Some(stuck),
                total: Some(matching.len() as u64),
            });
        }
        let start: usize = match cursor {
            Some(c) => c.parse().map_err(|_| SourceError::BadCursor(c))?,
            None => 0,
        };
        let end = (start + PAGE).min(matching.len());
        Ok(SourcePage {
            items: matching[start.min(end)..end].to_vec(),
            next: (end < matching.len()).then(|| end.to_string()),
            total: Some(matching.len() as u64),
        })
    }

    async fn conversation(&self, id: &str) -> Result<Value, SourceError> {
        self.detail_calls.fetch_add(1, Ordering::SeqCst);
        self.conversations
            .lock()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .ok_or(SourceError::NotFound)
    }
}

fn syncer(mirror: &Mirror, source: &Arc<FakeSource>) -> Syncer<FakeSource> {
    let options = SyncOptions {
        concurrency: 4,
        kinds: vec![ObjectKind::Contact, ObjectKind::Conversation],
        progress: false,
    };
    Syncer::new(mirror.clone(), source.clone(), options)
}

async fn mirrored_parts(mirror: &Mirror, id: u32) -> Vec<String> {
    let stored = mirror
        .get(ObjectKind::Conversation, &id.to_string())
        .await
        .unwrap()
        .unwrap();
    stored.raw["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["body"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn backfill_then_incremental_brings_the_mirror_level_with_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    let source = Arc::new(FakeSource::default());
    for id in 1..=10 {
        source.set_conversation(id, 1_000 + id as i64, &["hello", "world"]);
    }
    source
        .contacts
        .lock()
        .push(json!({"type": "contact", "id": "c1", "updated_at": 5, "role": "user"}));

    let report = syncer(&mirror, &source).run().await.unwrap();
    let conversations = report
        .kinds
        .iter()
        .find(|k| k.kind == "conversations")
        .unwrap();
    assert_eq!(
        (
            conversations.mode.as_str(),
            conversations.seen,
            conversations.changed
        ),
        ("backfill", 10, 10)
    );
    assert_eq!(conversations.pages, 4);
    assert_eq!(source.detail_calls.load(Ordering::SeqCst), 10);
    assert_eq!(mirrored_parts(&mirror, 7).await, ["hello", "world"]);
    assert_eq!(mirror.stats().await.unwrap().counts["contacts"], 1);
    let cp = mirror
        .run(|s| s.checkpoint(ObjectKind::Conversation))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cp.phase, SyncPhase::Incremental);
    assert!(cp.last_completed_at.is_some());

    // A reply arrives on conversation 4 and conversation 11 is created.
    let now = now_unix();
    source.set_conversation(4, now + 5, &["hello", "world", "a new reply"]);
    source.set_conversation(11, now + 6, &["brand new"]);
    source.detail_calls.store(0, Ordering::SeqCst);
    let report = syncer(&mirror, &source).run().await.unwrap();
    let conversations = report
        .kinds
        .iter()
        .find(|k| k.kind == "conversations")
        .unwrap();
    assert_eq!(conversations.mode, "incremental");
    assert_eq!(conversations.changed, 2);
    assert_eq!(
        source.detail_calls.load(Ordering::SeqCst),
        2,
        "only changed conversations are fetched"
    );
    assert_eq!(
        mirrored_parts(&mirror, 4).await,
        ["hello", "world", "a new reply"]
    );
    assert_eq!(mirror.search_text("brand", 5).await.unwrap(), ["11"]);

    let events = mirror
        .recent_events(EventQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut logged: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.topic.clone(), e.object_id.clone().unwrap()))
        .collect();
    logged.sort();
    assert_eq!(
        logged,
        [
            ("conversation.created".to_string(), "11".to_string()),
            ("conversation.updated".into(), "4".into())
        ]
    );
}

#[tokio::test]
async fn an_interrupted_backfill_resumes_from_its_last_committed_page() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    let source = Arc::new(FakeSource::default());
    for id in 1..=12 {
        source.set_conversation(id, 1_000, &["part"]);
    }
    // Fail the third conversation page.
    *source.fail_at_conversation_page.lock() = Some(3);
    let err = syncer(&mirror, &source).run().await.unwrap_err();
    assert!(
        err.to_string().contains("run sync again to resume"),
        "{err}"
    );
    let cp = mirror
        .run(|s| s.checkpoint(ObjectKind::Conversation))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cp.phase, SyncPhase::Backfill);
    assert_eq!(cp.cursor.as_deref(), Some("6"));
    assert_eq!(mirror.stats().await.unwrap().counts["conversations"], 6);

    source.detail_calls.store(0, Ordering::SeqCst);
    let report = syncer(&mirror, &source).run().await.unwrap();
    let conversations = report
        .kinds
        .iter()
        .find(|k| k.kind == "conversations")
        .unwrap();
    assert!(conversations.resumed);
    assert_eq!(
        conversations.seen, 6,
        "pages before the checkpoint are not fetched again"
    );
    assert_eq!(source.detail_calls.load(Ordering::SeqCst), 6);
    assert_eq!(mirror.stats().await.unwrap().counts["conversations"], 12);
    let cp = mirror
        .run(|s| s.checkpoint(ObjectKind::Conversation))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cp.phase, SyncPhase::Incremental);
    assert_eq!(cp.run_items, 12);
}

#[tokio::test]
async fn a_refused_cursor_restarts_the_run_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    let source = Arc::new(FakeSource::default());
    for id in 1..=4 {
        source.set_conversation(id, 1_000, &["part"]);
    }
    let stale = Checkpoint {
        kind: ObjectKind::Conversation,
        phase: SyncPhase::Backfill,
        cursor: Some("expired-cursor".into()),
        high_water: 0,
        run_started_at: Some(1),
        run_items: 0,
        last_completed_at: None,
    };
    mirror
        .apply(
            WriteBatch {
                writes: vec![],
                checkpoint: Some(stale),
                log_changes: false,
            },
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    syncer(&mirror, &source).run().await.unwrap();
    assert_eq!(mirror.stats().await.unwrap().counts["conversations"], 4);
}

#[tokio::test]
async fn a_source_repeating_its_cursor_stops_the_run_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = Mirror::open_sqlite(&dir.path().join("m.sqlite3")).unwrap();
    let source = Arc::new(FakeSource::default());
    *source.contacts.lock() = (1..=5)
        .map(|i| json!({"type": "contact", "id": i.to_string(), "updated_at": 1_000}))
        .collect();
    *source.stuck_contact_cursor.lock() = Some("your-cursor-from-response".into());
    let options = SyncOptions {
        concurrency: 2,
        kinds: vec![ObjectKind::Contact],
        progress: false,
    };
    let err = Syncer::new(mirror.clone(), source.clone(), options)
        .run()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("a second time"), "{err}");
    assert!(err.contains("run sync again"), "{err}");
    assert_eq!(
        source.page_calls.load(Ordering::SeqCst),
        2,
        "the repeated cursor is not followed"
    );
    // The pages read before the stop are kept.
    assert_eq!(
        mirror.stats().await.unwrap().counts["contacts"],
        PAGE as u64
    );
}
