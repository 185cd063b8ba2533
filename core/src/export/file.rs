//! An export into a file that is never found half-written, and that an interrupted run continues.
//!
//! The records go to `<target>.partial` beside the target, and after each page the export's state
//! goes to `<target>.partial.json` (written whole, then renamed over the last one): the format,
//! the query and limit, how many bytes and records the partial file holds, the `creation_time` of
//! the last record written and the digests of the records written at that instant. Only a complete
//! export is renamed to the target (after its data is on disk), so a target that exists is whole.
//!
//! # Resuming
//!
//! An export with `resume` finds the state, checks that it was made with the same format, query
//! and limit, cuts the partial file back to the bytes the state counts (a page written after the
//! last state was saved is written again), and walks on with `end_date` set to the last record's
//! `creation_time`. Of the records of that instant, those already written (told by their digest)
//! are skipped; every older record is appended. A process killed at any moment (`kill -9`) thus
//! loses nothing and writes nothing twice. Calls that reached the server after the first run began
//! are in a resumed export only where the walk had not yet come; that is the snapshot of any walk.
//! Without a state to resume from, `resume` starts afresh.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Format;
use crate::client::Client;
use crate::error::{ContractViolation, Error, ViolationKind};
use crate::model::{CallLog, format_timestamp, parse_timestamp};
use crate::pagination::PagerOptions;
use crate::pagination::WalkProgress;
use crate::query::{CallLogQuery, DateBound};
use crate::sync::key::digest;

/// The version of the state file's layout.
const STATE_VERSION: u32 = 1;

/// An export that stopped before it was complete. The target was not touched; what was written is
/// in [`partial`](Self::partial), which an export with `resume` continues.
#[derive(Debug)]
#[non_exhaustive]
pub struct Stopped {
    /// The records the partial file holds.
    pub records: u64,
    /// The partial file.
    pub partial: PathBuf,
    /// Why the export stopped.
    pub error: Error,
}

/// The files of an export into `target`.
#[derive(Debug)]
struct Files {
    target: PathBuf,
    partial: PathBuf,
    state: PathBuf,
    /// The next state, before it is renamed over the last one.
    saving: PathBuf,
}

impl Files {
    fn beside(target: &Path) -> Self {
        let with = |suffix: &str| {
            let mut name = target
                .file_name()
                .map(ToOwned::to_owned)
                .unwrap_or_default();
            name.push(suffix);
            target.with_file_name(name)
        };
        Self {
            target: target.to_owned(),
            partial: with(".partial"),
            state: with(".partial.json"),
            saving: with(".partial.json.new"),
        }
    }
}

/// How far an export has come, as its state file keeps it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct State {
    version: u32,
    format: String,
    query: String,
    limit: Option<u64>,
    bytes: u64,
    records: u64,
    /// The `creation_time` of the last record written.
    last: Option<String>,
    /// The digests of the records written at `last`, repeats included.
    tied: Vec<String>,
}

impl State {
    fn settings_differ(&self, other: &Self) -> bool {
        (self.version, &self.format, &self.query, self.limit)
            != (other.version, &other.format, &other.query, other.limit)
    }

    /// Takes `records` as written next: their count, and the digests of those of the last
    /// instant (only those: a digest is computed for no other record).
    fn wrote(&mut self, records: &[CallLog]) {
        let Some(newest_last) = records.last() else {
            return;
        };
        let time = format_timestamp(&newest_last.creation_time);
        let tail = records
            .iter()
            .rev()
            .take_while(|record| record.creation_time == newest_last.creation_time)
            .count();
        if tail < records.len() || self.last.as_deref() != Some(time.as_str()) {
            self.last = Some(time);
            self.tied.clear();
        }
        self.tied
            .extend(records[records.len() - tail..].iter().map(digest));
        self.records += records.len() as u64;
    }
}

fn failed(path: &Path, what: &str, error: std::io::Error) -> Error {
    Error::Destination(format!("cannot {what} {}: {error}", path.display()))
}

