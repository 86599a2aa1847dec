//! Intercom's search query language (`POST /conversations|tickets|contacts/search`):
//! parsing with Intercom's limits (2 nesting levels, 15 filters per group, operators by
//! field type) and evaluation over stored objects through a per-resource field resolver.

use std::borrow::Cow;

use chrono::{Duration, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::errors::{ApiError, ApiResult};

/// Most filters in one AND/OR group.
pub const MAX_FILTERS_PER_GROUP: usize = 15;
/// Most levels of nested groups.
pub const MAX_NESTING: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    In,
    Nin,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "=" => Op::Eq,
            "!=" => Op::Ne,
            "IN" => Op::In,
            "NIN" => Op::Nin,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "~" => Op::Contains,
            "!~" => Op::NotContains,
            "^" => Op::StartsWith,
            "$" => Op::EndsWith,
            _ => return None,
        })
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::In => "IN",
            Op::Nin => "NIN",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "~",
            Op::NotContains => "!~",
            Op::StartsWith => "^",
            Op::EndsWith => "$",
        }
    }

    /// Negative operators hold when no value of the field matches.
    fn negative(self) -> bool {
        matches!(self, Op::Ne | Op::Nin | Op::NotContains)
    }
}

/// What type a searchable field has; decides the operators and value types accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Str,
    /// Matched word by word (`source.body`).
    Words,
    Int,
    Date,
    Bool,
    /// Custom attributes: type taken from the value.
    Any,
}

/// One value of a document's field.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
}

impl<'a> Val<'a> {
    pub fn from_json(v: Option<&'a Value>) -> Val<'a> {
        match v {
            Some(Value::Bool(b)) => Val::Bool(*b),
            Some(Value::Number(n)) => Val::Num(n.as_f64().unwrap_or(0.0)),
            Some(Value::String(s)) => Val::Str(Cow::Borrowed(s)),
            _ => Val::Null,
        }
    }
}

/// A query value after type checks.
#[derive(Debug, Clone)]
enum QVal {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

/// Maps field names to handles and reads their values from documents.
pub trait Resolver {
    type Doc;
    type Field: Clone;
    /// The handle and type of `name`, or `None` when the field is not searchable.
    fn field(&self, name: &str) -> Option<(Self::Field, FieldType)>;
    /// Calls `f` with each value of the field (a single `Null` when the field is empty
    /// and single-valued; nothing for an empty list) until `f` returns true.
    fn any_value<'a>(
        &self,
        doc: &'a Self::Doc,
        field: &Self::Field,
        f: &mut dyn FnMut(&Val<'a>) -> bool,
    ) -> bool;
    /// Contacts match date fields by whole days in the workspace time zone.
    fn day_granularity(&self) -> Option<Tz> {
        None
    }
    /// Conversations and tickets document `>`/`<` as "greater (or equal)"/"lower (or equal)".
    fn inclusive_bounds(&self) -> bool {
        false
    }
    /// Fields that only take `=`/`!=` (contacts' `tag_id`).
    fn equality_only(&self, _name: &str) -> bool {
        false
    }
}

enum Test {
    Single(QVal),
    List(Vec<QVal>),
    /// Contacts' date rules: half-open range of Unix seconds [from, to).
    Range(Option<i64>, Option<i64>),
}

struct Filter<F> {
    field: F,
    ftype: FieldType,
    op: Op,
    test: Test,
}

enum Node<F> {
    And(Vec<Node<F>>),
    Or(Vec<Node<F>>),
    Filter(Filter<F>),
}

/// A parsed, validated query ready to run against documents.
pub struct Query<'r, R: Resolver> {
    resolver: &'r R,
    root: Node<R::Field>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid("query", message)
}

impl<'r, R: Resolver> Query<'r, R> {
    pub fn parse(resolver: &'r R, query: &Value) -> ApiResult<Self> {
        let root = parse_node(resolver, query, 0)?;
        Ok(Query { resolver, root })
    }

