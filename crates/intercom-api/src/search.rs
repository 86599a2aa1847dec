//! Typed builder for Intercom search queries, validated before sending.
//!
//! ```
//! use intercom_api::SearchQuery;
//! let q = SearchQuery::and([
//!     SearchQuery::field("state").eq("open"),
//!     SearchQuery::field("admin_assignee_id").eq(0),
//! ]);
//! q.validate().unwrap();
//! ```

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Number, Value, json};

use crate::error::{Error, Result};

/// Most filters (or groups) one group may hold.
pub const MAX_FILTERS_PER_GROUP: usize = 15;
/// Deepest allowed nesting of groups (a group inside a group).
pub const MAX_NESTING: usize = 2;

/// A filter operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `IN` (array value)
    In,
    /// `NIN` (array value)
    Nin,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `~` contains (string value)
    Contains,
    /// `!~` does not contain (string value)
    NotContains,
    /// `^` starts with (string value)
    StartsWith,
    /// `$` ends with (string value)
    EndsWith,
}

impl Operator {
    /// Every operator.
    pub const ALL: [Operator; 12] = [
        Operator::Eq,
        Operator::Ne,
        Operator::In,
        Operator::Nin,
        Operator::Lt,
        Operator::Le,
        Operator::Gt,
        Operator::Ge,
        Operator::Contains,
        Operator::NotContains,
        Operator::StartsWith,
        Operator::EndsWith,
    ];

    /// The wire symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Ne => "!=",
            Operator::In => "IN",
            Operator::Nin => "NIN",
            Operator::Lt => "<",
            Operator::Le => "<=",
            Operator::Gt => ">",
            Operator::Ge => ">=",
            Operator::Contains => "~",
            Operator::NotContains => "!~",
            Operator::StartsWith => "^",
            Operator::EndsWith => "$",
        }
    }

    /// Parses a wire symbol (`IN`/`NIN` case-insensitively).
    pub fn parse(symbol: &str) -> Option<Operator> {
        let s = symbol.trim();
        Operator::ALL
            .into_iter()
            .find(|op| op.symbol().eq_ignore_ascii_case(s))
    }

    fn needs_array(self) -> bool {
        matches!(self, Operator::In | Operator::Nin)
    }

    fn needs_string(self) -> bool {
        matches!(
            self,
            Operator::Contains | Operator::NotContains | Operator::StartsWith | Operator::EndsWith
        )
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A filter value.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchValue {
    /// `null` (e.g. "no snooze time").
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (integers and timestamps included).
    Number(Number),
    /// A string.
    String(String),
    /// An array, for `IN`/`NIN`.
    Array(Vec<SearchValue>),
}

impl SearchValue {
    fn to_json(&self) -> Value {
        match self {
            SearchValue::Null => Value::Null,
            SearchValue::Bool(b) => Value::Bool(*b),
            SearchValue::Number(n) => Value::Number(n.clone()),
            SearchValue::String(s) => Value::String(s.clone()),
            SearchValue::Array(items) => Value::Array(items.iter().map(Self::to_json).collect()),
        }
    }

    /// Converts JSON; objects are not filter values.
    pub fn from_json(value: &Value) -> Option<SearchValue> {
        Some(match value {
            Value::Null => SearchValue::Null,
            Value::Bool(b) => SearchValue::Bool(*b),
            Value::Number(n) => SearchValue::Number(n.clone()),
            Value::String(s) => SearchValue::String(s.clone()),
            Value::Array(items) => SearchValue::Array(
                items
                    .iter()
                    .map(SearchValue::from_json)
                    .collect::<Option<Vec<_>>>()?,
            ),
            Value::Object(_) => return None,
        })
    }

    fn kind(&self) -> &'static str {
        match self {
            SearchValue::Null => "null",
            SearchValue::Bool(_) => "a boolean",
            SearchValue::Number(_) => "a number",
            SearchValue::String(_) => "a string",
            SearchValue::Array(_) => "an array",
        }
    }
}

