//! intercom-automations' integration tests, one binary: rules end to end against the sandbox.

mod automations_e2e;
mod run_log_failures;