    pub fn matches(&self, doc: &R::Doc) -> bool {
        eval(self.resolver, &self.root, doc)
    }
}

fn parse_node<R: Resolver>(resolver: &R, v: &Value, depth: usize) -> ApiResult<Node<R::Field>> {
    let obj = v.as_object().ok_or_else(|| {
        invalid("query must be an object with field/operator/value or operator/value")
    })?;
    if obj.contains_key("field") {
        return parse_filter(resolver, obj).map(Node::Filter);
    }
    let operator = obj
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("query.operator"))?;
    let children = obj
        .get("value")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("an AND/OR query needs a value array of filters"))?;
    if depth >= MAX_NESTING {
        return Err(invalid(format!(
            "Search queries support at most {MAX_NESTING} levels of nested AND/OR filters"
        )));
    }
    if children.is_empty() {
        return Err(invalid("an AND/OR query needs at least one filter"));
    }
    if children.len() > MAX_FILTERS_PER_GROUP {
        return Err(invalid(format!(
            "A maximum of {MAX_FILTERS_PER_GROUP} filters is allowed in each AND or OR group (got {})",
            children.len()
        )));
    }
    let nodes = children
        .iter()
        .map(|c| parse_node(resolver, c, depth + 1))
        .collect::<ApiResult<Vec<_>>>()?;
    match operator {
        "AND" => Ok(Node::And(nodes)),
        "OR" => Ok(Node::Or(nodes)),
        other => Err(invalid(format!(
            "'{other}' is not a valid operator for a group: use AND or OR"
        ))),
    }
}

fn qval(v: &Value, ftype: FieldType, field: &str) -> ApiResult<QVal> {
    let wrong =
        |expected: &str| invalid(format!("The value for field '{field}' must be {expected}"));
    match (ftype, v) {
        (_, Value::Null) => Ok(QVal::Null),
        (FieldType::Int | FieldType::Date, Value::Number(n)) => {
            Ok(QVal::Num(n.as_f64().unwrap_or(0.0)))
        }
        (FieldType::Int | FieldType::Date, Value::String(s)) => {
            s.trim().parse::<f64>().map(QVal::Num).map_err(|_| {
                wrong(if ftype == FieldType::Date {
                    "a UNIX timestamp"
                } else {
                    "an integer"
                })
            })
        }
        (FieldType::Int | FieldType::Date, _) => Err(wrong("an integer")),
        (FieldType::Bool, Value::Bool(b)) => Ok(QVal::Bool(*b)),
        (FieldType::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Ok(QVal::Bool(s == "true"))
        }
        (FieldType::Bool, _) => Err(wrong("a boolean")),
        (FieldType::Str | FieldType::Words, Value::String(s)) => Ok(QVal::Str(s.clone())),
        (FieldType::Str | FieldType::Words, Value::Number(n)) => Ok(QVal::Str(n.to_string())),
        (FieldType::Str | FieldType::Words, _) => Err(wrong("a string")),
        (FieldType::Any, Value::String(s)) => Ok(QVal::Str(s.clone())),
        (FieldType::Any, Value::Number(n)) => Ok(QVal::Num(n.as_f64().unwrap_or(0.0))),
        (FieldType::Any, Value::Bool(b)) => Ok(QVal::Bool(*b)),
        (FieldType::Any, _) => Err(wrong("a string, number or boolean")),
    }
}

fn day_start(tz: Tz, ts: i64) -> i64 {
    let local = tz
        .timestamp_opt(ts, 0)
        .single()
        .unwrap_or_else(|| tz.timestamp_opt(0, 0).unwrap())
        .date_naive();
    midnight(tz, local)
}

fn midnight(tz: Tz, date: chrono::NaiveDate) -> i64 {
    let naive = date.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.timestamp())
        // A midnight skipped by DST: the day starts an hour later.
        .unwrap_or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
                .map(|d| d.timestamp())
                .unwrap_or(0)
        })
}

fn next_day_start(tz: Tz, ts: i64) -> i64 {
    let local = tz
        .timestamp_opt(ts, 0)
        .single()
        .unwrap_or_else(|| tz.timestamp_opt(0, 0).unwrap())
        .date_naive();
    midnight(tz, local.succ_opt().unwrap_or(local))
}

