//! The core's errors as JavaScript errors: the core's map of details
//! ([`unpod_calllogs::binding::errors::details`]) as JSON in the message, which `errors.js` turns
//! into the package's error classes.

use napi::{Error, Status};

/// Marks a message that carries a JSON error description (`errors.js` reads the same mark).
const ERROR_MARK: &str = "unpod-calllogs-error:";

fn from_details(details: serde_json::Map<String, serde_json::Value>) -> Error {
    let details = serde_json::Value::Object(details);
    Error::new(Status::GenericFailure, format!("{ERROR_MARK}{details}"))
}

/// The JavaScript error for a core error.
pub fn to_js(error: unpod_calllogs::Error) -> Error {
    from_details(unpod_calllogs::binding::errors::details(&error))
}

/// The JavaScript error for an export that stopped: its error's, with `rowsWritten` and `partial`.
pub fn stopped_to_js(stopped: &unpod_calllogs::export::Stopped) -> Error {
    from_details(unpod_calllogs::binding::errors::stopped(stopped))
}

/// The JavaScript error for a panic caught at the boundary.
pub fn panic(payload: &(dyn std::any::Any + Send)) -> Error {
    to_js(unpod_calllogs::binding::errors::panic(payload))
}
