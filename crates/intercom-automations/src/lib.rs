//! Automations: rules that react to Intercom events (webhooks and sync changes)
//! with actions such as tagging, assigning, notes, replies and signed outbound POSTs.
//!
//! - `parse`: the TOML rules file, every error with its line (`automations check`).
//! - `condition`, `context`, `template`: what a rule sees and how it decides.
//! - `actions`, `outbound`: doing what a rule says (or describing it, in dry run).
//! - `runlog`: the run log in the mirror's SQLite file; a unique (event, rule) key
//!   claimed before acting makes every rule run at most once per event.
//! - `engine`: reads events in order, guards against loops, retries, records.

pub mod actions;
pub mod condition;
pub mod context;
pub mod engine;
pub mod outbound;
pub mod parse;
pub mod report;
pub mod rules;
pub mod runlog;
pub mod template;

pub use condition::{ConditionOutcome, evaluate};
pub use context::{Event, EventContext, RuleDirectory};
pub use engine::{Engine, EngineError, RunReport, TestReport};
pub use parse::{RuleError, RuleErrors, load_rules, parse_rules};
pub use rules::{ObjectType, Rule, RuleSet, Settings};
pub use runlog::{
    LogFilter, RunLog, RunLogError, RunLogFuture, RunRecord, RunStatus, SqliteRunLog, parse_status,
};

/// Environment variable naming the rules file (same as `--automations`).
pub const AUTOMATIONS_ENV: &str = "INTERCOM_MCP_AUTOMATIONS";