impl From<&str> for SearchValue {
    fn from(v: &str) -> Self {
        SearchValue::String(v.to_owned())
    }
}
impl From<String> for SearchValue {
    fn from(v: String) -> Self {
        SearchValue::String(v)
    }
}
impl From<&String> for SearchValue {
    fn from(v: &String) -> Self {
        SearchValue::String(v.clone())
    }
}
impl From<intercom_core::ids::Id> for SearchValue {
    fn from(v: intercom_core::ids::Id) -> Self {
        SearchValue::String(v.into_string())
    }
}
impl From<&intercom_core::ids::Id> for SearchValue {
    fn from(v: &intercom_core::ids::Id) -> Self {
        SearchValue::String(v.as_str().to_owned())
    }
}
impl From<bool> for SearchValue {
    fn from(v: bool) -> Self {
        SearchValue::Bool(v)
    }
}
macro_rules! number_value {
    ($($t:ty),*) => {$(
        impl From<$t> for SearchValue {
            fn from(v: $t) -> Self {
                SearchValue::Number(Number::from(v))
            }
        }
    )*};
}
number_value!(i32, i64, u32, u64, usize);
impl From<f64> for SearchValue {
    fn from(v: f64) -> Self {
        Number::from_f64(v).map_or(SearchValue::Null, SearchValue::Number)
    }
}
impl<T: Into<SearchValue>> From<Vec<T>> for SearchValue {
    fn from(v: Vec<T>) -> Self {
        SearchValue::Array(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<SearchValue>> From<Option<T>> for SearchValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SearchValue::Null, Into::into)
    }
}

/// A search query: one filter, or an AND/OR group of queries.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchQuery {
    /// `{field, operator, value}`
    Filter {
        /// Field name, e.g. `state`, `source.author.email`, `custom_attributes.plan`.
        field: String,
        /// Operator.
        operator: Operator,
        /// Value.
        value: SearchValue,
    },
    /// `{operator: "AND", value: [...]}`
    And(Vec<SearchQuery>),
    /// `{operator: "OR", value: [...]}`
    Or(Vec<SearchQuery>),
}

/// Half-built filter returned by [`SearchQuery::field`].
#[derive(Debug, Clone)]
pub struct FieldRef {
    field: String,
}

impl FieldRef {
    /// Any operator.
    pub fn op(self, operator: Operator, value: impl Into<SearchValue>) -> SearchQuery {
        SearchQuery::Filter {
            field: self.field,
            operator,
            value: value.into(),
        }
    }
    /// `=`
    pub fn eq(self, v: impl Into<SearchValue>) -> SearchQuery {
        self.op(Operator::Eq, v)
    }
    /// `!=`
    pub fn ne(self, v: impl Into<SearchValue>) -> SearchQuery {
        self.op(Operator::Ne, v)
    }
    /// `IN`
    pub fn is_in<T: Into<SearchValue>>(self, v: impl IntoIterator<Item = T>) -> SearchQuery {
        self.op(
            Operator::In,
            SearchValue::Array(v.into_iter().map(Into::into).collect()),
        )
    }
    /// `NIN`
    pub fn not_in<T: Into<SearchValue>>(self, v: impl IntoIterator<Item = T>) -> SearchQuery {
        self.op(
            Operator::Nin,
            SearchValue::Array(v.into_iter().map(Into::into).collect()),
        )
    }
    /// `<`
    pub fn lt(self, v: impl Into<SearchValue>) -> SearchQuery {
        self.op(Operator::Lt, v)
    }
    /// `<=`
    pub fn le(self, v: impl Into<SearchValue>) -> SearchQuery {
        self.op(Operator::Le, v)
    }
    /// `>`
    pub fn gt(self, v: impl Into<SearchValue>) -> SearchQuery {
        self.op(Operator::Gt, v)
    }
    /// `>=`
    pub fn ge(self, v: impl Into<SearchValue>) -> SearchQuery {
        self.op(Operator::Ge, v)
    }
    /// `~` contains
    pub fn contains(self, v: impl Into<String>) -> SearchQuery {
        self.op(Operator::Contains, SearchValue::String(v.into()))
    }
    /// `!~` does not contain
    pub fn not_contains(self, v: impl Into<String>) -> SearchQuery {
        self.op(Operator::NotContains, SearchValue::String(v.into()))
    }
    /// `^` starts with
    pub fn starts_with(self, v: impl Into<String>) -> SearchQuery {
        self.op(Operator::StartsWith, SearchValue::String(v.into()))
    }
    /// `$` ends with
    pub fn ends_with(self, v: impl Into<String>) -> SearchQuery {
        self.op(Operator::EndsWith, SearchValue::String(v.into()))
    }
}

impl SearchQuery {
    /// Starts a filter on a field.
    pub fn field(name: impl Into<String>) -> FieldRef {
        FieldRef { field: name.into() }
    }

    /// An AND group.
    pub fn and(items: impl IntoIterator<Item = SearchQuery>) -> SearchQuery {
        SearchQuery::And(items.into_iter().collect())
    }

    /// An OR group.
    pub fn or(items: impl IntoIterator<Item = SearchQuery>) -> SearchQuery {
        SearchQuery::Or(items.into_iter().collect())
    }

