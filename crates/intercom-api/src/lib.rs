//! Typed async client for Intercom REST API 2.16.
