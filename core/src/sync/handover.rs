//! A destination that stores nothing itself: each batch, keyed, is handed to a consumer in the
//! same process, which stores it and the state that comes with it (the `dlt` source of the Python
//! package keeps the state in dlt's own, loaded with the records).
//!
//! The consumer receives a window's records with their keys and digests ([`super::key`]) and the
//! sync's state after them, as JSON. It has no way to delete: records the server no longer has
//! stay where the consumer put them, and the run's counts are all `new` (whether the consumer
//! held a record already is its own to know). The channel holds one batch: the run reads the
//! next window while the consumer stores the last, and waits for it then.

use tokio::sync::mpsc;

use super::destination::{Batch, Counts, Destination, State};
use super::key::keyed;
use crate::error::Error;
use crate::model::CallLog;

/// A batch as the consumer receives it.
#[derive(Debug)]
pub struct Handed {
    /// The window's records.
    pub records: Vec<CallLog>,
    /// Each record's key, in the order of `records`.
    pub keys: Vec<String>,
    /// Each record's digest, in the order of `records`.
    pub digests: Vec<String>,
    /// The sync's state once the consumer holds these records, as JSON: give it back to the next
    /// run.
    pub state: String,
}

/// The sending end; see the [module docs](self).
#[derive(Debug)]
pub struct Handover {
    state: Option<State>,
    sender: mpsc::Sender<Handed>,
}

/// A destination whose state is `state` (what the consumer kept of the last run, `None` for a first
/// run), and the receiver of its batches.
pub fn handover(state: Option<State>) -> (Handover, mpsc::Receiver<Handed>) {
    let (sender, receiver) = mpsc::channel(1);
    (Handover { state, sender }, receiver)
}

impl Destination for Handover {
    fn describe(&self) -> String {
        "the consumer of the sync's batches".to_owned()
    }

    fn state(&mut self, _table: &str) -> Result<Option<State>, Error> {
        Ok(self.state.clone())
    }

    fn commit(&mut self, batch: &Batch<'_>) -> Result<Counts, Error> {
        let keyed = keyed(batch.records);
        let mut handed = Handed {
            records: Vec::with_capacity(keyed.len()),
            keys: Vec::with_capacity(keyed.len()),
            digests: Vec::with_capacity(keyed.len()),
            state: serde_json::to_string(batch.state).unwrap_or_default(),
        };
        for record in keyed {
            handed.records.push(record.record.clone());
            handed.keys.push(record.key);
            handed.digests.push(record.digest);
        }
        let new = handed.records.len() as u64;
        self.sender.blocking_send(handed).map_err(|_| {
            Error::Destination("the consumer of the sync's batches stopped taking them".to_owned())
        })?;
        self.state = Some(batch.state.clone());
        Ok(Counts {
            new,
            ..Counts::default()
        })
    }
}
