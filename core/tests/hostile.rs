//! The client against small servers that misbehave on purpose, each written here for one fault.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use unpod_calllogs::{CallLogQuery, Client, Error, ViolationKind};

const SECRET: &str = "s3cret-token-that-must-never-show";

/// What a hostile server does with each request.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes and closes.
    Raw(Vec<u8>),
    /// Reads the request and never answers.
    Silent,
    /// Sends a 200 head, then `chunk` again and again without end.
    Endless(&'static str),
    /// Answers the request (its head, and how many came before it) with the bytes made for it.
    Dynamic(Answer),
}

/// Makes the bytes of an answer from the request's head and how many requests came before it.
type Answer = Arc<dyn Fn(&str, usize) -> Vec<u8> + Send + Sync>;

struct Hostile {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Hostile {
    async fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(answer(socket, reply.clone(), seen.clone()));
            }
        });
        Self { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    async fn list_error(&self, retries: u32) -> Error {
        let result = self
            .client(retries)
            .call_logs()
            .list(&CallLogQuery::new())
            .await;
        result.expect_err("the request should fail")
    }

    /// A plain `list` that must succeed, with the answer that carried its page.
    async fn answered(
        &self,
        retries: u32,
    ) -> (unpod_calllogs::CallLogPage, unpod_calllogs::ResponseInfo) {
        let client = self.client(retries);
        let answer = client
            .call_logs()
            .list_with_response(&CallLogQuery::new())
            .await;
        answer.expect("the request should succeed")
    }

    fn client(&self, retries: u32) -> Client {
        Client::builder()
            .token(SECRET)
            .org_handle("acme")
            .base_url(&self.url)
            .header("Product-Id", "unpod.ai")
            .max_retries(retries)
            .retry_policy(
                unpod_calllogs::retry::RetryPolicy::default()
                    .max_retries(retries)
                    .initial_delay(Duration::from_millis(10)),
            )
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap()
    }
}

async fn answer(mut socket: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let number = {
        let mut seen = seen.lock().unwrap();
        seen.push(head.clone());
        seen.len() - 1
    };
    match reply {
        Reply::Raw(bytes) => {
            let _ = socket.write_all(&bytes).await;
            let _ = socket.shutdown().await;
        }
        Reply::Dynamic(make) => {
            let _ = socket.write_all(&make(&head, number)).await;
            let _ = socket.shutdown().await;
        }
        Reply::Silent => tokio::time::sleep(Duration::from_secs(30)).await,
        Reply::Endless(chunk) => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
            while socket.write_all(framed.as_bytes()).await.is_ok() {}
        }
    }
}

