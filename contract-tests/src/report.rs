//! The report of a run as text (for people), JSON, or JUnit XML (for CI): every check with its
//! status, findings and replay line, then the diagnosis.

use std::fmt::Write;

use crate::suite::diagnosis::Deviation;
use crate::suite::{CheckResult, Outcome, Report};

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

/// The report in `format`. With `allow_incomplete`, an incomplete check is a skipped test case in
/// JUnit rather than an error.
pub fn render(format: Format, report: &Report, allow_incomplete: bool) -> String {
    match format {
        Format::Text => text(report),
        Format::Json => json(report),
        Format::Junit => junit(report, allow_incomplete),
    }
}

/// The report of a run that could not test anything (exit status 2), in `format`.
pub fn fatal(format: Format, message: &str) -> String {
    match format {
        Format::Text => format!(
            "calllogs-contract: error: {message}\n{}\n",
            summary_line([0; 4])
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
        Outcome::Skipped(reason) => ("SKIP", format!(" [{reason}]")),
        Outcome::Incomplete(reason) => ("INCOMPLETE", format!(" [{reason}]")),
    };
    format!(
        "  {label:<4}  {:<22} {:>4} req  {}{note}",
        check.id, check.requests, check.description
    )
}

/// The closing line: how many checks passed, failed, were incomplete or skipped.
pub fn summary(report: &Report) -> String {
    summary_line([
        report.count(|o| *o == Outcome::Passed),
        report.count(|o| *o == Outcome::Failed),
        report.count(|o| matches!(o, Outcome::Incomplete(_))),
        report.count(|o| matches!(o, Outcome::Skipped(_))),
    ])
}

fn summary_line([passed, failed, incomplete, skipped]: [usize; 4]) -> String {
    format!("{passed} passed, {failed} failed, {incomplete} incomplete, {skipped} skipped")
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
    let deviations = report.diagnosis.iter().filter(|d| !d.informational).count();
    let _ = writeln!(
        out,
        "diagnosis: {deviations} deviation{} from the contract{}",
        if deviations == 1 { "" } else { "s" },
        report
            .diagnosis_incomplete
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    for deviation in &report.diagnosis {
        let _ = writeln!(out, "  - {}", deviation_heading(deviation));
        let _ = writeln!(out, "      seen:     {}", deviation.observed);
        if !deviation.explains.is_empty() {
            let _ = writeln!(out, "      explains: {}", deviation.explains.join(", "));
        }
        for request in &deviation.requests {
            let _ = writeln!(out, "      {request}");
        }
    }
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
    details.extend(check.replay.iter().map(|r| format!("replay: {r}")));
    details.join("\n\n")
}

/// One check as a JUnit test case.
fn junit_case(out: &mut String, check: &CheckResult, allow_incomplete: bool) {
    let _ = write!(
        out,
        "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
        check.group, check.id, check.seconds
    );
    match &check.outcome {
        Outcome::Failed => {
            let message = check
                .findings
                .first()
                .map(|f| f.summary.as_str())
                .unwrap_or("failed");
            let _ = write!(
                out,
                "<failure message=\"{}\">{}</failure>",
                escape(message),
                escape(&findings_text(check))
            );
        }
        Outcome::Incomplete(reason) if !allow_incomplete => {
            let _ = write!(
                out,
                "<error type=\"incomplete\" message=\"incomplete: {}\">{}</error>",
                escape(reason),
                escape(&findings_text(check))
            );
        }
        Outcome::Skipped(reason) | Outcome::Incomplete(reason) => {
            let _ = write!(out, "<skipped message=\"{}\"/>", escape(reason));
        }
        Outcome::Passed => {}
    }
    let _ = writeln!(
        out,
        "<system-out>requests: {}</system-out></testcase>",
        check.requests
    );
}

/// The report as JUnit XML: one test case per check, with its request count; an incomplete check
/// is an error (a skipped test case with `allow_incomplete`); the diagnosis is in the suite's
/// properties and output.
pub fn junit(report: &Report, allow_incomplete: bool) -> String {
    let failures = report.count(|o| *o == Outcome::Failed);
    let incomplete = report.count(|o| matches!(o, Outcome::Incomplete(_)));
    let skipped = report.count(|o| matches!(o, Outcome::Skipped(_)));
    let (errors, skipped) = if allow_incomplete {
        (0, skipped + incomplete)
    } else {
        (incomplete, skipped)
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"calllogs-contract\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        report.checks.len(),
        report.seconds
    );
    let _ = write!(
        out,
        "  <properties><property name=\"target\" value=\"{}\"/><property name=\"seed\" value=\"{}\"/>",
        escape(&report.target),
        report.seed
    );
    for deviation in &report.diagnosis {
        let _ = write!(
            out,
            "<property name=\"deviation.{}\" value=\"{}\"/>",
            deviation.id,
            escape(&deviation.observed)
        );
    }
    out.push_str("</properties>\n");
    for check in &report.checks {
        junit_case(&mut out, check, allow_incomplete);
    }
    let mut diagnosis = String::new();
    diagnosis_text(&mut diagnosis, report);
    let _ = writeln!(out, "  <system-out>{}</system-out>", escape(&diagnosis));
    out.push_str("</testsuite>\n");
    out
}
