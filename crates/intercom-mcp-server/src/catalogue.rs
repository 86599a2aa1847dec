//! What a tool list costs a model: the schemas the macros derive are rewritten once, when the
//! server is built, into the shortest form that says the same thing.
//!
//! Input schemas: an optional argument is one that is not `required`, so `"type": [T, "null"]`
//! becomes `"type": T` and `"default": null` goes (arguments still accept `null`: they are read
//! by serde, not by the schema). Number formats (`uint32`, `int64`, ...) and `"minimum": 0` of
//! unsigned integers go, `$schema` goes, and descriptions are folded onto one line.
//!
//! Output schemas lose the descriptions of their `$defs` entries and keep the first sentence
//! of each other description. They say `"type": "object"` at their root (a tool answering one of several
//! shapes has an `anyOf` there) and keep every type (a `null` a tool returns must still validate) and lose only
//! what constrains nothing a client checks: `$schema`, number formats, `"minimum": 0` and the
//! line breaks of descriptions.

use serde_json::{Map, Value};

/// Rewrites a tool's input schema in place (see the module documentation).
pub fn compact_input_schema(schema: &mut Map<String, Value>) {
    schema.remove("$schema");
    compact_object(schema, true);
}

/// Rewrites a tool's output schema in place (see the module documentation).
pub fn compact_output_schema(schema: &mut Map<String, Value>) {
    schema.remove("$schema");
    compact_object(schema, false);
    // Output docs are for the client's developer, not the model: the properties keep their
    // first sentence; a shared shape under `$defs` is described where it is used.
    if let Some(Value::Object(defs)) = schema.get_mut("$defs") {
        for def in defs.values_mut() {
            if let Value::Object(def) = def {
                def.remove("description");
            }
        }
    }
    first_sentences(schema);
    // Structured content is always an object, and MCP clients check that the output schema
    // says so at its root, also when it is a choice of object shapes (`anyOf`).
    if !schema.contains_key("type") {
        schema.insert("type".into(), Value::String("object".into()));
    }
}

fn compact_object(schema: &mut Map<String, Value>, input: bool) {
    if input {
        drop_null_type(schema);
        if schema.get("default").is_some_and(Value::is_null) {
            schema.remove("default");
        }
        // `additionalProperties: true` is what an object without the keyword means.
        if schema.get("additionalProperties") == Some(&Value::Bool(true)) {
            schema.remove("additionalProperties");
        }
    }
    if schema
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(is_number_format)
    {
        schema.remove("format");
        if schema.get("minimum").and_then(Value::as_u64) == Some(0) {
            schema.remove("minimum");
        }
    }
    if let Some(Value::String(text)) = schema.get_mut("description") {
        *text = one_line(text);
    }
    for (key, value) in schema.iter_mut() {
        match (key.as_str(), value) {
            ("properties" | "$defs" | "definitions" | "patternProperties", Value::Object(map)) => {
                for sub in map.values_mut() {
                    if let Value::Object(sub) = sub {
                        compact_object(sub, input);
                    }
                }
            }
            (
                "items" | "additionalProperties" | "not" | "if" | "then" | "else" | "contains",
                Value::Object(sub),
            ) => compact_object(sub, input),
            ("anyOf" | "oneOf" | "allOf" | "prefixItems", Value::Array(list)) => {
                for sub in list.iter_mut() {
                    if let Value::Object(sub) = sub {
                        compact_object(sub, input);
                    }
                }
            }
            _ => {}
        }
    }
    if input {
        collapse_nullable_any_of(schema);
    }
}

fn is_number_format(format: &str) -> bool {
    matches!(
        format,
        "uint"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "int8"
            | "int16"
            | "int32"
            | "int64"
            | "float"
            | "double"
    )
}

/// `"type": ["string", "null"]` → `"type": "string"`.
fn drop_null_type(schema: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = schema.get_mut("type") else {
        return;
    };
    types.retain(|t| t != "null");
    if types.len() == 1 {
        let only = types.remove(0);
        schema.insert("type".into(), only);
    } else if types.is_empty() {
        schema.remove("type");
    }
}

