//! The suite against the reference server: silent when it is faithful (several seeds); for every
//! fault mode, failing the check meant to find it (and every check failing under some fault); and
//! a diagnosis that names each deviation the server has and none it does not.
//!
//! `cargo test -p calllogs-contract --test power -- --nocapture` prints the tables of the README.

mod common;

use std::collections::BTreeSet;

use calllogs_contract::probe::{Limits, Probe, Target};
use calllogs_contract::report::Policy;
use calllogs_contract::suite::{self, Options, Outcome, Report};
use calllogs_reference::{
    Emulation, FOREIGN_ORG_HANDLE, Fault, Filter, Knobs, PastLast, Records, ServerConfig,
};
use unpod_calllogs::SecretToken;

fn run_against(config: ServerConfig, seed: u64) -> Report {
    run_with_headers(config, seed, Vec::new())
}

fn run_with_headers(config: ServerConfig, seed: u64, headers: Vec<(String, String)>) -> Report {
    run_accepting(config, seed, headers, &[])
}

fn run_accepting(
    config: ServerConfig,
    seed: u64,
    headers: Vec<(String, String)>,
    accept: &[&str],
) -> Report {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(calllogs_reference::start(config)).unwrap();
    let target = Target::new(
        server.url(),
        SecretToken::new(server.token()),
        server.org_handle(),
    )
    .foreign_org_handle(FOREIGN_ORG_HANDLE.to_owned())
    .headers(headers);
    let limits = Limits::default().max_requests(5000);
    let probe = Probe::new(runtime.handle().clone(), target, limits).unwrap();
    let options = Options::default()
        .seed(seed)
        .accept(accept.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>());
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
        Fault::PageWindowOverlap
        | Fault::PageWindowGap
        | Fault::LastPageRepeat
        | Fault::CountDrifts
        | Fault::OldestFirst
        | Fault::PageSizeCapped => "pagination.walk",
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
        Fault::ErrorDetailOnly => "schema.error",
        Fault::ContentTypeText => "schema.content-type",
        Fault::CacheIgnoresCredentials => "auth.missing-token",
        Fault::OffsetIgnored | Fault::EmptyValueApplied => "filters.forms",
        other => panic!("no check is named for the fault {other}"),
    }
}

fn with_fault(fault: Fault) -> ServerConfig {
    ServerConfig::seeded(1000, 42).faults([fault])
}

#[test]
fn every_fault_is_found_by_the_check_meant_for_it() {
    println!("| fault | found by | also failed | requests (whole run) |");
    println!("|---|---|---|---|");
    let mut failing: BTreeSet<&str> = BTreeSet::new();
    for &fault in Fault::ALL {
        let report = run_against(with_fault(fault), 42);
        let failed = failed(&report);
        failing.extend(&failed);
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
    let never: Vec<&str> = suite::CHECKS
        .iter()
        .map(|c| c.id)
        .filter(|id| !failing.contains(id))
        .collect();
    assert!(never.is_empty(), "checks no fault makes fail: {never:?}");
}

#[test]
fn the_token_never_appears_in_a_report() {
    let report = run_against(
        ServerConfig::seeded(200, 3).faults([Fault::IgnoreCallType]),
        3,
    );
    for text in [
        calllogs_contract::report::text(&report),
        calllogs_contract::report::json(&report),
        calllogs_contract::report::junit(&report, Policy::default()),
    ] {
        assert!(!text.contains(calllogs_reference::DEFAULT_TOKEN), "{text}");
        assert!(text.contains("$UNPOD_PLATFORM_TOKEN"));
    }
}

#[test]
fn reports_render_in_every_format() {
    let report = run_against(ServerConfig::seeded(300, 4).faults([Fault::OldestFirst]), 4);
    let text = calllogs_contract::report::text(&report);
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("FAIL  pagination.walk")),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&calllogs_contract::report::json(&report)).unwrap();
    let walk = common::check(&json, "pagination.walk");
    assert_eq!(walk["outcome"]["status"], "failed");
    assert!(walk["requests"].as_u64().unwrap() > 0);
    let junit = calllogs_contract::report::junit(&report, Policy::default());
    assert!(junit.starts_with("<?xml"));
    assert_eq!(junit.matches("<testcase ").count(), suite::CHECKS.len());
    assert!(junit.contains("name=\"pagination.walk\"") && junit.contains("<failure message="));
    assert!(junit.contains("<system-out>requests: "));
}

