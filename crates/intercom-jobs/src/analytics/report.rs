//! The Markdown rendering of a [`MetricsReport`]: what the tool's text block and
//! `metrics --output report.md` show.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::MetricsReport;
use super::compute::{ConversationSummary, DurationStats};
use intercom_core::dates::human_duration;

fn duration(value: Option<i64>) -> String {
    value.map_or_else(|| "–".to_string(), human_duration)
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn mean(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.2}"))
}

fn stats_cell(stats: &DurationStats) -> String {
    format!(
        "{} (p90 {}, n={})",
        duration(stats.median_seconds),
        duration(stats.p90_seconds),
        stats.count
    )
}

fn counts(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "–".into();
    }
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Markdown with a headline table, the breakdowns and the grouped table.
pub fn markdown(report: &MetricsReport) -> String {
    let mut out = String::new();
    let c = &report.conversations;
    let t = &report.tickets;
    let _ = writeln!(
        out,
        "## Support metrics: {} ({} to {}, {})\n",
        report.period.label, report.period.start, report.period.end, report.period.time_zone
    );
    let age = report
        .source
        .mirror_age_seconds
        .map(|a| format!(", mirror updated {} ago", human_duration(a)))
        .unwrap_or_default();
    let skipped = report
        .source
        .skipped_unreadable
        .map(|n| {
            format!(
                " {n} object(s) Intercom sent could not be read (null or without an id) and are \
                 left out of these figures."
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Source: {} over {} conversations and {} tickets{age}.{skipped}\n",
        report.source.source, report.source.conversations_examined, report.source.tickets_examined
    );
    out.push_str("| Metric | Value |\n| --- | --- |\n");
    let rows: Vec<(&str, String)> = vec![
        ("Conversations created", c.created.to_string()),
        ("Conversations closed", c.closed.to_string()),
        ("Conversations reopened", c.reopened.to_string()),
        (
            "Open backlog at period end",
            c.open_backlog_at_end.to_string(),
        ),
        (
            "First admin reply: median",
            duration(c.first_response.median_seconds),
        ),
        (
            "First admin reply: p90",
            duration(c.first_response.p90_seconds),
        ),
        (
            "Time to close: median",
            duration(c.time_to_close.median_seconds),
        ),
        ("CSAT mean (1-5)", mean(c.csat.mean)),
        ("CSAT ratings", c.csat.ratings.to_string()),
        ("CSAT response rate", percent(c.csat.response_rate)),
        (
            "CSAT distribution (1-5)",
            (1..=5)
                .map(|s| {
                    c.csat
                        .distribution
                        .get(&s.to_string())
                        .copied()
                        .unwrap_or(0)
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join(" / "),
        ),
        (
            "SLA hit / missed / cancelled / active",
            format!(
                "{} / {} / {} / {}",
                c.sla.hit, c.sla.missed, c.sla.cancelled, c.sla.active
            ),
        ),
        (
            "Busiest hours",
            if c.busiest_hours.is_empty() {
                "–".into()
            } else {
                c.busiest_hours
                    .iter()
                    .map(|h| format!("{:02}:00 ({})", h.hour, h.conversations))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        ("Tickets created", t.created.to_string()),
        (
            "Tickets created by state",
            counts(&t.created_by_state_category),
        ),
        ("Tickets created by type", counts(&t.created_by_type)),
        ("Tickets resolved", t.resolved.to_string()),
        ("Tickets resolved by type", counts(&t.resolved_by_type)),
    ];
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    if let Some(group_by) = &report.group_by {
        let _ = writeln!(out, "\n### By {group_by}\n");
        out.push_str(
            "| Group | Created | Closed | Reopened | Backlog | First reply (median) | First reply (p90) | Time to close (median) | CSAT | SLA missed |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for row in &report.groups {
            let g: &ConversationSummary = &row.conversations;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.label.replace('|', "/"),
                g.created,
                g.closed,
                g.reopened,
                g.open_backlog_at_end,
                duration(g.first_response.median_seconds),
                duration(g.first_response.p90_seconds),
                duration(g.time_to_close.median_seconds),
                mean(g.csat.mean),
                g.sla.missed
            );
        }
        if report.groups.is_empty() {
            out.push_str("| (no activity) | | | | | | | | | |\n");
        }
    }
    out
}

/// One line, for logs and progress messages.
pub fn one_line(report: &MetricsReport) -> String {
    let c = &report.conversations;
    format!(
        "{}: {} created, {} closed, backlog {}, first reply {}, CSAT {}",
        report.period.label,
        c.created,
        c.closed,
        c.open_backlog_at_end,
        stats_cell(&c.first_response),
        mean(c.csat.mean)
    )
}
