//! The surface both language bindings are built on: what they receive turned into the core's
//! settings ([`coerce`]), the core's errors as one map of details ([`errors`]), the page a binding
//! hands out with its next query and walk ([`page`]), a client's settings ([`settings`]), and the
//! table of constants they export
//! ([`constants`]). A field, a knob, a default or an error detail is added here once; the Python
//! and Node bindings only convert values to and from their languages. Not part of the API.

pub mod coerce;
pub mod constants;
pub mod errors;
pub mod events;
pub mod export;
pub mod page;
pub mod settings;
pub mod sync;

/// A progress callback as a binding gives it: the progress as JSON.
pub type OnProgress = Box<dyn Fn(String) + Send + Sync>;

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

/// What to do about a filter the server did not apply, in the caller's language: for a date
/// filter, the dialect that applies it on the client (the real Unpod v2 server ignores both); for
/// another, the switch that stops checking it.
pub fn filter_hint(binding: &str, parameter: &str) -> String {
    let dialect = crate::Dialect::UnpodV2;
    if matches!(parameter, "start_date" | "end_date") {
        let setting = match binding {
            "python" => format!("dialect=\"{dialect}\""),
            "node" => format!("dialect: '{dialect}'"),
            _ => String::from(".dialect(Dialect::UnpodV2)"),
        };
        return format!(
            "a server that ignores start_date and end_date, as the real Unpod v2 server does, is read correctly with {setting} or {}={dialect}",
            crate::defaults::DIALECT_ENV
        );
    }
    let switch = match binding {
        "python" => "verify_filters=False",
        "node" => "verifyFilters: false",
        _ => ".verify_filters(false)",
    };
    format!("{switch} turns this check off, for a server known to ignore {parameter}")
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
