//! Collects 100,000 records (page_size 100) from the reference server in one run with: the stream,
//! the stream with prefetch 1 and 4, `collect_all` at concurrency 1, 2 and 4, and a hand-written reqwest +
//! serde_json page loop as the baseline; beside them the transport floor, a reqwest loop that fetches
//! the same pages and discards their bodies, with 1, 2 and 4 pages in flight. Prints medians, ratios
//! to the baseline and to the floor with as many pages in flight as the method.
//!
//! `cargo bench -p unpod-calllogs --bench collect [-- RECORDS ROUNDS]`. Run by `cargo test` (without
//! `--bench`) it does one small round, so that the program itself is tested; its times mean nothing then.

#[path = "../examples/transport_floor/pages.rs"]
mod pages;

use std::time::{Duration, Instant};

use calllogs_reference::{ServerConfig, start};
use futures_util::TryStreamExt;
use unpod_calllogs::{CallLogPage, CallLogQuery, Client, PagerOptions};

const PAGE_SIZE: u32 = 100;

/// The client of most methods, and for the filtered pair two clients of their own that differ only
/// in checking every record against the filters sent (so that their pools are alike).
#[derive(Clone)]
struct Clients {
    shared: Client,
    verified: Client,
    unverified: Client,
}

type Method = fn(Clients, String) -> futures_util::future::BoxFuture<'static, usize>;

/// Page `page` (of size [`PAGE_SIZE`]), asked as a hand-written loop asks it.
async fn get_page(http: &reqwest::Client, url: &str, page: usize) -> reqwest::Response {
    http.get(format!(
        "{url}/api/v2/platform/call-logs/?page={page}&page_size={PAGE_SIZE}"
    ))
    .header("Authorization", "Token test-token")
    .header("Org-Handle", "acme")
    .send()
    .await
    .unwrap()
}

fn hand_written(_: Clients, url: String) -> futures_util::future::BoxFuture<'static, usize> {
    Box::pin(async move {
        let http = unpod_calllogs::transport::http_client().unwrap();
        let mut total = 0;
        for page in 1.. {
            let body = get_page(&http, &url, page).await.bytes().await.unwrap();
            let page: CallLogPage = serde_json::from_slice(&body).unwrap();
            total += page.data.len();
            if page.data.len() < PAGE_SIZE as usize {
                break;
            }
        }
        total
    })
}

/// The same pages fetched and their bodies dropped, `in_flight` at a time: what no client with as
/// many pages in flight can go below.
fn transport_floor(
    url: String,
    in_flight: usize,
) -> futures_util::future::BoxFuture<'static, usize> {
    Box::pin(async move {
        let http = unpod_calllogs::transport::http_client().unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("authorization", "Token test-token".parse().unwrap());
        headers.insert("org-handle", "acme".parse().unwrap());
        let endpoint = format!("{url}/api/v2/platform/call-logs/");
        pages::fetch_pages(&http, &endpoint, &headers, PAGE_SIZE as usize, in_flight).await
    })
}

fn stream(
    client: Client,
    prefetch: usize,
    query: CallLogQuery,
) -> futures_util::future::BoxFuture<'static, usize> {
    Box::pin(async move {
        let options = PagerOptions::new().prefetch(prefetch);
        let mut records = client.call_logs().stream_with(query, options);
        let mut total = 0;
        while let Some(record) = records.try_next().await.unwrap() {
            std::hint::black_box(&record);
            total += 1;
        }
        total
    })
}

fn all() -> CallLogQuery {
    CallLogQuery::new().page_size(PAGE_SIZE)
}

/// A filter every record matches: the server's work is the same, the client checks each record.
fn filtered() -> CallLogQuery {
    all().start_date(chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap())
}

fn collect(client: Client, concurrency: usize) -> futures_util::future::BoxFuture<'static, usize> {
    Box::pin(async move {
        let query = CallLogQuery::new().page_size(PAGE_SIZE);
        client
            .call_logs()
            .collect_all(query, concurrency)
            .await
            .unwrap()
            .len()
    })
}

