//! Small pieces every layer of intercom-mcp shares, with no dependency on any of them.
//!
//! - [`dates`]: workspace time zones and the date words tools and commands accept.
//! - [`ids`]: checks an id before it becomes part of a URL path.

pub mod dates;
pub mod ids;
