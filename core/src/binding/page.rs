//! What a binding holds between calls: a page with the query that fetched it and the answer that
//! carried it, from which it asks for the next page or walks on; and the query and walk options
//! as a binding receives them.

use crate::binding::coerce::{
    concurrency_from, limit_from, max_retries_from, prefetch_from, timeout_from_secs,
};
use crate::client::Client;
use crate::defaults::DEFAULT_PREFETCH;
use crate::error::Error;
use crate::options::ResponseInfo;
use crate::pagination::{Pager, PagerOptions, next_page_query, served_page_size};
use crate::query::CallLogQuery;
use crate::walk::Walk;
use crate::{CallLog, CallLogPage};

/// A query as a binding receives it: the contract's parameters as text, parameters the contract
/// does not define, headers, and this call's timeout (seconds) and retries.
#[derive(Clone, Debug, Default)]
pub struct QueryArgs {
    /// `(name, value)` of the contract's parameters.
    pub params: Vec<(String, String)>,
    /// Parameters sent as given.
    pub extra_query: Vec<(String, String)>,
    /// Headers for this call's requests.
    pub extra_headers: Vec<(String, String)>,
    /// Seconds allowed for each attempt, instead of the client's.
    pub timeout_secs: Option<f64>,
    /// Retries, instead of the client's.
    pub max_retries: Option<f64>,
}

impl QueryArgs {
    /// The query, validated: nothing is sent for a query that breaks a rule.
    pub fn query(self) -> Result<CallLogQuery, Error> {
        let mut query = CallLogQuery::from_pairs(self.params)?;
        query.extra_query = self.extra_query;
        query.extra_headers = self.extra_headers;
        query.timeout = self.timeout_secs.map(timeout_from_secs).transpose()?;
        query.max_retries = self.max_retries.map(max_retries_from).transpose()?;
        query.validate()?;
        Ok(query)
    }
}

/// A walk's `limit` (records) and `prefetch` (pages; [`DEFAULT_PREFETCH`] unless given).
pub fn walk_options(limit: Option<f64>, prefetch: Option<f64>) -> Result<PagerOptions, Error> {
    Ok(PagerOptions::new()
        .limit(limit.map(limit_from).transpose()?)
        .prefetch(prefetch.map_or(Ok(DEFAULT_PREFETCH), prefetch_from)?))
}

/// `all`'s `concurrency` (pages in flight) and `limit` (records).
pub fn all_options(concurrency: f64, limit: Option<f64>) -> Result<(usize, Option<u64>), Error> {
    Ok((
        concurrency_from(concurrency)?,
        limit.map(limit_from).transpose()?,
    ))
}

/// One page as a binding hands it out.
#[derive(Clone, Debug)]
pub struct HeldPage {
    /// The page as received.
    pub page: CallLogPage,
    /// The query that fetched it.
    pub query: CallLogQuery,
    /// The answer that carried it.
    pub response: ResponseInfo,
}

impl HeldPage {
    /// Fetches the page `query` asks for.
    pub async fn fetch(client: &Client, query: CallLogQuery) -> Result<Self, Error> {
        let (page, response) = client.call_logs().list_with_response(&query).await?;
        Ok(Self {
            page,
            query,
            response,
        })
    }

    /// Fetches the page after this one, or `None` after the last, checked against this one by
    /// the walk's rules (its length against `count`, `count` not falling, newest-first order
    /// across the two, no record of this page again); the records of an insertion's shift are
    /// left out of it, as a walk leaves them out.
    ///
    /// After a first page that had no `end_date`, the next one is asked for with the `end_date`
    /// a walk pins (the newest record's `creation_time`), so that calls created meanwhile do not
    /// push the pages along; the pages after it keep that query.
    pub async fn fetch_next(&self, client: &Client) -> Result<Option<Self>, Error> {
        let mut walk = Walk::new(self.query.clone(), PagerOptions::new());
        walk.held = true;
        walk.accept(self.page.clone())?;
        if walk.done {
            return Ok(None);
        }
        let mut next = Self::fetch(client, walk.query.clone()).await?;
        next.page.data = walk.accept(next.page.clone())?;
        Ok(Some(next))
    }

    /// The query of the next page, or `None` when this is the last.
    pub fn next_query(&self) -> Option<CallLogQuery> {
        next_page_query(&self.query, &self.page)
    }

    /// Whether a page follows this one.
    pub fn has_next_page(&self) -> bool {
        self.next_query().is_some()
    }

    /// The page's number.
    pub fn number(&self) -> u32 {
        self.query.page_number()
    }

    /// The page size the server served (smaller than asked when it caps or defaults silently).
    pub fn served_page_size(&self) -> u32 {
        served_page_size(&self.query, &self.page)
    }

    /// The walk of the pages after this one.
    pub fn walk_after(&self, client: &Client, options: PagerOptions) -> Result<Pager, Error> {
        client
            .call_logs()
            .pages_after(self.query.clone(), self.page.clone(), options)
    }
}

/// The records of a page body as the endpoint sends it (`records_from_json` of both bindings).
pub fn records_from_json(body: &[u8]) -> Result<Vec<CallLog>, Error> {
    CallLogPage::from_body(body)
        .map(|page| page.data)
        .map_err(|e| Error::Decode(Box::new(crate::DecodeError::new(200, e.to_string(), body))))
}
