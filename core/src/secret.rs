//! The API token, which never shows itself, and the scrubbing of it out of server text.

use std::fmt;

/// An API token. It never shows itself: `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token (as is, and as JSON escapes it) replaced by `***`.
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
        let escaped = serde_json::to_string(&self.0).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        for form in [self.0.as_str(), escaped] {
            if !form.is_empty() && text.contains(form) {
                *text = replace_token(text, form, form.chars().count() < Self::SHORT);
            }
        }
    }
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