    /// Group nesting depth: 0 for a filter, 1 for a group of filters, 2 for a group of groups.
    pub fn depth(&self) -> usize {
        match self {
            SearchQuery::Filter { .. } => 0,
            SearchQuery::And(v) | SearchQuery::Or(v) => {
                1 + v.iter().map(SearchQuery::depth).max().unwrap_or(0)
            }
        }
    }

    /// The first filter in this query, for naming a group in messages.
    fn first_filter(&self) -> Option<(&str, Operator)> {
        match self {
            SearchQuery::Filter {
                field, operator, ..
            } => Some((field, *operator)),
            SearchQuery::And(v) | SearchQuery::Or(v) => v.iter().find_map(Self::first_filter),
        }
    }

    fn describe(&self) -> String {
        match self {
            SearchQuery::Filter {
                field, operator, ..
            } => format!("filter `{field} {operator}`"),
            SearchQuery::And(_) | SearchQuery::Or(_) => {
                let kind = if matches!(self, SearchQuery::And(_)) {
                    "AND"
                } else {
                    "OR"
                };
                match self.first_filter() {
                    Some((f, op)) => format!("{kind} group starting with filter `{f} {op}`"),
                    None => format!("empty {kind} group"),
                }
            }
        }
    }

    /// Checks Intercom's rules: at most [`MAX_NESTING`] levels, at most [`MAX_FILTERS_PER_GROUP`]
    /// entries per group, no empty groups or field names, `IN`/`NIN` with arrays only, `~ !~ ^ $`
    /// with strings only. The error names the offending filter (field and operator).
    pub fn validate(&self) -> Result<()> {
        self.validate_at(1)
    }

    /// `level` is the nesting level this node would occupy if it is a group.
    fn validate_at(&self, level: usize) -> Result<()> {
        match self {
            SearchQuery::Filter {
                field,
                operator,
                value,
            } => {
                if field.trim().is_empty() {
                    return Err(Error::InvalidQuery(format!(
                        "a filter with operator `{operator}` has an empty field name"
                    )));
                }
                if operator.needs_array() && !matches!(value, SearchValue::Array(_)) {
                    return Err(Error::InvalidQuery(format!(
                        "filter `{field} {operator}` needs an array value, got {}",
                        value.kind()
                    )));
                }
                if operator.needs_string() && !matches!(value, SearchValue::String(_)) {
                    return Err(Error::InvalidQuery(format!(
                        "filter `{field} {operator}` works on strings only, got {}",
                        value.kind()
                    )));
                }
                if let SearchValue::Array(items) = value {
                    if !operator.needs_array() {
                        return Err(Error::InvalidQuery(format!(
                            "filter `{field} {operator}` takes a single value; use IN or NIN for \
                             an array"
                        )));
                    }
                    if items.iter().any(|i| matches!(i, SearchValue::Array(_))) {
                        return Err(Error::InvalidQuery(format!(
                            "filter `{field} {operator}` has an array nested in its array value"
                        )));
                    }
                }
                Ok(())
            }
            SearchQuery::And(items) | SearchQuery::Or(items) => {
                if level > MAX_NESTING {
                    return Err(Error::InvalidQuery(format!(
                        "{} is nested {level} levels deep; Intercom allows at most {MAX_NESTING}",
                        self.describe()
                    )));
                }
                if items.is_empty() {
                    return Err(Error::InvalidQuery(format!(
                        "{} has no filters",
                        self.describe()
                    )));
                }
                if items.len() > MAX_FILTERS_PER_GROUP {
                    return Err(Error::InvalidQuery(format!(
                        "{} holds {} entries; Intercom allows at most {MAX_FILTERS_PER_GROUP} per \
                         group (the first one over the limit is {})",
                        self.describe(),
                        items.len(),
                        items[MAX_FILTERS_PER_GROUP].describe()
                    )));
                }
                items.iter().try_for_each(|q| q.validate_at(level + 1))
            }
        }
    }

    /// The JSON Intercom expects.
    pub fn to_json(&self) -> Value {
        match self {
            SearchQuery::Filter {
                field,
                operator,
                value,
            } => json!({"field": field, "operator": operator.symbol(), "value": value.to_json()}),
            SearchQuery::And(items) => {
                json!({"operator": "AND", "value": items.iter().map(Self::to_json).collect::<Vec<_>>()})
            }
            SearchQuery::Or(items) => {
                json!({"operator": "OR", "value": items.iter().map(Self::to_json).collect::<Vec<_>>()})
            }
        }
    }

    /// Parses Intercom-shaped JSON (as a tool argument) into a validated query.
    pub fn from_json(value: &Value) -> Result<SearchQuery> {
        let query = Self::parse_node(value, "query")?;
        query.validate()?;
        Ok(query)
    }

