//! Intercom ids: the [`Id`] type that cannot be empty, and the check an id passes
//! before it becomes a URL path segment.
//!
//! Every id the typed client puts in a path or a request body is an [`Id`], so a
//! request such as `DELETE /contacts/X/companies/` or `POST /contacts/X/tags {"id":""}`
//! cannot be built: the caller must first turn what it has (an argument, an id read
//! from an answer) into an [`Id`], and that is where a missing id becomes a clear error.

use std::fmt;

/// An Intercom object id: trimmed, never empty, and safe as a path segment (no `/`,
/// `?`, `#`, `%`, and not `.` or `..`, so `../admins` cannot reach another endpoint).
///
/// Serialises as a plain string; deserialising checks it like [`Id::new`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

/// Why a value is not an [`Id`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    /// What the id was for (`contact`, `tag 'vip'`), when the caller said.
    pub what: Option<String>,
    /// The value given (empty when none was).
    pub given: String,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let given = self.given.trim();
        match (&self.what, given.is_empty()) {
            (Some(what), true) => write!(
                f,
                "{what} has no id, so no request was sent; pass an id, or look the object up \
                 again (Intercom's answer may have left it out)"
            ),
            (Some(what), false) => write!(
                f,
                "`{given}` is not a valid id for {what}; ids are letters, digits, `-` and `_`"
            ),
            (None, true) => f.write_str(
                "an id is empty, so no request was sent; pass the object's id (letters, digits, \
                 `-` and `_`)",
            ),
            (None, false) => write!(
                f,
                "`{given}` is not a valid Intercom id; ids are letters, digits, `-` and `_`"
            ),
        }
    }
}

impl std::error::Error for IdError {}

impl Id {
    /// Checks `raw` (trimmed) and wraps it.
    pub fn new(raw: impl AsRef<str>) -> Result<Id, IdError> {
        let raw = raw.as_ref();
        match path_id(raw) {
            Ok(id) => Ok(Id(id.to_owned())),
            Err(_) => Err(IdError {
                what: None,
                given: raw.to_owned(),
            }),
        }
    }

    /// Like [`Id::new`], naming what the id is for in the error (`the tag 'vip'`).
    pub fn named(raw: impl AsRef<str>, what: impl Into<String>) -> Result<Id, IdError> {
        Id::new(raw).map_err(|mut e| {
            e.what = Some(what.into());
            e
        })
    }

    /// An id that may be missing (an optional field of an Intercom answer): `None` and
    /// blank are errors naming `what`.
    pub fn required(raw: Option<impl AsRef<str>>, what: impl Into<String>) -> Result<Id, IdError> {
        match raw {
            Some(raw) => Id::named(raw, what),
            None => Err(IdError {
                what: Some(what.into()),
                given: String::new(),
            }),
        }
    }

    /// A numeric id (admin and team ids are integers in some answers).
    pub fn from_number(n: u64) -> Id {
        Id(n.to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Id {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Id::new(s)
    }
}

impl TryFrom<&str> for Id {
    type Error = IdError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Id::new(s)
    }
}

impl TryFrom<String> for Id {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Id::new(s)
    }
}

impl TryFrom<&String> for Id {
    type Error = IdError;
    fn try_from(s: &String) -> Result<Self, Self::Error> {
        Id::new(s)
    }
}

impl From<&Id> for Id {
    fn from(id: &Id) -> Self {
        id.clone()
    }
}

impl From<Id> for String {
    fn from(id: Id) -> Self {
        id.0
    }
}

impl From<Id> for serde_json::Value {
    fn from(id: Id) -> Self {
        serde_json::Value::String(id.0)
    }
}

impl From<&Id> for serde_json::Value {
    fn from(id: &Id) -> Self {
        serde_json::Value::String(id.0.clone())
    }
}

/// An object's id as text, whether Intercom sent it as a string or a number; `None` when
/// it is absent, null, blank or another type. The one reading of an id from raw JSON.
pub fn id_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// [`id_text`] as an [`Id`] (`None` also when the text is not a valid id).
pub fn id_of(value: &serde_json::Value) -> Option<Id> {
    id_text(value).and_then(|s| Id::new(s).ok())
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl serde::Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-empty id (string or integer)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Id, E> {
                Id::new(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id::from_number(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Id, E> {
                Id::new(v.to_string()).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Check an id before it becomes a path segment, so `../admins` cannot reach
/// another endpoint. Returns the trimmed id, or a message for whoever gave it.
pub fn path_id(id: &str) -> Result<&str, String> {
    let id = id.trim();
    if id.is_empty() || id.contains(['/', '?', '#', '%']) || id == "." || id == ".." {
        return Err(format!(
            "`{id}` is not a valid Intercom id; ids are letters, digits, `-` and `_`"
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::{Id, path_id};

    const BAD: [&str; 9] = [
        "",
        " ",
        "..",
        ".",
        "1/2",
        "../admins",
        "1?x=2",
        "1#a",
        "%2e%2e",
    ];

    #[test]
    fn path_ids_cannot_escape() {
        assert_eq!(path_id(" 123 "), Ok("123"));
        assert!(path_id("6643a1b2c3").is_ok());
        for bad in BAD {
            assert!(path_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_id_cannot_be_empty_or_escape() {
        assert_eq!(Id::new(" 6643a1 ").unwrap().as_str(), "6643a1");
        for bad in BAD {
            assert!(Id::new(bad).is_err(), "{bad}");
        }
        let missing = Id::required(None::<&str>, "the tag `vip`").unwrap_err();
        assert!(
            missing.to_string().contains("the tag `vip` has no id"),
            "{missing}"
        );
        let blank = Id::required(Some(""), "company Acme").unwrap_err();
        assert!(
            blank.to_string().contains("company Acme has no id"),
            "{blank}"
        );
    }

    #[test]
    fn ids_serialise_as_strings_and_are_checked_when_read() {
        let id = Id::new("42").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"42\"");
        assert_eq!(serde_json::from_str::<Id>("42").unwrap(), id);
        assert_eq!(serde_json::from_str::<Id>("\"42\"").unwrap(), id);
        assert!(serde_json::from_str::<Id>("\"\"").is_err());
        assert!(serde_json::from_str::<Id>("null").is_err());
    }
}
