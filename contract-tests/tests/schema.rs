//! The generated schemas against real responses of the reference server and the real-world shapes.

use calllogs_contract::schema;
use calllogs_reference::ServerConfig;
use serde_json::Value;

/// A client for [`fetch`], one per test so that its requests share connections.
fn http() -> reqwest::Client {
    unpod_calllogs::transport::http_client().unwrap()
}

fn fetch(
    runtime: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    url: &str,
    auth: bool,
    org: &str,
) -> (u16, Value) {
    runtime.block_on(async {
        let mut request = http.get(url).header("Org-Handle", org);
        if auth {
            request = request.header("Authorization", "Token test-token");
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
        )
    })
}

#[test]
fn reference_responses_match_the_strict_schemas() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(calllogs_reference::start(ServerConfig::seeded(3000, 11)))
        .unwrap();
    let endpoint = format!("{}/api/v2/platform/call-logs/", server.url());
    let http = http();
    let page = schema::validator(&schema::page_strict());
    let lenient = schema::validator(
        &schema::files()
            .into_iter()
            .find(|(n, _)| *n == "call-log-page.lenient.schema.json")
            .unwrap()
            .1,
    );
    let error = schema::validator(&schema::error_strict());
    for query in [
        "page_size=1000",
        "page_size=1000&page=3",
        "page=999",
        "call_status=missed&page_size=7",
    ] {
        let (status, body) = fetch(
            &runtime,
            &http,
            &format!("{endpoint}?{query}"),
            true,
            "acme",
        );
        assert_eq!(status, 200);
        let errors: Vec<String> = page.iter_errors(&body).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{query}: {errors:?}");
        assert!(
            lenient.is_valid(&body),
            "the lenient schema accepts what the strict one does"
        );
    }
    for (query, auth, org, want) in [
        ("page=0", true, "acme", 400),
        ("", false, "acme", 401),
        ("", true, "initech", 403),
        ("", true, "nobody", 404),
    ] {
        let (status, body) = fetch(&runtime, &http, &format!("{endpoint}?{query}"), auth, org);
        assert_eq!(status, want);
        assert!(error.is_valid(&body), "{body}");
        assert!(!page.is_valid(&body));
    }
}

#[test]
fn the_real_servers_shape_is_lenient_only() {
    let real: Value = serde_json::from_str(include_str!(
        "../../core/tests/fixtures/real-server-page.json"
    ))
    .unwrap();
    let lenient = schema::files()
        .into_iter()
        .find(|(n, _)| *n == "call-log-page.lenient.schema.json")
        .unwrap()
        .1;
    assert!(schema::validator(&lenient).is_valid(&real));
    let strict = schema::validator(&schema::page_strict());
    let broken: Vec<String> = strict
        .iter_errors(&real)
        .map(|e| e.instance_path().to_string())
        .collect();
    for path in [
        "/data/0/call_type",
        "/data/0/call_status",
        "/data/0/call_duration",
        "/data/0/destination_number",
        "/data/1/creation_time",
    ] {
        assert!(
            broken.iter().any(|b| b == path),
            "{path} should break the strict schema: {broken:?}"
        );
    }
    let detail: Value = serde_json::json!({"detail": "Invalid token."});
    let lenient_error = schema::files()
        .into_iter()
        .find(|(n, _)| *n == "error-body.lenient.schema.json")
        .unwrap()
        .1;
    assert!(schema::validator(&lenient_error).is_valid(&detail));
    assert!(!schema::validator(&schema::error_strict()).is_valid(&detail));
}

#[test]
fn the_committed_schemas_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema");
    let stale = schema::write(&dir, true).unwrap();
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; run `cargo run -p calllogs-contract -- schema --out schema`"
    );
}

#[test]
fn the_openapi_document_describes_every_response_and_parameter() {
    let doc = schema::openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    let get = &doc["paths"]["/api/v2/platform/call-logs/"]["get"];
    for status in [
        "200", "400", "401", "403", "404", "429", "500", "502", "503", "504",
    ] {
        assert!(get["responses"].get(status).is_some(), "{status}");
    }
    let names: Vec<&str> = get["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "call_status",
            "call_type",
            "end_date",
            "page",
            "page_size",
            "start_date",
            "Org-Handle"
        ]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["TokenAuth"]["name"],
        "Authorization"
    );
    assert_eq!(get["parameters"][4]["schema"]["maximum"], 1000);
}

