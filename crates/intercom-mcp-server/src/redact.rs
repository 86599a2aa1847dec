//! `--redact-pii`: masks email addresses and phone numbers in every tool
//! result (text and structured content), for teams whose assistants must not
//! see customers' contact details (GDPR/CCPA). One transform at the server's
//! output, so no tool can forget it.
//!
//! Emails keep their first character and domain (`j***@example.com`) so a
//! teammate can still tell contacts apart; phones keep the `+country` prefix
//! and the last three digits (`+44 ** **** *000`). In free text a phone is
//! recognised only with a leading `+` (bare digit runs are usually ids);
//! in structured content any value under a key naming a phone is masked.

use std::sync::LazyLock;

use regex::Regex;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z0-9._%+\-])[a-z0-9._%+\-]*@([a-z0-9\-]+(?:\.[a-z0-9\-]+)+)\b")
        .expect("email pattern")
});

static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+\d[\d\s().\-]{5,20}\d").expect("phone pattern"));

/// Masks every digit of a phone number except the country code (after a
/// leading `+`) and the last three digits.
fn mask_phone(phone: &str) -> String {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let country = if phone.trim_start().starts_with('+') {
        // Country codes are 1-3 digits; the first group up to a separator.
        phone
            .trim_start()
            .trim_start_matches('+')
            .chars()
            .take_while(char::is_ascii_digit)
            .count()
            .min(3)
    } else {
        0
    };
    let mut seen = 0;
    phone
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= country || seen > digits.saturating_sub(3) {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Masks emails and `+`-prefixed phone numbers in free text.
pub fn redact_text(text: &str) -> String {
    let masked = EMAIL.replace_all(text, "$1***@$2");
    PHONE
        .replace_all(&masked, |caps: &regex::Captures| mask_phone(&caps[0]))
        .into_owned()
}

fn is_phone_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("phone") || key == "mobile"
}

/// Masks emails everywhere and phone values under phone-named keys.
pub fn redact_value(value: &mut Value) {
    match value {
        Value::String(s) => *s = redact_text(s),
        Value::Array(items) => items.iter_mut().for_each(redact_value),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if is_phone_key(key) => {
                        *s = mask_phone(&redact_text(s));
                    }
                    _ => redact_value(v),
                }
            }
        }
        _ => {}
    }
}

/// Applies the masks to a whole tool result.
pub fn redact_result(result: &mut CallToolResult) {
    for content in result.content.iter_mut() {
        if let ContentBlock::Text(text) = content {
            text.text = redact_text(&text.text);
        }
    }
    if let Some(structured) = result.structured_content.as_mut() {
        redact_value(structured);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_and_phones_are_masked_in_text() {
        let out =
            redact_text("Ada <ada.king@example.com> called from +44 20 7946 0123 about #12345678");
        assert_eq!(
            out,
            "Ada <a***@example.com> called from +44 ** **** *123 about #12345678"
        );
    }

    #[test]
    fn structured_phone_fields_are_masked_even_without_a_plus() {
        let mut v = json!({"email": "j@x.io", "phone": "020 7946 0123", "id": "6543210987", "notes": ["mail bob@corp.example"]});
        redact_value(&mut v);
        assert_eq!(v["email"], "j***@x.io");
        assert_eq!(v["phone"], "*** **** *123");
        assert_eq!(v["id"], "6543210987", "ids stay usable");
        assert_eq!(v["notes"][0], "mail b***@corp.example");
    }
}
