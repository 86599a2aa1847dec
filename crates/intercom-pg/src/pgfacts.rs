//! Support metrics over the PostgreSQL mirror: the facts of a window read in one streamed
//! query over the typed columns (the `conversations_facts` index covers them), the same
//! population the SQLite reader selects (`intercom_jobs::analytics::source::load_from_mirror`).

use futures::{StreamExt, pin_mut};
use intercom_api::{Directory, DirectoryAdmin, DirectoryTag, DirectoryTeam};
use intercom_jobs::analytics::facts::{
    ConversationFact, ConversationState, FactSet, SlaStatus, TicketFact,
};
use intercom_jobs::analytics::source::MirrorFacts;
use intercom_mirror::{MirrorError, now_unix};

use crate::pgmirror::PgMirrorStore;

const FACT_COLUMNS: &str = "created_at, state, last_close_at, time_to_admin_reply, count_reopens, \
     rating_score, rating_created_at, sla_status, admin_assignee_id, team_assignee_id, channel, priority";

impl MirrorFacts for PgMirrorStore {
    fn age(&self) -> Result<Option<i64>, MirrorError> {
        self.run_blocking(async {
            let client = self.pooled().await?;
            let row = client
                .query_one(
                    "SELECT (SELECT last_completed_at FROM sync_checkpoints WHERE kind = 'conversations'),
                            (SELECT value FROM meta WHERE key = 'last_webhook_at')",
                    &[],
                )
                .await
                .map_err(self.query_error("read the mirror's age"))?;
            let Some(synced_at) = row.get::<_, Option<i64>>(0) else {
                return Ok(None);
            };
            let webhook = row
                .get::<_, Option<String>>(1)
                .and_then(|v| v.parse::<i64>().ok());
            let fresh = webhook.map_or(synced_at, |w| w.max(synced_at));
            Ok(Some((now_unix() - fresh).max(0)))
        })
    }

    fn load(&self, start: i64, end: i64, with_tags: bool) -> Result<FactSet, MirrorError> {
        let tags = if with_tags {
            "ARRAY(SELECT jsonb_array_elements_text(COALESCE(tag_ids, '[]')))"
        } else {
            "NULL::text[]"
        };
        // Three disjoint parts: touched since the start, open ones not touched since, and any
        // created in the window with an older updated_at.
        let sql = format!(
            "SELECT {FACT_COLUMNS}, {tags} FROM conversations WHERE updated_at >= $1
             UNION ALL
             SELECT {FACT_COLUMNS}, {tags} FROM conversations
                 WHERE state IN ('open', 'snoozed') AND (updated_at < $1 OR updated_at IS NULL)
             UNION ALL
             SELECT {FACT_COLUMNS}, {tags} FROM conversations
                 WHERE created_at >= $1 AND created_at < $2
                   AND (updated_at < $1 OR updated_at IS NULL)
                   AND coalesce(state, '') NOT IN ('open', 'snoozed')"
        );
        self.run_blocking(async {
            let client = self.pooled().await?;
            let mut facts = FactSet::default();
            let rows = client
                .query_raw(&sql, [&start, &end])
                .await
                .map_err(self.query_error("read conversation facts"))?;
            pin_mut!(rows);
            while let Some(row) = rows.next().await {
                let r = row.map_err(self.query_error("read conversation facts"))?;
                let tags = r
                    .get::<_, Option<Vec<String>>>(12)
                    .unwrap_or_default()
                    .iter()
                    .map(|t| facts.symbols.intern(Some(t)))
                    .collect();
                let channel: Option<String> = r.get(10);
                let priority: Option<String> = r.get(11);
                let state: Option<String> = r.get(1);
                let sla: Option<String> = r.get(7);
                let fact = ConversationFact {
                    created_at: r.get::<_, Option<i64>>(0).unwrap_or(0),
                    state: ConversationState::parse(state.as_deref()),
                    last_close_at: r.get(2),
                    first_response_secs: r.get(3),
                    reopens: r.get::<_, Option<i64>>(4).unwrap_or(0),
                    rating: r
                        .get::<_, Option<i64>>(5)
                        .and_then(|v| u8::try_from(v).ok()),
                    rated_at: r.get(6),
                    sla: SlaStatus::parse(sla.as_deref()),
                    admin_id: r.get::<_, Option<i64>>(8).unwrap_or(0),
                    team_id: r.get::<_, Option<i64>>(9).unwrap_or(0),
                    channel: facts.symbols.intern(channel.as_deref()),
                    priority: facts.symbols.intern(priority.as_deref()),
                    tags,
                };
                facts.conversations.push(fact);
            }
            let rows = client
                .query(
                    "SELECT created_at, updated_at, state_category,
                            coalesce(raw #>> '{ticket_type,name}', 'type ' || ticket_type_id),
                            admin_assignee_id, team_assignee_id
                     FROM tickets WHERE (created_at >= $1 AND created_at < $2) OR updated_at >= $1",
                    &[&start, &end],
                )
                .await
                .map_err(self.query_error("read ticket facts"))?;
            for r in rows {
                let category: Option<String> = r.get(2);
                let ticket_type: Option<String> = r.get(3);
                let fact = TicketFact {
                    created_at: r.get::<_, Option<i64>>(0).unwrap_or(0),
                    updated_at: r.get::<_, Option<i64>>(1).unwrap_or(0),
                    state_category: facts.symbols.intern(category.as_deref()),
                    ticket_type: facts.symbols.intern(ticket_type.as_deref()),
                    admin_id: r.get::<_, Option<i64>>(4).unwrap_or(0),
                    team_id: r.get::<_, Option<i64>>(5).unwrap_or(0),
                };
                facts.tickets.push(fact);
            }
            Ok(facts)
        })
    }

    fn directory(&self) -> Result<Directory, MirrorError> {
        self.run_blocking(async {
            let client = self.pooled().await?;
            let read = async |table: &str| -> Result<Vec<(String, String)>, MirrorError> {
                Ok(client
                    .query(&format!("SELECT id, coalesce(name, id) FROM {table}"), &[])
                    .await
                    .map_err(self.query_error("read the directory"))?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect())
            };
            let admins = read("admins").await?;
            let teams = read("teams").await?;
            let tags = read("tags").await?;
            Ok(Directory {
                admins: admins
                    .into_iter()
                    .map(|(id, name)| DirectoryAdmin {
                        id,
                        name,
                        email: None,
                        away: false,
                        team_ids: Vec::new(),
                    })
                    .collect(),
                teams: teams
                    .into_iter()
                    .map(|(id, name)| DirectoryTeam {
                        id,
                        name,
                        admin_ids: Vec::new(),
                    })
                    .collect(),
                tags: tags
                    .into_iter()
                    .map(|(id, name)| DirectoryTag { id, name })
                    .collect(),
                ..Directory::default()
            })
        })
    }
}
