//! Dialects: what the client does differently for a server known to differ from the contract in
//! ways a client can make up for.

use std::fmt;
use std::str::FromStr;

/// How the client speaks to the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// The contract as written (the default).
    #[default]
    Contract,
    /// The real Unpod v2 server (CONTRACT.md, "what the real server has been seen to do
    /// differently"): it ignores `start_date`/`end_date` and requires a `Product-Id` header.
    ///
    /// Walks (`stream`, `collect_all`, exports) apply the date window themselves: they walk the
    /// verified newest-first order without the date parameters, skip records newer than
    /// `end_date` and stop at the first one older than `start_date`, so a walk costs the records
    /// newer than `start_date`, not the whole history. Its own `start_time`/`end_time` parameters
    /// are not used: they filter on the call's `start_time`/`end_time` dates, which unanswered
    /// calls do not have, so they are no superset of a `creation_time` window. Records that share
    /// a `creation_time` come in no stable order there; where such a group straddles two pages
    /// and one of its records comes twice, the walk asks once for a page that holds the whole
    /// group and hands on the records it had not yet (a warning event says so). `Product-Id:
    /// unpod.ai` is sent unless a `Product-Id` header is set. A single page (`list`) with a date
    /// filter is refused: that server has no page numbers of a date window.
    UnpodV2,
}

impl Dialect {
    /// Every dialect, as [`Dialect::name`] names them.
    pub const ALL: &'static [Dialect] = &[Dialect::Contract, Dialect::UnpodV2];

    /// The dialect's name, as `UNPOD_DIALECT` and the bindings take it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Contract => "contract",
            Self::UnpodV2 => "unpod-v2",
        }
    }

    /// Whether the server ignores `start_date`/`end_date`, so that walks apply them.
    pub(crate) fn applies_dates(self) -> bool {
        self == Self::UnpodV2
    }

    /// Whether records sharing a `creation_time` come in no stable order, so that a walk gathers
    /// a group split by a page boundary again instead of failing on it.
    pub(crate) fn unstable_ties(self) -> bool {
        self == Self::UnpodV2
    }

    /// A header the server requires, with the value sent unless the caller sets one.
    pub(crate) fn required_header(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Contract => None,
            Self::UnpodV2 => Some(("Product-Id", "unpod.ai")),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|d| d.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|d| d.name()).collect();
                format!("unknown dialect {name:?}; known: {}", known.join(", "))
            })
    }
}
