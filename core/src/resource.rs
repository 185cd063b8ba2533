//! The call-logs resource: one page, the answer behind it, a walk, a stream, or every record.

use crate::client::Client;
use crate::error::Error;
use crate::model::{CallLog, CallLogPage};
use crate::options::ResponseInfo;
use crate::pagination::{CallLogStream, Pager, PagerOptions};
use crate::query::CallLogQuery;

impl Client {
    /// The call-logs resource.
    pub fn call_logs(&self) -> CallLogs<'_> {
        CallLogs { client: self }
    }
}

/// The call-logs resource of a [`Client`]: one page, a stream of records, or all of them.
#[derive(Clone, Copy, Debug)]
pub struct CallLogs<'a> {
    pub(crate) client: &'a Client,
}

impl CallLogs<'_> {
    /// Fetches the one page the query asks for. The query is validated before anything is sent.
    pub async fn list(&self, query: &CallLogQuery) -> Result<CallLogPage, Error> {
        self.single_page(query)?;
        self.client.fetch(query).await
    }

    /// [`CallLogs::list`], with the HTTP answer that carried the page: status, headers, request id.
    pub async fn list_with_response(
        &self,
        query: &CallLogQuery,
    ) -> Result<(CallLogPage, ResponseInfo), Error> {
        self.single_page(query)?;
        self.client.fetch_with_response(query).await
    }

    /// Refuses a single page of a date window from a server whose dialect applies the window on
    /// the client: such a server has no page numbers of it.
    fn single_page(&self, query: &CallLogQuery) -> Result<(), Error> {
        let dialect = self.client.dialect();
        if dialect.applies_dates() && (query.start_date.is_some() || query.end_date.is_some()) {
            return Err(Error::Config(format!(
                "with the {dialect} dialect, start_date and end_date are applied by walks (iterating, reading all, exporting), which read the newest records down to start_date; a single page of a date window does not exist on that server"
            )));
        }
        Ok(())
    }

    /// Every matching record from the query's page on, page after page, in constant memory.
    /// See [`crate::pagination`] for the stop rules and how concurrent inserts are handled.
    pub fn stream(&self, query: CallLogQuery) -> CallLogStream {
        self.stream_with(query, PagerOptions::default())
    }

    /// [`CallLogs::stream`] with a limit on the number of records and optional read-ahead.
    pub fn stream_with(&self, query: CallLogQuery, options: PagerOptions) -> CallLogStream {
        CallLogStream::new(self.pages_with(query, options))
    }

    /// The pages of a query one at a time, for callers that want whole pages.
    pub fn pages_with(&self, query: CallLogQuery, options: PagerOptions) -> Pager {
        Pager::new(self.client.clone(), query, options)
    }

    /// The walk of the pages after `page`, which `query` fetched (with [`CallLogs::list`]): for
    /// iterating on from a page the caller already holds. The rules of the walk apply from `page` on;
    /// a page that breaks them is an error.
    pub fn pages_after(
        &self,
        query: CallLogQuery,
        page: CallLogPage,
        options: PagerOptions,
    ) -> Result<Pager, Error> {
        crate::pagination::after_held(self.client.clone(), query, page, options)
    }

    /// Every matching record, in server order. Once the first page has told `count`, the remaining
    /// pages are fetched `concurrency` at a time (at least 1), each checked by the walk's rules in
    /// order, as [`CallLogs::stream`] checks them.
    pub async fn collect_all(
        &self,
        query: CallLogQuery,
        concurrency: usize,
    ) -> Result<Vec<CallLog>, Error> {
        self.collect_all_with(query, concurrency, None).await
    }

    /// [`CallLogs::collect_all`] of at most `limit` records: a bound on what a server claiming a
    /// huge `count` can make the client fetch and hold.
    pub async fn collect_all_with(
        &self,
        query: CallLogQuery,
        concurrency: usize,
        limit: Option<u64>,
    ) -> Result<Vec<CallLog>, Error> {
        self.collect_all_reporting(query, concurrency, limit, |_| {})
            .await
    }

    /// [`CallLogs::collect_all_with`], telling `progress` after each page.
    pub async fn collect_all_reporting(
        &self,
        query: CallLogQuery,
        concurrency: usize,
        limit: Option<u64>,
        progress: impl FnMut(&crate::pagination::WalkProgress) + Send,
    ) -> Result<Vec<CallLog>, Error> {
        let mut all = Vec::new();
        self.each_page_reporting(query, concurrency, limit, progress, |records| {
            all.extend(records)
        })
        .await?;
        Ok(all)
    }

    /// The walk [`CallLogs::collect_all_reporting`] makes, each page's records handed to `take`
    /// (in server order, every rule of the walk applied) instead of gathered: for a caller that
    /// lays the records out its own way, such as columns, and holds nothing else.
    pub async fn each_page_reporting(
        &self,
        query: CallLogQuery,
        concurrency: usize,
        limit: Option<u64>,
        progress: impl FnMut(&crate::pagination::WalkProgress) + Send,
        take: impl FnMut(Vec<CallLog>) + Send,
    ) -> Result<(), Error> {
        let pager = self.all_pages(query, concurrency, limit);
        crate::pagination::each_page(pager, progress, take).await
    }

    /// The walk [`CallLogs::collect_all_with`] makes, page by page: `concurrency` pages in flight,
    /// at most `limit` records; [`Pager::progress`] tells how far it has come.
    pub fn all_pages(&self, query: CallLogQuery, concurrency: usize, limit: Option<u64>) -> Pager {
        self.pages_with(
            query,
            PagerOptions::new().limit(limit).prefetch(concurrency),
        )
    }
}
