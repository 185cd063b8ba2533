//! The client against the reference server over real sockets.

use std::collections::HashSet;
use std::time::Duration;

use calllogs_reference::{FOREIGN_ORG_HANDLE, Knobs, ServerConfig, ServerHandle};
use futures_util::TryStreamExt;
use unpod_calllogs::{CallLog, CallLogQuery, CallStatus, CallType, Client, Error, PagerOptions};

mod common;
use common::{builder, client};

async fn start(config: ServerConfig) -> ServerHandle {
    calllogs_reference::start(config).await.unwrap()
}

async fn everything(client: &Client, query: CallLogQuery) -> Vec<CallLog> {
    client
        .call_logs()
        .stream(query)
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn lists_one_page_with_every_filter() {
    let server = start(ServerConfig::seeded(800, 5)).await;
    let client = client(&server);
    let all = everything(&client, CallLogQuery::new().page_size(1000)).await;
    assert_eq!(all.len(), 800);

    let page = client.call_logs().list(&CallLogQuery::new()).await.unwrap();
    assert_eq!(page.count, 800);
    assert_eq!(page.data, all[..20]);

    for call_type in CallType::DOCUMENTED {
        for call_status in CallStatus::DOCUMENTED {
            let query = CallLogQuery::new()
                .call_type(call_type.clone())
                .call_status(call_status.clone())
                .page_size(1000);
            let page = client.call_logs().list(&query).await.unwrap();
            let expected: Vec<_> = all
                .iter()
                .filter(|r| &r.call_type == call_type && &r.call_status == call_status)
                .cloned()
                .collect();
            assert!(!expected.is_empty());
            assert_eq!(page.data, expected, "{call_type} {call_status}");
            assert_eq!(page.count, expected.len() as u64);
        }
    }

    let day = all[400].creation_time.date_naive();
    let on_day = client
        .call_logs()
        .list(
            &CallLogQuery::new()
                .start_date(day)
                .end_date(day)
                .page_size(1000),
        )
        .await
        .unwrap();
    let expected: Vec<_> = all
        .iter()
        .filter(|r| r.creation_time.date_naive() == day)
        .cloned()
        .collect();
    assert_eq!(on_day.data, expected);

    let instant = all[100].creation_time;
    let through = client
        .call_logs()
        .list(&CallLogQuery::new().end_date(instant).page_size(1000))
        .await
        .unwrap();
    assert!(through.data.iter().all(|r| r.creation_time <= instant));
    assert_eq!(through.data.first().map(|r| r.creation_time), Some(instant));
}

#[tokio::test]
async fn every_error_status_maps_to_an_api_error() {
    let server = start(ServerConfig::seeded(10, 1)).await;
    let cases = [
        (builder(&server).token("wrong"), 401),
        (builder(&server).org_handle("nobody"), 404),
        (builder(&server).org_handle(FOREIGN_ORG_HANDLE), 403),
    ];
    for (builder, status) in cases {
        let error = builder
            .build()
            .unwrap()
            .call_logs()
            .list(&CallLogQuery::new())
            .await
            .unwrap_err();
        let Error::Api(api) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(api.status, status);
        assert!(!api.message.is_empty());
        assert!(api.body.contains(&format!("\"status_code\":{status}")));
    }
    let lenient = CallLogQuery::new()
        .call_status("busy")
        .allow_undocumented_values();
    let error = client(&server)
        .call_logs()
        .list(&lenient)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(error.to_string().contains("`call_status`"), "{error}");
    assert_eq!(server.requests(), 4, "client errors are never retried");
}

#[tokio::test]
async fn invalid_queries_fail_before_anything_is_sent() {
    let server = start(ServerConfig::seeded(10, 1)).await;
    let client = client(&server);
    for query in [
        CallLogQuery::new().page(0),
        CallLogQuery::new().page_size(5000),
        CallLogQuery::new().call_type("sideways"),
    ] {
        let error = client.call_logs().list(&query).await.unwrap_err();
        assert!(matches!(error, Error::InvalidQuery(_)), "{error:?}");
        let streamed: Result<Vec<_>, _> =
            client.call_logs().stream(query.clone()).try_collect().await;
        assert!(matches!(streamed, Err(Error::InvalidQuery(_))));
        assert!(matches!(
            client.call_logs().collect_all(query, 4).await,
            Err(Error::InvalidQuery(_))
        ));
    }
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn configuration_errors_are_reported_and_the_token_never_shows() {
    let missing = Client::builder().org_handle("acme").build().unwrap_err();
    assert!(
        missing.to_string().contains("UNPOD_PLATFORM_TOKEN"),
        "{missing}"
    );
    let no_org = Client::builder().token("t").build().unwrap_err();
    assert!(no_org.to_string().contains("UNPOD_ORG_HANDLE"), "{no_org}");
    let bad_url = Client::builder()
        .token("t")
        .org_handle("o")
        .base_url("ftp://x")
        .build()
        .unwrap_err();
    assert!(bad_url.to_string().contains("http or https"), "{bad_url}");
    let zero = Client::builder()
        .token("t")
        .org_handle("o")
        .timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(zero.to_string().contains("timeout"), "{zero}");
    for seconds in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                unpod_calllogs::binding::coerce::timeout_from_secs(seconds),
                Err(Error::Config(_))
            ),
            "{seconds}"
        );
    }
    assert_eq!(
        unpod_calllogs::binding::coerce::timeout_from_secs(0.25).unwrap(),
        Duration::from_millis(250)
    );
    let auth_header = Client::builder()
        .token("t")
        .org_handle("o")
        .header("Authorization", "x")
        .build()
        .unwrap_err();
    assert!(matches!(auth_header, Error::Config(_)));

    let client = Client::builder()
        .token("super-secret-value")
        .org_handle("acme")
        .base_url("http://127.0.0.1:9/prefix")
        .build()
        .unwrap();
    assert_eq!(
        client.endpoint(),
        "http://127.0.0.1:9/prefix/api/v2/platform/call-logs/"
    );
    let shown = format!("{client:?}");
    assert!(
        !shown.contains("super-secret-value") && shown.contains("***"),
        "{shown}"
    );
    let token = unpod_calllogs::SecretToken::new("super-secret-value");
    assert_eq!(format!("{token} {token:?}"), "*** SecretToken(***)");
}

