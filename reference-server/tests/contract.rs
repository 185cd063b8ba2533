//! The reference server, checked against CONTRACT.md case by case over real sockets, with a plain
//! HTTP client (not this project's client, so that the two cannot share a mistake).

use std::collections::HashSet;

use calllogs_reference::{
    FOREIGN_ORG_HANDLE, FOREIGN_TOKEN, Fault, Knobs, Records, ServerConfig, ServerHandle, data,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn count(&self) -> u64 {
        self.body["count"].as_u64().expect("count")
    }

    fn data(&self) -> &Vec<Value> {
        self.body["data"].as_array().expect("data")
    }

    fn times(&self) -> Vec<DateTime<Utc>> {
        self.data().iter().map(creation_time).collect()
    }
}

fn creation_time(record: &Value) -> DateTime<Utc> {
    record["creation_time"].as_str().unwrap().parse().unwrap()
}

async fn get_as(
    server: &ServerHandle,
    auth: Option<&str>,
    org: Option<&str>,
    query: &str,
) -> Answer {
    // One client for the whole binary: a new one per request (a new pool, a new connection each
    // time) made these tests several times slower.
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let url = format!("{}/api/v2/platform/call-logs/?{query}", server.url());
    let mut request = HTTP
        .get_or_init(|| unpod_calllogs::transport::http_client().unwrap())
        .get(url);
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    if let Some(org) = org {
        request = request.header("Org-Handle", org);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = serde_json::from_slice(&response.bytes().await.unwrap()).expect("a JSON body");
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(server: &ServerHandle, query: &str) -> Answer {
    let auth = format!("Token {}", server.token());
    get_as(server, Some(&auth), Some(server.org_handle()), query).await
}

async fn server(records: usize) -> ServerHandle {
    calllogs_reference::start(ServerConfig::seeded(records, 42))
        .await
        .unwrap()
}

fn assert_error(answer: &Answer, status: u16, mentions: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["status_code"], status);
    let message = answer.body["message"].as_str().unwrap();
    assert!(
        message.contains(mentions),
        "{message:?} should mention {mentions:?}"
    );
    assert!(
        answer
            .body
            .get("data")
            .is_none_or(|d| d.as_array().is_none_or(Vec::is_empty))
    );
    assert_eq!(answer.headers["content-type"], "application/json");
}

#[tokio::test]
async fn a_page_has_the_documented_shape() {
    let server = server(1000).await;
    let page = get(&server, "").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-type"], "application/json");
    assert_eq!(page.count(), 1000);
    assert_eq!(page.body["status_code"], 200);
    assert_eq!(page.body["message"], "Call logs fetched successfully");
    assert_eq!(page.data().len(), 20, "the default page size is 20");
    let keys: HashSet<&str> = page.data()[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let documented: HashSet<&str> = [
        "source_number",
        "destination_number",
        "call_type",
        "call_status",
        "creation_time",
        "start_time",
        "end_time",
        "call_duration",
        "end_reason",
    ]
    .into();
    assert_eq!(keys, documented);
}

#[tokio::test]
async fn auth_and_organization_errors() {
    let server = server(50).await;
    let org = Some(server.org_handle());
    let token = format!("Token {}", server.token());

    let missing = get_as(&server, None, org, "").await;
    assert_error(&missing, 401, "credentials");
    assert_eq!(missing.headers["www-authenticate"], "Token");
    let bad = get_as(&server, Some("Token nope"), org, "").await;
    assert_error(&bad, 401, "Invalid token");
    assert_eq!(bad.headers["www-authenticate"], "Token");
    assert_error(
        &get_as(&server, Some("Bearer test-token"), org, "").await,
        401,
        "",
    );
    assert_error(
        &get_as(&server, Some(server.token()), org, "").await,
        401,
        "",
    );

    let scheme_any_case =
        get_as(&server, Some(&format!("tOkEn {}", server.token())), org, "").await;
    assert_eq!(scheme_any_case.status, 200);

    assert_error(
        &get_as(&server, Some(&token), None, "").await,
        400,
        "Org-Handle",
    );
    assert_error(
        &get_as(&server, Some(&token), Some(""), "").await,
        400,
        "Org-Handle",
    );
    assert_error(
        &get_as(&server, Some(&token), Some("nobody"), "").await,
        404,
        "nobody",
    );
    assert_error(
        &get_as(&server, Some(&token), Some(FOREIGN_ORG_HANDLE), "").await,
        403,
        FOREIGN_ORG_HANDLE,
    );

    let foreign = get_as(
        &server,
        Some(&format!("Token {FOREIGN_TOKEN}")),
        Some(FOREIGN_ORG_HANDLE),
        "",
    )
    .await;
    assert_eq!(foreign.status, 200);
    assert_eq!(foreign.count(), calllogs_reference::FOREIGN_RECORDS as u64);
    let crossed = get_as(&server, Some(&format!("Token {FOREIGN_TOKEN}")), org, "").await;
    assert_error(&crossed, 403, server.org_handle());

    assert_error(&get_as(&server, None, None, "page=0").await, 401, "");
}

#[tokio::test]
async fn every_invalid_input_is_a_400_naming_its_parameter() {
    let server = server(50).await;
    for (query, parameter) in [
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page=1.5", "page"),
        ("page=abc", "page"),
        ("page=", "page"),
        ("page_size=0", "page_size"),
        ("page_size=1001", "page_size"),
        ("page_size=99999999999999", "page_size"),
        ("page_size=x", "page_size"),
        ("call_type=both", "call_type"),
        ("call_type=INBOUND", "call_type"),
        ("call_status=busy", "call_status"),
        ("call_status=Completed", "call_status"),
        ("start_date=07-02-2026", "start_date"),
        ("end_date=2026-13-01", "end_date"),
        ("start_date=2026-02-08&end_date=2026-02-07", "start_date"),
        (
            "start_date=2026-02-07T10:00:01Z&end_date=2026-02-07T10:00:00Z",
            "start_date",
        ),
    ] {
        assert_error(&get(&server, query).await, 400, &format!("`{parameter}`"));
    }
    for query in [
        "page_size=1",
        "page_size=1000",
        "page=99999",
        "start_date=2026-02-07&end_date=2026-02-07",
    ] {
        assert_eq!(get(&server, query).await.status, 200, "{query}");
    }
}

#[tokio::test]
async fn unknown_paths_are_404_json() {
    let server = server(5).await;
    let response = unpod_calllogs::transport::http_client()
        .unwrap()
        .get(format!("{}/api/v2/platform/call-logs", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["status_code"], 404);
}

#[tokio::test]
async fn filters_select_exactly_the_matching_records() {
    let server = server(600).await;
    let everything = get(&server, "page_size=1000").await;
    let all = everything.data();
    assert_eq!(all.len(), 600);
    let expect = |keep: &dyn Fn(&Value) -> bool| -> Vec<Value> {
        all.iter().filter(|r| keep(r)).cloned().collect()
    };

    for call_type in ["inbound", "outbound"] {
        let page = get(&server, &format!("page_size=1000&call_type={call_type}")).await;
        let expected = expect(&|r| r["call_type"] == call_type);
        assert!(!expected.is_empty());
        assert_eq!(page.data(), &expected);
        assert_eq!(page.count(), expected.len() as u64);
    }
    for status in ["completed", "missed", "failed", "no-answer"] {
        let page = get(&server, &format!("page_size=1000&call_status={status}")).await;
        let expected = expect(&|r| r["call_status"] == status);
        assert!(!expected.is_empty(), "the data holds every status");
        assert_eq!(page.data(), &expected, "{status}");
        for type_ in ["inbound", "outbound"] {
            let both = get(
                &server,
                &format!("page_size=1000&call_status={status}&call_type={type_}"),
            )
            .await;
            let expected = expect(&|r| r["call_status"] == status && r["call_type"] == type_);
            assert_eq!(both.data(), &expected, "{status} {type_}");
        }
    }
}

#[tokio::test]
async fn date_bounds_are_inclusive_and_a_date_end_covers_its_day() {
    let server = server(1000).await;
    let all = get(&server, "page_size=1000").await;
    let times = all.times();
    let midnight = *times
        .iter()
        .find(|t| t.format("%H:%M:%S%.f").to_string() == "00:00:00")
        .expect("the data has a record exactly on a UTC midnight");
    let day = midnight.date_naive();
    let last_second_before = midnight - chrono::TimeDelta::seconds(1);
    let within = |from: DateTime<Utc>, through: DateTime<Utc>| {
        times
            .iter()
            .filter(|t| **t >= from && **t <= through)
            .count() as u64
    };
    let day_start = midnight;
    let day_end = midnight + chrono::TimeDelta::days(1) - chrono::TimeDelta::nanoseconds(1);

    let on_day = get(
        &server,
        &format!("page_size=1000&start_date={day}&end_date={day}"),
    )
    .await;
    assert_eq!(on_day.count(), within(day_start, day_end));
    assert!(
        on_day.times().contains(&midnight),
        "start_date includes the record on 00:00:00"
    );
    assert!(on_day.times().iter().all(|t| t.date_naive() == day));

    let previous_day = last_second_before.date_naive();
    let before = get(&server, &format!("page_size=1000&end_date={previous_day}")).await;
    assert!(
        !before.times().contains(&midnight),
        "a date end stops before the next midnight"
    );
    assert!(before.times().iter().all(|t| *t < midnight));
    assert_eq!(
        before.count(),
        times.iter().filter(|t| **t < midnight).count() as u64
    );

    let exact = midnight.format("%Y-%m-%dT%H:%M:%SZ");
    let from_instant = get(&server, &format!("page_size=1000&start_date={exact}")).await;
    assert_eq!(
        *from_instant.times().last().unwrap(),
        midnight,
        "a date-time start is inclusive"
    );
    let through_instant = get(&server, &format!("page_size=1000&end_date={exact}")).await;
    assert_eq!(
        through_instant.times()[0],
        midnight,
        "a date-time end is inclusive"
    );

    let offset = (midnight + chrono::TimeDelta::hours(5) + chrono::TimeDelta::minutes(30))
        .format("%Y-%m-%dT%H:%M:%S%%2B05:30");
    let via_offset = get(&server, &format!("page_size=1000&end_date={offset}")).await;
    assert_eq!(
        via_offset.count(),
        through_instant.count(),
        "offsets are normalised to UTC"
    );
    let naive = midnight.format("%Y-%m-%dT%H:%M:%S");
    let via_naive = get(&server, &format!("page_size=1000&end_date={naive}")).await;
    assert_eq!(
        via_naive.count(),
        through_instant.count(),
        "a naive date-time is UTC"
    );
}

async fn walk(server: &ServerHandle, query: &str, page_size: usize) -> (Vec<Value>, u64) {
    let first = get(server, &format!("{query}&page_size={page_size}&page=1")).await;
    let count = first.count();
    let pages = count.div_ceil(page_size as u64).max(1);
    let mut records = Vec::new();
    for page in 1..=pages {
        let answer = get(
            server,
            &format!("{query}&page_size={page_size}&page={page}"),
        )
        .await;
        assert_eq!(answer.count(), count, "count is the same on every page");
        let expected = if page < pages {
            page_size as u64
        } else {
            count - (pages - 1) * page_size as u64
        };
        assert_eq!(
            answer.data().len() as u64,
            expected,
            "page {page} of size {page_size}"
        );
        records.extend(answer.data().iter().cloned());
    }
    let past = get(
        server,
        &format!("{query}&page_size={page_size}&page={}", pages + 1),
    )
    .await;
    assert_eq!(past.status, 200);
    assert!(past.data().is_empty());
    assert_eq!(past.count(), count);
    (records, count)
}

#[tokio::test]
async fn pages_partition_the_results_in_one_order_for_every_page_size() {
    let server = server(500).await;
    let mut reference: Option<Vec<Value>> = None;
    for query in [
        "call_type=inbound",
        "start_date=2026-02-01&end_date=2026-02-14",
        "call_status=completed",
    ] {
        reference = None;
        for page_size in [1, 7, 20, 64, 100, 1000] {
            if page_size == 1 && query.starts_with("call_type") {
                continue;
            }
            let (records, count) = walk(&server, query, page_size).await;
            assert_eq!(records.len() as u64, count);
            let times: Vec<_> = records.iter().map(creation_time).collect();
            assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
            match &reference {
                Some(reference) => {
                    assert_eq!(&records, reference, "{query} with page_size {page_size}")
                }
                None => reference = Some(records),
            }
        }
    }
    assert!(reference.is_some());
}

#[tokio::test]
async fn ties_are_broken_by_a_stable_key() {
    let server = server(400).await;
    let all = get(&server, "page_size=1000").await;
    let times = all.times();
    let tied = times.windows(2).filter(|w| w[0] == w[1]).count();
    assert!(
        tied >= 10,
        "the data has records sharing a creation_time ({tied})"
    );
    let (walked, _) = walk(&server, "", 3).await;
    assert_eq!(
        &walked,
        all.data(),
        "pages of 3 split tie runs the same way every time"
    );
    let again = get(&server, "page_size=1000").await;
    assert_eq!(again.data(), all.data());
}

#[test]
fn generated_data_looks_real_and_keeps_the_contracts_rules() {
    let records = data::generate(2000, 7);
    assert_eq!(records, data::generate(2000, 7), "deterministic");
    assert_ne!(records, data::generate(2000, 8));
    let e164 = |n: &Option<String>| {
        let n = n.as_deref().unwrap();
        n.starts_with('+')
            && n[1..].bytes().all(|b| b.is_ascii_digit())
            && (8..=16).contains(&n.len())
            && &n[1..2] != "0"
    };
    let mut statuses = HashSet::new();
    let mut types = HashSet::new();
    for r in &records {
        assert!(
            e164(&r.source_number) && e164(&r.destination_number),
            "{r:?}"
        );
        statuses.insert(r.call_status.as_str().to_owned());
        types.insert(r.call_type.as_str().to_owned());
        match (r.start_time, r.end_time) {
            (Some(start), Some(end)) => {
                assert_eq!(r.call_status.as_str(), "completed");
                assert!(start >= r.creation_time && end >= start);
                assert_eq!(r.call_duration, (end - start).num_seconds() as f64);
            }
            (None, None) => {
                assert_ne!(r.call_status.as_str(), "completed");
                assert_eq!(r.call_duration, 0.0);
            }
            _ => panic!("start and end are null together: {r:?}"),
        }
    }
    assert_eq!(statuses.len(), 4);
    assert_eq!(types.len(), 2);
    let clock = |r: &&unpod_calllogs::CallLog| r.creation_time.format("%H:%M:%S%.f").to_string();
    assert!(records.iter().filter(|r| clock(r) == "00:00:00").count() >= 20);
    assert!(records.iter().filter(|r| clock(r) == "23:59:59").count() >= 20);
    let span = records.iter().map(|r| r.creation_time).max().unwrap()
        - records.iter().map(|r| r.creation_time).min().unwrap();
    assert!(span.num_days() >= 28, "spread over weeks");
}

#[tokio::test]
async fn serves_records_loaded_from_json_and_ndjson() {
    let records = data::generate(30, 3);
    let dir = std::env::temp_dir().join(format!("calllogs-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let array = dir.join("records.json");
    std::fs::write(&array, serde_json::to_string_pretty(&records).unwrap()).unwrap();
    let lines = dir.join("records.ndjson");
    let ndjson: String = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n\n")
        .collect();
    std::fs::write(&lines, ndjson).unwrap();
    let page = dir.join("page.json");
    std::fs::write(
        &page,
        include_str!("../../core/tests/fixtures/real-server-page.json"),
    )
    .unwrap();
    let broken = dir.join("broken.ndjson");
    std::fs::write(&broken, "{\"call_type\":\"inbound\"}\n").unwrap();

    let from_array = data::load(&array).unwrap();
    assert_eq!(from_array, records);
    assert_eq!(data::load(&lines).unwrap(), records);
    assert_eq!(data::load(&page).unwrap().len(), 3);
    let error = data::load(&broken).unwrap_err().to_string();
    assert!(
        error.contains("record 0") && error.contains("call_status"),
        "{error}"
    );
    assert!(data::load(&dir.join("absent.json")).is_err());

    let server =
        calllogs_reference::start(ServerConfig::default().records(Records::Given(from_array)))
            .await
            .unwrap();
    let served = get(&server, "page_size=100").await;
    assert_eq!(served.count(), 30);
    let mut expected = records.clone();
    expected.sort_by_key(|r| std::cmp::Reverse(r.creation_time));
    assert_eq!(
        served.times(),
        expected.iter().map(|r| r.creation_time).collect::<Vec<_>>()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn knobs_script_failures_throttling_and_live_calls() {
    let config = ServerConfig::seeded(40, 1).knobs(
        Knobs::default()
            .script([503, 429, 500])
            .retry_after_secs(7)
            .live_inserts(2),
    );
    let server = calllogs_reference::start(config).await.unwrap();
    assert_error(&get(&server, "").await, 503, "");
    let throttled = get(&server, "").await;
    assert_error(&throttled, 429, "");
    assert_eq!(throttled.headers["retry-after"], "7");
    assert_error(&get(&server, "").await, 500, "");
    let first = get(&server, "page_size=100").await;
    let second = get(&server, "page_size=100").await;
    assert_eq!(first.count(), 42);
    assert_eq!(second.count(), 44);
    assert_eq!(
        &second.data()[2..],
        &first.data()[..],
        "new calls arrive newest first"
    );
    assert!(second.times()[0] >= first.times()[0]);
    assert_eq!(server.requests(), 5);

    let flaky = ServerConfig::seeded(10, 9).knobs(Knobs::default().error_rate(0.5));
    let flaky = calllogs_reference::start(flaky).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(get(&flaky, "").await.status);
    }
    let failed = statuses.iter().filter(|s| [500, 503].contains(*s)).count();
    assert!((8..=32).contains(&failed), "about half fail: {statuses:?}");
    assert!(statuses.iter().all(|s| [200, 500, 503].contains(s)));
}

#[tokio::test]
async fn latency_delays_answers() {
    let config = ServerConfig::seeded(5, 1)
        .knobs(Knobs::default().latency(std::time::Duration::from_millis(150)));
    let server = calllogs_reference::start(config).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(get(&server, "").await.status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
}

#[tokio::test]
async fn fault_names_round_trip() {
    assert!(Fault::ALL.len() >= 10);
    for fault in Fault::ALL {
        assert_eq!(fault.name().parse::<Fault>().unwrap(), *fault);
    }
    assert!(
        "no-such-fault"
            .parse::<Fault>()
            .unwrap_err()
            .to_string()
            .contains("ignore-call-type")
    );
}

#[tokio::test]
async fn a_million_records_are_served_by_index() {
    let server = server(1_000_000).await;
    let first = get(&server, "page_size=5").await;
    assert_eq!(first.count(), 1_000_000);
    let deep = get(&server, "page_size=1000&page=1000").await;
    assert_eq!(deep.data().len(), 1000);
    let window = get(
        &server,
        "start_date=2026-02-10&end_date=2026-02-10&call_type=outbound&call_status=missed",
    )
    .await;
    assert!(window.count() > 0);
    assert!(
        window
            .times()
            .iter()
            .all(|t| t.date_naive().to_string() == "2026-02-10")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let server = server(5).await;
    let addr = server.addr();
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// Opens a connection and sends `bytes`; returns it, to be read from.
async fn connect_and_send(server: &ServerHandle, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut socket = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    socket.write_all(bytes).await.unwrap();
    socket
}

/// Whether the server closes the connection within `within`.
async fn closed_within(socket: &mut tokio::net::TcpStream, within: std::time::Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buffer = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn slow_silent_and_surplus_connections_cannot_hold_the_server() {
    let timeout = std::time::Duration::from_millis(300);
    let server = calllogs_reference::start(
        ServerConfig::seeded(20, 42)
            .header_read_timeout(timeout)
            .max_connections(4),
    )
    .await
    .unwrap();
    let half_sent = b"GET /api/v2/platform/call-logs/ HTTP/1.1\r\nHost: x\r\nAuthorization: To";
    let mut slow = Vec::new();
    for _ in 0..4 {
        slow.push(connect_and_send(&server, half_sent).await);
    }
    // Let the server accept the slow ones first: they hold every place.
    tokio::time::sleep(timeout / 6).await;
    let started = std::time::Instant::now();
    let answer = get(&server, "page_size=5").await;
    assert_eq!(answer.status, 200);
    let waited = started.elapsed();
    assert!(
        waited >= timeout / 2 && waited < 10 * timeout,
        "served once the slow connections were dropped, after {waited:?}"
    );
    for socket in &mut slow {
        assert!(
            closed_within(socket, 10 * timeout).await,
            "a half-sent request is cut off"
        );
    }
    let mut silent = connect_and_send(&server, b"").await;
    assert!(
        closed_within(&mut silent, 10 * timeout).await,
        "an idle connection is closed"
    );
    let mut finished = connect_and_send(
        &server,
        format!(
            "GET /api/v2/platform/call-logs/?page_size=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Token {}\r\nOrg-Handle: acme\r\n\r\n",
            server.token()
        )
        .as_bytes(),
    )
    .await;
    assert!(
        closed_within(&mut finished, 10 * timeout).await,
        "kept alive, then closed when idle"
    );
}

#[tokio::test]
async fn history_can_end_now_so_that_the_last_week_holds_calls() {
    let now = Utc::now();
    let server = calllogs_reference::start(ServerConfig::seeded(300, 42).history_end(now))
        .await
        .unwrap();
    let week_ago = (now - chrono::TimeDelta::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let last_week = get(&server, &format!("start_date={week_ago}&page_size=1000")).await;
    assert!(last_week.count() > 20, "{}", last_week.body);
    let times = get(&server, "page_size=1000").await.times();
    assert!(
        times
            .iter()
            .all(|t| *t <= now && *t > now - chrono::TimeDelta::days(43))
    );
    assert_eq!(
        data::parse_history_end("2026-05-01").unwrap(),
        "2026-05-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert!(data::parse_history_end("yesterday").is_err());
}

/// The raw answer to `page_size=100` with this `Accept-Encoding` (none: the header is not sent).
async fn raw_page(server: &ServerHandle, encoding: Option<&str>) -> (Option<String>, Vec<u8>) {
    let http = unpod_calllogs::transport::http_client_builder(None)
        .unwrap()
        .no_gzip()
        .build()
        .unwrap();
    let url = format!("{}/api/v2/platform/call-logs/?page_size=100", server.url());
    let mut request = http
        .get(url)
        .header("Authorization", format!("Token {}", server.token()))
        .header("Org-Handle", server.org_handle());
    if let Some(encoding) = encoding {
        request = request.header("Accept-Encoding", encoding);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let header = response
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned());
    (header, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn compression_gzips_only_what_the_client_accepts() {
    let plain = calllogs_reference::start(ServerConfig::seeded(300, 4))
        .await
        .unwrap();
    let (encoding, expected) = raw_page(&plain, Some("gzip")).await;
    assert_eq!(encoding, None, "off unless asked for");

    let config = ServerConfig::seeded(300, 4).knobs(Knobs::default().compression(true));
    let server = calllogs_reference::start(config).await.unwrap();
    let (encoding, body) = raw_page(&server, Some("gzip, deflate")).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(
        body.len() * 3 < expected.len(),
        "{} of {}",
        body.len(),
        expected.len()
    );
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut inflated)
        .unwrap();
    assert_eq!(inflated, expected);
    for refused in [None, Some("identity"), Some("br")] {
        let (encoding, body) = raw_page(&server, refused).await;
        assert_eq!(
            (encoding, body.len()),
            (None, expected.len()),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn bandwidth_paces_every_connection() {
    let config = ServerConfig::seeded(300, 4).knobs(Knobs::default().bandwidth(100_000));
    let server = calllogs_reference::start(config).await.unwrap();
    let started = std::time::Instant::now();
    let (_, body) = raw_page(&server, None).await;
    let elapsed = started.elapsed().as_secs_f64();
    let floor = body.len() as f64 / 100_000.0;
    assert!(body.len() > 20_000, "{}", body.len());
    assert!(
        elapsed >= floor * 0.9,
        "{} bytes in {elapsed:.3} s",
        body.len()
    );
}
