//! Work over a whole Intercom workspace, outside any one tool call's request:
//!
//! - [`analytics`]: support metrics for a period, from the mirror or the API, and their chart.
//! - [`bulk`]: bulk operations as resumable jobs, with their job store.

pub mod analytics;
pub mod bulk;