#[tokio::test]
async fn streams_walk_every_page_size_to_the_same_records() {
    let server = start(ServerConfig::seeded(503, 11)).await;
    let client = client(&server);
    let reference = everything(&client, CallLogQuery::new().page_size(1000)).await;
    assert_eq!(reference.len(), 503);
    for page_size in [1, 7, 20, 100, 503, 1000] {
        let before = server.requests();
        let walked = everything(&client, CallLogQuery::new().page_size(page_size)).await;
        assert_eq!(walked, reference, "page_size {page_size}");
        let pages = 503u64.div_ceil(u64::from(page_size));
        assert_eq!(
            server.requests() - before,
            pages,
            "one request per page, no extra"
        );
    }
    let from_page_3 = everything(&client, CallLogQuery::new().page_size(100).page(3)).await;
    assert_eq!(from_page_3, reference[200..]);
    let filtered = everything(
        &client,
        CallLogQuery::new()
            .call_type(CallType::Inbound)
            .page_size(33),
    )
    .await;
    let expected: Vec<_> = reference
        .iter()
        .filter(|r| r.call_type == CallType::Inbound)
        .cloned()
        .collect();
    assert_eq!(filtered, expected);
}

#[tokio::test]
async fn limit_and_read_ahead() {
    let server = start(ServerConfig::seeded(300, 3)).await;
    let client = client(&server);
    let reference = everything(&client, CallLogQuery::new().page_size(1000)).await;

    let before = server.requests();
    let limited: Vec<_> = client
        .call_logs()
        .stream_with(
            CallLogQuery::new().page_size(40),
            PagerOptions::new().limit(90).prefetch(0),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(limited, reference[..90]);
    assert_eq!(server.requests() - before, 3, "the limit stops the walk");

    let ahead: Vec<_> = client
        .call_logs()
        .stream_with(
            CallLogQuery::new().page_size(40),
            PagerOptions::new().prefetch(1),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ahead, reference);

    let zero: Vec<_> = client
        .call_logs()
        .stream_with(
            CallLogQuery::new(),
            PagerOptions::new().limit(0).prefetch(1),
        )
        .try_collect()
        .await
        .unwrap();
    assert!(zero.is_empty());
}

#[tokio::test]
async fn read_ahead_fetches_the_next_page_while_this_one_is_consumed() {
    let config =
        ServerConfig::seeded(100, 3).knobs(Knobs::default().latency(Duration::from_millis(100)));
    let server = start(config).await;
    let client = client(&server);
    let mut pager = client.call_logs().pages_with(
        CallLogQuery::new().page_size(10),
        PagerOptions::new().prefetch(1),
    );
    pager.next_page().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.requests(),
        2,
        "page 2 was requested while page 1 was in hand"
    );
    pager.next_page().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.requests(), 3, "and page 3 as soon as page 2 arrived");
}