/// Writes the records of `query` into `target` in `format`, page by page in constant memory, and
/// returns how many the file holds (see the [module docs](self)). `progress` hears each page.
pub async fn to_file(
    client: &Client,
    query: CallLogQuery,
    options: PagerOptions,
    format: Format,
    target: &Path,
    resume: bool,
    mut progress: impl FnMut(&WalkProgress) + Send,
) -> Result<u64, Stopped> {
    let files = Files::beside(target);
    let partial = files.partial.clone();
    let mut run = match Run::open(files, &query, options, format, resume) {
        Ok(run) => run,
        Err(error) => {
            return Err(Stopped {
                records: 0,
                partial,
                error,
            });
        }
    };
    match run.write(client, query, options, &mut progress).await {
        Ok(()) => run.finish().map(|()| run.state.records),
        Err(error) => Err(error),
    }
    .map_err(|error| Stopped {
        records: run.state.records,
        partial: run.files.partial,
        error,
    })
}

/// An export under way: its files, its partial file open for appending, and its state.
struct Run {
    files: Files,
    file: File,
    state: State,
    format: Format,
}

impl Run {
    fn open(
        files: Files,
        query: &CallLogQuery,
        options: PagerOptions,
        format: Format,
        resume: bool,
    ) -> Result<Self, Error> {
        let mut walked = query.clone();
        walked.page = None;
        let fresh = State {
            version: STATE_VERSION,
            format: format.name().to_owned(),
            query: walked.to_query_string(),
            limit: options.limit,
            ..State::default()
        };
        let found = if resume {
            read_state(&files.state)?
        } else {
            None
        };
        let Some(state) = found else {
            match std::fs::remove_file(&files.state) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(failed(&files.state, "remove", e));
                }
                _ => {}
            }
            let file =
                File::create(&files.partial).map_err(|e| failed(&files.partial, "create", e))?;
            return Ok(Self {
                files,
                file,
                state: fresh,
                format,
            });
        };
        if state.settings_differ(&fresh) {
            return Err(Error::Config(format!(
                "resume: {} belongs to an export of other settings (format {}, query {:?}, limit {:?}; this one: format {}, query {:?}, limit {:?}); export without resume to start over",
                files.state.display(),
                state.format,
                state.query,
                state.limit,
                fresh.format,
                fresh.query,
                fresh.limit
            )));
        }
        let mut file = OpenOptions::new()
            .write(true)
            .open(&files.partial)
            .map_err(|e| failed(&files.partial, "open", e))?;
        let length = file
            .metadata()
            .map_err(|e| failed(&files.partial, "read", e))?
            .len();
        if length < state.bytes {
            return Err(Error::Destination(format!(
                "resume: {} holds {length} bytes, fewer than the {} its state counts, so it cannot be continued; export without resume to start over",
                files.partial.display(),
                state.bytes
            )));
        }
        file.set_len(state.bytes)
            .and_then(|()| file.seek(SeekFrom::End(0)))
            .map_err(|e| failed(&files.partial, "cut back", e))?;
        Ok(Self {
            files,
            file,
            state,
            format,
        })
    }

    async fn write(
        &mut self,
        client: &Client,
        mut query: CallLogQuery,
        mut options: PagerOptions,
        progress: &mut (impl FnMut(&WalkProgress) + Send),
    ) -> Result<(), Error> {
        // The records of the last instant already written, to be skipped once each.
        let mut skip: HashMap<String, usize> = HashMap::new();
        let resumed_at = self.state.last.as_deref().map(|last| {
            parse_timestamp(last).ok_or_else(|| {
                Error::Destination(format!(
                    "resume: {} names no instant ({last:?}); export without resume to start over",
                    self.files.state.display()
                ))
            })
        });
        let resumed_at = resumed_at.transpose()?;
        if let Some(at) = resumed_at {
            for tied in &self.state.tied {
                *skip.entry(tied.clone()).or_default() += 1;
            }
            query.page = None;
            query.end_date = Some(DateBound::DateTime(at));
        }
        let mut remaining = options
            .limit
            .map(|limit| limit.saturating_sub(self.state.records));
        options.limit = remaining.map(|left| left + self.state.tied.len() as u64);
        // What the file holds of the records the walk's `count` counts, those of the resumed
        // instant aside.
        let kept =
            self.state.records - self.state.tied.len().min(self.state.records as usize) as u64;
        let mut pager = client.call_logs().pages_with(query, options);
        let mut text = if self.state.bytes == 0 {
            self.format.header()
        } else {
            Vec::new()
        };
        while remaining != Some(0) {
            let Some(page) = pager.next_page().await? else {
                break;
            };
            let mut fresh = Vec::with_capacity(page.len());
            for record in page {
                // What the file holds newer than the resumed instant: a server that ignored
                // `end_date` would have it written twice, whatever the client verifies.
                if let Some(at) = resumed_at.filter(|at| record.creation_time > *at) {
                    return Err(Error::ServerContract(Box::new(ContractViolation::new(
                        ViolationKind::FilterNotApplied,
                        format!(
                            "resume: the server sent a record created at {}, newer than end_date={}, which the resumed export sent to continue {}: it ignored end_date, and the partial file already holds that record; export without resume",
                            format_timestamp(&record.creation_time),
                            format_timestamp(&at),
                            self.files.partial.display()
                        ),
                    ))));
                }
                let resumed_instant = resumed_at == Some(record.creation_time);
                if resumed_instant && !skip.is_empty() {
                    let digest = digest(&record);
                    if let Some(left) = skip.get_mut(&digest).filter(|left| **left > 0) {
                        *left -= 1;
                        continue;
                    }
                }
                if remaining == Some(fresh.len() as u64) {
                    break;
                }
                fresh.push(record);
            }
            remaining = remaining.map(|left| left - fresh.len() as u64);
            self.format.write(&fresh, &mut text);
            self.state.wrote(&fresh);
            self.append(&mut text)?;
            progress(&WalkProgress {
                records: self.state.records,
                total: pager.count().map(|count| count + kept),
                requests: pager.requests(),
                down_to: self.state.last.clone(),
            });
        }
        self.append(&mut text)
    }

    /// Appends `text` to the partial file, then saves the state that counts it.
    fn append(&mut self, text: &mut Vec<u8>) -> Result<(), Error> {
        if text.is_empty() && self.state.bytes > 0 {
            return Ok(());
        }
        self.file
            .write_all(text)
            .map_err(|e| failed(&self.files.partial, "write", e))?;
        self.state.bytes += text.len() as u64;
        text.clear();
        let json = serde_json::to_vec(&self.state).unwrap_or_default();
        std::fs::write(&self.files.saving, json)
            .and_then(|()| std::fs::rename(&self.files.saving, &self.files.state))
            .map_err(|e| failed(&self.files.state, "write", e))
    }

    /// Puts the complete file in place of the target and forgets the state.
    fn finish(&mut self) -> Result<(), Error> {
        self.file
            .sync_all()
            .map_err(|e| failed(&self.files.partial, "write", e))?;
        std::fs::rename(&self.files.partial, &self.files.target)
            .map_err(|e| failed(&self.files.target, "move the export into", e))?;
        match std::fs::remove_file(&self.files.state) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(failed(&self.files.state, "remove", e))
            }
            _ => Ok(()),
        }
    }
}

