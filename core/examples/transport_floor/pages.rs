//! The transport floor: the pages of a walk fetched and their bodies dropped, what no client can go
//! below. Only the first page's `count` is read, to know how many pages there are. Shared by the
//! `transport_floor` example (the floor row of the Python and Node benchmarks) and the `collect`
//! bench.

use futures_util::{StreamExt, stream};
use reqwest::header::HeaderMap;

/// `count`, read from a page without decoding its records.
#[derive(serde::Deserialize)]
struct Count {
    count: usize,
}

/// Fetches every page of `page_size` records from `endpoint` (a URL without a query), the pages
/// after the first `in_flight` at a time, in order; returns the count the first page gives.
///
/// # Panics
///
/// On any failed request or a first page without a count: a benchmark has no use for a floor
/// that did not fetch everything.
pub async fn fetch_pages(
    http: &reqwest::Client,
    endpoint: &str,
    headers: &HeaderMap,
    page_size: usize,
    in_flight: usize,
) -> usize {
    let get = |page: usize| {
        let request = http
            .get(format!("{endpoint}?page={page}&page_size={page_size}"))
            .headers(headers.clone());
        async move {
            let response = request.send().await.expect("a page");
            assert!(response.status().is_success(), "{}", response.status());
            response.bytes().await.expect("a page's body")
        }
    };
    let first = get(1).await;
    let count = serde_json::from_slice::<Count>(&first)
        .expect("a count on the first page")
        .count;
    let mut rest = stream::iter(2..=count.div_ceil(page_size))
        .map(get)
        .buffered(in_flight.max(1));
    while let Some(body) = rest.next().await {
        std::hint::black_box(body);
    }
    count
}