fn parse_filter<R: Resolver>(
    resolver: &R,
    obj: &Map<String, Value>,
) -> ApiResult<Filter<R::Field>> {
    let name = obj
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("field must be a string"))?;
    let op_text = obj
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("query.operator"))?;
    let op = Op::parse(op_text).ok_or_else(|| {
        invalid(format!(
            "'{op_text}' is not a valid operator. Use one of = != IN NIN < <= > >= ~ !~ ^ $"
        ))
    })?;
    let (field, ftype) = resolver
        .field(name)
        .ok_or_else(|| invalid(format!("'{name}' is not a searchable field")))?;
    let value = obj
        .get("value")
        .ok_or_else(|| ApiError::missing("query.value"))?;

    let reject = || {
        invalid(format!(
            "The operator '{}' is not supported for field '{name}'",
            op.symbol()
        ))
    };
    if resolver.equality_only(name) && !matches!(op, Op::Eq | Op::Ne) {
        return Err(reject());
    }
    let allowed = match ftype {
        FieldType::Str | FieldType::Words => !matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge),
        FieldType::Int | FieldType::Date => !matches!(
            op,
            Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith
        ),
        FieldType::Bool => matches!(op, Op::Eq | Op::Ne | Op::In | Op::Nin),
        FieldType::Any => true,
    };
    if !allowed {
        return Err(reject());
    }

    let day_tz = resolver
        .day_granularity()
        .filter(|_| ftype == FieldType::Date);
    if let Some(tz) = day_tz {
        if !matches!(op, Op::Eq | Op::Lt | Op::Gt) {
            return Err(invalid(format!(
                "The operator '{}' is not supported on date field '{name}': use =, < or >",
                op.symbol()
            )));
        }
        let QVal::Num(ts) = qval(value, ftype, name)? else {
            return Err(invalid(format!(
                "The value for field '{name}' must be a UNIX timestamp"
            )));
        };
        let ts = ts as i64;
        let start = day_start(tz, ts);
        let test = match op {
            Op::Eq => Test::Range(Some(start), Some(next_day_start(tz, ts))),
            Op::Gt => Test::Range(Some(next_day_start(tz, ts)), None),
            _ => Test::Range(None, Some(start)),
        };
        return Ok(Filter {
            field,
            ftype,
            op,
            test,
        });
    }

    let test = if matches!(op, Op::In | Op::Nin) {
        let items = value.as_array().ok_or_else(|| {
            invalid(format!(
                "The operator '{}' needs an array value",
                op.symbol()
            ))
        })?;
        Test::List(
            items
                .iter()
                .map(|v| qval(v, ftype, name))
                .collect::<ApiResult<_>>()?,
        )
    } else {
        if value.is_array() {
            return Err(invalid(format!(
                "The operator '{}' needs a single value, not an array",
                op.symbol()
            )));
        }
        Test::Single(qval(value, ftype, name)?)
    };
    Ok(Filter {
        field,
        ftype,
        op,
        test,
    })
}

fn eval<R: Resolver>(resolver: &R, node: &Node<R::Field>, doc: &R::Doc) -> bool {
    match node {
        Node::And(children) => children.iter().all(|c| eval(resolver, c, doc)),
        Node::Or(children) => children.iter().any(|c| eval(resolver, c, doc)),
        Node::Filter(filter) => {
            let inclusive = resolver.inclusive_bounds();
            let hit = resolver.any_value(doc, &filter.field, &mut |v| {
                positive_match(filter, v, inclusive)
            });
            if filter.op.negative() { !hit } else { hit }
        }
    }
}

fn val_as_f64(v: &Val) -> Option<f64> {
    match v {
        Val::Num(n) => Some(*n),
        Val::Str(s) => s.trim().parse().ok(),
        Val::Bool(b) => Some(*b as i64 as f64),
        Val::Null => None,
    }
}

fn equals(v: &Val, q: &QVal, ftype: FieldType) -> bool {
    match (v, q) {
        (Val::Null, QVal::Null) => true,
        (_, QVal::Null) | (Val::Null, _) => false,
        (Val::Bool(a), QVal::Bool(b)) => a == b,
        (Val::Str(s), QVal::Str(q)) if ftype == FieldType::Words => {
            words(s).any(|w| w.eq_ignore_ascii_case(q))
        }
        (Val::Str(s), QVal::Str(q)) => s.as_ref() == q.as_str(),
        (Val::Num(a), QVal::Str(q)) => q.trim().parse::<f64>().is_ok_and(|b| *a == b),
        (v, QVal::Num(b)) => val_as_f64(v).is_some_and(|a| a == *b),
        (Val::Bool(a), QVal::Str(q)) => q == if *a { "true" } else { "false" },
        _ => false,
    }
}

/// Words of an HTML body: tags stripped, split on anything not alphanumeric.
fn words(text: &str) -> impl Iterator<Item = &str> {
    let mut in_tag = false;
    text.split(move |c: char| {
        if c == '<' {
            in_tag = true;
            return true;
        }
        if c == '>' {
            in_tag = false;
            return true;
        }
        in_tag
            || !(c.is_alphanumeric() || c == '\'' || c == '@' || c == '.' || c == '-' || c == '_')
    })
    .map(|w| w.trim_matches(|c: char| c == '.' || c == '-'))
    .filter(|w| !w.is_empty())
}

