//! `{{ field }}` templates for notes, replies, ticket titles and outbound bodies.
//!
//! A field is a dotted path under one of [`ROOTS`]: `{{conversation.id}}`,
//! `{{contact.plan}}` (custom attributes are found without spelling
//! `custom_attributes`), `{{text}}` (the message that triggered the event).

use serde_json::{Map, Value};

/// Names a template may start a field with.
pub const ROOTS: [&str; 9] = [
    "event",
    "rule",
    "object",
    "conversation",
    "ticket",
    "contact",
    "company",
    "text",
    "admin",
];

/// Where template fields are looked up.
pub trait Fields {
    fn field(&self, path: &[String]) -> Option<Value>;
}

/// How a field's value is written into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Notes and replies are HTML: customer text must not become markup.
    Html,
    None,
}

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    Field(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// Parse `text`, or say what is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in template {text:?}"))?;
            let name = after[..close].trim();
            pieces.push(Piece::Field(parse_field(name)?));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Literal(rest.to_string()));
        }
        Ok(Self {
            source: text.to_string(),
            pieces,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn uses_root(&self, root: &str) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Field(path) if path[0] == root))
    }

    /// The text with every field filled in; missing fields become empty.
    pub fn render(&self, fields: &dyn Fields, escape: Escape) -> String {
        let mut out = String::with_capacity(self.source.len());
        for piece in &self.pieces {
            match piece {
                Piece::Literal(s) => out.push_str(s),
                Piece::Field(path) => {
                    let text = fields
                        .field(path)
                        .map(|v| value_text(&v))
                        .unwrap_or_default();
                    match escape {
                        Escape::Html => out.push_str(&escape_html(&text)),
                        Escape::None => out.push_str(&text),
                    }
                }
            }
        }
        out
    }

    /// A template that is exactly one field renders to that field's JSON value.
    fn single_field(&self) -> Option<&[String]> {
        match self.pieces.as_slice() {
            [Piece::Field(path)] => Some(path),
            _ => None,
        }
    }
}

fn parse_field(name: &str) -> Result<Vec<String>, String> {
    if name.is_empty() {
        return Err("empty field `{{}}` in template".into());
    }
    let path: Vec<String> = name.split('.').map(str::to_string).collect();
    if path.iter().any(|p| {
        p.is_empty()
            || !p
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    }) {
        return Err(format!(
            "field `{{{{{name}}}}}` is not a dotted name like `conversation.id`"
        ));
    }
    if !ROOTS.contains(&path[0].as_str()) {
        return Err(format!(
            "unknown field `{{{{{name}}}}}`: fields start with one of {}",
            ROOTS.join(", ")
        ));
    }
    Ok(path)
}

/// A JSON body whose strings are templates (outbound POSTs).
#[derive(Debug, Clone, PartialEq)]
pub enum BodyTemplate {
    Text(Template),
    Literal(Value),
    Array(Vec<BodyTemplate>),
    Object(Vec<(String, BodyTemplate)>),
}

impl BodyTemplate {
    pub fn uses_root(&self, root: &str) -> bool {
        match self {
            Self::Text(t) => t.uses_root(root),
            Self::Literal(_) => false,
            Self::Array(items) => items.iter().any(|i| i.uses_root(root)),
            Self::Object(entries) => entries.iter().any(|(_, v)| v.uses_root(root)),
        }
    }

    pub fn render(&self, fields: &dyn Fields) -> Value {
        match self {
            Self::Text(t) => match t.single_field() {
                Some(path) => fields.field(path).unwrap_or(Value::Null),
                None => Value::String(t.render(fields, Escape::None)),
            },
            Self::Literal(v) => v.clone(),
            Self::Array(items) => Value::Array(items.iter().map(|i| i.render(fields)).collect()),
            Self::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.render(fields)))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

/// How a value reads inside text: strings bare, everything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Map1(Value);
    impl Fields for Map1 {
        fn field(&self, path: &[String]) -> Option<Value> {
            let mut v = &self.0;
            for p in path {
                v = v.get(p)?;
            }
            Some(v.clone())
        }
    }

    #[test]
    fn renders_fields_and_escapes_html() {
        let t = Template::parse("Plan: {{ contact.plan }} / {{text}}!").unwrap();
        let f = Map1(json!({"contact": {"plan": "pro"}, "text": "<b>hi</b>"}));
        assert_eq!(
            t.render(&f, Escape::Html),
            "Plan: pro / &lt;b&gt;hi&lt;/b&gt;!"
        );
        assert_eq!(t.render(&f, Escape::None), "Plan: pro / <b>hi</b>!");
        assert!(t.uses_root("contact"));
        assert!(!t.uses_root("company"));
    }

    #[test]
    fn missing_fields_render_empty() {
        let t = Template::parse("[{{company.name}}]").unwrap();
        assert_eq!(t.render(&Map1(json!({})), Escape::None), "[]");
    }

    #[test]
    fn rejects_bad_fields() {
        assert!(
            Template::parse("{{nope.x}}")
                .unwrap_err()
                .contains("unknown field")
        );
        assert!(
            Template::parse("{{contact.plan")
                .unwrap_err()
                .contains("unclosed")
        );
        assert!(Template::parse("{{}}").is_err());
        assert!(Template::parse("{{contact..x}}").is_err());
    }

    #[test]
    fn body_keeps_json_types_of_single_fields() {
        let body = BodyTemplate::Object(vec![
            (
                "spend".into(),
                BodyTemplate::Text(Template::parse("{{company.monthly_spend}}").unwrap()),
            ),
            (
                "label".into(),
                BodyTemplate::Text(Template::parse("spend={{company.monthly_spend}}").unwrap()),
            ),
            ("fixed".into(), BodyTemplate::Literal(json!(true))),
        ]);
        let f = Map1(json!({"company": {"monthly_spend": 1200.5}}));
        assert_eq!(
            body.render(&f),
            json!({"spend": 1200.5, "label": "spend=1200.5", "fixed": true})
        );
    }
}
