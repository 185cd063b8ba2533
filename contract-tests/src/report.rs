//! The report of a run as text (for people), JSON, or JUnit XML (for CI).

use std::fmt::Write;

use crate::suite::{Outcome, Report};

/// The report for a terminal.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "calllogs-contract: {} (seed {})",
        report.target, report.seed
    );
    for check in &report.checks {
        let (label, note) = match &check.outcome {
            Outcome::Passed => ("PASS", String::new()),
            Outcome::Failed => ("FAIL", String::new()),
            Outcome::Skipped(reason) => ("SKIP", format!(" [{reason}]")),
            Outcome::Incomplete(reason) => ("PART", format!(" [{reason}]")),
        };
        let _ = writeln!(
            out,
            "  {label}  {:<22} {:>4} req  {}{note}",
            check.id, check.requests, check.description
        );
        for finding in &check.findings {
            let _ = writeln!(out, "        - {}", finding.summary);
            let _ = writeln!(out, "          expected: {}", finding.expected);
            let _ = writeln!(out, "          actual:   {}", finding.actual);
            for request in &finding.requests {
                let _ = writeln!(out, "          {request}");
            }
            let _ = writeln!(
                out,
                "          replay:   calllogs-contract run ... --seed {} --only {}",
                report.seed, check.id
            );
        }
    }
    let count =
        |wanted: fn(&Outcome) -> bool| report.checks.iter().filter(|c| wanted(&c.outcome)).count();
    let _ = writeln!(
        out,
        "{} checks, {} requests in {:.1} s",
        report.checks.len(),
        report.requests,
        report.seconds
    );
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} skipped",
        count(|o| matches!(o, Outcome::Passed | Outcome::Incomplete(_))),
        count(|o| *o == Outcome::Failed),
        count(|o| matches!(o, Outcome::Skipped(_)))
    );
    out
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

/// The report as JUnit XML: one test case per check, with its request count.
pub fn junit(report: &Report) -> String {
    let failures = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .count();
    let skipped = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"calllogs-contract\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        report.checks.len(),
        report.seconds
    );
    let _ = writeln!(
        out,
        "  <properties><property name=\"target\" value=\"{}\"/><property name=\"seed\" value=\"{}\"/></properties>",
        escape(&report.target),
        report.seed
    );
    for check in &report.checks {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            check.group, check.id, check.seconds
        );
        match &check.outcome {
            Outcome::Failed => {
                let details: Vec<String> = check
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
                let message = check
                    .findings
                    .first()
                    .map(|f| f.summary.as_str())
                    .unwrap_or("failed");
                let _ = write!(
                    out,
                    "<failure message=\"{}\">{}</failure>",
                    escape(message),
                    escape(&details.join("\n\n"))
                );
            }
            Outcome::Skipped(reason) => {
                let _ = write!(out, "<skipped message=\"{}\"/>", escape(reason));
            }
            _ => {}
        }
        let _ = writeln!(
            out,
            "<system-out>requests: {}</system-out></testcase>",
            check.requests
        );
    }
    out.push_str("</testsuite>\n");
    out
}
