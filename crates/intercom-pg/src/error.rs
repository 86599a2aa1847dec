//! Errors in words a person (or a model) can act on. No message carries the database password:
//! every driver message that reaches one goes through [`Redactor`] first.

use std::fmt;

/// What went wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection URL or options cannot be used.
    #[error("the PostgreSQL store setting is not usable: {0}")]
    Config(String),
    /// No connection could be made (server down, wrong address, refused credentials).
    #[error(
        "could not connect to PostgreSQL at {target}: {detail}. Check that the server is running, \
         that the address, user and database in the store URL are right, and that its password is accepted"
    )]
    Connect { target: String, detail: String },
    /// A schema migration failed; the transaction was rolled back, nothing of it applied.
    #[error("PostgreSQL schema migration {version} ({name}) failed and was rolled back: {detail}")]
    Migration {
        version: i32,
        name: &'static str,
        detail: String,
    },
    /// The database carries a schema newer than this binary knows.
    #[error(
        "the PostgreSQL database has schema version {found}, newer than this binary's {known}: \
         run a release at least as new as the one that migrated it"
    )]
    SchemaTooNew { found: i32, known: i32 },
    /// A statement failed.
    #[error("PostgreSQL could not {what}: {detail}")]
    Query { what: &'static str, detail: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Removes the password from driver messages (a driver could echo a connection string).
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    password: Option<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor")
    }
}

impl Redactor {
    pub(crate) fn new(password: Option<&[u8]>) -> Self {
        Redactor {
            password: password
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .filter(|p| !p.is_empty()),
        }
    }

    pub(crate) fn clean(&self, message: impl fmt::Display) -> String {
        let text = message.to_string();
        match &self.password {
            Some(p) => text.replace(p.as_str(), "********"),
            None => text,
        }
    }

    /// A failed statement, described as what the caller was doing.
    pub(crate) fn query(
        &self,
        what: &'static str,
        err: &(dyn std::error::Error + 'static),
    ) -> Error {
        Error::Query {
            what,
            detail: self.clean(describe(err)),
        }
    }
}

/// An error and its causes in one line: the driver's own `Display` says only "db error" or
/// "error connecting to server", the server's message and the OS error are in the causes.
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_masked() {
        let r = Redactor::new(Some(b"s3cret"));
        assert_eq!(
            r.clean("postgres://app:s3cret@db/x refused"),
            "postgres://app:********@db/x refused"
        );
        assert_eq!(Redactor::new(None).clean("plain"), "plain");
    }
}