/// A value for a query parameter, drawn from its schema in the OpenAPI document as a generator of
/// schema-valid requests (Schemathesis' positive mode) draws it: integers within their bounds and
/// at them, enum values, dates and RFC 3339 date-times in each form the format allows (offsets `Z`,
/// `z` and `±HH:MM`, a `t` separator, fractions of up to nine digits). A parameter of a shape
/// this does not know fails the test, so that a new one is generated too.
fn drawn(name: &str, schema: &Value) -> proptest::strategy::BoxedStrategy<String> {
    use proptest::prelude::*;
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        return proptest::sample::select(values).boxed();
    }
    match schema["type"].as_str() {
        Some("integer") => {
            let bound = |key: &str| {
                schema[key]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{name}: an integer without a {key}"))
            };
            let (min, max) = (bound("minimum"), bound("maximum"));
            prop_oneof![Just(min), Just(max), min..=max]
                .prop_map(|n| n.to_string())
                .boxed()
        }
        Some("string") if schema["anyOf"].is_array() => {
            let date = (1u32..=9999, 1u32..=12, 1u32..=28)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
            let fraction = (0usize..=9, 0u64..1_000_000_000).prop_map(|(digits, n)| {
                let all = format!("{n:09}");
                if digits == 0 {
                    String::new()
                } else {
                    format!(".{}", &all[..digits])
                }
            });
            let offset = prop_oneof![
                Just("Z".to_owned()),
                Just("z".to_owned()),
                (prop::bool::ANY, 0u32..=23, 0u32..=59).prop_map(|(east, h, m)| {
                    format!("{}{h:02}:{m:02}", if east { '+' } else { '-' })
                }),
            ];
            let time = (
                0u32..=23,
                0u32..=59,
                0u32..=59,
                fraction,
                offset,
                prop::bool::ANY,
            )
                .prop_map(|(h, m, s, fraction, offset, lower)| {
                    let t = if lower { 't' } else { 'T' };
                    format!("{t}{h:02}:{m:02}:{s:02}{fraction}{offset}")
                });
            prop_oneof![
                date.clone(),
                (date, time).prop_map(|(date, time)| format!("{date}{time}"))
            ]
            .boxed()
        }
        _ => panic!("{name}: no generator for the schema {schema}"),
    }
}

/// The instant a date or date-time bound stands for: a date's first (a start) or last (an end)
/// moment, read here with chrono, not with the code under test.
fn instant(text: &str, end: bool) -> chrono::DateTime<chrono::Utc> {
    match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(day) => {
            let time = if end {
                chrono::NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999).unwrap()
            } else {
                chrono::NaiveTime::MIN
            };
            day.and_time(time).and_utc()
        }
        Err(_) => chrono::DateTime::parse_from_rfc3339(&text.to_ascii_uppercase())
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .to_utc(),
    }
}

/// Schema-valid requests, drawn from the emitted OpenAPI document's parameters, are all answered
/// 200 with a page the page schema accepts. (The one rule a schema cannot state, an end_date not
/// before start_date, is kept by dropping end_date when it is earlier.)
#[test]
fn every_request_the_openapi_document_allows_is_answered_with_a_page() {
    use proptest::test_runner::{Config, TestRunner};
    let openapi = schema::openapi();
    let operation = &openapi["paths"][format!("/{}", unpod_calllogs::CALL_LOGS_PATH)]["get"];
    let parameters: Vec<(String, proptest::strategy::BoxedStrategy<String>)> =
        operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| {
                let name = p["name"].as_str().unwrap().to_owned();
                let strategy = drawn(&name, &p["schema"]);
                (name, strategy)
            })
            .collect();
    assert!(parameters.iter().any(|(n, _)| n == "page"));
    let names: Vec<String> = parameters.iter().map(|(n, _)| n.clone()).collect();
    let strategy = parameters
        .into_iter()
        .map(|(_, s)| proptest::option::of(s))
        .collect::<Vec<_>>();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime
        .block_on(calllogs_reference::start(ServerConfig::seeded(300, 3)))
        .unwrap();
    let endpoint = format!("{}/{}", server.url(), unpod_calllogs::CALL_LOGS_PATH);
    let http = http();
    let page = schema::validator(&schema::page_strict());
    let query_schema = schema::validator(&schema::query());
    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let rejected = std::cell::RefCell::new(Vec::new());
    runner
        .run(&strategy, |values| {
            let mut query: Vec<(String, String)> = names
                .iter()
                .zip(values)
                .filter_map(|(name, value)| value.map(|v| (name.clone(), v)))
                .collect();
            let bound = |name: &str, query: &[(String, String)]| {
                query
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            if let (Some(start), Some(end)) =
                (bound("start_date", &query), bound("end_date", &query))
                && instant(&start, false) > instant(&end, true)
            {
                query.retain(|(n, _)| n != "end_date");
            }
            let typed: serde_json::Map<String, Value> = query
                .iter()
                .map(|(n, v)| {
                    let value = v
                        .parse::<u64>()
                        .map_or_else(|_| Value::from(v.clone()), Value::from);
                    (n.clone(), value)
                })
                .collect();
            assert!(
                query_schema.is_valid(&Value::Object(typed)),
                "{query:?} is schema-valid"
            );
            let encoded = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&query)
                .finish();
            let (status, body) = fetch(
                &runtime,
                &http,
                &format!("{endpoint}?{encoded}"),
                true,
                "acme",
            );
            if status != 200 || !page.is_valid(&body) {
                rejected
                    .borrow_mut()
                    .push(format!("{query:?}: {status} {body}"));
            }
            Ok(())
        })
        .unwrap();
    let rejected = rejected.into_inner();
    assert!(
        rejected.is_empty(),
        "{} schema-valid requests rejected:\n{}",
        rejected.len(),
        rejected.join("\n")
    );
}
