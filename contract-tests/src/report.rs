//! The report of a run as text (for people), JSON, or JUnit XML (for CI): every check with its
//! status, findings and replay line, then the diagnosis.

use std::fmt::Write;

use crate::suite::diagnosis::{Baseline, BaselineStatus, Deviation};
use crate::suite::{CheckResult, Finding, Outcome, Report};

/// The formats of a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum Format {
    /// For a terminal.
    Text,
    /// The whole report as one JSON document.
    Json,
    /// JUnit XML: one test case per check.
    Junit,
}

/// What makes a run fail besides its findings: an incomplete check is a skipped test case in
/// JUnit rather than an error with `allow_incomplete`; an accepted deviation that no longer
/// occurs fails with `fail_on_fixed`.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct Policy {
    /// An incomplete check does not fail the run.
    pub allow_incomplete: bool,
    /// An accepted deviation that no longer occurs fails the run.
    pub fail_on_fixed: bool,
}

/// The report in `format`.
pub fn render(format: Format, report: &Report, policy: Policy) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => json(report),
        Format::Junit => junit(report, policy),
    }
}

/// The report of a run that could not test anything (exit status 2), in `format`.
pub fn fatal(format: Format, message: &str) -> String {
    match format {
        Format::Text => format!(
            "calllogs-contract: error: {message}\n{}\n",
            summary_line([0; 5])
        ),
        Format::Json => {
            serde_json::to_string_pretty(&serde_json::json!({"error": message, "checks": []}))
                .unwrap_or_default()
                + "\n"
        }
        Format::Junit => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"calllogs-contract\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n  <testcase classname=\"run\" name=\"calllogs-contract\"><error message=\"{}\"/></testcase>\n</testsuite>\n",
            escape(message)
        ),
    }
}

/// One check in one line: status, id, requests, what it asserts, and why it did not pass.
pub fn check_line(check: &CheckResult) -> String {
    let (label, note) = match &check.outcome {
        Outcome::Passed => ("PASS", String::new()),
        Outcome::Failed => ("FAIL", String::new()),
        Outcome::Accepted => ("ACCEPTED", String::new()),
        Outcome::Skipped(reason) => ("SKIP", format!(" [{reason}]")),
        Outcome::Incomplete(reason) => ("INCOMPLETE", format!(" [{reason}]")),
    };
    format!(
        "  {label:<4}  {:<22} {:>4} req  {}{note}",
        check.id, check.requests, check.description
    )
}

/// The closing line: how many checks passed, failed, were accepted, incomplete or skipped.
pub fn summary(report: &Report) -> String {
    summary_line([
        report.count(|o| *o == Outcome::Passed),
        report.count(|o| *o == Outcome::Failed),
        report.count(|o| *o == Outcome::Accepted),
        report.count(|o| matches!(o, Outcome::Incomplete(_))),
        report.count(|o| matches!(o, Outcome::Skipped(_))),
    ])
}

fn summary_line([passed, failed, accepted, incomplete, skipped]: [usize; 5]) -> String {
    format!(
        "{passed} passed, {failed} failed, {accepted} accepted, {incomplete} incomplete, {skipped} skipped"
    )
}

/// The deviations named, not accepted, that explain a check (the accepted ones explain only the
/// findings they account for, which are not its failures), by id.
fn explaining<'r>(report: &'r Report, check: &str) -> Vec<&'r str> {
    report
        .diagnosis
        .iter()
        .filter(|d| !d.accepted && d.explains.contains(&check))
        .map(|d| d.id)
        .collect()
}

/// Why a failed check failed, as far as the diagnosis knows.
fn explanation(report: &Report, check: &CheckResult) -> String {
    let deviations = explaining(report, check.id);
    match (deviations.is_empty(), check.accepted.is_empty()) {
        (false, _) => format!("explained by {}", deviations.join(", ")),
        (true, true) => "no deviation the diagnosis names explains it".to_owned(),
        (true, false) => "no deviation the diagnosis names explains it (the accepted ones explain only the findings marked accepted)".to_owned(),
    }
}

/// The report for a terminal.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "calllogs-contract: {} (seed {})",
        report.target, report.seed
    );
    for check in &report.checks {
        let _ = writeln!(out, "{}", check_line(check));
        for finding in &check.findings {
            let _ = writeln!(out, "        - {}", finding.summary);
            let _ = writeln!(out, "          expected: {}", finding.expected);
            let _ = writeln!(out, "          actual:   {}", finding.actual);
            for request in &finding.requests {
                let _ = writeln!(out, "          {request}");
            }
        }
        for accepted in &check.accepted {
            let _ = writeln!(
                out,
                "        ~ accepted ({}): {}",
                accepted.deviation, accepted.finding.summary
            );
        }
        if check.outcome == Outcome::Failed {
            let _ = writeln!(out, "          {}", explanation(report, check));
        }
        if let Some(replay) = &check.replay {
            let _ = writeln!(out, "          replay:   {replay}");
        }
    }
    diagnosis_text(&mut out, report);
    let _ = writeln!(
        out,
        "{} checks, {} requests in {:.1} s",
        report.checks.len(),
        report.requests,
        report.seconds
    );
    let _ = writeln!(out, "{}", summary(report));
    out
}

