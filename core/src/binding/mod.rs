//! The surface both language bindings are built on: what they receive turned into the core's
//! settings ([`coerce`]), the core's errors as one map of details ([`errors`]), the page a binding
//! hands out with its next query and walk ([`page`]), a client's settings ([`settings`]), and the
//! table of constants they export
//! ([`constants`]). A field, a knob, a default or an error detail is added here once; the Python
//! and Node bindings only convert values to and from their languages. Not part of the API.

pub mod coerce;
pub mod constants;
pub mod errors;
pub mod page;
pub mod settings;

/// A setting's name as a binding's users write it: as the core names it in Rust and Python,
/// in camelCase in Node (`ca_file` is `caFile`).
pub fn spelled(binding: &str, setting: &str) -> String {
    if binding != "node" {
        return setting.to_owned();
    }
    let mut words = setting.split('_');
    let mut name = words.next().unwrap_or_default().to_owned();
    for word in words {
        let mut letters = word.chars();
        if let Some(first) = letters.next() {
            name.extend(first.to_uppercase());
            name.push_str(letters.as_str());
        }
    }
    name
}

/// The level a binding logs a Rust log record at: this workspace's own at their level, any
/// dependency's at `Debug` (what a failed TLS handshake or connection says reaches the caller as
/// the error itself, so Python's last-resort handler prints nobody's warning twice, unasked).
pub fn log_level(target: &str, level: log::Level) -> log::Level {
    let ours = ["unpod_calllogs", "calllogs_"]
        .iter()
        .any(|crate_name| target.starts_with(crate_name));
    if ours {
        level
    } else {
        level.max(log::Level::Debug)
    }
}
