//! The auth group.

use crate::probe::{Auth, Request};

use super::property::*;
use super::*;

pub(super) fn expect_status(
    run: &Run<'_>,
    request: Request,
    allowed: &[u16],
    what: &str,
) -> Checked {
    let mut checked = Checked::default();
    match run.probe.get(request.clone()) {
        Ok(exchange) => {
            let leaked = !exchange.records().is_empty();
            if !allowed.contains(&exchange.status) || leaked {
                checked.findings.push(Finding {
                    summary: format!(
                        "{what} got {}{}",
                        exchange.status,
                        if leaked { " with records" } else { "" }
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
                    requests: vec![exchange.curl.clone()],
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
    expect_status(
        run,
        Request::new::<&str, &str>([]).with_auth(Auth::NoToken),
        &[401],
        "a request without a token",
    )
}

pub(super) fn bad_token(run: &Run<'_>) -> Checked {
    let token = format!("calllogs-contract-invalid-{}", run.options.seed);
    expect_status(
        run,
        Request::new::<&str, &str>([]).with_auth(Auth::Token(token)),
        &[401],
        "a request with an invalid token",
    )
}

pub(super) fn unknown_org(run: &Run<'_>) -> Checked {
    let org = format!("calllogs-contract-no-such-org-{}", run.options.seed);
    expect_status(
        run,
        Request::new::<&str, &str>([]).with_auth(Auth::Org(org)),
        &[403, 404],
        "an unknown Org-Handle",
    )
}

pub(super) fn foreign_org(run: &Run<'_>) -> Checked {
    match &run.probe.target().foreign_org_handle {
        Some(org) => expect_status(
            run,
            Request::new::<&str, &str>([]).with_auth(Auth::Org(org.clone())),
            &[403],
            "another organization's handle",
        ),
        None => Checked {
            skipped: Some("no --foreign-org-handle given".to_owned()),
            ..Checked::default()
        },
    }
}
