//! The `calllogs-contract` binary as QA engineers run it: exit codes, formats, env, schema, serve.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calllogs-contract"))
        .args(args)
        .env_remove("UNPOD_PLATFORM_TOKEN")
        .env_remove("UNPOD_ORG_HANDLE")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `run` against `url` for org `acme`, the token given in the environment as QA's CI does.
fn run_remote(url: &str, token: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calllogs-contract"))
        .args(["run", "--base-url", url, "--org-handle", "acme"])
        .args(args)
        .env("UNPOD_PLATFORM_TOKEN", token)
        .output()
        .unwrap()
}

type Lines = std::io::Lines<BufReader<std::process::ChildStdout>>;

/// Starts `serve --port 0` with these arguments; returns it, its URL and the rest of its banner.
fn serve(args: &[&str]) -> (std::process::Child, String, Lines) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_calllogs-contract"))
        .args(["serve", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("serving the call-logs contract at ")
        .unwrap()
        .to_owned();
    (server, url, lines)
}

#[test]
fn a_faithful_server_exits_0_and_a_violation_exits_1() {
    let clean = cli(&["run", "--records", "300"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    assert_eq!(
        stdout(&clean).lines().last(),
        Some("18 passed, 0 failed, 0 skipped")
    );

    let broken = cli(&["run", "--fault", "oldest-first", "--only", "pagination"]);
    assert_eq!(broken.status.code(), Some(1), "{}", stdout(&broken));
    assert!(stdout(&broken).contains("FAIL  pagination.walk"));
}

#[test]
fn usage_errors_and_unreachable_endpoints_exit_2() {
    for args in [
        &[
            "run",
            "--base-url",
            "http://127.0.0.1:1",
            "--token",
            "t",
            "--org-handle",
            "o",
        ][..],
        &[
            "run",
            "--base-url",
            "http://127.0.0.1:1",
            "--org-handle",
            "o",
        ],
        &["run", "--only", "no-such-check"],
        &["run", "--header", "no colon"],
        &["run", "--fault", "no-such-fault"],
        &["no-such-command"],
    ] {
        let output = cli(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stderr.is_empty());
    }
}

#[test]
fn tests_a_remote_endpoint_with_the_token_from_the_environment() {
    let (mut server, url, mut lines) = serve(&["--records", "120", "--token", "env-secret-token"]);
    let banner: Vec<String> = lines.by_ref().take(5).map(Result::unwrap).collect();
    assert!(
        banner
            .iter()
            .any(|l| l.contains("token:      env-secret-token")),
        "{banner:?}"
    );
    assert!(banner.iter().any(|l| l.contains("org handle: acme")));

    let report = std::env::temp_dir().join(format!("calllogs-report-{}.json", std::process::id()));
    let output = run_remote(
        &url,
        "env-secret-token",
        &[
            "--foreign-org-handle",
            "initech",
            "--format",
            "json",
            "--output",
            report.to_str().unwrap(),
            "--header",
            "Product-Id: unpod.ai",
        ],
    );
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["checks"].as_array().unwrap().len(), 18);
    assert!(json["requests"].as_u64().unwrap() > 50);
    assert!(
        !std::fs::read_to_string(&report)
            .unwrap()
            .contains("env-secret-token")
    );
    std::fs::remove_file(report).unwrap();
}

#[test]
fn serve_scripts_its_first_answers() {
    let (mut server, url, _banner) = serve(&[
        "--records",
        "10",
        "--script",
        "503,429",
        "--retry-after",
        "3",
    ]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answers: Vec<(u16, Option<String>)> = runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut answers = Vec::new();
        for _ in 0..3 {
            let response = http
                .get(format!("{url}/api/v2/platform/call-logs/"))
                .header("Authorization", "Token test-token")
                .header("Org-Handle", "acme")
                .send()
                .await
                .unwrap();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            answers.push((response.status().as_u16(), retry_after));
        }
        answers
    });
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        answers,
        [(503, None), (429, Some("3".to_owned())), (200, None)]
    );
}

#[test]
fn lists_checks_and_faults() {
    let checks = stdout(&cli(&["checks"]));
    assert_eq!(checks.lines().count(), 18);
    assert!(
        checks
            .lines()
            .all(|l| l.contains('.') && l.split_whitespace().count() > 3)
    );
    let faults = stdout(&cli(&["serve", "--list-faults"]));
    assert!(faults.lines().count() >= 10);
    assert!(faults.contains("unstable-ties"));
}

#[test]
fn schema_writes_and_detects_staleness() {
    let dir = std::env::temp_dir().join(format!("calllogs-schema-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    assert_eq!(cli(&["schema", "--out", out]).status.code(), Some(0));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 7);
    assert_eq!(
        cli(&["schema", "--out", out, "--check"]).status.code(),
        Some(0)
    );
    std::fs::write(dir.join("openapi.json"), "{}").unwrap();
    let stale = cli(&["schema", "--out", out, "--check"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("openapi.json"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn numeric_options_are_checked_and_name_the_option() {
    for (args, option) in [
        (&["run", "--timeout", "inf"][..], "--timeout"),
        (&["run", "--timeout", "nan"], "--timeout"),
        (&["run", "--timeout", "0"], "--timeout"),
        (&["run", "--timeout", "-1"], "--timeout"),
        (&["run", "--rps", "0"], "--rps"),
        (&["run", "--rps", "nan"], "--rps"),
        (&["run", "--cases", "0"], "--cases"),
        (&["run", "--max-requests", "0"], "--max-requests"),
        (&["serve", "--error-rate", "2"], "--error-rate"),
        (&["serve", "--throttle-rate", "-0.5"], "--throttle-rate"),
        (&["serve", "--page-size-cap", "0"], "--page-size-cap"),
        (&["serve", "--past-last", "500"], "--past-last"),
        (&["serve", "--ignore-filter", "page"], "--ignore-filter"),
    ] {
        let output = cli(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(option), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_header_cannot_replace_the_token_or_the_organization() {
    for header in ["Authorization: Token other", "org-handle: other"] {
        let output = cli(&["run", "--header", header]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("cannot be replaced"), "{stderr}");
    }
}

/// A server that answers every request 200 with a body that echoes the request's token.
fn echoing_server() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let mut head = Vec::new();
            let mut buffer = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buffer[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
            let token = head
                .lines()
                .find_map(|l| l.strip_prefix("authorization: token "))
                .unwrap_or("")
                .trim()
                .to_owned();
            let body = format!(r#"{{"count": 1, "message": "hello {token}", "data": "{token}"}}"#);
            let _ = write!(
                socket,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-request-id: {token}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_token_the_server_echoes_never_reaches_a_report() {
    const SECRET: &str = "qa-secret-token-4f9a2c";
    let url = echoing_server();
    for format in ["text", "json", "junit"] {
        let output = run_remote(&url, SECRET, &["--format", format]);
        let shown = format!(
            "{}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(1), "{format}: {shown}");
        assert!(
            shown.contains("***"),
            "{format}: the echo is reported, scrubbed: {shown}"
        );
        assert!(!shown.contains(SECRET), "{format}: {shown}");
    }
}
