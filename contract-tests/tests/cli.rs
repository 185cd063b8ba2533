//! The `calllogs-contract` binary as QA engineers run it: exit codes, formats, env, schema, serve.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calllogs-contract"))
        .args(args)
        .env_remove("UNPOD_PLATFORM_TOKEN")
        .env_remove("UNPOD_ORG_HANDLE")
        .env_remove("UNPOD_BASE_URL")
        .output()
        .unwrap()
}

/// `run` against an endpoint nothing listens on.
const UNREACHABLE: &[&str] = &[
    "run",
    "--base-url",
    "http://127.0.0.1:1",
    "--token",
    "t",
    "--org-handle",
    "o",
];

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
        Some("19 passed, 0 failed, 0 accepted, 0 incomplete, 0 skipped")
    );

    let broken = cli(&["run", "--fault", "oldest-first", "--only", "pagination"]);
    assert_eq!(broken.status.code(), Some(1), "{}", stdout(&broken));
    assert!(stdout(&broken).contains("FAIL  pagination.walk"));
}

#[test]
fn usage_errors_and_unreachable_endpoints_exit_2() {
    for args in [
        UNREACHABLE,
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
    assert_eq!(json["checks"].as_array().unwrap().len(), 19);
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
        let http = unpod_calllogs::transport::http_client().unwrap();
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
    // The call-logs run's 19, then the 13 of `run --openapi`.
    assert_eq!(checks.lines().count(), 19 + 13);
    assert!(
        checks
            .lines()
            .all(|l| l.contains('.') && l.split_whitespace().count() > 3)
    );
    let ids: Vec<&str> = checks
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids.iter().filter(|id| id.starts_with("list.")).count(), 13);
    assert!(ids.contains(&"list.walks") && ids.contains(&"list.responses"));
    let faults = stdout(&cli(&["serve", "--list-faults"]));
    assert!(faults.lines().count() >= 10);
    assert!(faults.contains("unstable-ties"));
}

#[test]
fn plan_reads_a_documents_list_extensions_and_names_each_check_without_a_basis() {
    let document = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/openapi.json");
    let plan = cli(&["plan", "--openapi", document]);
    assert_eq!(plan.status.code(), Some(0));
    let out = stdout(&plan);
    assert!(
        out.starts_with("getCallLogs (/api/v2/platform/call-logs/)"),
        "{out}"
    );
    assert!(
        out.contains("check  enum-partitions          call_status, call_type"),
        "{out}"
    );
    assert!(
        out.contains("check  walks-disjoint-complete  page numbers (page, size page_size)"),
        "{out}"
    );
    assert!(
        out.contains("skip   cursor-ends              pages by number or offset"),
        "{out}"
    );

    let bare = std::env::temp_dir().join(format!("calllogs-plan-{}.json", std::process::id()));
    std::fs::write(
        &bare,
        r#"{"openapi": "3.0.3", "paths": {"/items": {"get": {"x-ms-pageable": {"nextLinkName": "next"}, "responses": {}}}}}"#,
    )
    .unwrap();
    let out = stdout(&cli(&["plan", "--openapi", bare.to_str().unwrap()]));
    assert!(
        out.contains("skip   filters-match            no parameter has x-filter"),
        "{out}"
    );
    assert!(out.contains("check  cursor-ends"), "{out}");
    // The same document in YAML, as json-server's and DRF's users write them.
    std::fs::write(
        &bare,
        "openapi: 3.1.0\npaths:\n  /items:\n    get:\n      x-ms-pageable: {nextLinkName: next}\n      responses: {}\n",
    )
    .unwrap();
    let yaml = stdout(&cli(&["plan", "--openapi", bare.to_str().unwrap()]));
    assert_eq!(yaml, out);
    std::fs::write(&bare, "openapi: [3.1").unwrap();
    let broken = cli(&["plan", "--openapi", bare.to_str().unwrap()]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("neither JSON"));
    std::fs::remove_file(bare).unwrap();
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
        (&["serve", "--end-at", "yesterday"], "--end-at"),
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

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_file(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("calllogs-{}-{name}", std::process::id()))
}