/// The time to check one record against the filters of a walk (start_date and the pinned
/// end_date), measured over a page of real records many times over.
fn verification_cost(runtime: &tokio::runtime::Runtime, client: &Client) -> f64 {
    let page = runtime
        .block_on(client.call_logs().list(&all().page_size(1000)))
        .unwrap();
    let newest = page.data[0].creation_time;
    let query = filtered().end_date(newest);
    let repeats = 2000;
    let started = Instant::now();
    for _ in 0..repeats {
        let filters = std::hint::black_box(&query).filters();
        let outside = page
            .data
            .iter()
            .filter(|r| filters.unmatched(r).is_some())
            .count();
        assert_eq!(std::hint::black_box(outside), 0);
    }
    started.elapsed().as_secs_f64() / (repeats * page.data.len()) as f64
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let mut args = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.parse::<usize>().expect("RECORDS ROUNDS"));
    let (records, rounds) = if benchmarking {
        (100_000, 5)
    } else {
        (2_000, 1)
    };
    let records = args.next().unwrap_or(records);
    let rounds = args.next().unwrap_or(rounds);

    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = server_runtime
        .block_on(start(ServerConfig::seeded(records, 42)))
        .unwrap();
    let url = server.url().to_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client = |verify| {
        runtime.block_on(async {
            Client::builder()
                .token(server.token())
                .org_handle(server.org_handle())
                .base_url(&url)
                .verify_filters(verify)
                .build()
                .unwrap()
        })
    };
    let clients = Clients {
        shared: client(true),
        verified: client(true),
        unverified: client(false),
    };

    // Each method with the pages it has in flight: the floor of its row is the floor's with as many.
    let methods: [(&str, Method, usize); 12] = [
        ("reqwest + serde_json loop (baseline)", hand_written, 1),
        (
            "transport floor, 1 in flight",
            |_, url| transport_floor(url, 1),
            1,
        ),
        (
            "transport floor, 2 in flight",
            |_, url| transport_floor(url, 2),
            2,
        ),
        (
            "transport floor, 4 in flight",
            |_, url| transport_floor(url, 4),
            4,
        ),
        ("stream", |c, _| stream(c.shared, 0, all()), 1),
        // The filtered pair follows a plain stream: the method before a run costs it (prefetching
        // leaves its second connection and tasks behind).
        (
            "stream, start_date, verified",
            |c, _| stream(c.verified, 0, filtered()),
            1,
        ),
        (
            "stream, start_date, not verified",
            |c, _| stream(c.unverified, 0, filtered()),
            1,
        ),
        ("stream, prefetch 1", |c, _| stream(c.shared, 1, all()), 1),
        ("stream, prefetch 4", |c, _| stream(c.shared, 4, all()), 4),
        ("collect_all, concurrency 1", |c, _| collect(c.shared, 1), 1),
        ("collect_all, concurrency 2", |c, _| collect(c.shared, 2), 2),
        ("collect_all, concurrency 4", |c, _| collect(c.shared, 4), 4),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); methods.len()];
    for round in 0..=rounds {
        // Each round starts at another method, so that no method always runs in the same place.
        for k in 0..methods.len() {
            let i = (k + round) % methods.len();
            let method = methods[i].1;
            let started = Instant::now();
            let total = runtime.block_on(method(clients.clone(), url.clone()));
            assert_eq!(total, records);
            if round > 0 {
                times[i].push(started.elapsed());
            }
        }
    }
    let median = |mut t: Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let seconds = |name: &str| {
        let row = methods.iter().position(|m| m.0 == name).unwrap();
        medians[row].as_secs_f64()
    };
    println!(
        "{records} records, page_size {PAGE_SIZE}, median of {rounds} interleaved rounds, order rotated each round \
         (server and client each on one worker thread)"
    );
    println!(
        "{:<40} {:>10} {:>12} {:>10} {:>10}",
        "method", "ms", "records/s", "vs base", "vs floor"
    );
    let base = seconds(methods[0].0);
    for ((name, _, in_flight), time) in methods.iter().zip(&medians) {
        let floor = seconds(&format!("transport floor, {in_flight} in flight"));
        println!(
            "{name:<40} {:>10.1} {:>12.0} {:>9.3}x {:>9.3}x",
            time.as_secs_f64() * 1e3,
            records as f64 / time.as_secs_f64(),
            time.as_secs_f64() / base,
            time.as_secs_f64() / floor
        );
    }
    println!(
        "stream overhead over the hand-written loop: {:+.1}%",
        (seconds("stream") / base - 1.0) * 100.0
    );
    println!(
        "filtered stream, verified against not verified: {:+.1}% (end to end)",
        (seconds("stream, start_date, verified") / seconds("stream, start_date, not verified")
            - 1.0)
            * 100.0
    );
    let per_record = verification_cost(&runtime, &clients.shared);
    let stream_per_record = seconds("stream") / records as f64;
    println!(
        "checking one record against start_date and the pinned end_date: {:.1} ns, {:.2}% of the stream's {:.0} ns per record",
        per_record * 1e9,
        per_record / stream_per_record * 100.0,
        stream_per_record * 1e9
    );
}
