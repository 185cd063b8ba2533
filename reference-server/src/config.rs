//! What the server is started with: its records, its knobs, its faults, its limits.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use unpod_calllogs::CallLog;

use crate::fault::Fault;

/// The token the server accepts by default.
pub const DEFAULT_TOKEN: &str = "test-token";
/// The organization the default token reads.
pub const DEFAULT_ORG_HANDLE: &str = "acme";
/// A second organization that exists but that the main token may not read (403).
pub const FOREIGN_ORG_HANDLE: &str = "initech";
/// The token of the second organization.
pub const FOREIGN_TOKEN: &str = "initech-token";
/// How many records the foreign organization holds.
pub const FOREIGN_RECORDS: usize = 25;
/// How long a connection may take to send a request's head, or stay idle between requests.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How many connections the server holds open at once; more wait to be accepted.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Where the main organization's records come from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Records {
    /// `count` records generated from `seed` (see [`data::generate`]).
    Generated {
        /// How many.
        count: usize,
        /// The generator's seed.
        seed: u64,
    },
    /// These records.
    Given(Vec<CallLog>),
}

/// How a page past the last is answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PastLast {
    /// `200` with `data: []` and the same `count` (the contract's first choice).
    #[default]
    Empty,
    /// `400` "Invalid page." (the public Unpod v1 code).
    BadRequest,
    /// `404` "Invalid page." (stock Django REST framework).
    NotFound,
}

impl PastLast {
    /// The names `--past-last` takes.
    pub const NAMES: &'static str = "empty, 400, 404";
}

impl std::str::FromStr for PastLast {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "empty" | "200" => Ok(Self::Empty),
            "400" => Ok(Self::BadRequest),
            "404" => Ok(Self::NotFound),
            other => Err(format!(
                "unknown past-last answer {other:?}; known: {}",
                Self::NAMES
            )),
        }
    }
}

/// A filter parameter the server can be told to accept and ignore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Filter {
    /// `call_type`
    CallType,
    /// `call_status`
    CallStatus,
    /// `start_date`
    StartDate,
    /// `end_date`
    EndDate,
}

impl Filter {
    /// Every filter, in the contract's order.
    pub const ALL: &'static [Filter] = &[
        Self::CallType,
        Self::CallStatus,
        Self::StartDate,
        Self::EndDate,
    ];

    /// The parameter's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::CallType => "call_type",
            Self::CallStatus => "call_status",
            Self::StartDate => "start_date",
            Self::EndDate => "end_date",
        }
    }
}

impl std::str::FromStr for Filter {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|filter| filter.name() == name)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|f| f.name()).collect();
                format!("unknown filter {name:?}; known: {}", known.join(", "))
            })
    }
}

/// How many records the server generates unless told (the CLI, both bindings' `ReferenceServer`).
pub const DEFAULT_RECORDS: usize = 1000;
/// The seed of the generated data unless told.
pub const DEFAULT_SEED: u64 = 42;
/// How far before the newest call a late call may be created, unless told.
pub const DEFAULT_LATE_BY: Duration = Duration::from_secs(3600);
/// The `Retry-After` of 429 answers unless told, in seconds.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

