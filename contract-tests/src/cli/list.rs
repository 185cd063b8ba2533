//! `calllogs-contract run --openapi`: the checks of any list operation an OpenAPI document
//! describes, against a target, or the embedded reference server when none is set.

use serde_json::Value;
use unpod_calllogs::{BASE_URL_ENV, SecretToken};

use super::run::{RunArgs, embedded, exit_status, fail, given, limits, quoted};
use crate::openapi::{self, ListOperation};
use crate::probe::{Probe, Target, header_placeholder};
use crate::report;
use crate::suite::{self, Identity};

/// A `Name: value` header of `--header` or `--foreign-header`.
fn header(flag: &str, text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(format!("{flag} {text:?} is not `Name: value`"));
    };
    let (name, value) = (name.trim(), value.trim());
    reqwest::header::HeaderName::try_from(name)
        .map_err(|_| format!("{flag} {name:?} is not a valid header name"))?;
    reqwest::header::HeaderValue::try_from(value)
        .map_err(|_| format!("{flag} {name}: the value has characters a header cannot carry"))?;
    Ok((name.to_owned(), value.to_owned()))
}

/// The headers that carry credentials under the security the operation (or the document)
/// requires: an `apiKey` scheme's header, `Authorization` for `http`, `oauth2` and
/// `openIdConnect`.
fn credential_headers(document: &Value, list: &ListOperation) -> Vec<String> {
    let operation = &document["paths"][&list.path]["get"];
    let requirements = operation
        .get("security")
        .or_else(|| document.get("security"))
        .and_then(Value::as_array);
    let schemes = &document["components"]["securitySchemes"];
    let mut names: Vec<String> = requirements
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys())
        .filter_map(|scheme| {
            let scheme = &schemes[scheme];
            match scheme["type"].as_str()? {
                "apiKey" if scheme["in"] == "header" => Some(scheme["name"].as_str()?.to_owned()),
                "http" | "oauth2" | "openIdConnect" => Some("Authorization".to_owned()),
                _ => None,
            }
        })
        .collect();
    names.sort_by_key(|n| n.to_ascii_lowercase());
    names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    names
}

/// The options that mean something only for the call-logs checks.
fn call_logs_only(args: &RunArgs) -> Option<&'static str> {
    [
        (
            args.token.is_some(),
            "--token (give credentials as --header)",
        ),
        (
            args.org_handle.is_some(),
            "--org-handle (give it as --header)",
        ),
        (
            args.foreign_org_handle.is_some(),
            "--foreign-org-handle (use --foreign-header)",
        ),
        (!args.accept.is_empty(), "--accept"),
        (args.baseline.is_some(), "--baseline"),
        (args.fail_on_fixed, "--fail-on-fixed"),
    ]
    .into_iter()
    .find_map(|(given, name)| given.then_some(name))
}

