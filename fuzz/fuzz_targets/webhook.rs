#![no_main]

use std::sync::LazyLock;

use intercom_mcp::mirror::SqliteStore;

/// One mirror per fuzzing process, on tmpfs where there is one (each delivery commits).
static STORE: LazyLock<SqliteStore> = LazyLock::new(|| {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("intercom-mcp-fuzz-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    SqliteStore::open(&path).expect("a scratch mirror opens")
});

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    intercom_mcp_fuzz::checks::webhook(data);
    intercom_mcp_fuzz::checks::webhook_payload(&*STORE, data);
});