/// The deviations of the real Unpod v2 server (its emulation), as a CI baseline accepts them.
const UNPOD_V2: &[&str] = &[
    "ignores-start_date",
    "ignores-end_date",
    "reads-start_time-end_time",
    "unknown-org-200",
    "orgs-not-isolated",
    "unknown-enum-200",
    "case-insensitive-enums",
    "page-size-out-of-range-accepted",
    "unordered-ties",
    "requires-header",
    "extra-fields",
    "fractional-durations",
];

fn product_id() -> Headers {
    vec![("Product-Id".to_owned(), "unpod.ai".to_owned())]
}

/// With the real server's deviations accepted the run passes; every fault added on top that can
/// be seen through them fails it, by a finding no accepted deviation explains or by a deviation
/// not accepted.
#[test]
fn a_baseline_passes_and_every_fault_on_top_of_it_fails_the_run() {
    let real = |faults: &[Fault]| {
        Emulation::UnpodV2.apply(ServerConfig::seeded(400, 42).faults(faults.to_vec()))
    };
    let baseline = run_accepting(real(&[]), 42, product_id(), UNPOD_V2);
    assert!(
        baseline.passed() && baseline.complete(),
        "{}",
        calllogs_contract::report::text(&baseline)
    );
    assert!(baseline.fixed().next().is_none());
    // What a baseline could do before: --skip every check the deviations make fail.
    let skipped: BTreeSet<&str> = failed(&run_with_headers(real(&[]), 42, product_id()))
        .into_iter()
        .collect();
    let already = real(&[]).faults;
    println!(
        "| fault on top of unpod-v2 | caught by | caught with `--skip` of the {} checks the deviations fail |",
        skipped.len()
    );
    println!("|---|---|---|");
    let mut missed = Vec::new();
    let (mut faults, mut caught_by_skipping) = (0, 0);
    for &fault in Fault::ALL {
        // Faults the real server has already (an empty call_type is one of its unknown values,
        // answered with no records), and date faults its ignored dates cannot show.
        if already.contains(&fault)
            || matches!(
                fault,
                Fault::EndDateExcludesDay
                    | Fault::StartDateExclusive
                    | Fault::OffsetIgnored
                    | Fault::EmptyValueApplied
            )
        {
            continue;
        }
        let report = run_accepting(real(&[fault]), 42, product_id(), UNPOD_V2);
        let caught: Vec<String> = failed(&report)
            .into_iter()
            .map(str::to_owned)
            .chain(report.unaccepted().map(|d| format!("deviation {}", d.id)))
            .collect();
        if report.passed() {
            missed.push(fault);
        }
        let outside: Vec<&str> = failed(&report)
            .into_iter()
            .filter(|id| !skipped.contains(id))
            .collect();
        faults += 1;
        caught_by_skipping += usize::from(!outside.is_empty());
        println!(
            "| `{fault}` | {} | {} |",
            caught.join(", "),
            outside.join(", ")
        );
    }
    println!(
        "caught: {} of {faults} with the baseline, {caught_by_skipping} of {faults} by skipping checks",
        faults - missed.len()
    );
    assert!(missed.is_empty(), "faults the baseline hides: {missed:?}");
}

fn knobs(knobs: Knobs) -> ServerConfig {
    ServerConfig::seeded(1000, 42).knobs(knobs)
}

/// Records with call statuses outside the documented ones, as the real server stores them.
fn free_text_statuses() -> ServerConfig {
    let mut records = calllogs_reference::data::generate(300, 8);
    for record in records.iter_mut().step_by(7) {
        record.call_status = unpod_calllogs::CallStatus::from("busy");
    }
    ServerConfig::seeded(300, 8).records(Records::Given(records))
}

/// A server to diagnose: its name, how it is made, the headers the run sends, what it must name.
type Case = (String, ServerConfig, Headers, Vec<&'static str>);
type Headers = Vec<(String, String)>;

fn named(report: &Report) -> BTreeSet<&'static str> {
    report.diagnosis.iter().map(|d| d.id).collect()
}