/// Behaviour for client tests: slowness, failures, throttling, calls arriving during a walk, and
/// the ways real servers are known to paginate and filter differently from the contract.
///
/// Bindings and files give them as a map ([`ServerConfig::from_options`]) under these field names,
/// durations in seconds, enums by the names their `FromStr` takes.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Knobs {
    /// Added before every answer.
    #[serde(deserialize_with = "seconds")]
    pub latency: Duration,
    /// The share (0..=1) of requests answered 500 or 503.
    pub error_rate: f64,
    /// The share (0..=1) of requests answered 429 with `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` of 429 answers, in seconds.
    pub retry_after_secs: u64,
    /// Statuses for the first requests, in order (e.g. `[503, 429]`), before normal service.
    pub script: Vec<u16>,
    /// New calls added to the main organization (newest first) before each request is answered.
    pub live_inserts: u32,
    /// Calls added to the main organization before each request is answered, each created at a
    /// random instant up to `late_by` before the newest call: logs that arrive late, landing in
    /// windows a reader has already walked.
    pub late_inserts: u32,
    /// How far before the newest call a late call may be created.
    #[serde(deserialize_with = "seconds")]
    pub late_by: Duration,
    /// Serve at most this many records a page, silently, as Django REST framework's
    /// `max_page_size` does (page offsets use the capped size).
    pub page_size_cap: Option<u32>,
    /// The page size when the request sends none (the contract's is 20; Django REST framework
    /// servers often use 10).
    pub default_page_size: Option<u32>,
    /// How a page past the last is answered.
    #[serde(deserialize_with = "parsed")]
    pub past_last: PastLast,
    /// Filters accepted and not applied.
    #[serde(deserialize_with = "parsed_list")]
    pub ignored_filters: Vec<Filter>,
    /// Read `start_time` / `end_time` in `DD-MM-YYYY HH:MM:SS` as date bounds (the public Unpod v2
    /// code does, instead of `start_date` / `end_date`).
    pub legacy_date_params: bool,
    /// Match `call_type` / `call_status` without regard to case (`INBOUND` is `inbound`).
    pub case_insensitive_enums: bool,
    /// Accept any `page_size`: above 1000 served, 0 an empty page.
    pub page_size_unbounded: bool,
    /// Answer 400 to requests without this header (the public Unpod code requires `Product-Id`).
    pub required_header: Option<String>,
    /// Records as the real server sends them: fields the contract does not define, and
    /// `call_duration` with a fraction.
    pub real_world_records: bool,
    /// Compress answers with gzip (fastest level) when the request's `Accept-Encoding` allows it,
    /// as servers behind nginx or Django's `GZipMiddleware` do.
    pub compression: bool,
    /// Send at most this many bytes a second on each connection: a slow link.
    pub bandwidth: Option<u64>,
}

impl Default for Knobs {
    /// A server that behaves: no latency, no failures, the contract's pagination and filters.
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            error_rate: 0.0,
            throttle_rate: 0.0,
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
            script: Vec::new(),
            live_inserts: 0,
            late_inserts: 0,
            late_by: DEFAULT_LATE_BY,
            page_size_cap: None,
            default_page_size: None,
            past_last: PastLast::default(),
            ignored_filters: Vec::new(),
            legacy_date_params: false,
            case_insensitive_enums: false,
            page_size_unbounded: false,
            required_header: None,
            real_world_records: false,
            compression: false,
            bandwidth: None,
        }
    }
}

