//! The generated schemas against real responses of the reference server and the real-world shapes.

use calllogs_contract::schema;
use calllogs_reference::ServerConfig;
use serde_json::Value;

fn fetch(runtime: &tokio::runtime::Runtime, url: &str, auth: bool, org: &str) -> (u16, Value) {
    runtime.block_on(async {
        let mut request = unpod_calllogs::transport::http_client()
            .unwrap()
            .get(url)
            .header("Org-Handle", org);
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
        let (status, body) = fetch(&runtime, &format!("{endpoint}?{query}"), true, "acme");
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
        let (status, body) = fetch(&runtime, &format!("{endpoint}?{query}"), auth, org);
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