#[test]
fn the_budget_is_shared_and_an_incomplete_run_is_never_green() {
    let report = temp_file("incomplete.json");
    let args = [
        "run",
        "--cases",
        "2000",
        "--max-requests",
        "300",
        "--format",
        "json",
        "--output",
        report.to_str().unwrap(),
    ];
    let output = cli(&args);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let summary = stdout(&output);
    assert!(
        summary.contains(" 0 failed, ") && !summary.contains(" 0 incomplete"),
        "{summary}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let checks = json["checks"].as_array().unwrap();
    let active = ["filters.", "pagination.", "auth.", "errors.invalid-input"];
    for check in checks {
        let id = check["id"].as_str().unwrap();
        if active.iter().any(|prefix| id.starts_with(prefix)) {
            assert!(
                check["requests"].as_u64().unwrap() > 0,
                "{id} got no share: {check}"
            );
        }
    }
    let incomplete: Vec<&serde_json::Value> = checks
        .iter()
        .filter(|c| c["outcome"]["status"] == "incomplete")
        .collect();
    assert!(!incomplete.is_empty());
    assert!(
        incomplete
            .iter()
            .all(|c| c["replay"].as_str().unwrap().contains("--only"))
    );

    let junit = temp_file("incomplete.xml");
    let junit_args = [
        &args[..5],
        &["--format", "junit", "--output", junit.to_str().unwrap()],
    ]
    .concat();
    assert_eq!(cli(&junit_args).status.code(), Some(3));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<error type=\"incomplete\""), "{xml}");

    let allowed = [&junit_args[..], &["--allow-incomplete"]].concat();
    assert_eq!(cli(&allowed).status.code(), Some(0));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        !xml.contains("<error") && xml.contains("<skipped message=\"its share"),
        "{xml}"
    );
    let _ = std::fs::remove_file(report);
    let _ = std::fs::remove_file(junit);
}

#[test]
fn the_target_is_explicit_and_comes_from_unpod_base_url() {
    let (mut server, url, _lines) = serve(&["--records", "200", "--fault", "oldest-first"]);
    let output = Command::new(env!("CARGO_BIN_EXE_calllogs-contract"))
        .args(["run", "--only", "pagination"])
        .env("UNPOD_BASE_URL", &url)
        .env("UNPOD_PLATFORM_TOKEN", "test-token")
        .env("UNPOD_ORG_HANDLE", "acme")
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let first = stderr(&output)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        first,
        format!("calllogs-contract: testing {url} (from UNPOD_BASE_URL)")
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the faulty server was tested: {}",
        stdout(&output)
    );

    let embedded = cli(&["run", "--only", "auth", "--records", "50"]);
    let first = stderr(&embedded)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        first.contains(
            "the embedded reference server: neither --base-url nor UNPOD_BASE_URL is set"
        ),
        "{first}"
    );
}

#[test]
fn the_base_url_means_what_it_means_to_the_clients() {
    let (mut server, url, _lines) = serve(&["--records", "60"]);
    // The endpoint's own URL is the endpoint, as the clients read it; what they refuse, it refuses.
    let endpoint = format!("{url}/{}", unpod_calllogs::CALL_LOGS_PATH);
    let output = run_remote(&endpoint, "test-token", &["--only", "pagination"]);
    let refused = [
        ("ftp://127.0.0.1/".to_owned(), "must be http or https"),
        (format!("{url}/?utm=1"), "must not carry a query"),
    ]
    .map(|(base, rule)| (run_remote(&base, "test-token", &["--only", "auth"]), rule));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    for (output, rule) in &refused {
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(output).contains(rule), "{}", stderr(output));
    }
}

#[test]
fn a_report_file_is_written_whatever_the_exit_status() {
    for (format, expected) in [
        (
            "junit",
            "<error message=\"cannot read the endpoint: no answer",
        ),
        ("json", "\"error\": \"cannot read the endpoint: no answer"),
        ("text", "error: cannot read the endpoint: no answer"),
    ] {
        let path = temp_file(&format!("unreachable.{format}"));
        let output = cli(&[
            UNREACHABLE,
            &["--format", format, "--output", path.to_str().unwrap()],
        ]
        .concat());
        assert_eq!(output.status.code(), Some(2));
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.contains(expected), "{format}: {written}");
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn each_check_is_printed_as_it_ends_without_a_terminal() {
    let output = cli(&["run", "--records", "100"]);
    let lines: Vec<String> = stderr(&output)
        .lines()
        .filter(|l| l.starts_with("  PASS  "))
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 19, "{}", stderr(&output));
    assert!(lines[0].contains("filters.match"));
}