#[tokio::test]
async fn collect_all_fetches_concurrently_in_server_order() {
    let server = start(ServerConfig::seeded(1234, 8)).await;
    let client = client(&server);
    let reference = everything(&client, CallLogQuery::new().page_size(1000)).await;
    for concurrency in [0, 1, 2, 4, 16] {
        let before = server.requests();
        let all = client
            .call_logs()
            .collect_all(CallLogQuery::new().page_size(50), concurrency)
            .await
            .unwrap();
        assert_eq!(all, reference, "concurrency {concurrency}");
        assert_eq!(server.requests() - before, 25);
    }
    let empty = client
        .call_logs()
        .collect_all(
            CallLogQuery::new().start_date(chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()),
            4,
        )
        .await
        .unwrap();
    assert!(empty.is_empty());
}

#[tokio::test]
async fn collect_all_keeps_at_most_concurrency_requests_in_flight() {
    for concurrency in [1, 3, 8] {
        let config =
            ServerConfig::seeded(200, 8).knobs(Knobs::default().latency(Duration::from_millis(50)));
        let server = start(config).await;
        let all = client(&server)
            .call_logs()
            .collect_all(CallLogQuery::new().page_size(10), concurrency)
            .await
            .unwrap();
        assert_eq!(all.len(), 200);
        assert_eq!(server.peak_concurrency(), concurrency as u64);
    }
}

#[tokio::test]
async fn retries_recover_from_injected_failures_and_count_their_attempts() {
    let config = ServerConfig::seeded(50, 2)
        .knobs(Knobs::default().script([503, 429, 500]).retry_after_secs(0));
    let server = start(config).await;
    let client = builder(&server).max_retries(3).build().unwrap();
    let page = client.call_logs().list(&CallLogQuery::new()).await.unwrap();
    assert_eq!(page.count, 50);
    assert_eq!(server.requests(), 4, "three failures, then success");

    let config = ServerConfig::seeded(50, 2).knobs(Knobs::default().script([503, 503, 503]));
    let server = start(config).await;
    let error = client_for(&server, 2)
        .call_logs()
        .list(&CallLogQuery::new())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(server.requests(), 3, "max_retries 2 means three attempts");
}