/// Everything the server is started with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The address to listen on (default 127.0.0.1).
    pub host: IpAddr,
    /// The port (default 0: any free port).
    pub port: u16,
    /// The token that reads the main organization.
    pub token: String,
    /// The main organization's handle.
    pub org_handle: String,
    /// The main organization's records.
    pub records: Records,
    /// The seed of the generated data and of every random decision of the knobs.
    pub seed: u64,
    /// Client-test behaviour.
    pub knobs: Knobs,
    /// When generated history ends (default [`data::history_end`], 2026-03-01, so that runs
    /// repeat; `Utc::now()` makes "the last week" hold data).
    pub history_end: Option<chrono::DateTime<chrono::Utc>>,
    /// Deliberate contract violations, for testing contract suites (one each to prove a check,
    /// several to emulate a real server).
    pub faults: Vec<Fault>,
    /// How long a connection may take to send a request's head, or stay idle between requests,
    /// before it is closed: slow or silent clients cannot hold the server.
    pub header_read_timeout: Duration,
    /// How many connections are served at once; further ones wait to be accepted.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            token: DEFAULT_TOKEN.to_owned(),
            org_handle: DEFAULT_ORG_HANDLE.to_owned(),
            records: Records::Generated {
                count: DEFAULT_RECORDS,
                seed: DEFAULT_SEED,
            },
            seed: DEFAULT_SEED,
            knobs: Knobs::default(),
            history_end: None,
            faults: Vec::new(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl Knobs {
    unpod_calllogs::__setters! {
        latency: Duration,
        error_rate: f64,
        throttle_rate: f64,
        retry_after_secs: u64,
        script: Vec<u16> => into,
        live_inserts: u32,
        late_inserts: u32,
        late_by: Duration,
        page_size_cap: Option<u32> => into,
        default_page_size: Option<u32> => into,
        past_last: PastLast,
        ignored_filters: Vec<Filter> => into,
        legacy_date_params: bool,
        case_insensitive_enums: bool,
        page_size_unbounded: bool,
        required_header: Option<String> => into,
        real_world_records: bool,
        compression: bool,
        bandwidth: Option<u64> => into,
    }
}

impl ServerConfig {
    unpod_calllogs::__setters! {
        host: IpAddr => into,
        port: u16,
        token: String => into,
        org_handle: String => into,
        records: Records,
        seed: u64,
        knobs: Knobs,
        history_end: Option<chrono::DateTime<chrono::Utc>> => into,
        faults: Vec<Fault> => into,
        header_read_timeout: Duration,
        max_connections: usize,
    }

    /// `count` records from `seed`, with these knobs and the fault of this name (as bindings and
    /// CLIs receive it).
    pub fn with_knobs(
        count: usize,
        seed: u64,
        knobs: Knobs,
        fault: Option<&str>,
    ) -> Result<Self, crate::UnknownFault> {
        Ok(Self {
            knobs,
            faults: fault.map(str::parse).transpose()?.into_iter().collect(),
            ..Self::seeded(count, seed)
        })
    }

    /// The default configuration with `count` records generated from `seed`.
    pub fn seeded(count: usize, seed: u64) -> Self {
        Self {
            records: Records::Generated { count, seed },
            seed,
            ..Self::default()
        }
    }
}

/// The options of [`ServerConfig::from_options`] besides the knobs.
pub const SERVER_OPTIONS: &[&str] = &["records", "seed", "fault", "end_at", "emulate"];

impl ServerConfig {
    /// A configuration from options as the bindings pass them, a JSON object: `records`, `seed`,
    /// `fault` (a name), `end_at` (`now` or an ISO 8601 date or date-time), `emulate` (a real
    /// server to behave like, over the knobs and besides the fault given), and every knob by
    /// its field name ([`Knobs::names`]). Anything unset keeps its default; an unknown name or a
    /// value of the wrong type is an error that names it.
    pub fn from_options(json: &str) -> Result<Self, String> {
        let mut options: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| format!("server options: {e}"))?;
        let mut take = |name: &str| options.remove(name).filter(|v| !v.is_null());
        let (records, seed, fault, end_at, emulate) = (
            take("records"),
            take("seed"),
            take("fault"),
            take("end_at"),
            take("emulate"),
        );
        let emulate: Option<String> = option(emulate, "emulate")?;
        let records = option(records, "records")?.unwrap_or(DEFAULT_RECORDS);
        let seed = option(seed, "seed")?.unwrap_or(DEFAULT_SEED);
        let fault: Option<String> = option(fault, "fault")?;
        let end_at: Option<String> = option(end_at, "end_at")?;
        let knobs: Knobs = serde_path_to_error::deserialize(serde_json::Value::Object(options))
            .map_err(|e| match e.path().to_string().as_str() {
                "." => e.inner().to_string(),
                path => format!("{path}: {}", e.inner()),
            })?;
        let mut config =
            Self::with_knobs(records, seed, knobs, fault.as_deref()).map_err(|e| e.to_string())?;
        config.history_end = end_at
            .as_deref()
            .map(crate::data::parse_history_end)
            .transpose()
            .map_err(|e| format!("end_at: {e}"))?;
        if let Some(name) = emulate {
            let emulation: crate::Emulation = name.parse().map_err(|e| format!("emulate: {e}"))?;
            config = emulation.apply(config);
        }
        Ok(config)
    }
}