#[test]
fn replay_lines_run_the_check_again() {
    let output = cli(&[
        "run",
        "--fault",
        "oldest-first",
        "--format",
        "json",
        "--records",
        "300",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let walk = common::check(&json, "pagination.walk");
    let replay = walk["replay"].as_str().unwrap();
    assert!(
        replay.starts_with("calllogs-contract run ") && replay.ends_with("--only pagination.walk"),
        "{replay}"
    );
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_calllogs-contract"));
    let again = Command::new("sh")
        .args([
            "-c",
            &format!("{}/{replay}", bin.parent().unwrap().display()),
        ])
        .env_remove("UNPOD_BASE_URL")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    let text = stdout(&again);
    assert!(text.contains("FAIL  pagination.walk"), "{text}");
    assert!(
        text.contains("1 failed, 0 accepted, 0 incomplete, 18 skipped"),
        "{text}"
    );
}

#[test]
fn help_lists_the_exit_statuses() {
    let help = stdout(&cli(&["run", "--help"]));
    for line in [
        "Exit status:",
        "0  every selected check",
        "1  a check found",
        "2  usage error",
        "3  no violation found",
    ] {
        assert!(help.contains(line), "{help}");
    }
    assert!(help.contains("UNPOD_BASE_URL"));
}

#[test]
fn a_set_but_empty_variable_is_a_usage_error_naming_it() {
    let variables = ["UNPOD_BASE_URL", "UNPOD_PLATFORM_TOKEN", "UNPOD_ORG_HANDLE"];
    for empty in variables {
        let mut command = Command::new(env!("CARGO_BIN_EXE_calllogs-contract"));
        command.args(["run", "--only", "auth"]);
        for variable in variables {
            let value = match variable {
                _ if variable == empty => "",
                "UNPOD_BASE_URL" => "http://127.0.0.1:1",
                _ => "set",
            };
            command.env(variable, value);
        }
        let output = command.output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{empty}: {}",
            stdout(&output)
        );
        assert!(
            stderr(&output).contains(&format!("{empty} is set but empty")),
            "{empty}: {}",
            stderr(&output)
        );
    }
    let flag = cli(&[
        "run",
        "--base-url",
        " ",
        "--token",
        "t",
        "--org-handle",
        "o",
    ]);
    assert_eq!(flag.status.code(), Some(2));
    assert!(
        stderr(&flag).contains("--base-url is set but empty"),
        "{}",
        stderr(&flag)
    );
}

#[test]
fn a_base_url_without_a_scheme_gets_the_clients_config_error() {
    let base = "127.0.0.1:8000";
    let output = cli(&[
        "run",
        "--base-url",
        base,
        "--token",
        "t",
        "--org-handle",
        "o",
    ]);
    let client_error = unpod_calllogs::Client::builder()
        .base_url(base)
        .token("t")
        .org_handle("o")
        .build()
        .err()
        .unwrap();
    let unpod_calllogs::Error::Config(rule) = client_error else {
        panic!("not a config error: {client_error}");
    };
    assert!(rule.contains("give the scheme"), "{rule}");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output).trim(), format!("error: {rule}"));
}

/// `run` against the embedded server emulating the real Unpod v2 server, with these arguments.
fn run_real(args: &[&str]) -> Output {
    cli(&[
        &[
            "run",
            "--emulate",
            "unpod-v2",
            "--header",
            "Product-Id: unpod.ai",
        ],
        args,
    ]
    .concat())
}

/// The counts a JUnit `<testsuite>` states, and those of its test cases.
fn junit_counts(xml: &str) -> ([usize; 3], [usize; 3]) {
    let head = xml.lines().find(|l| l.starts_with("<testsuite ")).unwrap();
    let attribute = |name: &str| -> usize {
        let rest = head.split(&format!(" {name}=\"")).nth(1).unwrap();
        rest[..rest.find('"').unwrap()].parse().unwrap()
    };
    let stated = [
        attribute("tests"),
        attribute("failures"),
        attribute("skipped"),
    ];
    let cases = [
        xml.matches("<testcase ").count(),
        xml.matches("<failure ").count(),
        xml.matches("<skipped ").count(),
    ];
    (stated, cases)
}