fn response(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn http(status: &str, headers: &str, body: &str) -> Reply {
    Reply::Raw(response(status, headers, body))
}

/// A server that answers each request with a page made by `page(number asked, request index)`.
fn pages(page: impl Fn(u32, usize) -> String + Send + Sync + 'static) -> Reply {
    Reply::Dynamic(Arc::new(move |head, index| {
        let number = head
            .split_once("page=")
            .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        response(
            "200 OK",
            "content-type: application/json\r\n",
            &page(number, index),
        )
    }))
}

/// A page claiming `count`, holding the records numbered `records` (distinct, newest first).
fn page_of(count: u64, records: std::ops::Range<u64>) -> String {
    let data: Vec<String> = records
        .map(|i| {
            let time = chrono::DateTime::from_timestamp(1_772_000_000 - i as i64 * 60, 0).unwrap();
            format!(
                r#"{{"call_type":"inbound","call_status":"missed","creation_time":"{}","start_time":null,"end_time":null,"call_duration":0,"end_reason":"no_answer"}}"#,
                time.format("%Y-%m-%dT%H:%M:%SZ")
            )
        })
        .collect();
    format!(
        r#"{{"count":{count},"status_code":200,"message":"ok","data":[{}]}}"#,
        data.join(",")
    )
}

/// Every record of a walk of `query`, or the error that ended it.
async fn walk(
    client: &Client,
    query: CallLogQuery,
) -> (Vec<unpod_calllogs::CallLog>, Option<Error>) {
    let mut stream = client.call_logs().stream(query);
    let mut records = Vec::new();
    loop {
        match stream.try_next().await {
            Ok(Some(record)) => records.push(record),
            Ok(None) => return (records, None),
            Err(error) => return (records, Some(error)),
        }
    }
}

/// The `count` of one plain `list` that must succeed.
async fn plain_count(client: &Client) -> u64 {
    client
        .call_logs()
        .list(&CallLogQuery::new())
        .await
        .unwrap()
        .count
}

/// The error of one plain `list` that must fail.
async fn first_error(client: &Client) -> Error {
    client
        .call_logs()
        .list(&CallLogQuery::new())
        .await
        .expect_err("the request should fail")
}

/// A client of `url` that makes one attempt per request.
fn unretried_client(url: String) -> Client {
    Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url(url)
        .max_retries(0)
        .build()
        .unwrap()
}

fn violation_kind(error: Option<Error>) -> ViolationKind {
    match error {
        Some(Error::ServerContract(violation)) => violation.kind,
        other => panic!("expected a contract violation, got {other:?}"),
    }
}

const PAGE: &str = r#"{"count":1,"status_code":200,"message":"ok","data":[{"call_type":"inbound","call_status":"missed","creation_time":"2026-02-07T05:57:00Z","start_time":null,"end_time":null,"call_duration":0,"end_reason":"no_answer"}]}"#;

fn assert_secret_hidden(error: &Error) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[tokio::test]
async fn sends_the_contracts_headers() {
    let server = Hostile::start(http("200 OK", "content-type: application/json\r\n", PAGE)).await;
    let page = server
        .client(0)
        .call_logs()
        .list(&CallLogQuery::new().page(2))
        .await
        .unwrap();
    assert_eq!(page.count, 1);
    let request = server.requests().pop().unwrap().to_ascii_lowercase();
    assert!(
        request.starts_with("get /api/v2/platform/call-logs/?page=2 http/1.1\r\n"),
        "{request}"
    );
    assert!(request.contains(&format!(
        "authorization: token {}\r\n",
        SECRET.to_ascii_lowercase()
    )));
    assert!(request.contains("org-handle: acme\r\n"));
    assert!(request.contains("product-id: unpod.ai\r\n"));
    assert!(request.contains(&format!(
        "user-agent: unpod-calllogs/{} (rust)\r\n",
        env!("CARGO_PKG_VERSION")
    )));
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_the_body() {
    let server = Hostile::start(http(
        "200 OK",
        "",
        r#"{"count": 3, "data": [{"call_type": "#,
    ))
    .await;
    let error = server.list_error(2).await;
    let Error::Decode(decode) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(decode.status, 200);
    assert!(decode.body_snippet.starts_with(r#"{"count": 3"#));
    assert!(
        error.to_string().contains("not a call-logs page"),
        "{error}"
    );
    assert_eq!(server.requests().len(), 1, "a bad body is not retried");
    assert_secret_hidden(&error);
}

#[tokio::test]
async fn wrong_types_are_a_decode_error() {
    let server = Hostile::start(http("200 OK", "", r#"{"count": "many", "data": []}"#)).await;
    let error = server.list_error(0).await;
    assert!(
        matches!(&error, Error::Decode(d) if d.reason.contains("invalid type")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_truncated_body_is_a_connection_error_and_is_retried() {
    let cut = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{}",
        PAGE.len() + 100,
        PAGE
    );
    let server = Hostile::start(Reply::Raw(cut.into_bytes())).await;
    let error = server.list_error(2).await;
    assert!(matches!(error, Error::Connection(_)), "{error:?}");
    assert_eq!(server.requests().len(), 3, "one attempt and two retries");
    assert_secret_hidden(&error);
}

#[tokio::test]
async fn an_html_502_from_a_proxy_is_an_api_error() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let server = Hostile::start(http(
        "502 Bad Gateway",
        "content-type: text/html\r\nx-request-id: req-77\r\n",
        html,
    ))
    .await;
    let error = server.list_error(1).await;
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status, 502);
    assert_eq!(api.message, "Bad Gateway");
    assert_eq!(api.body, html);
    assert_eq!(api.request_id.as_deref(), Some("req-77"));
    assert_eq!(
        error.to_string(),
        "HTTP 502: Bad Gateway (request id req-77)"
    );
    assert_eq!(server.requests().len(), 2, "a 502 is retried");
}

#[tokio::test]
async fn error_bodies_with_detail_are_read() {
    let server = Hostile::start(http(
        "401 Unauthorized",
        "",
        r#"{"detail": "Invalid token."}"#,
    ))
    .await;
    let error = server.list_error(2).await;
    assert_eq!(error.to_string(), "HTTP 401: Invalid token.");
    assert_eq!(error.status(), Some(401));
    assert_eq!(server.requests().len(), 1, "a 401 is not retried");
    assert_secret_hidden(&error);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = Hostile::start(Reply::Silent).await;
    let started = std::time::Instant::now();
    let error = server.list_error(1).await;
    assert!(
        matches!(error, Error::Timeout(t) if t == Duration::from_millis(500)),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 2, "a timeout is retried");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(error.to_string(), "the request timed out after 500ms");
}

#[tokio::test]
async fn a_body_far_larger_than_any_page_is_refused() {
    let announced = Hostile::start(Reply::Raw(
        b"HTTP/1.1 200 OK\r\ncontent-length: 10000000000\r\n\r\n[[[[".to_vec(),
    ))
    .await;
    let error = announced.list_error(0).await;
    assert!(
        matches!(&error, Error::Decode(d) if d.reason.contains("larger than")),
        "{error:?}"
    );

    let endless = Hostile::start(Reply::Endless("[1,2,3,4,5,6,7,8,9],")).await;
    let client = Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url(&endless.url)
        .max_retries(0)
        .max_body_bytes(1 << 20)
        .build()
        .unwrap();
    let error = first_error(&client).await;
    assert!(
        matches!(&error, Error::Decode(d) if d.reason.contains("1048576-byte limit")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed_and_names_its_location() {
    let target = Hostile::start(http("200 OK", "", PAGE)).await;
    let port = target.url.rsplit(':').next().unwrap();
    let location = format!("http://localhost:{port}/api/v2/platform/call-logs/");
    let origin = Hostile::start(http("302 Found", &format!("location: {location}\r\n"), "")).await;
    let error = origin.list_error(2).await;
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.status, 302);
    assert!(api.message.contains(&location), "{error}");
    assert!(
        target.requests().is_empty(),
        "neither token nor org handle travels"
    );
    assert_eq!(origin.requests().len(), 1, "a redirect is not retried");
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_the_headers() {
    let server = Hostile::start(Reply::Dynamic(Arc::new(|head, _| {
        if head.starts_with("GET /old/") {
            response(
                "301 Moved Permanently",
                "location: /api/v2/platform/call-logs/\r\n",
                "",
            )
        } else {
            response("200 OK", "", PAGE)
        }
    })))
    .await;
    let client = Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url(format!("{}/old/x/../", server.url))
        .build()
        .unwrap();
    assert_eq!(plain_count(&client).await, 1);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1]
            .to_ascii_lowercase()
            .contains("org-handle: acme")
    );
}

#[tokio::test]
async fn a_redirect_loop_ends_without_retries() {
    let server = Hostile::start(http(
        "302 Found",
        "location: /api/v2/platform/call-logs/\r\n",
        "",
    ))
    .await;
    let error = server.list_error(2).await;
    assert!(matches!(error, Error::Connection(_)), "{error:?}");
    assert_eq!(
        server.requests().len(),
        unpod_calllogs::MAX_REDIRECTS + 1,
        "one attempt, no retries"
    );
}

#[tokio::test]
async fn a_base_url_with_credentials_is_refused_and_not_shown() {
    for url in [
        "http://alice:pw-1234@127.0.0.1:9/",
        "http://alice@127.0.0.1:9/",
    ] {
        let error = Client::builder()
            .token(SECRET)
            .org_handle("acme")
            .base_url(url)
            .build()
            .unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(matches!(error, Error::Config(_)), "{shown}");
        assert!(shown.contains("user name or password"), "{shown}");
        assert!(
            !shown.contains("pw-1234") && !shown.contains("alice"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn a_token_echoed_by_the_server_never_reaches_an_error() {
    let escaped = SECRET.replace('-', "\\u002d");
    let body = format!(
        r#"{{"status_code":500,"message":"bad token {SECRET}","detail":"{escaped}","token":"{SECRET}"}}"#
    );
    let server = Hostile::start(http(
        "500 Internal Server Error",
        &format!("x-request-id: req-{SECRET}\r\n"),
        &body,
    ))
    .await;
    let error = server.list_error(1).await;
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.message, "bad token ***");
    assert_eq!(api.request_id.as_deref(), Some("req-***"));
    assert!(api.body.contains(r#""token":"***""#), "{}", api.body);
    assert_secret_hidden(&error);

    let echoed = format!(r#"{{"count":1,"data":[{{"call_type":"{SECRET}""#);
    let server = Hostile::start(http("200 OK", "", &echoed)).await;
    let error = server.list_error(0).await;
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    assert_secret_hidden(&error);

    let record = PAGE.replace("missed", SECRET);
    let server = Hostile::start(http("200 OK", "", &record)).await;
    let error = server
        .client(0)
        .call_logs()
        .list(&CallLogQuery::new().call_status(unpod_calllogs::CallStatus::Missed))
        .await
        .unwrap_err();
    let Error::ServerContract(violation) = &error else {
        panic!("{error:?}")
    };
    assert!(violation.record.as_deref().unwrap().contains("***"));
    assert_secret_hidden(&error);
}

#[test]
fn tokens_are_scrubbed_everywhere_and_short_ones_only_as_words() {
    let long = unpod_calllogs::SecretToken::new(SECRET);
    assert_eq!(
        long.scrub(&format!("a{SECRET}b \"{SECRET}\" req-{SECRET}")),
        "a***b \"***\" req-***"
    );
    let short = unpod_calllogs::SecretToken::new("t");
    assert_eq!(
        short.scrub("token t: <html>maintenance</html> (t) tt"),
        "token ***: <html>maintenance</html> (***) tt"
    );
    let quoted = unpod_calllogs::SecretToken::new("to\"ken-with-quote");
    assert_eq!(
        quoted.scrub(r#"{"echo":"to\"ken-with-quote"}"#),
        r#"{"echo":"***"}"#
    );
}

#[tokio::test]
async fn extra_query_and_headers_are_sent_as_given() {
    let server = Hostile::start(http("200 OK", "", PAGE)).await;
    let query = CallLogQuery::new()
        .page_size(5)
        .extra_query("start_time", "03-02-2026 00:00:00")
        .extra_header("Product-Id", "per-call")
        .extra_header("X-Trace", "42");
    server.client(0).call_logs().list(&query).await.unwrap();
    let request = server.requests().pop().unwrap().to_ascii_lowercase();
    assert!(
        request.starts_with(
            "get /api/v2/platform/call-logs/?page_size=5&start_time=03-02-2026+00%3a00%3a00 http/1.1\r\n"
        ),
        "{request}"
    );
    assert!(request.contains("product-id: per-call\r\n"), "{request}");
    assert!(!request.contains("product-id: unpod.ai"), "{request}");
    assert!(request.contains("x-trace: 42\r\n"), "{request}");
}

#[tokio::test]
async fn a_short_page_in_the_middle_of_a_walk_is_an_error() {
    let server = Hostile::start(pages(|number, _| match number {
        1 => page_of(30, 0..10),
        _ => page_of(30, 10..15),
    }))
    .await;
    let (records, error) = walk(&server.client(0), CallLogQuery::new().page_size(10)).await;
    assert_eq!(
        records.len(),
        10,
        "the full first page, nothing of the short one"
    );
    assert_eq!(violation_kind(error), ViolationKind::PageMismatch);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_huge_count_allocates_nothing_it_was_not_sent() {
    for count in [150_000_000, u64::MAX] {
        let server = Hostile::start(pages(move |number, _| {
            let first = u64::from(number - 1) * 100;
            match number {
                1..=3 => page_of(count, first..first + 100),
                _ => page_of(count, first..first + 7),
            }
        }))
        .await;
        let client = server.client(0);
        let query = CallLogQuery::new().page_size(100);
        let error = client
            .call_logs()
            .collect_all(query.clone(), 4)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::ServerContract(v) if v.kind == ViolationKind::PageMismatch),
            "{error:?}"
        );
        let (records, error) = walk(&client, query).await;
        assert_eq!(records.len(), 300);
        assert_eq!(violation_kind(error), ViolationKind::PageMismatch);
    }
}

#[tokio::test]
async fn a_count_that_keeps_growing_stops_at_the_bound() {
    let server = Hostile::start(pages(|number, index| {
        let first = u64::from(number - 1) * 10;
        page_of(100 + 100 * index as u64, first..first + 10)
    }))
    .await;
    let client = server.client(0);
    let query = CallLogQuery::new().page_size(10);
    let (_, error) = walk(&client, query.clone()).await;
    assert_eq!(violation_kind(error), ViolationKind::Unbounded);
    let bound = 2 * 10 + unpod_calllogs::pagination::SPARE_PAGES as usize;
    assert_eq!(server.requests().len(), bound + 1);
    let error = client.call_logs().collect_all(query, 4).await.unwrap_err();
    assert!(
        matches!(&error, Error::ServerContract(v) if v.kind == ViolationKind::Unbounded),
        "{error:?}"
    );
}

#[tokio::test]
async fn pages_that_repeat_or_cycle_are_an_error_not_a_loop() {
    let same = Hostile::start(pages(|_, _| page_of(1000, 0..20))).await;
    let cycling = Hostile::start(pages(|number, _| {
        let first = u64::from(number % 2) * 20;
        page_of(1000, first..first + 20)
    }))
    .await;
    // Page 2 of the cycle goes back to newer records: that breaks the order before it repeats.
    for (server, kind) in [
        (same, ViolationKind::RepeatedPage),
        (cycling, ViolationKind::Order),
    ] {
        let client = server.client(0);
        // An end_date of its own: no pinned window, whose check would stop the cycle first.
        let end = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let query = CallLogQuery::new().page_size(20).end_date(end);
        let (records, error) = walk(&client, query.clone()).await;
        assert_eq!(violation_kind(error), kind);
        assert_eq!(records.len(), 20);
        assert_eq!(server.requests().len(), 2);
        let error = client.call_logs().collect_all(query, 4).await.unwrap_err();
        assert!(
            matches!(&error, Error::ServerContract(v) if v.kind == kind),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn nothing_listening_is_a_connection_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = first_error(&unretried_client(url)).await;
    let Error::Connection(message) = &error else {
        panic!("{error:?}")
    };
    assert!(message.to_lowercase().contains("connect"), "{message}");
    assert_secret_hidden(&error);
}

/// An `https` base URL opens TLS with the client's own configuration (rustls, the ring provider,
/// HTTP/1.1 by ALPN): the server sees a ClientHello, and a server that answers in plain HTTP is a
/// connection error (rustls: "received corrupt message").
#[tokio::test]
async fn https_speaks_tls_and_a_server_that_does_not_is_a_connection_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let hello = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut hello = vec![0; 4096];
        let read = socket.read(&mut hello).await.unwrap();
        hello.truncate(read);
        socket.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
        hello
    });
    let error = first_error(&unretried_client(url)).await;
    let hello = hello.await.unwrap();
    assert_eq!(
        hello.first(),
        Some(&0x16),
        "a TLS handshake record: {hello:?}"
    );
    assert_eq!(hello.get(5), Some(&0x01), "a ClientHello: {hello:?}");
    assert!(
        hello.windows(8).any(|w| w == b"http/1.1"),
        "ALPN offers http/1.1"
    );
    let Error::Connection(message) = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("received corrupt message"), "{message}");
    assert_secret_hidden(&error);
}

#[tokio::test]
async fn a_base_url_holding_the_endpoint_or_no_scheme() {
    let server = Hostile::start(http("200 OK", "", PAGE)).await;
    for base in [
        server.url.clone(),
        format!("{}/api/v2/platform/call-logs/", server.url),
        format!("{}/api/v2/platform/call-logs", server.url),
    ] {
        let client = Client::builder()
            .token(SECRET)
            .org_handle("acme")
            .base_url(&base)
            .build()
            .unwrap();
        assert_eq!(
            client.endpoint(),
            format!("{}/api/v2/platform/call-logs/", server.url),
            "{base}"
        );
        assert_eq!(plain_count(&client).await, 1);
    }
    let error = Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url("unpod.dev")
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("give the scheme"), "{error}");
}

#[tokio::test]
async fn a_connect_timeout_names_the_connect_timeout() {
    // A listener whose accept queue is full drops new SYNs: connecting hangs, on loopback.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(stream)) =
            tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await
        {
            queued.push(stream);
        }
    }
    let client = Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url(format!("http://{addr}"))
        .connect_timeout(Duration::from_millis(300))
        .timeout(Duration::from_secs(20))
        .max_retries(0)
        .build()
        .unwrap();
    let error = first_error(&client).await;
    assert!(
        matches!(error, Error::Timeout(t) if t == Duration::from_millis(300)),
        "{error:?}"
    );
    drop(listener);
}

#[test]
fn every_error_has_a_listed_kind() {
    let api = |status| Error::Api(Box::new(unpod_calllogs::ApiError::new(status, "")));
    let errors = [
        api(400),
        api(401),
        api(403),
        api(404),
        api(429),
        api(503),
        api(302),
        Error::Timeout(Duration::from_secs(1)),
        Error::Connection(String::new()),
        Error::Decode(Box::new(unpod_calllogs::DecodeError::new(200, "", b""))),
        Error::InvalidQuery(CallLogQuery::new().page(0).validate().unwrap_err()),
        Error::Config(String::new()),
        unpod_calllogs::ContractViolation::new(ViolationKind::Unbounded, "").into(),
        Error::Destination(String::new()),
    ];
    let kinds: Vec<&str> = errors.iter().map(Error::kind).collect();
    assert_eq!(kinds, Error::KINDS, "each kind listed once, in order");
}

/// Answers 503 to the first request and `PAGE` (with a request id) to every later one.
fn unavailable_once() -> Reply {
    Reply::Dynamic(Arc::new(|_, index| {
        if index == 0 {
            response("503 Service Unavailable", "", r#"{"message":"busy"}"#)
        } else {
            response(
                "200 OK",
                &format!("x-request-id: req-{SECRET}\r\nx-ratelimit-remaining: 99\r\n"),
                PAGE,
            )
        }
    }))
}

#[tokio::test]
async fn per_call_timeout_and_retries_override_the_clients() {
    let server = Hostile::start(Reply::Silent).await;
    let started = std::time::Instant::now();
    let query = CallLogQuery::new()
        .timeout(Duration::from_millis(100))
        .max_retries(0);
    let error = server.client(1).call_logs().list(&query).await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout(t) if t == Duration::from_millis(100)),
        "{error:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "max_retries(0) sends one request"
    );
    assert!(started.elapsed() < Duration::from_millis(450));

    // A walk carries them to every page it asks for.
    let mut stream = server.client(1).call_logs().stream(query.clone());
    let error = stream.try_next().await.unwrap_err();
    assert!(matches!(error, Error::Timeout(t) if t == Duration::from_millis(100)));

    for (query, wanted) in [
        (CallLogQuery::new().timeout(Duration::ZERO), "timeout"),
        (CallLogQuery::new().max_retries(101), "max_retries"),
    ] {
        let error = server.client(0).call_logs().list(&query).await.unwrap_err();
        assert!(
            matches!(&error, Error::Config(message) if message.contains(wanted)),
            "{error:?}"
        );
    }
    assert_eq!(server.requests().len(), 2, "bad options send nothing");
}

#[tokio::test]
async fn with_options_changes_a_copy_only() {
    let server = Hostile::start(Reply::Silent).await;
    let original = server.client(1);
    let hasty = original
        .with_options(
            unpod_calllogs::ClientOptions::new()
                .timeout(Duration::from_millis(100))
                .max_retries(0),
        )
        .unwrap();
    let error = first_error(&hasty).await;
    assert!(matches!(error, Error::Timeout(t) if t == Duration::from_millis(100)));
    assert_eq!(server.requests().len(), 1);
    let error = first_error(&original).await;
    assert!(matches!(error, Error::Timeout(t) if t == Duration::from_millis(500)));
    assert_eq!(
        server.requests().len(),
        3,
        "the original still retries once"
    );

    let server = Hostile::start(http("200 OK", "", PAGE)).await;
    let original = server.client(0);
    let tagged = original
        .with_options(unpod_calllogs::ClientOptions::new().header("X-Team", "billing"))
        .unwrap();
    plain_count(&tagged).await;
    plain_count(&original).await;
    let requests: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.to_ascii_lowercase())
        .collect();
    assert!(
        requests[0].contains("x-team: billing\r\n"),
        "{}",
        requests[0]
    );
    assert!(requests[0].contains("product-id: unpod.ai\r\n"));
    assert!(!requests[1].contains("x-team"), "{}", requests[1]);

    for (options, wanted) in [
        (
            unpod_calllogs::ClientOptions::new().header("Authorization", "Token other"),
            "Authorization",
        ),
        (
            unpod_calllogs::ClientOptions::new().max_retries(101),
            "max_retries",
        ),
        (
            unpod_calllogs::ClientOptions::new().timeout(Duration::ZERO),
            "timeout",
        ),
    ] {
        let error = original.with_options(options).unwrap_err();
        assert!(
            matches!(&error, Error::Config(message) if message.contains(wanted)),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_page_comes_with_the_answer_that_carried_it() {
    let server = Hostile::start(unavailable_once()).await;
    let (page, response) = server.answered(1).await;
    assert_eq!(page.count, 1);
    assert_eq!(response.status, 200);
    assert_eq!(response.retries, 1);
    assert_eq!(response.request_id.as_deref(), Some("req-***"));
    assert_eq!(response.header("X-RateLimit-Remaining"), Some("99"));
    assert_eq!(response.header("x-request-id"), Some("req-***"));
    assert!(
        response
            .headers
            .iter()
            .all(|(name, value)| name == &name.to_ascii_lowercase() && !value.contains(SECRET))
    );
}

#[tokio::test]
async fn events_tell_every_request_answer_and_retry() {
    let server = Hostile::start(unavailable_once()).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let client = Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url(&server.url)
        .retry_policy(
            unpod_calllogs::retry::RetryPolicy::default().initial_delay(Duration::from_millis(10)),
        )
        .on_event(move |event| sink.lock().unwrap().push(event.clone()))
        .build()
        .unwrap();
    plain_count(&client).await;
    let copy = client
        .with_options(unpod_calllogs::ClientOptions::new().max_retries(0))
        .unwrap();
    plain_count(&copy).await;
    let events = seen.lock().unwrap().clone();
    let names: Vec<_> = events.iter().map(|e| e.name()).collect();
    assert_eq!(
        names,
        [
            "request", "response", "retry", "request", "response", "request", "response"
        ],
        "{events:?}"
    );
    let url = format!("{}/api/v2/platform/call-logs/", server.url);
    use unpod_calllogs::Event;
    assert!(matches!(&events[0], Event::Request { url: u, attempt: 0 } if *u == url));
    assert!(matches!(&events[1], Event::Response { status: 503, .. }));
    assert!(
        matches!(&events[2], Event::Retry { attempt: 1, error, .. } if error.contains("503")),
        "{:?}",
        events[2]
    );
    assert!(matches!(&events[3], Event::Request { attempt: 1, .. }));
    assert!(
        matches!(&events[4], Event::Response { status: 200, request_id: Some(id), .. } if id == "req-***"),
        "{:?}",
        events[4]
    );
}

#[tokio::test]
async fn a_failure_in_a_prefetched_page_surfaces_in_order() {
    // 50 records, 10 a page; page 3 always fails, the others answer at once.
    let server = Hostile::start(Reply::Dynamic(Arc::new(|head, _| {
        let page = head
            .split_once("page=")
            .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(1);
        if page == 3 {
            return response(
                "500 Internal Server Error",
                "",
                r#"{"message":"page 3 is lost"}"#,
            );
        }
        let first = (page - 1) * 10;
        response(
            "200 OK",
            "content-type: application/json\r\n",
            &page_of(50, first..first + 10),
        )
    })))
    .await;
    let client = server.client(0);
    let options = unpod_calllogs::PagerOptions::new().prefetch(4);
    let mut pager = client
        .call_logs()
        .pages_with(CallLogQuery::new().page_size(10), options);
    let first = pager.next_page().await.unwrap().unwrap();
    let second = pager.next_page().await.unwrap().unwrap();
    assert_eq!((first.len(), second.len()), (10, 10));
    let error = pager.next_page().await.unwrap_err();
    assert!(
        matches!(&error, Error::Api(api) if api.status == 500),
        "{error:?}"
    );
    let asked: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.split_whitespace().nth(1).map(str::to_owned))
        .collect();
    assert!(asked.len() >= 3, "pages 2 to 5 were in flight: {asked:?}");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn gzipped(body: &[u8]) -> Reply {
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(body);
    Reply::Raw(answer)
}

#[tokio::test]
async fn gzip_is_asked_for_and_decoded() {
    let server = Hostile::start(gzipped(&gzip(PAGE.as_bytes()))).await;
    let (page, response) = server.answered(0).await;
    assert_eq!(page.count, 1);
    assert_eq!(response.status, 200);
    let request = server.requests().pop().unwrap().to_ascii_lowercase();
    assert!(request.contains("accept-encoding: gzip"), "{request}");
}

#[tokio::test]
async fn a_gzip_bomb_is_refused_at_the_decoded_limit() {
    // 64 MiB of spaces inflate from about 64 KB; the limit applies to what is decoded.
    let mut inflated = b"{\"count\":1,\"data\":[".to_vec();
    inflated.resize(64 << 20, b' ');
    let bomb = gzip(&inflated);
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let server = Hostile::start(gzipped(&bomb)).await;
    let client = Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url(&server.url)
        .max_body_bytes(1 << 20)
        .max_retries(0)
        .build()
        .unwrap();
    let error = first_error(&client).await;
    assert!(
        matches!(&error, Error::Decode(decode) if decode.reason.contains("larger than the 1048576-byte limit")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_gzip_header_on_a_plain_body_is_a_decode_error_not_retried() {
    let server = Hostile::start(gzipped(PAGE.as_bytes())).await;
    let error = server.list_error(2).await;
    assert!(
        matches!(&error, Error::Decode(decode) if decode.reason.contains("could not be decoded as sent")),
        "{error:?}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the same answer would come again"
    );
}

#[tokio::test]
async fn a_retry_after_too_long_to_wait_is_handed_back_without_a_panic() {
    let server = Hostile::start(http(
        "429 Too Many Requests",
        "retry-after: 1e300\r\n",
        r#"{"status_code":429,"message":"later"}"#,
    ))
    .await;
    let error = server.list_error(2).await;
    assert!(
        matches!(&error, Error::Api(api) if api.status == 429 && api.retry_after == Some(Duration::MAX)),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 1, "no policy waits that long");
}

#[test]
fn a_base_url_with_a_query_is_refused_not_dropped() {
    let error = Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url("https://unpod.dev/?tenant=7")
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(message) if message.contains("must not carry a query (got ?tenant=7)")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_percent_encoded_echo_of_the_token_never_reaches_an_error() {
    let token = "tok/en+with=signs";
    let server = Hostile::start(http(
        "400 Bad Request",
        "",
        r#"{"status_code":400,"message":"bad token tok%2Fen%2Bwith%3Dsigns or tok%2fen%2bwith%3dsigns"}"#,
    ))
    .await;
    let client = Client::builder()
        .token(token)
        .org_handle("acme")
        .base_url(&server.url)
        .max_retries(0)
        .build()
        .unwrap();
    let error = first_error(&client).await;
    let shown = format!("{error} {error:?}");
    assert!(shown.contains("bad token *** or ***"), "{shown}");
}

/// A keep-alive server that answers every request on a connection with a page, and counts the
/// connections the client has closed.
async fn keep_alive_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let closed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = closed.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let body = page_of(3, 0..3);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let mut buffer = [0u8; 4096];
                loop {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            if socket.write_all(answer.as_bytes()).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
    });
    (url, closed)
}

#[tokio::test]
async fn close_closes_the_connections_and_every_copy_refuses_to_send() {
    let (url, closed) = keep_alive_server().await;
    let client = unretried_client(url);
    let copy = client
        .with_options(unpod_calllogs::ClientOptions::new())
        .unwrap();
    for _ in 0..2 {
        client.call_logs().list(&CallLogQuery::new()).await.unwrap();
    }
    copy.call_logs().list(&CallLogQuery::new()).await.unwrap();
    assert_eq!(closed.load(std::sync::atomic::Ordering::SeqCst), 0);

    client.close();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while closed.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the idle connection stayed open after close()"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for closed_client in [&client, &copy] {
        let error = closed_client
            .call_logs()
            .list(&CallLogQuery::new())
            .await
            .unwrap_err();
        assert!(
            matches!(&error, Error::Config(m) if m.contains("closed")),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_limit_bounds_what_a_huge_claimed_count_can_make_all_fetch() {
    let server = Hostile::start(pages(|number, _| {
        let first = u64::from(number - 1) * 100;
        page_of(1_000_000_000_000, first..first + 100)
    }))
    .await;
    let records = server
        .client(0)
        .call_logs()
        .collect_all_with(CallLogQuery::new().page_size(100), 8, Some(250))
        .await
        .unwrap();
    assert_eq!(records.len(), 250);
    let asked = server.requests().len();
    assert!(asked <= 3, "{asked} requests for 250 records of 100 a page");
}
