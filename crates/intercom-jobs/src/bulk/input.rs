//! Reading bulk targets from CSV (header row) or JSON Lines files.
//!
//! A row names its target with `id` (or `contact_id`, `company_id`,
//! `conversation_id`) or `email`; for contact updates the other columns are
//! attributes: Intercom's standard contact fields go as they are, `custom.x`
//! or any other column goes into `custom_attributes`. CSV cells are typed
//! (`true`/`false`, numbers) and empty cells are left out.

use std::path::Path;

use serde_json::{Map, Value};

use super::targets::FileRow;

/// Contact fields Intercom accepts at the top level of an update.
const STANDARD_CONTACT_FIELDS: &[&str] = &[
    "role",
    "external_id",
    "email",
    "phone",
    "name",
    "avatar",
    "signed_up_at",
    "last_seen_at",
    "owner_id",
    "unsubscribed_from_emails",
    "language_override",
];

const ID_COLUMNS: &[&str] = &["id", "contact_id", "company_id", "conversation_id"];

fn typed_cell(text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Value::from)
                    .ok_or(())
            })
            .unwrap_or_else(|_| Value::String(text.to_string())),
    })
}

/// Split a flat record into target (id/email) and attributes.
fn row_from_fields(fields: Map<String, Value>, email_is_target: bool) -> FileRow {
    let mut row = FileRow::default();
    let mut standard = Map::new();
    let mut custom = Map::new();
    for (key, value) in fields {
        let key_lower = key.trim().to_ascii_lowercase();
        if ID_COLUMNS.contains(&key_lower.as_str()) {
            row.id = intercom_mirror::columns::id_string(&value);
            continue;
        }
        if key_lower == "email" && email_is_target {
            row.email = value.as_str().map(str::to_string);
            continue;
        }
        if key_lower == "custom_attributes"
            && let Value::Object(map) = value
        {
            custom.extend(map);
            continue;
        }
        if let Some(name) = key
            .strip_prefix("custom.")
            .or_else(|| key.strip_prefix("custom_attributes."))
        {
            custom.insert(name.to_string(), value);
        } else if STANDARD_CONTACT_FIELDS.contains(&key_lower.as_str()) {
            standard.insert(key_lower, value);
        } else {
            custom.insert(key, value);
        }
    }
    if !custom.is_empty() {
        standard.insert("custom_attributes".into(), Value::Object(custom));
    }
    if !standard.is_empty() {
        row.payload = Some(Value::Object(standard));
    }
    row
}

/// Read rows from `path` (`.jsonl`/`.ndjson` as JSON Lines, anything else as CSV).
/// `email_is_target`: an `email` column names the contact (instead of setting one) when
/// the row has no id.
pub fn read_rows(path: &Path, email_is_target: bool) -> Result<Vec<FileRow>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let jsonl = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson")
    );
    let rows = if jsonl {
        parse_jsonl(&text, email_is_target)
    } else {
        parse_csv(&text, email_is_target)
    }
    .map_err(|e| format!("{}: {e}", path.display()))?;
    if rows.is_empty() {
        return Err(format!("{} holds no rows", path.display()));
    }
    Ok(rows)
}

pub fn parse_jsonl(text: &str, email_is_target: bool) -> Result<Vec<FileRow>, String> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("line {} is not JSON: {e}", n + 1))?;
        let Value::Object(fields) = value else {
            return Err(format!("line {} is not a JSON object", n + 1));
        };
        let row = row_from_fields(fields, email_is_target);
        check_row(&row, n + 1, email_is_target)?;
        rows.push(row);
    }
    Ok(rows)
}

pub fn parse_csv(text: &str, email_is_target: bool) -> Result<Vec<FileRow>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("the header row cannot be read: {e}"))?
        .clone();
    let known = headers.iter().any(|h| {
        let h = h.to_ascii_lowercase();
        ID_COLUMNS.contains(&h.as_str()) || (email_is_target && h == "email")
    });
    if !known {
        return Err(format!(
            "the header row needs an `id` column{} (found: {})",
            if email_is_target {
                " or an `email` column"
            } else {
                ""
            },
            headers.iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("row {} cannot be read: {e}", n + 2))?;
        let fields: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .filter_map(|(h, cell)| {
                let value = if ID_COLUMNS.contains(&h.to_ascii_lowercase().as_str())
                    || h.eq_ignore_ascii_case("email")
                {
                    Some(Value::String(cell.trim().to_string())).filter(|_| !cell.trim().is_empty())
                } else {
                    typed_cell(cell)
                };
                value.map(|v| (h.to_string(), v))
            })
            .collect();
        let row = row_from_fields(fields, email_is_target);
        check_row(&row, n + 2, email_is_target)?;
        rows.push(row);
    }
    Ok(rows)
}

fn check_row(row: &FileRow, line: usize, email_is_target: bool) -> Result<(), String> {
    if row.id.is_none() && row.email.is_none() {
        return Err(format!(
            "row {line} has no id{}",
            if email_is_target { " and no email" } else { "" }
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_rows_split_target_standard_and_custom() {
        let rows = parse_csv(
            "email,name,custom.plan,seats,vip\nann@x.io,Ann,pro,5,true\nbob@x.io,,basic,,false\n",
            true,
        )
        .unwrap();
        assert_eq!(rows[0].email.as_deref(), Some("ann@x.io"));
        assert_eq!(
            rows[0].payload,
            Some(
                json!({"name": "Ann", "custom_attributes": {"plan": "pro", "seats": 5, "vip": true}})
            )
        );
        assert_eq!(
            rows[1].payload,
            Some(json!({"custom_attributes": {"plan": "basic", "vip": false}}))
        );
        assert!(
            parse_csv("name\nAnn\n", true)
                .unwrap_err()
                .contains("email")
        );
    }

    #[test]
    fn jsonl_rows() {
        let rows = parse_jsonl(
            "{\"id\": 12, \"custom_attributes\": {\"plan\": \"pro\"}}\n\n{\"id\": \"13\"}\n",
            true,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id.as_deref(), Some("12"));
        assert_eq!(
            rows[0].payload,
            Some(json!({"custom_attributes": {"plan": "pro"}}))
        );
        assert_eq!(rows[1].payload, None);
        assert!(parse_jsonl("[1]\n", true).unwrap_err().contains("line 1"));
    }
}