#[test]
fn a_baseline_accepts_the_known_deviations_and_fails_on_a_new_one() {
    let baseline = temp_file("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let first = run_real(&["--format", "json", "--output", baseline]);
    assert_eq!(
        first.status.code(),
        Some(1),
        "the known deviations fail a run that accepts none"
    );

    let accepted = run_real(&["--baseline", baseline, "--format", "junit"]);
    let xml = stdout(&accepted);
    assert_eq!(accepted.status.code(), Some(0), "{xml}");
    let (stated, cases) = junit_counts(&xml);
    assert_eq!(stated, cases, "{xml}");
    assert_eq!(cases[1], 0, "{xml}");
    // Each deviation is a test case of its own, skipped as accepted, with its evidence.
    assert!(
        xml.contains("<testcase classname=\"diagnosis\" name=\"ignores-start_date\" time=\"0.000\"><skipped message=\"accepted: the start_date filter is accepted and ignored: "),
        "{xml}"
    );
    assert!(
        xml.contains("name=\"filters.match\"")
            && xml.contains("<skipped message=\"accepted: ignores-"),
        "{xml}"
    );

    let json = run_real(&["--baseline", baseline, "--format", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let partition = common::check(&json, "filters.partition");
    assert_eq!(partition["outcome"]["status"], "accepted", "{partition}");
    assert!(partition["findings"].as_array().unwrap().is_empty());
    assert!(
        partition["accepted"][0]["deviation"]
            .as_str()
            .unwrap()
            .starts_with("ignores-")
    );
    let deviations = json["diagnosis"].as_array().unwrap();
    assert!(deviations.iter().all(|d| d["accepted"] == true), "{json}");
    assert!(
        json["baseline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["status"]["status"] == "seen")
    );

    // One new fault on top: the run fails, naming the new finding and no deviation for it.
    let new_fault = run_real(&["--baseline", baseline, "--fault", "oldest-first"]);
    let text = stdout(&new_fault);
    assert_eq!(new_fault.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL  pagination.walk"), "{text}");
    // Unstable ties never explain an order violation.
    assert!(
        text.lines()
            .any(|l| l.trim() == "- records are not newest first"),
        "{text}"
    );
    assert!(
        text.contains("unexplained: 1 failed check that no deviation named explains"),
        "{text}"
    );
    let _ = std::fs::remove_file(baseline);
}

#[test]
fn an_accepted_deviation_that_no_longer_occurs_is_reported_and_can_fail_the_run() {
    let args = [
        "run",
        "--records",
        "300",
        "--accept",
        "ignores-start_date",
        "--only",
        "filters",
    ];
    let fixed = cli(&args);
    let text = stdout(&fixed);
    assert_eq!(fixed.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "baseline: 1 accepted, 0 still seen, 1 no longer seen (ignores-start_date: fixed"
        ),
        "{text}"
    );
    let strict = cli(&[&args[..], &["--fail-on-fixed", "--format", "junit"]].concat());
    let xml = stdout(&strict);
    assert_eq!(strict.status.code(), Some(1), "{xml}");
    assert!(
        xml.contains("<testcase classname=\"baseline\" name=\"ignores-start_date\" time=\"0.000\"><failure message=\"ignores-start_date is accepted but no longer occurs"),
        "{xml}"
    );
    let (stated, cases) = junit_counts(&xml);
    assert_eq!(stated, cases, "{xml}");

    let unknown = cli(&["run", "--accept", "ignores-everything"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown)
            .contains("unknown deviations: ignores-everything (known: ignores-call_type")
    );
    let not_a_report = temp_file("not-a-report.json");
    std::fs::write(&not_a_report, "{\"checks\": []}").unwrap();
    let bad = cli(&["run", "--baseline", not_a_report.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("has no \"diagnosis\" list"),
        "{}",
        stderr(&bad)
    );
    let _ = std::fs::remove_file(not_a_report);
}

#[test]
fn an_emulated_server_keeps_the_faults_it_is_given() {
    let (mut server, _url, lines) =
        serve(&["--emulate", "unpod-v2", "--fault", "count-off-by-one"]);
    let banner: Vec<String> = lines
        .map(Result::unwrap)
        .take_while(|l| !l.starts_with("try: "))
        .collect();
    let _ = server.kill();
    let _ = server.wait();
    let banner = banner.join("\n");
    assert!(banner.contains("EMULATES:   unpod-v2"), "{banner}");
    assert!(banner.contains("FAULT:      count-off-by-one"), "{banner}");
    assert!(banner.contains("FAULT:      unstable-ties"), "{banner}");
}

#[test]
fn other_spellings_of_a_query_are_sent_encoded_and_must_get_its_answer() {
    for fault in ["offset-ignored", "empty-value-applied"] {
        let output = cli(&[
            "run",
            "--only",
            "filters.forms",
            "--fault",
            fault,
            "--format",
            "json",
        ]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{fault}: {}",
            stdout(&output)
        );
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        let finding = &common::check(&json, "filters.forms")["findings"][0];
        let summary = finding["summary"].as_str().unwrap();
        let curl = finding["requests"][0].as_str().unwrap();
        let url = curl.rsplit(' ').next().unwrap();
        assert!(!url.contains('+'), "{fault}: a + is sent as %2B: {curl}");
        if summary.contains('+') {
            assert!(url.contains("%2B"), "{curl}");
        }
        assert!(summary.contains("spelled as"), "{summary}");
    }
    let faithful = cli(&["run", "--only", "filters.forms", "--records", "400"]);
    assert_eq!(faithful.status.code(), Some(0), "{}", stdout(&faithful));
}

#[test]
fn run_openapi_tests_the_documents_list_operation_and_keeps_credentials_out() {
    let document = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/openapi.json");
    let embedded = cli(&["run", "--openapi", document, "--records", "300"]);
    assert_eq!(embedded.status.code(), Some(0), "{}", stdout(&embedded));
    let out = stdout(&embedded);
    assert!(
        out.contains("list.filters-complete") && out.contains("list.walks"),
        "{out}"
    );
    let broken = cli(&[
        "run",
        "--openapi",
        document,
        "--records",
        "300",
        "--fault",
        "ignore-call-type",
        "--format",
        "json",
    ]);
    assert_eq!(broken.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"]["status"] == "failed")
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(failed.contains(&"list.filters-match"), "{report}");
    // A remote target: the credentials are a header, and stay out of the report and its replay
    // lines even where the server echoes them.
    let (mut server, url, _) = serve(&["--records", "50"]);
    let remote = cli(&[
        "run",
        "--openapi",
        document,
        "--base-url",
        &url,
        "--header",
        "Authorization: Token test-token",
        "--header",
        "Org-Handle: acme",
        "--foreign-header",
        "Org-Handle: initech",
    ]);
    server.kill().unwrap();
    let out = stdout(&remote);
    assert_eq!(remote.status.code(), Some(0), "{out}");
    assert!(!out.contains("test-token"), "{out}");
    for (args, names) in [
        (vec!["--token", "t"], "--token"),
        (vec!["--accept", "drf-pagination"], "--accept"),
    ] {
        let refused = cli(&[&["run", "--openapi", document][..], &args].concat());
        assert_eq!(refused.status.code(), Some(2));
        assert!(stderr(&refused).contains(names), "{}", stderr(&refused));
    }
    let no_document = cli(&["run", "--operation", "getCallLogs"]);
    assert_eq!(no_document.status.code(), Some(2));
}

#[test]
fn run_openapi_says_what_a_plain_answer_lacks_when_it_holds_no_records() {
    // The emitted document with its records moved to where the server puts none.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/openapi.json");
    let text = std::fs::read_to_string(path).unwrap();
    let moved = text.replace(r#""results": "$.data""#, r#""results": "$.records""#);
    assert_ne!(moved, text, "the document names its results $.data");
    let document = temp_file("moved-results.json");
    std::fs::write(&document, moved).unwrap();
    let run = cli(&[
        "run",
        "--openapi",
        document.to_str().unwrap(),
        "--records",
        "20",
    ]);
    assert_eq!(run.status.code(), Some(2), "{}", stdout(&run));
    let said = stderr(&run);
    assert!(
        said.contains("not a page of the list's records (no array of records at $.records)"),
        "{said}"
    );
    assert!(
        !said.contains("call logs"),
        "a list of any operation: {said}"
    );
    std::fs::remove_file(document).unwrap();
}

/// A server whose every answer is a 200 that never ends (a body of a gigabyte announced, sent
/// until the reader hangs up); answers until dropped. Returns its URL.
fn endless_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request);
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000\r\n\r\n";
                let filler = [b' '; 64 * 1024];
                if stream.write_all(head.as_bytes()).is_ok() {
                    while stream.write_all(&filler).is_ok() {}
                }
            });
        }
    });
    url
}

#[test]
fn an_answer_larger_than_the_body_limit_is_not_read_on() {
    let url = endless_server();
    let run = run_remote(&url, "t", &["--max-body-bytes", "100000", "--timeout", "5"]);
    assert_eq!(run.status.code(), Some(2), "{}", stdout(&run));
    let said = stderr(&run);
    assert!(
        said.contains(
            "a 200 answer's body is larger than the 100000-byte limit (--max-body-bytes)"
        ),
        "{said}"
    );
    let document = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/openapi.json");
    let list = cli(&[
        "run",
        "--openapi",
        document,
        "--base-url",
        &url,
        "--max-body-bytes",
        "100000",
    ]);
    assert_eq!(list.status.code(), Some(2), "{}", stdout(&list));
    assert!(
        stderr(&list).contains("100000-byte limit"),
        "{}",
        stderr(&list)
    );
    let refused = cli(&["run", "--max-body-bytes", "0"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--max-body-bytes"),
        "{}",
        stderr(&refused)
    );
}
