//! An export into a file as both bindings start it, and the progress of a walk (an export, a read
//! of all records) as JSON; the details of an export that stopped are [`errors::stopped`].

use crate::binding::OnProgress;
#[cfg(doc)]
use crate::binding::errors;
use crate::client::Client;
use crate::export::{self, Format, Stopped};
use crate::pagination::PagerOptions;
use crate::pagination::WalkProgress;
use crate::query::CallLogQuery;

/// The core's progress callback for a binding's: each [`WalkProgress`] as JSON.
pub fn walk_progress(on_progress: Option<OnProgress>) -> impl FnMut(&WalkProgress) + Send {
    move |progress: &WalkProgress| {
        if let Some(tell) = &on_progress {
            tell(progress_json(progress));
        }
    }
}

/// A walk's progress as a binding hands it on: JSON of the [`WalkProgress`] fields.
pub fn progress_json(progress: &WalkProgress) -> String {
    // Numbers and text only: it always serialises.
    serde_json::to_string(progress).unwrap_or_default()
}

/// Writes `query`'s records into `path` (complete or not there, resumable: see
/// [`export::to_file`]) and returns how many the file holds.
pub async fn to_file(
    client: Client,
    query: CallLogQuery,
    options: PagerOptions,
    format: Format,
    path: String,
    resume: bool,
    on_progress: Option<OnProgress>,
) -> Result<u64, Stopped> {
    export::to_file(
        &client,
        query,
        options,
        format,
        std::path::Path::new(&path),
        resume,
        walk_progress(on_progress),
    )
    .await
}