fn client_for(server: &ServerHandle, retries: u32) -> Client {
    builder(server).max_retries(retries).build().unwrap()
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let config =
        ServerConfig::seeded(5, 2).knobs(Knobs::default().script([429]).retry_after_secs(1));
    let server = start(config).await;
    let started = std::time::Instant::now();
    client_for(&server, 1)
        .call_logs()
        .list(&CallLogQuery::new())
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(server.requests(), 2);

    let config =
        ServerConfig::seeded(5, 2).knobs(Knobs::default().script([429]).retry_after_secs(3600));
    let server = start(config).await;
    let error = client_for(&server, 5)
        .call_logs()
        .list(&CallLogQuery::new())
        .await
        .unwrap_err();
    let Error::Api(api) = error else { panic!() };
    assert_eq!(
        api.retry_after,
        Some(Duration::from_secs(3600)),
        "a wait beyond the cap is handed back"
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn retries_inside_a_stream_neither_lose_nor_repeat_a_page() {
    let config = ServerConfig::seeded(600, 4).knobs(
        Knobs::default()
            .error_rate(0.3)
            .throttle_rate(0.1)
            .retry_after_secs(0),
    );
    let flaky = start(config).await;
    let steady = start(ServerConfig::seeded(600, 4)).await;
    let expected = everything(&client(&steady), CallLogQuery::new().page_size(1000)).await;
    let walked = everything(&client_for(&flaky, 10), CallLogQuery::new().page_size(25)).await;
    assert_eq!(walked, expected);
    assert!(
        flaky.requests() > 24,
        "some pages needed retries ({} requests)",
        flaky.requests()
    );
    let collected = client_for(&flaky, 10)
        .call_logs()
        .collect_all(CallLogQuery::new().page_size(25), 4)
        .await
        .unwrap();
    assert_eq!(collected, expected);
}

fn assert_newest_first_without_repeats(records: &[CallLog]) {
    assert!(
        records
            .windows(2)
            .all(|w| w[0].creation_time >= w[1].creation_time)
    );
    let distinct: HashSet<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    assert_eq!(distinct.len(), records.len(), "no record is repeated");
}

#[tokio::test]
async fn walking_while_calls_arrive_neither_repeats_nor_skips() {
    let live =
        |inserts| ServerConfig::seeded(200, 21).knobs(Knobs::default().live_inserts(inserts));
    let original = everything(
        &client(&start(ServerConfig::seeded(200, 21)).await),
        CallLogQuery::new().page_size(1000),
    )
    .await;

    // The hazard is real: paging by hand while calls arrive sees records twice.
    let server = start(live(3)).await;
    let client_ = client(&server);
    let mut naive = Vec::new();
    for page in 1..=20 {
        let query = CallLogQuery::new().page(page).page_size(7);
        naive.extend(client_.call_logs().list(&query).await.unwrap().data);
    }
    let distinct: HashSet<String> = naive
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    assert!(distinct.len() < naive.len(), "a naive walk repeats records");

    for prefetch in [0, 1, 4] {
        let server = start(live(3)).await;
        let walked: Vec<_> = client(&server)
            .call_logs()
            .stream_with(
                CallLogQuery::new().page_size(7),
                PagerOptions::new().prefetch(prefetch),
            )
            .try_collect()
            .await
            .unwrap();
        assert_newest_first_without_repeats(&walked);
        assert_eq!(
            walked.len(),
            203,
            "the 200 records and the 3 that came before page 1"
        );
        assert_eq!(walked[3..], original, "every original record, in order");
    }

    let server = start(live(2)).await;
    let collected = client(&server)
        .call_logs()
        .collect_all(CallLogQuery::new().page_size(9), 4)
        .await
        .unwrap();
    assert_newest_first_without_repeats(&collected);
    assert_eq!(collected[collected.len() - 200..], original);
}

#[tokio::test]
async fn a_walk_resumes_after_a_page_already_held() {
    let server = start(ServerConfig::seeded(230, 6)).await;
    let client = client(&server);
    let reference = everything(&client, CallLogQuery::new().page_size(1000)).await;
    let query = CallLogQuery::new().page_size(50).page(2);
    let page = client.call_logs().list(&query).await.unwrap();
    assert_eq!(page.data, reference[50..100]);
    let mut pager = client
        .call_logs()
        .pages_after(query, page, PagerOptions::default())
        .unwrap();
    let mut rest = Vec::new();
    while let Some(records) = pager.next_page().await.unwrap() {
        rest.extend(records);
    }
    assert_eq!(rest, reference[100..]);
    assert_eq!(server.requests(), 2 + 3, "pages 3, 4 and 5 only");
}

#[tokio::test]
async fn dropping_a_stream_stops_its_request_its_retries_and_its_read_ahead() {
    let failing = start(
        ServerConfig::with_knobs(
            50,
            3,
            Knobs::default()
                .latency(Duration::from_millis(200))
                .error_rate(1.0),
            None,
        )
        .unwrap(),
    )
    .await;
    let retrying = builder(&failing).max_retries(5).build().unwrap();
    let mut stream = retrying.call_logs().stream(CallLogQuery::new());
    let waited = tokio::time::timeout(Duration::from_millis(100), stream.try_next()).await;
    assert!(waited.is_err(), "still waiting for the first answer");
    drop(stream);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        failing.requests(),
        1,
        "no retry after the stream is dropped"
    );

    let slow = start(
        ServerConfig::with_knobs(
            100,
            3,
            Knobs::default().latency(Duration::from_millis(200)),
            None,
        )
        .unwrap(),
    )
    .await;
    for prefetch in [1, 4] {
        let options = PagerOptions::new().prefetch(prefetch);
        let before = slow.requests();
        let mut stream = client(&slow)
            .call_logs()
            .stream_with(CallLogQuery::new().page_size(10), options);
        stream.try_next().await.unwrap().unwrap();
        drop(stream);
        let sent = slow.requests() - before;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(slow.requests() - before, sent, "nothing after the drop");
        assert!(
            sent <= 1 + prefetch as u64,
            "page 1 and at most its window of {prefetch}: {sent}"
        );
        let settled = slow.peak_concurrency();
        assert!(settled <= 1 + prefetch as u64, "{settled}");
    }
}

#[tokio::test]
async fn prefetch_keeps_a_window_of_pages_in_flight_within_count_and_limit() {
    let config = ServerConfig::with_knobs(
        100,
        3,
        Knobs::default().latency(Duration::from_millis(150)),
        None,
    )
    .unwrap();
    let server = start(config).await;
    let client = client(&server);
    let reference = everything(&client, CallLogQuery::new().page_size(100)).await;
    let before = server.requests();
    let mut pager = client.call_logs().pages_with(
        CallLogQuery::new().page_size(10),
        PagerOptions::new().prefetch(4),
    );
    let mut walked = pager.next_page().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        server.requests() - before,
        5,
        "pages 2 to 5 were asked for while page 1 was in hand"
    );
    while let Some(records) = pager.next_page().await.unwrap() {
        walked.extend(records);
    }
    assert_eq!(walked, reference, "every record once, in server order");
    assert_eq!(server.requests() - before, 10, "never past the last page");

    let before = server.requests();
    let limited = client.call_logs().stream_with(
        CallLogQuery::new().page_size(10),
        PagerOptions::new().limit(25).prefetch(4),
    );
    let records: Vec<_> = limited.try_collect().await.unwrap();
    assert_eq!(records, reference[..25]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        server.requests() - before,
        3,
        "never past what the limit needs"
    );
}
