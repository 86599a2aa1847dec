//! The workspace's domain operations: what a write does to the store (parts, states,
//! statistics, links, tags). Routes parse requests and shape answers; the activity generator
//! plays customers and teammates; both change the workspace only through these functions, so
//! route modules never call one another.

pub mod contacts;
pub mod conversations;
pub mod text;
pub mod tickets;