    fn parse_node(value: &Value, at: &str) -> Result<SearchQuery> {
        let obj = value.as_object().ok_or_else(|| {
            Error::InvalidQuery(format!(
                "{at} must be an object like {{\"field\",\"operator\",\"value\"}} or \
                 {{\"operator\":\"AND\",\"value\":[...]}}"
            ))
        })?;
        let operator = obj.get("operator").and_then(Value::as_str).ok_or_else(|| {
            let field = obj.get("field").and_then(Value::as_str).unwrap_or("?");
            Error::InvalidQuery(format!("{at} (field `{field}`) has no string \"operator\""))
        })?;
        match obj.get("field") {
            None => {
                let group = operator.trim().to_ascii_uppercase();
                if group != "AND" && group != "OR" {
                    return Err(Error::InvalidQuery(format!(
                        "{at} has operator `{operator}` but no \"field\"; groups use AND or OR"
                    )));
                }
                let items = obj.get("value").and_then(Value::as_array).ok_or_else(|| {
                    Error::InvalidQuery(format!("{group} group at {at} needs an array \"value\""))
                })?;
                let children = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Self::parse_node(v, &format!("{at}.value[{i}]")))
                    .collect::<Result<Vec<_>>>()?;
                Ok(if group == "AND" {
                    SearchQuery::And(children)
                } else {
                    SearchQuery::Or(children)
                })
            }
            Some(field) => {
                let field = field.as_str().ok_or_else(|| {
                    Error::InvalidQuery(format!("{at} has a \"field\" that is not a string"))
                })?;
                let op = Operator::parse(operator).ok_or_else(|| {
                    Error::InvalidQuery(format!(
                        "filter `{field} {operator}` uses an unknown operator; use one of \
                         = != IN NIN < <= > >= ~ !~ ^ $"
                    ))
                })?;
                let raw = obj.get("value").unwrap_or(&Value::Null);
                let value = SearchValue::from_json(raw).ok_or_else(|| {
                    Error::InvalidQuery(format!(
                        "filter `{field} {op}` has an object as value; use a string, number, \
                         boolean, null or array"
                    ))
                })?;
                Ok(SearchQuery::Filter {
                    field: field.to_owned(),
                    operator: op,
                    value,
                })
            }
        }
    }
}

impl Serialize for SearchQuery {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// Sort direction (contacts search only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Ascending.
    Ascending,
    /// Descending.
    Descending,
}

/// Sort of a contacts search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchSort {
    /// Field to sort on.
    pub field: String,
    /// Direction.
    pub order: SortOrder,
}

/// A search request: query, page size, cursor and (contacts only) sort.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The query.
    pub query: SearchQuery,
    /// Results per page (Intercom: max 150).
    pub per_page: Option<u32>,
    /// Cursor from the previous page's `next_cursor`.
    pub starting_after: Option<String>,
    /// Sort (contacts only; ignored by conversations/tickets).
    pub sort: Option<SearchSort>,
}

impl SearchRequest {
    /// A request for the first page.
    pub fn new(query: SearchQuery) -> Self {
        SearchRequest {
            query,
            per_page: None,
            starting_after: None,
            sort: None,
        }
    }

    /// Sets the page size.
    pub fn per_page(mut self, n: u32) -> Self {
        self.per_page = Some(n);
        self
    }

    /// Sets the cursor.
    pub fn starting_after(mut self, cursor: impl Into<String>) -> Self {
        self.starting_after = Some(cursor.into());
        self
    }

    /// Sets the sort (contacts only).
    pub fn sort(mut self, field: impl Into<String>, order: SortOrder) -> Self {
        self.sort = Some(SearchSort {
            field: field.into(),
            order,
        });
        self
    }

    /// Validates the query and builds the body.
    pub fn to_body(&self) -> Result<Value> {
        self.query.validate()?;
        let mut body = Map::new();
        body.insert("query".into(), self.query.to_json());
        if self.per_page.is_some() || self.starting_after.is_some() {
            let mut p = Map::new();
            if let Some(n) = self.per_page {
                p.insert("per_page".into(), json!(n));
            }
            if let Some(c) = &self.starting_after {
                p.insert("starting_after".into(), json!(c));
            }
            body.insert("pagination".into(), Value::Object(p));
        }
        if let Some(sort) = &self.sort {
            body.insert(
                "sort".into(),
                serde_json::to_value(sort).unwrap_or(Value::Null),
            );
        }
        Ok(Value::Object(body))
    }
}

impl From<SearchQuery> for SearchRequest {
    fn from(q: SearchQuery) -> Self {
        SearchRequest::new(q)
    }
}
