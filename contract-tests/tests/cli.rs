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
    let output = Command::new(env!("CARGO_BIN_EXE_calllogs-contract"))
        .args([
            "run",
            "--base-url",
            &url,
            "--org-handle",
            "acme",
            "--foreign-org-handle",
            "initech",
        ])
        .args([
            "--format",
            "json",
            "--output",
            report.to_str().unwrap(),
            "--header",
            "Product-Id: unpod.ai",
        ])
        .env("UNPOD_PLATFORM_TOKEN", "env-secret-token")
        .output()
        .unwrap();
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
