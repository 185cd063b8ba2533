//! Records out in the shapes other tools read: CSV (RFC 4180) and NDJSON. The bindings' `export`
//! functions and streams write what these functions produce, page by page; an export into a file
//! is [`to_file`]: complete or not there, and resumable.

use std::str::FromStr;

use crate::error::Error;
use crate::fields::{FIELDS, FieldValue};
use crate::model::{CallLog, format_timestamp, whole_seconds};
use crate::pagination::{Pager, WalkProgress};

mod file;

pub use file::{Stopped, to_file};

/// A text format for a walk's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Comma-separated values: a header row, then one row per record, `\r\n` after each (RFC 4180).
    /// The columns are the documented fields in their documented order, then `extra`: the fields
    /// this version does not know, as one JSON object (empty when there are none).
    Csv,
    /// One JSON object per line, each the record as the endpoint writes it, unknown fields kept.
    Ndjson,
}

impl Format {
    /// The formats, by name.
    pub const NAMES: &[&str] = &["csv", "ndjson"];

    /// The format's name, an entry of [`Format::NAMES`].
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
        }
    }

    /// The column names of [`Format::Csv`].
    pub fn csv_columns() -> impl Iterator<Item = &'static str> {
        crate::fields::names().chain(["extra"])
    }

    /// The format `name`d, or else the one `path`'s suffix names (`.csv`; `.ndjson`, `.jsonl`): the
    /// rule of every binding's `export`.
    pub fn choose(name: Option<&str>, path: Option<&str>) -> Result<Self, Error> {
        if let Some(name) = name {
            return name.parse();
        }
        let suffix = path
            .and_then(|path| std::path::Path::new(path).extension())
            .and_then(|suffix| suffix.to_str())
            .map(str::to_ascii_lowercase);
        match suffix.as_deref() {
            Some("csv") => Ok(Self::Csv),
            Some("ndjson" | "jsonl") => Ok(Self::Ndjson),
            _ => Err(Error::Config(match path {
                Some(path) => format!(
                    "format is needed: name one of {}, or write to a path ending in .csv, .ndjson or .jsonl (got {path:?})",
                    Self::NAMES.join(", ")
                ),
                None => format!(
                    "format is needed: name one of {} (a stream has no suffix to tell it)",
                    Self::NAMES.join(", ")
                ),
            })),
        }
    }

    /// What comes before the first record: the header row of CSV, nothing for NDJSON.
    pub fn header(self) -> Vec<u8> {
        match self {
            Self::Csv => {
                let mut line = Self::csv_columns().collect::<Vec<_>>().join(",");
                line.push_str("\r\n");
                line.into_bytes()
            }
            Self::Ndjson => Vec::new(),
        }
    }

    /// Appends `records` to `out`.
    pub fn write(self, records: &[CallLog], out: &mut Vec<u8>) {
        for record in records {
            match self {
                Self::Csv => csv_row(record, out),
                Self::Ndjson => {
                    // Serializing a record to a Vec cannot fail: every key is a string.
                    let _ = serde_json::to_writer(&mut *out, record);
                    out.push(b'\n');
                }
            }
        }
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        match [Self::Csv, Self::Ndjson]
            .into_iter()
            .find(|format| format.name() == name)
        {
            Some(format) => Ok(format),
            None => Err(Error::Config(format!(
                "format must be one of {} (got {name:?})",
                Self::NAMES.join(", ")
            ))),
        }
    }
}

fn csv_row(record: &CallLog, out: &mut Vec<u8>) {
    for (i, field) in FIELDS.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match (field.value)(record) {
            FieldValue::Text(text) => csv_cell(text.unwrap_or(""), out),
            FieldValue::Instant(time) => {
                csv_cell(&time.map(format_timestamp).unwrap_or_default(), out);
            }
            FieldValue::Seconds(seconds) => csv_cell(
                &whole_seconds(seconds).map_or_else(|| seconds.to_string(), |s| s.to_string()),
                out,
            ),
        }
    }
    out.push(b',');
    if !record.extra.is_empty() {
        csv_cell(
            &serde_json::Value::Object(record.extra.clone()).to_string(),
            out,
        );
    }
    out.extend_from_slice(b"\r\n");
}

/// A cell, quoted when it holds a comma, a quote or a line break (quotes doubled).
fn csv_cell(text: &str, out: &mut Vec<u8>) {
    if text.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// A walk written out page by page: the format's header first (also when nothing matches), then
/// each page's records. Memory stays at one page.
#[derive(Debug)]
pub struct Exporter {
    pager: Pager,
    format: Format,
    header_written: bool,
}

impl Exporter {
    /// Writes the records `pager` walks in `format`.
    pub fn new(pager: Pager, format: Format) -> Self {
        Self {
            pager,
            format,
            header_written: false,
        }
    }

    /// How far the export has come.
    pub fn progress(&self) -> WalkProgress {
        self.pager.progress()
    }

    /// The next piece of the file and the number of records in it; `None` once all is written.
    pub async fn next_chunk(&mut self) -> Result<Option<(usize, Vec<u8>)>, Error> {
        let page = self.pager.next_page().await?;
        let mut text = if self.header_written {
            Vec::new()
        } else {
            self.header_written = true;
            self.format.header()
        };
        match page {
            Some(records) => {
                self.format.write(&records, &mut text);
                Ok(Some((records.len(), text)))
            }
            None if text.is_empty() => Ok(None),
            None => Ok(Some((0, text))),
        }
    }
}
