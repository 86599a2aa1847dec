//! Every seeded object matches the response schema of Intercom's OpenAPI spec (API 2.16):
//! field types, nullability, enums and nested shapes.
//!
//! The spec lives outside the repository: `../shared/intercom-openapi/api.intercom.io.yaml`
//! relative to the repository root, or wherever `INTERCOM_OPENAPI_SPEC` points.

use std::path::PathBuf;

use intercom_sandbox::seed::{Scale, generate};
use serde_json::Value;

fn spec() -> Value {
    let path = std::env::var_os("INTERCOM_OPENAPI_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/intercom-openapi/api.intercom.io.yaml")
        });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the OpenAPI spec at {} ({error}); set INTERCOM_OPENAPI_SPEC",
            path.display()
        )
    });
    serde_yaml_ng::from_str(&text).expect("spec is valid YAML")
}

/// A small validator for the OpenAPI 3.0 subset the spec uses for responses.
struct Validator<'a> {
    schemas: &'a Value,
    errors: Vec<String>,
}

impl<'a> Validator<'a> {
    fn resolve(&self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.rsplit('/').next().unwrap();
                self.resolve(&self.schemas[name])
            }
            None => schema,
        }
    }

    fn check(&mut self, value: &Value, schema: &'a Value, path: &str) {
        // `nullable` may sit beside a `$ref`, so read it before resolving.
        let nullable_here = schema
            .get("nullable")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let schema = self.resolve(schema);
        let nullable = nullable_here
            || schema
                .get("nullable")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        if value.is_null() {
            let enum_allows_null = schema
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|e| e.contains(&Value::Null));
            if !nullable && !enum_allows_null {
                self.errors.push(format!("{path}: null but not nullable"));
            }
            return;
        }
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.check(value, part, path);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array) {
                let matches = options.iter().any(|option| {
                    let mut probe = Validator {
                        schemas: self.schemas,
                        errors: Vec::new(),
                    };
                    probe.check(value, option, path);
                    probe.errors.is_empty()
                });
                if !matches {
                    self.errors.push(format!("{path}: matches none of {key}"));
                }
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            self.errors
                .push(format!("{path}: {value} not in {allowed:?}"));
        }
        let type_ok = match schema.get("type").and_then(Value::as_str) {
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            Some("array") => value.is_array(),
            Some("object") => value.is_object(),
            _ => true,
        };
        if !type_ok {
            self.errors
                .push(format!("{path}: {value} is not of type {}", schema["type"]));
            return;
        }
        if let Some(object) = value.as_object() {
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for key in required.iter().filter_map(Value::as_str) {
                    if !object.contains_key(key) {
                        self.errors
                            .push(format!("{path}: required field {key} missing"));
                    }
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, field) in object {
                let field_path = format!("{path}.{key}");
                match properties.and_then(|p| p.get(key)) {
                    Some(field_schema) => self.check(field, field_schema, &field_path),
                    None => {
                        if let Some(extra) =
                            schema.get("additionalProperties").filter(|e| e.is_object())
                        {
                            self.check(field, extra, &field_path);
                        }
                    }
                }
            }
        }
        if let (Some(items), Some(schema_items)) = (value.as_array(), schema.get("items")) {
            for (index, item) in items.iter().enumerate() {
                self.check(item, schema_items, &format!("{path}[{index}]"));
            }
        }
    }
}

/// Properties the seeded object of each kind must carry, beyond the schema (which requires
/// almost nothing): what clients read first.
fn expect_fields(kind: &str, object: &Value, fields: &[&str], errors: &mut Vec<String>) {
    for field in fields {
        if object.get(*field).is_none() {
            errors.push(format!("{kind}: field {field} missing"));
        }
    }
}

