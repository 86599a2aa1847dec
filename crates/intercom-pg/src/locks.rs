//! Advisory lock keys this crate takes, in the two-int key space (`pg_advisory_lock(int, int)`),
//! which never collides with the one-bigint space that [`crate::Leadership`] uses for names.

/// First key: every lock of intercom-mcp.
pub(crate) const NAMESPACE: i32 = 0x1C0_4D50;
/// Serializes schema migrations.
pub(crate) const MIGRATIONS: i32 = 1;
/// Serializes event appends, so sequence numbers become visible in order.
pub(crate) const EVENT_APPEND: i32 = 2;
