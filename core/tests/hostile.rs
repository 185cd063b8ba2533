//! The client against small servers that misbehave on purpose, each written here for one fault.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use unpod_calllogs::{CallLogQuery, Client, Error};

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
}

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

    fn client(&self, retries: u32) -> Client {
        Client::builder()
            .token(SECRET)
            .org_handle("acme")
            .base_url(&self.url)
            .header("Product-Id", "unpod.ai")
            .max_retries(retries)
            .retry_policy(unpod_calllogs::retry::RetryPolicy {
                max_retries: retries,
                initial_delay: Duration::from_millis(10),
                ..Default::default()
            })
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
    seen.lock()
        .unwrap()
        .push(String::from_utf8_lossy(&head).into_owned());
    match reply {
        Reply::Raw(bytes) => {
            let _ = socket.write_all(&bytes).await;
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

fn http(status: &str, headers: &str, body: &str) -> Reply {
    Reply::Raw(
        format!(
            "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
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
    let error = client
        .call_logs()
        .list(&CallLogQuery::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Decode(d) if d.reason.contains("1048576-byte limit")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_does_not_carry_the_token() {
    let target = Hostile::start(http("200 OK", "", PAGE)).await;
    let port = target.url.rsplit(':').next().unwrap();
    let location = format!("http://localhost:{port}/api/v2/platform/call-logs/");
    let origin = Hostile::start(http("302 Found", &format!("location: {location}\r\n"), "")).await;
    let page = origin
        .client(0)
        .call_logs()
        .list(&CallLogQuery::new())
        .await
        .unwrap();
    assert_eq!(page.count, 1);
    let followed = target.requests().pop().unwrap().to_ascii_lowercase();
    assert!(
        followed.starts_with("get /api/v2/platform/call-logs/"),
        "{followed}"
    );
    assert!(!followed.contains("authorization"), "{followed}");
    assert!(!followed.contains(&SECRET.to_ascii_lowercase()));
    assert!(
        origin.requests()[0]
            .to_ascii_lowercase()
            .contains("authorization: token")
    );
}

#[tokio::test]
async fn nothing_listening_is_a_connection_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder()
        .token(SECRET)
        .org_handle("acme")
        .base_url(url)
        .max_retries(0)
        .build()
        .unwrap();
    let error = client
        .call_logs()
        .list(&CallLogQuery::new())
        .await
        .unwrap_err();
    let Error::Connection(message) = &error else {
        panic!("{error:?}")
    };
    assert!(message.to_lowercase().contains("connect"), "{message}");
    assert_secret_hidden(&error);
}