/// `"anyOf": [X, {"type": "null"}]` → X's keywords merged into the schema (its own
/// description wins).
fn collapse_nullable_any_of(schema: &mut Map<String, Value>) {
    let Some(Value::Array(list)) = schema.get("anyOf") else {
        return;
    };
    let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
    let rest: Vec<&Value> = list.iter().filter(|v| !is_null(v)).collect();
    if rest.len() == list.len() {
        return;
    }
    match rest.as_slice() {
        [Value::Object(only)] => {
            let only = only.clone();
            schema.remove("anyOf");
            for (k, v) in only {
                schema.entry(k).or_insert(v);
            }
        }
        _ => {
            let kept: Vec<Value> = rest.into_iter().cloned().collect();
            schema.insert("anyOf".into(), Value::Array(kept));
        }
    }
}

/// Every description in an output schema cut to its first sentence.
fn first_sentences(schema: &mut Map<String, Value>) {
    if let Some(Value::String(text)) = schema.get_mut("description") {
        *text = first_sentence(text);
    }
    for value in schema.values_mut() {
        match value {
            Value::Object(sub) => first_sentences(sub),
            Value::Array(list) => {
                for sub in list.iter_mut() {
                    if let Value::Object(sub) = sub {
                        first_sentences(sub);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Text up to the end of its first sentence (a `. ` before a capital letter).
fn first_sentence(text: &str) -> String {
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices(". ") {
        if bytes.get(i + 2).is_some_and(u8::is_ascii_uppercase) {
            return text[..=i].to_string();
        }
    }
    text.to_string()
}

/// A description on one line: the line breaks of wrapped doc comments are spaces to a reader.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> Value {
        let Value::Object(mut m) = v else { panic!() };
        compact_input_schema(&mut m);
        Value::Object(m)
    }

    #[test]
    fn optional_arguments_lose_null_unions_defaults_and_formats() {
        let got = input(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "limit": {"description": "Max\n  results.", "type": ["integer", "null"],
                          "format": "uint32", "minimum": 0, "default": null},
                "ids": {"type": ["array", "null"], "items": {"type": "string"}, "default": null},
                "filters": {"type": ["object", "null"], "additionalProperties": true},
                "when": {"anyOf": [{"$ref": "#/$defs/When"}, {"type": "null"}], "description": "d"},
                "count": {"type": "integer", "minimum": 1, "format": "uint32"}
            }
        }));
        assert_eq!(
            got,
            json!({
                "type": "object",
                "properties": {
                    "limit": {"description": "Max results.", "type": "integer"},
                    "ids": {"type": "array", "items": {"type": "string"}},
                    "filters": {"type": "object"},
                    "when": {"$ref": "#/$defs/When", "description": "d"},
                    "count": {"type": "integer", "minimum": 1}
                }
            })
        );
    }

    #[test]
    fn output_docs_keep_their_first_sentence_and_defs_lose_theirs() {
        let Value::Object(mut m) = json!({
            "type": "object",
            "properties": {"a": {"description": "Rank: `high`. For a ticket, its severity. More.", "type": "string"},
                           "b": {"description": "e.g. 3h. lower case goes on", "type": "string"}},
            "$defs": {"X": {"description": "A shape.", "type": "object"}}
        }) else {
            panic!()
        };
        compact_output_schema(&mut m);
        assert_eq!(
            Value::Object(m),
            json!({
                "type": "object",
                "properties": {"a": {"description": "Rank: `high`.", "type": "string"},
                               "b": {"description": "e.g. 3h. lower case goes on", "type": "string"}},
                "$defs": {"X": {"type": "object"}}
            })
        );
    }

    #[test]
    fn output_schemas_keep_their_null_types() {
        let Value::Object(mut m) = json!({
            "$schema": "x",
            "type": "object",
            "properties": {"n": {"type": ["integer", "null"], "format": "int64"}}
        }) else {
            panic!()
        };
        compact_output_schema(&mut m);
        assert_eq!(
            Value::Object(m),
            json!({"type": "object", "properties": {"n": {"type": ["integer", "null"]}}})
        );
    }
}
