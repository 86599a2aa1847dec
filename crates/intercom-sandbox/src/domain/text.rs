//! Message bodies: plain text to Intercom's HTML and back.

/// Wraps plain text in `<p>` the way Intercom stores bodies; HTML passes through.
pub fn html_paragraph(text: &str) -> String {
    if text.trim_start().starts_with('<') {
        text.to_string()
    } else {
        format!("<p>{text}</p>")
    }
}

pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}
