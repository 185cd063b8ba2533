//! The key a destination stores a record under, and the digest that tells an update from an
//! unchanged record. Both are stable across versions, platforms and processes (FNV-1a, 128 bits,
//! over a length-prefixed encoding), since they are written to disk and compared by later runs.
//!
//! # The key
//!
//! * A record with an `id` (the real Unpod server sends one among its undocumented fields) is
//!   stored under `id:<the id as JSON>`: the server's own identity.
//! * Otherwise the key is the hash of what a call keeps for life: its `creation_time`,
//!   `call_type`, `source_number` and `destination_number` (`h:<32 hex digits>`), and an ordinal,
//!   `:<n>`, among the records of the same hash in the same instant, ordered by their digests.
//!   What a call gains as it progresses (`call_status`, `start_time`, `end_time`,
//!   `call_duration`, `end_reason`) is not part of it, so a call that changes is *updated* in
//!   place, not stored twice. Two calls of the same instant, numbers and direction are told apart
//!   by the ordinal; should one of them change later, the two may swap keys: the table still holds
//!   exactly the server's records, and the run counts the swap as updates.
//!
//! Every record of one instant is always in the same batch (windows and chunks never split an
//! instant), so ordinals are assigned over the whole group.

use std::collections::HashMap;

use crate::fields::{FIELDS, FieldValue};
use crate::model::CallLog;

/// FNV-1a with a 128-bit state.
struct Fnv(u128);

impl Fnv {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

    fn new() -> Self {
        Self(Self::OFFSET)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u128::from(*byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    /// A field: its length first, so that no two sequences of fields encode alike; `None` is
    /// told apart from every string.
    fn field(&mut self, value: Option<&str>) {
        match value {
            Some(text) => {
                self.bytes(&(text.len() as u64).to_le_bytes());
                self.bytes(text.as_bytes());
            }
            None => self.bytes(&u64::MAX.to_le_bytes()),
        }
    }

    fn hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

/// The digest of everything a record holds: its JSON as the endpoint writes it (the documented
/// fields in order, then the others).
pub fn digest(record: &CallLog) -> String {
    let mut hash = Fnv::new();
    let json = serde_json::to_vec(record).unwrap_or_default();
    hash.bytes(&json);
    hash.hex()
}

/// The hash of what a call keeps for life (see the [module docs](self)).
fn identity(record: &CallLog) -> String {
    let mut hash = Fnv::new();
    for name in IDENTITY {
        let field = FIELDS.iter().find(|field| field.name == *name);
        match field.map(|field| (field.value)(record)) {
            Some(FieldValue::Text(text)) => hash.field(text),
            Some(FieldValue::Instant(time)) => {
                hash.field(time.map(crate::model::format_timestamp).as_deref());
            }
            Some(FieldValue::Seconds(seconds)) => hash.field(Some(&seconds.to_string())),
            None => hash.field(None),
        }
    }
    hash.hex()
}

/// The documented fields a call keeps from its creation on.
pub const IDENTITY: &[&str] = &[
    "creation_time",
    "call_type",
    "source_number",
    "destination_number",
];

/// A record with its key and digest, as a destination stores it.
#[derive(Clone, Debug)]
pub struct Keyed<'a> {
    /// The key (see the [module docs](self)).
    pub key: String,
    /// The digest of the whole record.
    pub digest: String,
    /// The record.
    pub record: &'a CallLog,
}

/// The keys and digests of a batch of records.
pub fn keyed(records: &[CallLog]) -> Vec<Keyed<'_>> {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    let mut out: Vec<Keyed<'_>> = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        let digest = digest(record);
        let key = match record.extra.get("id") {
            Some(id) if !id.is_null() => format!("id:{id}"),
            _ => {
                let hash = identity(record);
                groups.entry(hash.clone()).or_default().push(index);
                format!("h:{hash}")
            }
        };
        out.push(Keyed {
            key,
            digest,
            record,
        });
    }
    for members in groups.values_mut() {
        members.sort_by(|a, b| out[*a].digest.cmp(&out[*b].digest));
        for (ordinal, index) in members.iter().enumerate() {
            let key = &mut out[*index].key;
            key.push(':');
            key.push_str(&ordinal.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallStatus, CallType};

    fn call(status: CallStatus, seconds: f64) -> CallLog {
        let mut record = CallLog::new(
            CallType::Inbound,
            status,
            "2026-02-01T09:30:00Z".parse().unwrap(),
        );
        record.source_number = Some("+911234567890".to_owned());
        record.call_duration = seconds;
        record
    }

    #[test]
    fn a_call_that_progresses_keeps_its_key_and_changes_its_digest() {
        let before = call(CallStatus::Missed, 0.0);
        let after = call(CallStatus::Completed, 30.0);
        let (before, after) = ([before], [after]);
        let (a, b) = (&keyed(&before)[0], &keyed(&after)[0]);
        assert_eq!(a.key, b.key);
        assert_ne!(a.digest, b.digest);
        assert!(
            a.key.starts_with("h:") && a.key.ends_with(":0"),
            "{}",
            a.key
        );
    }

    #[test]
    fn exact_duplicates_get_ordinals_and_an_id_is_the_key() {
        let twins = [call(CallStatus::Missed, 0.0), call(CallStatus::Missed, 0.0)];
        let keys: Vec<String> = keyed(&twins).into_iter().map(|k| k.key).collect();
        assert_ne!(keys[0], keys[1]);
        assert_eq!(keys[0][..keys[0].len() - 1], keys[1][..keys[1].len() - 1]);
        let mut with_id = call(CallStatus::Missed, 0.0);
        with_id.extra.insert("id".to_owned(), serde_json::json!(42));
        assert_eq!(keyed(&[with_id])[0].key, "id:42");
    }

    #[test]
    fn keys_do_not_depend_on_the_order_of_the_batch() {
        let twins = [call(CallStatus::Missed, 0.0), call(CallStatus::Failed, 0.0)];
        let reversed = [twins[1].clone(), twins[0].clone()];
        let mut a: Vec<String> = keyed(&twins).into_iter().map(|k| k.key).collect();
        let mut b: Vec<String> = keyed(&reversed).into_iter().map(|k| k.key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn the_hash_is_stable_across_versions() {
        // Written to disk: a change here makes every stored key stale.
        let record = call(CallStatus::Missed, 0.0);
        assert_eq!(identity(&record), "20a2b0e67da23e015886a452dbf7ad29");
    }
}
