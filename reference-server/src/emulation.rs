//! The real servers the reference server can behave like.

use crate::config::{Filter, Knobs, PastLast, ServerConfig};
use crate::fault::Fault;

/// Real servers the reference server can behave like, for testing clients and contract suites
/// against them (CONTRACT.md, "what the real server has been seen to do differently").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Emulation {
    /// The public Unpod platform code's `GET /api/v2/platform/call-logs/` (items 1-9): dates read
    /// from `start_time`/`end_time`, `start_date`/`end_date` ignored, unknown organizations
    /// answered 200, organizations not isolated, unknown enum values answered with an empty page,
    /// enum values matched without regard to case, any `page_size`, `Product-Id` required, ties
    /// in no stable order, extra fields and fractional durations.
    UnpodV2,
    /// A Django REST framework `PageNumberPagination` view such as the public v1 metrics endpoint
    /// (items 10-11): default page size 10, `page_size` capped at 100 silently, a page past the
    /// last answered 400.
    DrfPagination,
}

impl Emulation {
    /// The names `--emulate` takes.
    pub const NAMES: &'static str = "unpod-v2, drf-pagination";

    /// The emulation's name, as `--emulate` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::UnpodV2 => "unpod-v2",
            Self::DrfPagination => "drf-pagination",
        }
    }

    /// `config` behaving like this server: its knobs over `config`'s, its faults besides
    /// `config`'s.
    pub fn apply(self, config: ServerConfig) -> ServerConfig {
        let knobs = config.knobs;
        let mut faults = config.faults;
        match self {
            Self::UnpodV2 => ServerConfig {
                knobs: Knobs {
                    ignored_filters: vec![Filter::StartDate, Filter::EndDate],
                    legacy_date_params: true,
                    case_insensitive_enums: true,
                    page_size_unbounded: true,
                    required_header: Some("Product-Id".to_owned()),
                    real_world_records: true,
                    ..knobs
                },
                faults: {
                    faults.extend([
                        Fault::UnknownOrgEmpty,
                        Fault::ForeignOrgReadable,
                        Fault::InvalidFilterIgnored,
                        Fault::UnstableTies,
                    ]);
                    faults
                },
                ..config
            },
            Self::DrfPagination => ServerConfig {
                knobs: Knobs {
                    default_page_size: Some(10),
                    page_size_cap: Some(100),
                    past_last: PastLast::BadRequest,
                    ..knobs
                },
                faults,
                ..config
            },
        }
    }
}

impl std::str::FromStr for Emulation {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "unpod-v2" => Ok(Self::UnpodV2),
            "drf-pagination" => Ok(Self::DrfPagination),
            other => Err(format!("unknown server {other:?}; known: {}", Self::NAMES)),
        }
    }
}
