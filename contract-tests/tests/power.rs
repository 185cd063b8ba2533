//! The suite against the reference server: silent when it is faithful (several seeds), and for every
//! fault mode, failing the check meant to find it.
//!
//! `cargo test -p calllogs-contract --test power -- --nocapture` prints the table of the README.

use calllogs_contract::probe::{Limits, Probe, Target};
use calllogs_contract::suite::{self, Options, Outcome, Report};
use calllogs_reference::{FOREIGN_ORG_HANDLE, Fault, ServerConfig};
use unpod_calllogs::SecretToken;

fn run_against(config: ServerConfig, seed: u64) -> Report {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(calllogs_reference::start(config)).unwrap();
    let target = Target {
        base_url: server.url().to_owned(),
        token: SecretToken::new(server.token()),
        org_handle: server.org_handle().to_owned(),
        foreign_org_handle: Some(FOREIGN_ORG_HANDLE.to_owned()),
        headers: Vec::new(),
    };
    let limits = Limits {
        max_requests: 5000,
        rps: None,
        timeout: std::time::Duration::from_secs(10),
    };
    let probe = Probe::new(runtime.handle().clone(), target, limits).unwrap();
    let options = Options {
        cases: 32,
        seed,
        only: Vec::new(),
        skip: Vec::new(),
    };
    suite::run(&probe, &options).unwrap()
}

fn failed(report: &Report) -> Vec<&'static str> {
    report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .map(|c| c.id)
        .collect()
}

#[test]
fn a_faithful_server_passes_every_check_for_every_seed() {
    for (records, seed) in [(1000, 42), (137, 7), (2500, 99), (3, 1), (0, 5)] {
        let report = run_against(ServerConfig::seeded(records, seed), seed);
        assert_eq!(
            failed(&report),
            Vec::<&str>::new(),
            "{records} records, seed {seed}:\n{}",
            calllogs_contract::report::text(&report)
        );
        assert!(report.passed());
    }
}

fn meant_check(fault: Fault) -> &'static str {
    match fault {
        Fault::IgnoreCallType | Fault::IgnoreCallStatus => "filters.match",
        Fault::EndDateExcludesDay | Fault::StartDateExclusive | Fault::CountOffByOne => {
            "filters.complete"
        }
        Fault::PageWindowOverlap | Fault::OldestFirst | Fault::PageSizeCapped => "pagination.walk",
        Fault::UnstableTies => "pagination.repeatable",
        Fault::PastLastPageRepeats => "pagination.past-last",
        Fault::DurationAsString => "schema.page",
        Fault::DurationMismatch => "data.rules",
        Fault::StatusCodeMismatch => "schema.status-code",
        Fault::AuthBypass => "auth.bad-token",
        Fault::ForeignOrgReadable => "auth.foreign-org",
        Fault::UnknownOrgEmpty => "auth.unknown-org",
        Fault::InvalidFilterIgnored => "errors.invalid-input",
        Fault::InvalidPageCrashes => "errors.no-5xx",
    }
}

#[test]
fn every_fault_is_found_by_the_check_meant_for_it() {
    println!("| fault | found by | also failed | requests (whole run) |");
    println!("|---|---|---|---|");
    for &fault in Fault::ALL {
        let report = run_against(
            ServerConfig {
                fault: Some(fault),
                ..ServerConfig::seeded(1000, 42)
            },
            42,
        );
        let failed = failed(&report);
        let meant = meant_check(fault);
        let check = report.checks.iter().find(|c| c.id == meant).unwrap();
        assert_eq!(
            check.outcome,
            Outcome::Failed,
            "{fault} should fail {meant}:\n{}",
            calllogs_contract::report::text(&report)
        );
        let finding = &check.findings[0];
        assert!(
            !finding.requests.is_empty(),
            "{fault}: a finding names its requests"
        );
        assert!(
            finding
                .requests
                .iter()
                .all(|r| r.starts_with("curl ") && !r.contains(calllogs_reference::DEFAULT_TOKEN))
        );
        let others: Vec<_> = failed.iter().filter(|id| **id != meant).copied().collect();
        println!(
            "| `{fault}` | `{meant}` ({} req) | {} | {} |",
            check.requests,
            others.join(", "),
            report.requests
        );
    }
}

#[test]
fn the_token_never_appears_in_a_report() {
    let report = run_against(
        ServerConfig {
            fault: Some(Fault::IgnoreCallType),
            ..ServerConfig::seeded(200, 3)
        },
        3,
    );
    for text in [
        calllogs_contract::report::text(&report),
        calllogs_contract::report::json(&report),
        calllogs_contract::report::junit(&report),
    ] {
        assert!(!text.contains(calllogs_reference::DEFAULT_TOKEN), "{text}");
        assert!(text.contains("$UNPOD_PLATFORM_TOKEN"));
    }
}

#[test]
fn reports_render_in_every_format() {
    let report = run_against(
        ServerConfig {
            fault: Some(Fault::OldestFirst),
            ..ServerConfig::seeded(300, 4)
        },
        4,
    );
    let text = calllogs_contract::report::text(&report);
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("FAIL  pagination.walk")),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&calllogs_contract::report::json(&report)).unwrap();
    let walk = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "pagination.walk")
        .unwrap();
    assert_eq!(walk["outcome"]["status"], "failed");
    assert!(walk["requests"].as_u64().unwrap() > 0);
    let junit = calllogs_contract::report::junit(&report);
    assert!(junit.starts_with("<?xml"));
    assert_eq!(junit.matches("<testcase ").count(), suite::CHECKS.len());
    assert!(junit.contains("name=\"pagination.walk\"") && junit.contains("<failure message="));
    assert!(junit.contains("<system-out>requests: "));
}