fn deviation_heading(deviation: &Deviation) -> String {
    format!(
        "{}{}: {}",
        deviation.id,
        if deviation.informational {
            " (informational)"
        } else {
            ""
        },
        deviation.title
    )
}

fn diagnosis_text(out: &mut String, report: &Report) {
    let (informational, deviations): (Vec<&Deviation>, Vec<&Deviation>) =
        report.diagnosis.iter().partition(|d| d.informational);
    let accepted = deviations.iter().filter(|d| d.accepted).count();
    let _ = writeln!(
        out,
        "diagnosis: {} from the contract ({accepted} accepted), {} for information{}",
        counted(deviations.len(), "deviation"),
        counted(informational.len(), "note"),
        report
            .diagnosis_incomplete
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    for deviation in deviations.iter().chain(&informational) {
        let _ = writeln!(out, "  - {}", deviation_heading(deviation));
        let _ = writeln!(out, "      seen:     {}", deviation.observed);
        if !deviation.explains.is_empty() {
            let _ = writeln!(out, "      explains: {}", deviation.explains.join(", "));
        }
        for request in &deviation.requests {
            let _ = writeln!(out, "      {request}");
        }
    }
    let unexplained: Vec<&CheckResult> = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Failed && explaining(report, c.id).is_empty())
        .collect();
    if !unexplained.is_empty() {
        let _ = writeln!(
            out,
            "unexplained: {} that no deviation named explains, each in one line (asked; expected; got):",
            counted(unexplained.len(), "failed check")
        );
        for check in unexplained {
            if let Some(finding) = check.findings.first() {
                let _ = writeln!(out, "  - {}: {}", check.id, one_line(finding));
            }
        }
    }
    if !report.baseline.is_empty() {
        let gone: Vec<&str> = report.fixed().map(|b| b.id).collect();
        let untested: Vec<&str> = report
            .baseline
            .iter()
            .filter(|b| matches!(b.status, BaselineStatus::Untested(_)))
            .map(|b| b.id)
            .collect();
        let noted = |ids: &[&str], why: &str| {
            if ids.is_empty() {
                String::new()
            } else {
                format!(" ({}: {why})", ids.join(", "))
            }
        };
        let _ = writeln!(
            out,
            "baseline: {} accepted, {} still seen, {} no longer seen{}, {} untested{}",
            report.baseline.len(),
            report.baseline.len() - gone.len() - untested.len(),
            gone.len(),
            noted(
                &gone,
                "fixed, or the baseline is stale; drop them, or --fail-on-fixed fails the run"
            ),
            untested.len(),
            noted(&untested, "the budget ran out; they explain nothing"),
        );
    }
}

/// `n thing` or `n things`.
fn counted(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

/// A finding in one line: what was asked, what the contract expects, what came back.
fn one_line(finding: &Finding) -> String {
    format!(
        "{}; expected {}; got {}",
        finding.summary, finding.expected, finding.actual
    )
}

/// The report as JSON.
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

fn escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn findings_text(check: &CheckResult) -> String {
    let mut details: Vec<String> = check
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}\nexpected: {}\nactual: {}\n{}",
                f.summary,
                f.expected,
                f.actual,
                f.requests.join("\n")
            )
        })
        .collect();
    details.extend(check.accepted.iter().map(|a| {
        format!(
            "accepted ({}): {}\nexpected: {}\nactual: {}",
            a.deviation, a.finding.summary, a.finding.expected, a.finding.actual
        )
    }));
    details.extend(check.replay.iter().map(|r| format!("replay: {r}")));
    details.join("\n\n")
}

/// How a JUnit test case ended.
enum Verdict {
    Passed,
    Failure { message: String, text: String },
    Error { message: String, text: String },
    Skipped { message: String },
}

/// One JUnit test case.
struct Case<'r> {
    classname: &'r str,
    name: &'r str,
    seconds: f64,
    verdict: Verdict,
    out: String,
}

