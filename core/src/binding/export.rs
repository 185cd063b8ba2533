//! An export into a file as both bindings start it: the walk's options, the progress as JSON, and
//! the details of an export that stopped (see [`errors::stopped`]).

use crate::binding::OnProgress;
#[cfg(doc)]
use crate::binding::errors;
use crate::client::Client;
use crate::export::{self, ExportProgress, Format, Stopped};
use crate::pagination::PagerOptions;
use crate::query::CallLogQuery;

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
    let tell = move |progress: &ExportProgress| {
        if let Some(tell) = &on_progress {
            tell(serde_json::to_string(progress).unwrap_or_default());
        }
    };
    export::to_file(
        &client,
        query,
        options,
        format,
        std::path::Path::new(&path),
        resume,
        tell,
    )
    .await
}
