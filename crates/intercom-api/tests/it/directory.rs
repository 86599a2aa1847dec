//! The shared workspace directory against a scripted Intercom: an unusable answer (no
//! admins, or tags that cannot be read) is never kept, a usable one is kept for the TTL,
//! and an expired one is read again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use intercom_api::DirectoryCache;
use serde_json::json;

use crate::common::{client_with, error_body, fast_retry, ok, reply, scripted};

fn admins_path(path: &str) -> bool {
    path.ends_with("/admins")
}

#[tokio::test]
async fn an_answer_without_admins_is_never_kept_and_a_good_one_is() {
    let admin_reads = Arc::new(AtomicUsize::new(0));
    let seen = admin_reads.clone();
    let server = scripted(move |req, _| {
        let seen = seen.clone();
        async move {
            if admins_path(&req.path) {
                // The first answer lists nobody; later ones list Ann.
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let admins = if n == 0 {
                    json!([])
                } else {
                    json!([{"type": "admin", "id": "7", "name": "Ann Lee", "email": "ann@example.com"}])
                };
                ok(json!({"type": "admin.list", "admins": admins}))
            } else if req.path.ends_with("/teams") {
                ok(json!({"type": "team.list", "teams": [{"type": "team", "id": "3", "name": "Billing"}]}))
            } else {
                ok(json!({"type": "list", "data": [{"type": "tag", "id": "90", "name": "VIP"}]}))
            }
        }
    })
    .await;
    let client = client_with(&server.base, fast_retry(1), Duration::from_secs(5));
    let cache = DirectoryCache::new(client);

    let first = cache.get().await.unwrap();
    assert!(first.admins.is_empty());
    let second = cache.get().await.unwrap();
    assert_eq!(
        admin_reads.load(Ordering::SeqCst),
        2,
        "the empty answer was kept"
    );
    assert_eq!(second.find_admin("ann").unwrap().id, "7");
    let third = cache.get().await.unwrap();
    assert_eq!(
        admin_reads.load(Ordering::SeqCst),
        2,
        "a usable answer is kept"
    );
    assert!(Arc::ptr_eq(&second, &third));
    assert_eq!(third.find_team("bill").unwrap().id, "3");
}

#[tokio::test]
async fn unreadable_tags_leave_names_usable_but_are_not_kept() {
    let tag_reads = Arc::new(AtomicUsize::new(0));
    let seen = tag_reads.clone();
    let server = scripted(move |req, _| {
        let seen = seen.clone();
        async move {
            if admins_path(&req.path) {
                ok(json!({"type": "admin.list", "admins": [{"type": "admin", "id": "7", "name": "Ann Lee"}]}))
            } else if req.path.ends_with("/teams") {
                ok(json!({"type": "team.list", "teams": []}))
            } else {
                seen.fetch_add(1, Ordering::SeqCst);
                reply(403, error_body("forbidden", "no tags scope"), &[])
            }
        }
    })
    .await;
    let client = client_with(&server.base, fast_retry(1), Duration::from_secs(5));
    let cache = DirectoryCache::new(client);
    let dir = cache.get().await.unwrap();
    assert!(dir.tags_unavailable && dir.tags.is_empty());
    assert_eq!(dir.find_admin("Ann").unwrap().id, "7");
    cache.get().await.unwrap();
    assert_eq!(
        tag_reads.load(Ordering::SeqCst),
        2,
        "a directory without tags was kept"
    );
}

#[tokio::test]
async fn a_kept_directory_expires_and_a_failed_refresh_falls_back_only_when_asked() {
    let reads = Arc::new(AtomicUsize::new(0));
    let seen = reads.clone();
    let server = scripted(move |req, _| {
        let seen = seen.clone();
        async move {
            if admins_path(&req.path) {
                // The second round of reads fails.
                if seen.fetch_add(1, Ordering::SeqCst) == 1 {
                    return reply(500, error_body("server_error", "boom"), &[]);
                }
                ok(json!({"type": "admin.list", "admins": [{"type": "admin", "id": "7", "name": "Ann Lee"}]}))
            } else if req.path.ends_with("/teams") {
                ok(json!({"type": "team.list", "teams": []}))
            } else {
                ok(json!({"type": "list", "data": []}))
            }
        }
    })
    .await;
    let client = client_with(&server.base, fast_retry(1), Duration::from_secs(5));
    let cache = DirectoryCache::with_ttl(client, Duration::from_millis(50));
    cache.get().await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    // Expired: read again; that read fails; the stale copy serves only `get_or_stale`.
    let stale = cache.get_or_stale().await.unwrap();
    assert_eq!(reads.load(Ordering::SeqCst), 2);
    assert_eq!(stale.admins.len(), 1);
    let fresh = cache.get().await.unwrap();
    assert_eq!(reads.load(Ordering::SeqCst), 3);
    assert_eq!(fresh.admins.len(), 1);
}
