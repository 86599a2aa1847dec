//! Support metrics read from the PostgreSQL mirror give the report the SQLite mirror gives for
//! the same conversations and tickets, for every grouping.

use chrono::{TimeZone, Utc};
use intercom_jobs::analytics::period::ReportPeriod;
use intercom_jobs::analytics::{self, GroupBy, MetricsRequest, SourceChoice};
use intercom_mirror::{
    ChangeSource, Checkpoint, Mirror, MirrorWrite, ObjectKind, SyncPhase, WriteBatch,
};
use serde_json::{Value, json};

use crate::mirror_store::{Backend, open};

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn objects() -> Vec<MirrorWrite> {
    let mut writes = Vec::new();
    for n in 0..400i64 {
        let created = NOW - 40 * 86_400 + n * 7_919 % (40 * 86_400);
        let state = ["open", "closed", "closed", "snoozed"][(n % 4) as usize];
        let closed_at = (state == "closed").then(|| created + 3_600 + n * 37);
        writes.push(MirrorWrite::Upsert(
            ObjectKind::Conversation,
            json!({"type": "conversation", "id": n.to_string(), "created_at": created,
                   "updated_at": closed_at.unwrap_or(created + 60), "state": state,
                   "priority": if n % 5 == 0 { "priority" } else { "not_priority" },
                   "admin_assignee_id": 10 + n % 3, "team_assignee_id": 20 + n % 2,
                   "channel": {"initial": (["messenger", "email"][(n % 2) as usize])},
                   "tags": {"tags": [{"id": (n % 3).to_string()}]},
                   "statistics": {"time_to_admin_reply": 60 + n * 11 % 900, "count_reopens": n % 7 / 6,
                                  "last_close_at": closed_at},
                   "conversation_rating": if n % 6 == 1 {
                       json!({"rating": 1 + n % 5, "created_at": closed_at.unwrap_or(created) + 10})
                   } else { Value::Null },
                   "sla_applied": {"sla_name": "gold", "sla_status": (["hit", "missed", "active"][(n % 3) as usize])}}),
        ));
    }
    for n in 0..30i64 {
        writes.push(MirrorWrite::Upsert(
            ObjectKind::Ticket,
            json!({"type": "ticket", "id": format!("t{n}"), "created_at": NOW - n * 86_400,
                   "updated_at": NOW - n * 80_000, "ticket_type": {"id": "5", "name": "Bug"},
                   "ticket_state": {"id": "s", "category": (["submitted", "resolved"][(n % 2) as usize])},
                   "admin_assignee_id": 10, "team_assignee_id": 20}),
        ));
    }
    for (kind, id, name) in [
        (ObjectKind::Admin, "10", "Ann"),
        (ObjectKind::Team, "20", "Support"),
        (ObjectKind::Tag, "1", "billing"),
    ] {
        writes.push(MirrorWrite::Upsert(
            kind,
            json!({"type": kind.singular(), "id": id, "name": name}),
        ));
    }
    writes
}

async fn filled(backend: Backend) -> (crate::mirror_store::Guard, Mirror) {
    let (guard, mirror) = open(backend).await;
    mirror
        .apply(
            WriteBatch {
                writes: objects(),
                checkpoint: Some(Checkpoint {
                    kind: ObjectKind::Conversation,
                    phase: SyncPhase::Incremental,
                    cursor: None,
                    high_water: NOW,
                    run_started_at: None,
                    run_items: 0,
                    last_completed_at: Some(NOW),
                }),
                log_changes: false,
            },
            ChangeSource::Sync,
        )
        .await
        .unwrap();
    (guard, mirror)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_metrics_match_sqlite_metrics() {
    let (_a, sqlite) = filled(Backend::Sqlite).await;
    let (_b, postgres) = filled(Backend::Postgres).await;
    let tz: chrono_tz::Tz = "Europe/Dublin".parse().unwrap();
    let now = Utc.timestamp_opt(NOW, 0).unwrap();
    for group_by in [
        None,
        Some(GroupBy::Day),
        Some(GroupBy::Team),
        Some(GroupBy::Admin),
        Some(GroupBy::Tag),
        Some(GroupBy::Priority),
    ] {
        let request = MetricsRequest {
            period: ReportPeriod::resolve(Some("last_30d"), None, None, tz, now).unwrap(),
            group_by,
            source: SourceChoice::Mirror,
            now: NOW,
        };
        let report = |mirror: Mirror| {
            let request = request.clone();
            async move {
                let mut r = serde_json::to_value(
                    analytics::run(&request, None, Some(&mirror), &|_, _, _| {})
                        .await
                        .unwrap(),
                )
                .unwrap();
                // The mirror's age depends on when each was read.
                r["source"]
                    .as_object_mut()
                    .unwrap()
                    .remove("mirror_age_seconds");
                r
            }
        };
        let from_sqlite = report(sqlite.clone()).await;
        let from_postgres = report(postgres.clone()).await;
        assert_eq!(from_sqlite["source"]["source"], "mirror");
        assert!(
            from_sqlite["conversations"]["created"].as_u64().unwrap() > 100,
            "{from_sqlite}"
        );
        assert_eq!(from_postgres, from_sqlite, "group_by {group_by:?}");
    }
}
