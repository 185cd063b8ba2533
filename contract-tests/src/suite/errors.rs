//! The errors group's active check: every invalid input is a 400.

use crate::probe::{Auth, Request};

use super::property::*;
use super::*;

/// Inputs the contract answers with 400.
pub const INVALID_INPUTS: &[(&str, &str)] = &[
    ("page", "0"),
    ("page", "-1"),
    ("page", "abc"),
    ("page", "1.5"),
    ("page_size", "0"),
    ("page_size", "1001"),
    ("page_size", "ten"),
    ("call_type", "sideways"),
    ("call_status", "busy"),
    ("start_date", "not-a-date"),
    ("end_date", "2026-13-45"),
];

pub(super) fn invalid_input(run: &Run<'_>) -> Checked {
    let mut checked = Checked::default();
    let mut requests: Vec<(String, Request)> = INVALID_INPUTS
        .iter()
        .map(|(k, v)| (format!("{k}={v}"), Request::new([(*k, *v)])))
        .collect();
    requests.push((
        "start_date after end_date".to_owned(),
        Request::new([("start_date", "2026-02-08"), ("end_date", "2026-02-07")]),
    ));
    requests.push((
        "no Org-Handle".to_owned(),
        Request::new::<&str, &str>([]).with_auth(Auth::NoOrg),
    ));
    for (what, request) in requests {
        let exchange = match run.probe.get(request.clone()) {
            Ok(exchange) => exchange,
            Err(error) => {
                checked.record_probe_error(error, &request, run.probe);
                break;
            }
        };
        let json_body = exchange.json.as_ref().is_some_and(|b| b.is_object());
        if exchange.status != 400 || !json_body {
            checked.findings.push(Finding {
                summary: format!(
                    "invalid input ({what}) got {}{}",
                    exchange.status,
                    if json_body {
                        ""
                    } else {
                        " without a JSON body"
                    }
                ),
                expected: "400 with a JSON error body".to_owned(),
                actual: answer_text(&exchange),
                requests: vec![exchange.curl.clone()],
            });
        }
    }
    checked
}
