//! `intercom-mcp export`: stream mirrored objects out as JSON Lines or CSV.

use std::io::Write;

use serde_json::Value;

use super::columns::column_names;
use super::store::{MirrorError, MirrorResult, MirrorStore, ObjectKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line, as Intercom returns it (conversations with their parts).
    Jsonl,
    /// One row per object: `id`, the indexed columns, then `raw` (the JSON).
    Csv,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jsonl" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            other => Err(format!("unknown export format {other:?}; use jsonl or csv")),
        }
    }
}

/// The kinds `export --object` accepts.
pub const EXPORTABLE: [ObjectKind; 4] = [
    ObjectKind::Conversation,
    ObjectKind::Contact,
    ObjectKind::Company,
    ObjectKind::Ticket,
];

/// Write every `kind` object updated at or after `since` to `out`; returns how many.
pub fn export(
    store: &dyn MirrorStore,
    kind: ObjectKind,
    format: ExportFormat,
    since: Option<i64>,
    out: &mut dyn Write,
) -> MirrorResult<u64> {
    let io = |e: std::io::Error| MirrorError::Invalid(format!("cannot write the export: {e}"));
    match format {
        ExportFormat::Jsonl => store.export(kind, since, &mut |object| {
            serde_json::to_writer(&mut *out, &object)?;
            out.write_all(b"\n").map_err(io)
        }),
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(&mut *out);
            let names = column_names(kind);
            let mut header = vec!["id"];
            header.extend_from_slice(names);
            header.push("raw");
            writer.write_record(&header).map_err(csv_err)?;
            let count = store.export(kind, since, &mut |object| {
                let values = super::columns::column_values(kind, &object);
                let mut record = Vec::with_capacity(values.len() + 2);
                record.push(
                    object
                        .get("id")
                        .and_then(super::columns::id_string)
                        .unwrap_or_default(),
                );
                record.extend(values.into_iter().map(sql_to_cell));
                record.push(serde_json::to_string(&object)?);
                writer.write_record(&record).map_err(csv_err)
            })?;
            writer.flush().map_err(io)?;
            Ok(count)
        }
    }
}

fn csv_err(e: csv::Error) -> MirrorError {
    MirrorError::Invalid(format!("cannot write the CSV export: {e}"))
}

fn sql_to_cell(value: rusqlite::types::Value) -> String {
    use rusqlite::types::Value as Sql;
    match value {
        Sql::Null => String::new(),
        Sql::Integer(i) => i.to_string(),
        Sql::Real(f) => f.to_string(),
        Sql::Text(t) => t,
        Sql::Blob(b) => hex::encode(b),
    }
}

/// Object JSON as written by JSONL export, for readers of this module's tests.
pub fn parse_jsonl(text: &str) -> serde_json::Result<Vec<Value>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(serde_json::from_str)
        .collect()
}
