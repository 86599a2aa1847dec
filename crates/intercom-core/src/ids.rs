//! Ids that become URL path segments.

/// Check an id before it becomes a path segment, so `../admins` cannot reach
/// another endpoint. Returns the trimmed id, or a message for whoever gave it.
pub fn path_id(id: &str) -> Result<&str, String> {
    let id = id.trim();
    if id.is_empty() || id.contains(['/', '?', '#', '%']) || id == "." || id == ".." {
        return Err(format!(
            "`{id}` is not a valid Intercom id; ids are letters, digits, `-` and `_`"
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::path_id;

    #[test]
    fn path_ids_cannot_escape() {
        assert_eq!(path_id(" 123 "), Ok("123"));
        assert!(path_id("6643a1b2c3").is_ok());
        for bad in [
            "",
            " ",
            "..",
            ".",
            "1/2",
            "../admins",
            "1?x=2",
            "1#a",
            "%2e%2e",
        ] {
            assert!(path_id(bad).is_err(), "{bad}");
        }
    }
}