impl ServerConfig {
    /// Every name [`ServerConfig::from_options`] takes: [`SERVER_OPTIONS`], then the knobs.
    pub fn option_names() -> Vec<&'static str> {
        SERVER_OPTIONS
            .iter()
            .chain(Knobs::names())
            .copied()
            .collect()
    }
}

fn option<T: serde::de::DeserializeOwned>(
    value: Option<serde_json::Value>,
    name: &str,
) -> Result<Option<T>, String> {
    value
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| format!("{name}: {e}"))
}

impl Knobs {
    /// Every knob's name, as [`ServerConfig::from_options`] takes it: the field names, read from
    /// the `Deserialize` implementation itself, so that no list restates them.
    pub fn names() -> &'static [&'static str] {
        use serde::de::{Error, Visitor, value};

        /// A deserializer that only notes the field names a struct asks for.
        struct Names<'a>(&'a mut &'static [&'static str]);

        impl<'de> Deserializer<'de> for Names<'_> {
            type Error = value::Error;

            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(Error::custom("only a struct's field names are read"))
            }

            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                *self.0 = fields;
                Err(Error::custom("only a struct's field names are read"))
            }

            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }

        let mut names: &'static [&'static str] = &[];
        let _ = Knobs::deserialize(Names(&mut names));
        names
    }
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let seconds = f64::deserialize(deserializer)?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| serde::de::Error::custom(format!("{seconds} is not a duration in seconds")))
}

fn parsed<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    String::deserialize(deserializer)?
        .parse()
        .map_err(serde::de::Error::custom)
}

fn parsed_list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .map(|name| name.parse().map_err(serde::de::Error::custom))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_knob_names_are_the_fields_in_their_order() {
        let names = Knobs::names();
        assert_eq!(names.len(), 19);
        assert_eq!(names.first(), Some(&"latency"));
        let live = names
            .iter()
            .position(|name| *name == "live_inserts")
            .unwrap();
        assert_eq!(names[live + 1..live + 3], ["late_inserts", "late_by"]);
        assert!(names.contains(&"retry_after_secs") && names.contains(&"ignored_filters"));
    }

    #[test]
    fn options_set_knobs_by_name_and_keep_defaults_for_the_rest() {
        let config = ServerConfig::from_options(
            r#"{"records": 7, "latency": 0.25, "past_last": "404", "ignored_filters": ["end_date"],
                "script": [503], "fault": null, "end_at": "2026-01-02"}"#,
        )
        .unwrap();
        assert!(matches!(
            config.records,
            Records::Generated {
                count: 7,
                seed: DEFAULT_SEED
            }
        ));
        assert_eq!(config.knobs.latency, Duration::from_millis(250));
        assert_eq!(config.knobs.past_last, PastLast::NotFound);
        assert_eq!(config.knobs.ignored_filters, [Filter::EndDate]);
        assert_eq!(config.knobs.retry_after_secs, DEFAULT_RETRY_AFTER_SECS);
        assert!(config.history_end.is_some());
        assert_eq!(
            ServerConfig::from_options("{}").unwrap().knobs,
            Knobs::default()
        );
    }

    #[test]
    fn a_wrong_option_is_an_error_that_names_it() {
        let error = |json| ServerConfig::from_options(json).unwrap_err();
        assert!(error(r#"{"retry_after": 3}"#).contains("unknown field `retry_after`"));
        assert!(error(r#"{"error_rate": "high"}"#).starts_with("error_rate: "));
        assert!(error(r#"{"past_last": "500"}"#).starts_with("past_last: "));
        assert!(error(r#"{"records": -1}"#).starts_with("records: "));
        assert!(error(r#"{"fault": "no-such-fault"}"#).contains("no-such-fault"));
        assert!(error(r#"{"latency": -1}"#).starts_with("latency: "));
    }
}