/// A check as a test case.
fn check_case<'r>(report: &'r Report, check: &'r CheckResult, policy: Policy) -> Case<'r> {
    let verdict = match &check.outcome {
        Outcome::Failed => Verdict::Failure {
            message: format!(
                "{} [{}]",
                check
                    .findings
                    .first()
                    .map_or("failed", |f| f.summary.as_str()),
                explanation(report, check)
            ),
            text: findings_text(check),
        },
        Outcome::Incomplete(reason) if !policy.allow_incomplete => Verdict::Error {
            message: format!("incomplete: {reason}"),
            text: findings_text(check),
        },
        Outcome::Accepted => {
            let mut ids: Vec<&str> = check.accepted.iter().map(|a| a.deviation).collect();
            ids.dedup();
            let evidence: Vec<String> = ids
                .iter()
                .filter_map(|id| report.diagnosis.iter().find(|d| d.id == *id))
                .map(|d| format!("{}: {}", d.id, d.observed))
                .collect();
            Verdict::Skipped {
                message: format!("accepted: {}", evidence.join("; ")),
            }
        }
        Outcome::Skipped(reason) | Outcome::Incomplete(reason) => Verdict::Skipped {
            message: reason.clone(),
        },
        Outcome::Passed => Verdict::Passed,
    };
    Case {
        classname: check.group,
        name: check.id,
        seconds: check.seconds,
        verdict,
        out: format!("requests: {}", check.requests),
    }
}

/// A deviation as a test case: failed, skipped when accepted, passed when informational.
fn deviation_case(deviation: &Deviation) -> Case<'_> {
    let evidence = format!(
        "{}\nseen: {}\nexplains: {}\n{}",
        deviation.title,
        deviation.observed,
        deviation.explains.join(", "),
        deviation.requests.join("\n")
    );
    let verdict = if deviation.accepted {
        Verdict::Skipped {
            message: format!("accepted: {}: {}", deviation.title, deviation.observed),
        }
    } else if deviation.informational {
        Verdict::Passed
    } else {
        Verdict::Failure {
            message: format!("{}: {}", deviation.title, deviation.observed),
            text: evidence.clone(),
        }
    };
    Case {
        classname: "diagnosis",
        name: deviation.id,
        seconds: 0.0,
        verdict,
        out: evidence,
    }
}

/// An accepted deviation that was not seen, as a test case.
fn baseline_case(baseline: &Baseline, policy: Policy) -> Option<Case<'_>> {
    let verdict = match &baseline.status {
        BaselineStatus::Seen => return None,
        BaselineStatus::Gone => {
            let message = format!(
                "{} is accepted but no longer occurs (fixed, or the baseline is stale)",
                baseline.id
            );
            if policy.fail_on_fixed {
                Verdict::Failure {
                    text: message.clone(),
                    message,
                }
            } else {
                Verdict::Passed
            }
        }
        BaselineStatus::Untested(reason) => Verdict::Skipped {
            message: format!("accepted but not tested ({reason}): it explains nothing"),
        },
    };
    Some(Case {
        classname: "baseline",
        name: baseline.id,
        seconds: 0.0,
        verdict,
        out: format!("{:?}", baseline.status),
    })
}

/// The report as JUnit XML: a test case per check (with its request count), per deviation the
/// diagnosis named (failed, or skipped when accepted) and per accepted deviation not seen; the
/// suite's counts are those of its cases. An incomplete check is an error (a skipped test case
/// with `allow_incomplete`).
pub fn junit(report: &Report, policy: Policy) -> String {
    let mut cases: Vec<Case<'_>> = report
        .checks
        .iter()
        .map(|c| check_case(report, c, policy))
        .collect();
    cases.extend(report.diagnosis.iter().map(deviation_case));
    cases.extend(
        report
            .baseline
            .iter()
            .filter_map(|b| baseline_case(b, policy)),
    );
    let count = |wanted: fn(&Verdict) -> bool| cases.iter().filter(|c| wanted(&c.verdict)).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"calllogs-contract\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        cases.len(),
        count(|v| matches!(v, Verdict::Failure { .. })),
        count(|v| matches!(v, Verdict::Error { .. })),
        count(|v| matches!(v, Verdict::Skipped { .. })),
        report.seconds
    );
    let _ = writeln!(
        out,
        "  <properties><property name=\"target\" value=\"{}\"/><property name=\"seed\" value=\"{}\"/></properties>",
        escape(&report.target),
        report.seed
    );
    for case in &cases {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            case.classname, case.name, case.seconds
        );
        let mut element = |open: &str, close: &str, message: &str, text: &str| {
            let _ = write!(
                out,
                "<{open} message=\"{}\">{}</{close}>",
                escape(message),
                escape(text)
            );
        };
        match &case.verdict {
            Verdict::Failure { message, text } => element("failure", "failure", message, text),
            Verdict::Error { message, text } => {
                element("error type=\"incomplete\"", "error", message, text);
            }
            Verdict::Skipped { message } => {
                let _ = write!(out, "<skipped message=\"{}\"/>", escape(message));
            }
            Verdict::Passed => {}
        }
        let _ = writeln!(
            out,
            "<system-out>{}</system-out></testcase>",
            escape(&case.out)
        );
    }
    let mut diagnosis = String::new();
    diagnosis_text(&mut diagnosis, report);
    let _ = writeln!(out, "  <system-out>{}</system-out>", escape(&diagnosis));
    out.push_str("</testsuite>\n");
    out
}
