//! The API token, which never shows itself, and the scrubbing of it out of server text.

use std::fmt;

/// An API token. It never shows itself: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken {
    token: String,
    /// The ways a server may echo it, worked out once.
    forms: std::sync::Arc<[String]>,
}

impl SecretToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        let token = token.into();
        let forms = forms(&token).into();
        Self { token, forms }
    }

    /// The token itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.token
    }

    /// `text` with every occurrence of the token (as is, as JSON escapes it, and percent-encoded as
    /// a URL or a form carries it, in either case of hex digit) replaced by `***`.
    /// A token shorter than [`SecretToken::SHORT`] characters is replaced only where it stands as
    /// a word of its own, so that a test token such as `t` does not blank every letter t.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        self.scrub_in_place(&mut text);
        text
    }

    /// Below this many characters a token is scrubbed only as a whole word.
    pub const SHORT: usize = 8;

    pub(crate) fn scrub_in_place(&self, text: &mut String) {
        for form in self.forms.iter() {
            if !form.is_empty() && text.contains(form.as_str()) {
                *text = replace_token(text, form, form.chars().count() < Self::SHORT);
            }
        }
    }
}

/// The ways a server may echo a token: as is, JSON-escaped, percent-encoded (`+` or `%20` for a
/// space, upper- or lower-case hex digits).
fn forms(token: &str) -> Vec<String> {
    let escaped = serde_json::to_string(token).unwrap_or_default();
    let encoded: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let spaced = encoded.replace('+', "%20");
    // The JSON string without its own quotes (one each side: an escaped quote is the token's).
    let escaped = escaped.strip_prefix('"').and_then(|e| e.strip_suffix('"'));
    let mut forms = vec![token.to_owned(), escaped.unwrap_or_default().to_owned()];
    for form in [
        encoded.clone(),
        spaced.clone(),
        lower_hex(&encoded),
        lower_hex(&spaced),
    ] {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// `text` with the hex digits of its percent escapes in lower case.
fn lower_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut escape = 0;
    for c in text.chars() {
        if c == '%' {
            escape = 2;
            out.push(c);
        } else if escape > 0 {
            escape -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn replace_token(text: &str, token: &str, whole_words_only: bool) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(token) {
        let after = &rest[at + token.len()..];
        out.push_str(&rest[..at]);
        let bounded = !word(out.chars().next_back()) && !word(after.chars().next());
        out.push_str(if whole_words_only && !bounded {
            token
        } else {
            "***"
        });
        rest = after;
    }
    out.push_str(rest);
    out
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(***)")
    }
}

impl fmt::Display for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A connection string (a URL, or libpq's `key=value` form) with its password replaced by `***`,
/// for messages.
pub fn without_password(spec: &str) -> String {
    let mut text = spec.to_owned();
    if let Some(start) = text.find("://").map(|at| at + 3) {
        let end = text[start..]
            .find(['/', '?', '#'])
            .map_or(text.len(), |at| start + at);
        if let Some(at) = text[start..end].rfind('@')
            && let Some(colon) = text[start..start + at].find(':')
        {
            text.replace_range(start + colon + 1..start + at, "***");
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("password=") {
        let value = at + "password=".len();
        out.push_str(&rest[..value]);
        out.push_str("***");
        let end = rest[value..]
            .find([' ', '&'])
            .map_or(rest.len(), |stop| value + stop);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_left_out_of_connection_strings() {
        assert_eq!(
            without_password(
                "postgresql://sync:s3cr%40t@db.example.com:5432/calls?sslmode=require"
            ),
            "postgresql://sync:***@db.example.com:5432/calls?sslmode=require"
        );
        assert_eq!(
            without_password("host=db password=hunter2 user=sync"),
            "host=db password=*** user=sync"
        );
        assert_eq!(
            without_password("postgres://db/calls?password=x&a=1"),
            "postgres://db/calls?password=***&a=1"
        );
        assert_eq!(without_password("calls.db"), "calls.db");
    }

    #[test]
    fn every_echo_of_the_token_is_scrubbed() {
        let token = SecretToken::new("s3cr3t+/=tok en\"");
        for echo in [
            "s3cr3t+/=tok en\"",
            "s3cr3t+/=tok en\\\"",
            "s3cr3t%2B%2F%3Dtok+en%22",
            "s3cr3t%2B%2F%3Dtok%20en%22",
            "s3cr3t%2b%2f%3dtok+en%22",
            "s3cr3t%2b%2f%3dtok%20en%22",
        ] {
            let text = format!("echo: {echo}; end");
            assert_eq!(token.scrub(&text), "echo: ***; end", "{echo}");
        }
    }
}