#[test]
fn the_diagnosis_names_each_deviation_present_and_none_absent() {
    let product_id = product_id();
    let mut cases: Vec<Case> = vec![
        (
            "faithful".into(),
            ServerConfig::seeded(1000, 42),
            Vec::new(),
            vec![],
        ),
        (
            "faithful, 137 records".into(),
            ServerConfig::seeded(137, 7),
            Vec::new(),
            vec![],
        ),
        (
            "faithful, a header sent".into(),
            ServerConfig::seeded(300, 5),
            product_id.clone(),
            vec![],
        ),
    ];
    for &fault in Fault::ALL {
        let expected = match fault {
            Fault::IgnoreCallType => vec!["ignores-call_type"],
            Fault::IgnoreCallStatus => vec!["ignores-call_status"],
            Fault::PageSizeCapped => vec!["caps-page-size"],
            // Every page after the first starts one early: so does the page past the last.
            Fault::PastLastPageRepeats | Fault::PageWindowOverlap => {
                vec!["past-last-page-has-records"]
            }
            Fault::UnknownOrgEmpty => vec!["unknown-org-200"],
            Fault::ForeignOrgReadable => vec!["orgs-not-isolated"],
            Fault::InvalidFilterIgnored => vec!["unknown-enum-200"],
            Fault::UnstableTies => vec!["unordered-ties"],
            Fault::CacheIgnoresCredentials => vec!["caches-by-url"],
            Fault::OffsetIgnored => vec!["ignores-offsets"],
            Fault::EmptyValueApplied => vec!["empty-value-applied"],
            _ => vec![],
        };
        cases.push((
            format!("fault {fault}"),
            with_fault(fault),
            Vec::new(),
            expected,
        ));
    }
    let knob_cases = [
        (
            "ignored start_date",
            Knobs::default().ignored_filters([Filter::StartDate]),
            vec!["ignores-start_date"],
        ),
        (
            "ignored end_date",
            Knobs::default().ignored_filters([Filter::EndDate]),
            vec!["ignores-end_date"],
        ),
        (
            "page_size cap 100",
            Knobs::default().page_size_cap(100),
            vec!["caps-page-size"],
        ),
        (
            "default page size 10",
            Knobs::default().default_page_size(10),
            vec!["default-page-size"],
        ),
        (
            "past last 400",
            Knobs::default().past_last(PastLast::BadRequest),
            vec!["past-last-page-400"],
        ),
        (
            "past last 404",
            Knobs::default().past_last(PastLast::NotFound),
            vec![],
        ),
        (
            "case-insensitive enums",
            Knobs::default().case_insensitive_enums(true),
            vec!["case-insensitive-enums"],
        ),
        (
            "any page_size",
            Knobs::default().page_size_unbounded(true),
            vec!["page-size-out-of-range-accepted"],
        ),
        (
            "real-world records",
            Knobs::default().real_world_records(true),
            vec!["extra-fields", "fractional-durations"],
        ),
    ];
    for (name, knobs_set, expected) in knob_cases {
        cases.push((name.into(), knobs(knobs_set), Vec::new(), expected));
    }
    cases.push((
        "Product-Id required".into(),
        knobs(Knobs::default().required_header("Product-Id".to_owned())),
        product_id.clone(),
        vec!["requires-header"],
    ));
    cases.push((
        "dates read from start_time/end_time".into(),
        knobs(
            Knobs::default()
                .ignored_filters([Filter::StartDate, Filter::EndDate])
                .legacy_date_params(true),
        ),
        Vec::new(),
        vec![
            "ignores-start_date",
            "ignores-end_date",
            "reads-start_time-end_time",
        ],
    ));
    cases.push((
        "free-text statuses".into(),
        free_text_statuses(),
        Vec::new(),
        vec!["undocumented-values"],
    ));
    cases.push((
        "emulate unpod-v2".into(),
        Emulation::UnpodV2.apply(ServerConfig::seeded(1000, 42)),
        product_id.clone(),
        UNPOD_V2.to_vec(),
    ));
    cases.push((
        "emulate drf-pagination".into(),
        Emulation::DrfPagination.apply(ServerConfig::seeded(1000, 42)),
        Vec::new(),
        vec!["caps-page-size", "default-page-size", "past-last-page-400"],
    ));
    let known: BTreeSet<&str> = suite::diagnosis::deviation_ids().into_iter().collect();
    let mut shown = BTreeSet::new();
    let mut wrong = Vec::new();
    println!("| server | deviations named |");
    println!("|---|---|");
    for (name, config, headers, expected) in cases {
        let report = run_with_headers(config, 42, headers);
        let expected: BTreeSet<&str> = expected.into_iter().collect();
        assert!(expected.is_subset(&known), "{name}: {expected:?}");
        if named(&report) != expected {
            wrong.push(format!(
                "{name}: named {:?}, expected {expected:?}",
                named(&report)
            ));
        }
        assert_eq!(report.diagnosis_incomplete, None, "{name}");
        for deviation in &report.diagnosis {
            assert!(
                !deviation.requests.is_empty(),
                "{name}: {} shows its requests",
                deviation.id
            );
            let failed = failed(&report);
            assert!(deviation.explains.iter().all(|id| failed.contains(id)));
        }
        shown.extend(expected.iter().copied());
        println!(
            "| {name} | {} |",
            expected.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        shown, known,
        "every deviation the diagnosis can name is proven here"
    );
}

/// `run --openapi` of the emitted document against the embedded server, as the CLI runs it.
fn run_list_against(config: ServerConfig) -> Report {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(calllogs_reference::start(config)).unwrap();
    let document = calllogs_contract::schema::openapi();
    let list = calllogs_contract::openapi::list_operation(&document, None).unwrap();
    let target = Target::new(server.url(), SecretToken::new(""), "")
        .headers(vec![
            (
                "Authorization".to_owned(),
                unpod_calllogs::transport::authorization(server.token()),
            ),
            ("Org-Handle".to_owned(), server.org_handle().to_owned()),
        ])
        .secret_headers(vec!["Authorization".to_owned()]);
    let limits = Limits::default().max_requests(2000);
    let probe = Probe::for_operation(runtime.handle().clone(), target, &list.path, limits).unwrap();
    let identity = suite::Identity::new(
        vec!["Authorization".to_owned()],
        vec![("Org-Handle".to_owned(), FOREIGN_ORG_HANDLE.to_owned())],
    );
    suite::run_list(&probe, &list, &document, &identity, &Options::default()).unwrap()
}

/// What the call-logs contract says that no extension of docs/LIST-EXTENSIONS.md can: a relation
/// between fields of a record, and that an empty value means no filter. The built-in run finds
/// these (`every_fault_is_found_by_the_check_meant_for_it`); `run --openapi` cannot.
const BEYOND_THE_EXTENSIONS: &[Fault] = &[Fault::DurationMismatch, Fault::EmptyValueApplied];

#[test]
fn the_openapi_run_of_the_emitted_document_finds_every_fault_the_built_in_run_finds() {
    let faithful = run_list_against(ServerConfig::seeded(300, 42));
    assert!(
        faithful.passed() && faithful.complete(),
        "{}",
        calllogs_contract::report::text(&faithful)
    );
    let skipped: Vec<&str> = faithful
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .map(|c| c.id)
        .collect();
    assert_eq!(
        skipped,
        ["list.cursor-ends"],
        "the document gives every other check a basis"
    );
    println!("| fault | `run --openapi` fails | requests |");
    println!("|---|---|---|");
    // Every fault is found by the built-in run (the test above): the same set, less what the
    // extensions cannot state, must fail the run of the document.
    for &fault in Fault::ALL {
        let report = run_list_against(ServerConfig::seeded(300, 42).faults([fault]));
        let failed = failed(&report);
        println!(
            "| `{fault}` | {} | {} |",
            failed.join(", "),
            report.requests
        );
        if BEYOND_THE_EXTENSIONS.contains(&fault) {
            assert!(
                failed.is_empty(),
                "{fault} is now found by {failed:?}: take it off BEYOND_THE_EXTENSIONS"
            );
        } else {
            assert!(
                !failed.is_empty(),
                "{fault}: the built-in run finds it, run --openapi does not:\n{}",
                calllogs_contract::report::text(&report)
            );
        }
        let text = calllogs_contract::report::text(&report);
        assert!(!text.contains(calllogs_reference::DEFAULT_TOKEN), "{text}");
    }
}