fn positive_match(filter: &Filter<impl Clone>, v: &Val, inclusive: bool) -> bool {
    match &filter.test {
        Test::Range(from, to) => {
            let Some(t) = val_as_f64(v) else { return false };
            let t = t as i64;
            from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e)
        }
        Test::List(items) => items.iter().any(|q| equals(v, q, filter.ftype)),
        Test::Single(q) => match filter.op {
            Op::Eq | Op::Ne => equals(v, q, filter.ftype),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let (Some(a), QVal::Num(b)) = (val_as_f64(v), q) else {
                    return false;
                };
                match filter.op {
                    Op::Lt if !inclusive => a < *b,
                    Op::Gt if !inclusive => a > *b,
                    Op::Lt | Op::Le => a <= *b,
                    _ => a >= *b,
                }
            }
            Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => {
                let (Val::Str(s), QVal::Str(q)) = (v, q) else {
                    return false;
                };
                text_match(s, q, filter.op)
            }
            Op::In | Op::Nin => false,
        },
    }
}

/// Case-insensitive contains / starts-with / ends-with, without allocating for ASCII text.
fn text_match(text: &str, needle: &str, op: Op) -> bool {
    if !(text.is_ascii() && needle.is_ascii()) {
        let (text, needle) = (text.to_lowercase(), needle.to_lowercase());
        return match op {
            Op::StartsWith => text.starts_with(&needle),
            Op::EndsWith => text.ends_with(&needle),
            _ => text.contains(&needle),
        };
    }
    let (hay, pin) = (text.as_bytes(), needle.as_bytes());
    if pin.len() > hay.len() {
        return false;
    }
    match op {
        Op::StartsWith => hay[..pin.len()].eq_ignore_ascii_case(pin),
        Op::EndsWith => hay[hay.len() - pin.len()..].eq_ignore_ascii_case(pin),
        _ => pin.is_empty() || hay.windows(pin.len()).any(|w| w.eq_ignore_ascii_case(pin)),
    }
}

/// Follows a path of object keys.
pub fn path_value<'a>(doc: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = doc;
    for key in path {
        cur = cur.get(key.as_str())?;
    }
    Some(cur)
}

/// Splits `a.b.c` into owned keys.
pub fn split_path(name: &str) -> Vec<String> {
    name.split('.').map(str::to_string).collect()
}

/// Reads `{"pagination": {"per_page", "starting_after"}}` from a search body.
pub fn pagination(body: &Map<String, Value>) -> ApiResult<(Option<i64>, Option<String>)> {
    let Some(p) = body.get("pagination").filter(|p| !p.is_null()) else {
        return Ok((None, None));
    };
    let p = p
        .as_object()
        .ok_or_else(|| ApiError::invalid("pagination", "pagination must be an object"))?;
    let per_page = match p.get("per_page") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| {
            ApiError::invalid("pagination.per_page", "per_page must be an integer")
        })?),
    };
    let after = match p.get("starting_after") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(ApiError::invalid(
                "pagination.starting_after",
                "starting_after must be a string",
            ));
        }
    };
    Ok((per_page, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_strip_html_and_punctuation() {
        let found: Vec<&str> = words("<p>I need <b>support</b>, please.</p>").collect();
        assert_eq!(found, vec!["I", "need", "support", "please"]);
    }

    #[test]
    fn text_match_ignores_case() {
        assert!(text_match("Jane@Example.COM", "example.com", Op::Contains));
        assert!(text_match("Jane@Example.COM", "JANE", Op::StartsWith));
        assert!(text_match("Jane@Example.COM", ".com", Op::EndsWith));
        assert!(!text_match("Jane", "janet", Op::Contains));
        assert!(text_match("Ünïcode", "ÜNÏ", Op::StartsWith));
    }

    #[test]
    fn day_bounds_follow_the_time_zone() {
        // 2020-01-01 09:00 UTC.
        let ts = 1_577_869_200;
        assert_eq!(day_start(chrono_tz::UTC, ts), 1_577_836_800);
        assert_eq!(next_day_start(chrono_tz::UTC, ts), 1_577_836_800 + 86_400);
        // In New York (UTC-5) the same instant falls on Jan 1, starting at 05:00 UTC.
        assert_eq!(
            day_start(chrono_tz::America::New_York, ts),
            1_577_836_800 + 5 * 3600
        );
    }
}