#[test]
fn every_seeded_object_matches_the_spec() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let data = generate(Scale::Tiny, 11, 1_764_151_234);
    let kinds: Vec<(&str, &str, &Vec<Value>, &[&str])> = vec![
        (
            "admin",
            "admin",
            &data.admins,
            &[
                "type",
                "id",
                "name",
                "email",
                "away_mode_enabled",
                "team_ids",
            ],
        ),
        (
            "team",
            "team",
            &data.teams,
            &["type", "id", "name", "admin_ids"],
        ),
        ("tag", "tag", &data.tags, &["type", "id", "name"]),
        (
            "segment",
            "segment",
            &data.segments,
            &["type", "id", "name", "created_at", "person_type", "count"],
        ),
        (
            "data_attribute",
            "data_attribute",
            &data.data_attributes,
            &["type", "model", "name", "full_name", "data_type"],
        ),
        (
            "conversation_attribute",
            "conversation_attribute",
            &data.conversation_attributes,
            &["type", "id", "name", "data_type", "archived", "options"],
        ),
        (
            "company",
            "company",
            &data.companies,
            &[
                "type",
                "id",
                "company_id",
                "name",
                "plan",
                "monthly_spend",
                "user_count",
                "tags",
                "custom_attributes",
            ],
        ),
        (
            "contact",
            "contact",
            &data.contacts,
            &[
                "type",
                "id",
                "role",
                "email",
                "created_at",
                "tags",
                "notes",
                "companies",
                "location",
                "custom_attributes",
            ],
        ),
        (
            "note",
            "note",
            &data.notes,
            &["type", "id", "created_at", "contact", "author", "body"],
        ),
        (
            "conversation",
            "conversation",
            &data.conversations,
            &[
                "type",
                "id",
                "created_at",
                "updated_at",
                "waiting_since",
                "snoozed_until",
                "open",
                "state",
                "read",
                "priority",
                "admin_assignee_id",
                "team_assignee_id",
                "tags",
                "source",
                "contacts",
                "teammates",
                "statistics",
                "conversation_parts",
                "linked_objects",
                "custom_attributes",
                "title",
            ],
        ),
        (
            "ticket_type",
            "ticket_type",
            &data.ticket_types,
            &[
                "type",
                "id",
                "category",
                "name",
                "ticket_type_attributes",
                "ticket_states",
            ],
        ),
        (
            "ticket_state",
            "ticket_state_detailed",
            &data.ticket_states,
            &[
                "type",
                "id",
                "category",
                "internal_label",
                "external_label",
                "ticket_types",
            ],
        ),
        (
            "ticket",
            "ticket",
            &data.tickets,
            &[
                "type",
                "id",
                "ticket_id",
                "category",
                "ticket_attributes",
                "ticket_state",
                "ticket_type",
                "contacts",
                "admin_assignee_id",
                "team_assignee_id",
                "open",
                "ticket_parts",
                "linked_objects",
            ],
        ),
        (
            "article",
            "article",
            &data.articles,
            &[
                "type",
                "id",
                "title",
                "body",
                "state",
                "author_id",
                "url",
                "statistics",
            ],
        ),
        (
            "help_center",
            "help_center",
            &data.help_centers,
            &["id", "identifier", "display_name", "url", "default"],
        ),
    ];
    let mut validator = Validator {
        schemas,
        errors: Vec::new(),
    };
    let mut field_errors = Vec::new();
    for (kind, schema_name, objects, fields) in kinds {
        assert!(!objects.is_empty(), "no {kind} objects generated");
        assert!(
            schemas.get(schema_name).is_some(),
            "spec has no schema {schema_name}"
        );
        let schema = &schemas[schema_name];
        for (index, object) in objects.iter().enumerate() {
            validator.check(object, schema, &format!("{kind}[{index}]"));
            expect_fields(kind, object, fields, &mut field_errors);
        }
    }
    validator.errors.truncate(40);
    assert!(
        validator.errors.is_empty(),
        "schema violations:\n{}",
        validator.errors.join("\n")
    );
    field_errors.dedup();
    assert!(
        field_errors.is_empty(),
        "missing fields:\n{}",
        field_errors.join("\n")
    );
}

#[test]
fn the_validator_rejects_wrong_shapes() {
    // Guards against a validator that accepts everything.
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let data = generate(Scale::Tiny, 11, 1_764_151_234);
    let schema = &schemas["conversation"];
    let mut broken = data.conversations[0].clone();
    broken["admin_assignee_id"] = serde_json::json!("12");
    broken["priority"] = serde_json::json!("priority");
    broken["open"] = Value::Null;
    broken["conversation_parts"]["conversation_parts"][0]["created_at"] =
        serde_json::json!("yesterday");
    let mut validator = Validator {
        schemas,
        errors: Vec::new(),
    };
    validator.check(&broken, schema, "conversation");
    let report = validator.errors.join("\n");
    for expected in [".admin_assignee_id", ".priority", ".open", ".created_at"] {
        assert!(
            report.contains(expected),
            "{expected} not flagged in:\n{report}"
        );
    }
}