pub fn run(runtime: &tokio::runtime::Runtime, args: &RunArgs, path: &std::path::Path) -> u8 {
    let usage = |message: String| fail(args, None, &message);
    if let Some(option) = call_logs_only(args) {
        return usage(format!(
            "{option} is for the call-logs checks, not for --openapi"
        ));
    }
    let document = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| openapi::document(&bytes))
    {
        Ok(document) => document,
        Err(error) => return usage(format!("--openapi {}: {error}", path.display())),
    };
    let list = match openapi::list_operation(&document, args.operation.as_deref()) {
        Ok(list) => list,
        Err(error) => return usage(format!("--openapi {}: {error}", path.display())),
    };
    let known: Vec<&str> = suite::list_checks().map(|(id, _)| id).collect();
    let unknown: Vec<&String> = args
        .only
        .iter()
        .chain(&args.skip)
        .filter(|n| n.as_str() != "list" && !known.contains(&n.as_str()))
        .collect();
    if !unknown.is_empty() {
        return usage(format!(
            "unknown checks for --openapi: {} (known: {})",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            known.join(", ")
        ));
    }
    let parsed = |flag: &str, texts: &[String]| {
        texts
            .iter()
            .map(|t| header(flag, t))
            .collect::<Result<Vec<_>, _>>()
    };
    let (mut headers, mut foreign) = match (
        parsed("--header", &args.headers),
        parsed("--foreign-header", &args.foreign_headers),
    ) {
        (Ok(headers), Ok(foreign)) => (headers, foreign),
        (Err(error), _) | (_, Err(error)) => return usage(error),
    };
    let base_url = match given(&args.base_url, "base-url", BASE_URL_ENV) {
        Ok(url) => url,
        Err(error) => return usage(error),
    };
    let _server = match &base_url {
        Some(_) if args.records.is_some() || args.fault.is_some() || args.emulate.is_some() => {
            return usage(
                "--records, --fault and --emulate are for the embedded server, but a target is set"
                    .to_owned(),
            );
        }
        Some(_) => None,
        None => match embedded(runtime, args) {
            // The embedded server's credentials, as --header would give them, unless given.
            Ok(server) => {
                let add = |list: &mut Vec<(String, String)>, name: &str, value: String| {
                    if !list.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                        list.push((name.to_owned(), value));
                    }
                };
                add(
                    &mut headers,
                    "Authorization",
                    unpod_calllogs::transport::authorization(server.token()),
                );
                add(&mut headers, "Org-Handle", server.org_handle().to_owned());
                add(
                    &mut foreign,
                    "Org-Handle",
                    calllogs_reference::FOREIGN_ORG_HANDLE.to_owned(),
                );
                Some(server)
            }
            Err(error) => return usage(error),
        },
    };
    let base_url = base_url.unwrap_or_else(|| {
        _server
            .as_ref()
            .map(|s| s.url().to_owned())
            .unwrap_or_default()
    });
    let secret = credential_headers(&document, &list);
    let identity = Identity {
        credentials: secret
            .iter()
            .filter(|name| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)))
            .cloned()
            .collect(),
        foreign,
    };
    let target = Target::new(base_url.clone(), SecretToken::new(""), "")
        .headers(headers)
        .secret_headers(secret);
    // A credential's value, and its last word (the token of `Bearer <token>`), never reach a report.
    let secrets: Vec<SecretToken> = target
        .secrets()
        .into_iter()
        .flat_map(|s| {
            let last = s.expose().split_whitespace().last().map(str::to_owned);
            std::iter::once(s).chain(last.map(SecretToken::new))
        })
        .collect();
    let scrub = |text: &str| {
        secrets
            .iter()
            .fold(text.to_owned(), |text, secret| secret.scrub(&text))
    };
    let mut replay = vec![
        "calllogs-contract run --openapi".to_owned(),
        quoted(&path.display().to_string()),
    ];
    if let Some(operation) = &args.operation {
        replay.extend(["--operation".to_owned(), quoted(operation)]);
    }
    if _server.is_none() {
        replay.extend(["--base-url".to_owned(), quoted(&base_url)]);
        for (name, value) in &target.headers {
            let value = if target
                .secret_headers
                .iter()
                .any(|s| s.eq_ignore_ascii_case(name))
            {
                format!("\"{name}: {}\"", header_placeholder(name))
            } else {
                quoted(&format!("{name}: {value}"))
            };
            replay.extend(["--header".to_owned(), value]);
        }
        for (name, value) in &identity.foreign {
            replay.extend([
                "--foreign-header".to_owned(),
                quoted(&format!("{name}: {value}")),
            ]);
        }
    } else if let Some(fault) = args.fault {
        replay.extend(["--fault".to_owned(), fault.name().to_owned()]);
    }
    replay.extend([
        format!("--seed {}", args.seed),
        format!("--cases {}", args.cases),
        format!("--max-requests {}", args.max_requests),
    ]);
    let options = suite::Options::default()
        .cases(args.cases)
        .seed(args.seed)
        .only(args.only.clone())
        .skip(args.skip.clone())
        .replay(replay.join(" "));
    let limits = limits(args, &base_url);
    let probe = match Probe::for_operation(runtime.handle().clone(), target, &list.path, limits) {
        Ok(probe) => probe,
        Err(error) => return usage(scrub(&error)),
    };
    eprintln!(
        "calllogs-contract: testing {} ({} of {})",
        probe.endpoint(),
        list.name,
        path.display()
    );
    let report = match suite::run_list_with(&probe, &list, &document, &identity, &options, |r| {
        eprintln!("{}", scrub(&report::check_line(r)));
    }) {
        Ok(report) => report,
        Err(fatal) => return fail(args, None, &scrub(&fatal.to_string())),
    };
    let policy = report::Policy {
        allow_incomplete: args.allow_incomplete,
        fail_on_fixed: false,
    };
    let rendered = scrub(&report::render(args.format, &report, policy));
    match &args.output {
        Some(path) => {
            if let Err(error) = std::fs::write(path, &rendered) {
                return fail(args, None, &format!("{}: {error}", path.display()));
            }
            println!("{}", report::summary(&report));
        }
        None => print!("{rendered}"),
    }
    exit_status(&report, policy)
}
