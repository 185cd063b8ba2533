//! The auth group. Each probe asks a URL that the target's own credentials have just asked, so
//! that a cache keyed by the URL alone (not by the credentials) would answer it with their page.

use crate::probe::{Auth, Request};

use super::property::*;
use super::*;

/// How a finding's summary ends when the answer held records.
pub(crate) const LEAKED: &str = " with records";
/// How it ends when those records are the page the target's own credentials got.
pub(crate) const SAME_PAGE: &str = " with the page the target's own credentials got for the same URL (a cache keyed by the URL alone?)";

/// The URL every auth probe asks.
fn probe_request() -> Request {
    Request::new([("page_size", "3")])
}

fn expect_status(run: &Run<'_>, auth: Auth, allowed: &[u16], what: &str) -> Checked {
    let mut checked = Checked::default();
    let own = match run.probe.get(probe_request()) {
        Ok(exchange) => exchange,
        Err(error) => {
            checked.record_probe_error(error, &probe_request(), run.probe);
            return checked;
        }
    };
    let request = probe_request().with_auth(auth);
    match run.probe.get(request.clone()) {
        Ok(exchange) => {
            let leaked = !exchange.records().is_empty();
            let same_page = leaked && exchange.records() == own.records();
            if !allowed.contains(&exchange.status) || leaked {
                checked.findings.push(Finding {
                    summary: format!(
                        "{what} got {}{}",
                        exchange.status,
                        match (same_page, leaked) {
                            (true, _) => SAME_PAGE,
                            (false, true) => LEAKED,
                            (false, false) => "",
                        }
                    ),
                    expected: format!(
                        "{} and no records",
                        allowed
                            .iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                    actual: answer_text(&exchange),
                    requests: vec![own.curl.clone(), exchange.curl.clone()],
                });
            } else if allowed == [401]
                && exchange
                    .www_authenticate
                    .as_deref()
                    .is_none_or(|h| !h.trim().to_ascii_lowercase().starts_with("token"))
            {
                checked.findings.push(Finding {
                    summary: format!("{what} got 401 without WWW-Authenticate: Token"),
                    expected: "WWW-Authenticate: Token".to_owned(),
                    actual: format!("{:?}", exchange.www_authenticate),
                    requests: vec![exchange.curl.clone()],
                });
            }
        }
        Err(error) => checked.record_probe_error(error, &request, run.probe),
    }
    checked
}

pub(super) fn missing_token(run: &Run<'_>) -> Checked {
    expect_status(run, Auth::NoToken, &[401], "a request without a token")
}

pub(super) fn bad_token(run: &Run<'_>) -> Checked {
    let token = format!("calllogs-contract-invalid-{}", run.options.seed);
    expect_status(
        run,
        Auth::Token(token),
        &[401],
        "a request with an invalid token",
    )
}

pub(super) fn unknown_org(run: &Run<'_>) -> Checked {
    let org = format!("calllogs-contract-no-such-org-{}", run.options.seed);
    expect_status(run, Auth::Org(org), &[403, 404], "an unknown Org-Handle")
}

pub(super) fn foreign_org(run: &Run<'_>) -> Checked {
    match &run.probe.target().foreign_org_handle {
        Some(org) => expect_status(
            run,
            Auth::Org(org.clone()),
            &[403],
            "another organization's handle",
        ),
        None => Checked {
            skipped: Some("no --foreign-org-handle given".to_owned()),
            ..Checked::default()
        },
    }
}
