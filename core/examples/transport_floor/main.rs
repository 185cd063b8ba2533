//! The transport floor of the Python and Node benchmarks: a plain reqwest loop, on the client's own
//! HTTP stack, that fetches the pages a walk would and drops their bodies.
//!
//! ```text
//! UNPOD_TOKEN=... UNPOD_ORG_HANDLE=... transport_floor ENDPOINT PAGE_SIZE ROUNDS [IN_FLIGHT]
//! ```
//!
//! `ENDPOINT` is the call-logs URL without a query; `IN_FLIGHT` (default 1) is how many pages after
//! the first are in flight at a time. Prints, for each round, the count and the round's seconds
//! (process start-up not included).

mod pages;

use std::time::Instant;

use reqwest::header::{HeaderMap, HeaderValue};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "transport_floor ENDPOINT PAGE_SIZE ROUNDS [IN_FLIGHT]";
    let (Some(endpoint), Some(page_size), Some(rounds)) = (args.first(), args.get(1), args.get(2))
    else {
        panic!("usage: {usage}");
    };
    let number = |text: &str| {
        text.parse::<usize>()
            .unwrap_or_else(|_| panic!("usage: {usage}"))
    };
    let (page_size, rounds) = (number(page_size), number(rounds));
    let in_flight = args.get(3).map_or(1, |text| number(text));
    let mut headers = HeaderMap::new();
    for (name, variable, prefix) in [
        ("authorization", "UNPOD_TOKEN", "Token "),
        ("org-handle", "UNPOD_ORG_HANDLE", ""),
    ] {
        let value = std::env::var(variable).unwrap_or_else(|_| panic!("{variable} is not set"));
        let mut value = HeaderValue::from_str(&format!("{prefix}{value}")).expect("a header value");
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let http = unpod_calllogs::transport::http_client().expect("an HTTP client");
    for _ in 0..rounds {
        let started = Instant::now();
        let count = runtime.block_on(pages::fetch_pages(
            &http, endpoint, &headers, page_size, in_flight,
        ));
        println!("{count} {}", started.elapsed().as_secs_f64());
    }
}
