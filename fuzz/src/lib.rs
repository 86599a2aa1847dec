//! Fuzzing support: the checks each target runs.
pub mod checks;