fn read_state(path: &Path) -> Result<Option<State>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::Destination(format!(
                "resume: {} cannot be read ({e}); export without resume to start over",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(failed(path, "read", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partial_file_and_its_state_are_beside_the_target() {
        let files = Files::beside(Path::new("out/calls.csv"));
        assert_eq!(files.partial, Path::new("out/calls.csv.partial"));
        assert_eq!(files.state, Path::new("out/calls.csv.partial.json"));
    }

    #[test]
    fn the_tied_digests_are_those_of_the_last_instant() {
        let at = |time: &str| {
            CallLog::new(
                crate::CallType::Inbound,
                crate::CallStatus::Completed,
                time.parse().unwrap(),
            )
        };
        let mut state = State::default();
        let page = [
            "2026-02-01T10:00:00Z",
            "2026-02-01T09:00:00Z",
            "2026-02-01T09:00:00Z",
        ];
        state.wrote(&page.map(at));
        assert_eq!(state.last.as_deref(), Some("2026-02-01T09:00:00Z"));
        assert_eq!(state.tied.len(), 2, "both records of the last instant");
        assert_eq!(
            state.tied[0], state.tied[1],
            "exact duplicates keep their repeats"
        );
        state.wrote(&[at("2026-02-01T09:00:00Z")]);
        assert_eq!(
            (state.tied.len(), state.records),
            (3, 4),
            "an instant across pages"
        );
        state.wrote(&[at("2026-02-01T09:00:00Z"), at("2026-02-01T08:00:00Z")]);
        assert_eq!(state.last.as_deref(), Some("2026-02-01T08:00:00Z"));
        assert_eq!(state.tied.len(), 1);
    }
}
