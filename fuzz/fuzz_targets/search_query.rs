#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| intercom_mcp_fuzz::checks::search_query(data));
