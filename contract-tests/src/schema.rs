//! The JSON Schemas (draft 2020-12) and the OpenAPI 3.1 document of the endpoint.
//!
//! The schemas of record are strict: they check the documented contract. The `lenient` variants
//! accept what real servers send (see CONTRACT.md) and are exactly what the core's models read.

use std::path::Path;

use schemars::schema_for;
use serde_json::{Value, json};
use unpod_calllogs::fields::{self, FIELDS, FieldKind};
use unpod_calllogs::query::{DEFAULT_PAGE_SIZE, FIRST_PAGE, MAX_PAGE, MAX_PAGE_SIZE};
use unpod_calllogs::{CALL_LOGS_PATH, CallLogPage, CallStatus, CallType, ErrorBody};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// An E.164 number: `+`, a non-zero digit, then up to 14 more digits.
pub const E164_PATTERN: &str = r"^\+[1-9][0-9]{1,14}$";

/// Whether `number` is an E.164 number (the rule of [`E164_PATTERN`]).
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// An RFC 3339 date-time in UTC with a `Z`, optional fraction.
pub const UTC_TIMESTAMP_PATTERN: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$";

fn wire_values<T: AsRef<str>>(values: impl IntoIterator<Item = T>) -> Vec<String> {
    values.into_iter().map(|v| v.as_ref().to_owned()).collect()
}

fn call_types() -> Vec<String> {
    wire_values(CallType::DOCUMENTED.iter().map(CallType::as_str))
}

fn call_statuses() -> Vec<String> {
    wire_values(CallStatus::DOCUMENTED.iter().map(CallStatus::as_str))
}

/// The strict schema of one record.
pub fn call_log_strict() -> Value {
    let properties: serde_json::Map<String, Value> = FIELDS
        .iter()
        .map(|field| (field.name.to_owned(), strict_field(field.kind)))
        .collect();
    json!({
        "title": "CallLog",
        "description": "One call, as the contract documents it.",
        "type": "object",
        "properties": properties,
        "required": fields::names().collect::<Vec<_>>(),
        "additionalProperties": false,
    })
}

/// A documented field as the contract writes it: every one present, `null` only where it says.
fn strict_field(kind: FieldKind) -> Value {
    match kind {
        FieldKind::PhoneNumber => json!({"type": "string", "pattern": E164_PATTERN}),
        FieldKind::CallType => json!({"type": "string", "enum": call_types()}),
        FieldKind::CallStatus => json!({"type": "string", "enum": call_statuses()}),
        FieldKind::Instant => {
            json!({"type": "string", "format": "date-time", "pattern": UTC_TIMESTAMP_PATTERN})
        }
        FieldKind::OptionalInstant => json!({
            "type": ["string", "null"], "format": "date-time", "pattern": UTC_TIMESTAMP_PATTERN
        }),
        FieldKind::Seconds => json!({"type": "integer", "minimum": 0}),
        FieldKind::Text => json!({"type": "string"}),
    }
}

/// The strict schema of a 200 body.
pub fn page_strict() -> Value {
    json!({
        "$schema": DRAFT,
        "title": "CallLogPage",
        "description": "The 200 body of GET /api/v2/platform/call-logs/.",
        "type": "object",
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "status_code": {"const": 200},
            "message": {"type": "string"},
            "data": {"type": "array", "maxItems": MAX_PAGE_SIZE, "items": {"$ref": "#/$defs/CallLog"}},
        },
        "required": ["count", "status_code", "message", "data"],
        "additionalProperties": false,
        "$defs": {"CallLog": call_log_strict()},
    })
}

/// The strict schema of an error body.
pub fn error_strict() -> Value {
    json!({
        "$schema": DRAFT,
        "title": "ErrorBody",
        "description": "The body of every 4xx and 5xx answer.",
        "type": "object",
        "properties": {
            "status_code": {"type": "integer", "minimum": 400, "maximum": 599},
            "message": {"type": "string", "minLength": 1},
            "data": {},
        },
        "required": ["status_code", "message"],
    })
}

fn date_or_date_time() -> Value {
    json!({
        "type": "string",
        "anyOf": [{"format": "date"}, {"format": "date-time"}],
        "description": "An ISO 8601 date (2026-02-01) or date-time with any offset (2026-02-01T05:30:00Z); naive date-times are UTC.",
    })
}

/// The query parameters, each with its rule.
pub fn query() -> Value {
    json!({
        "$schema": DRAFT,
        "title": "CallLogQuery",
        "description": "The query parameters of GET /api/v2/platform/call-logs/; all optional, combined with AND.",
        "type": "object",
        "properties": query_properties(),
    })
}

fn query_properties() -> Value {
    let mut start = date_or_date_time();
    start["description"] =
        json!("Lower bound on creation_time, inclusive; a date means 00:00:00 UTC of that day.");
    let mut end = date_or_date_time();
    end["description"] = json!(
        "Upper bound on creation_time, inclusive; a date means the whole UTC day. Not before start_date."
    );
    json!({
        "page": {"type": "integer", "minimum": FIRST_PAGE, "maximum": MAX_PAGE, "default": FIRST_PAGE},
        "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
        "start_date": start,
        "end_date": end,
        "call_type": {"type": "string", "enum": call_types()},
        "call_status": {"type": "string", "enum": call_statuses()},
    })
}

fn lenient(mut schema: Value, title: &str) -> Value {
    schema["title"] = json!(format!("{title} (lenient)"));
    schema["description"] = json!(format!(
        "{title} as real servers send it: unknown enum values and fields, fractional durations and nullable fields accepted."
    ));
    schema
}

/// The OpenAPI 3.1 document of the endpoint.
pub fn openapi() -> Value {
    let error_response = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        })
    };
    let parameters: Vec<Value> = query_properties()
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| {
            let mut schema = schema.clone();
            let description = schema.as_object_mut().and_then(|s| s.remove("description"));
            json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description.unwrap_or(Value::Null)})
        })
        .map(|mut p| {
            if p["description"].is_null() {
                p.as_object_mut().map(|o| o.remove("description"));
            }
            let rule = p["name"].as_str().and_then(unpod_calllogs::query::filter_rule);
            if let Some(rule) = rule {
                p["x-filter"] = json!({"field": rule.field, "op": rule.op});
                if let Some(extends) = rule.date_only {
                    p["x-filter"]["date-only"] = json!(extends);
                }
                if rule.case_insensitive {
                    p["x-filter"]["case-insensitive"] = json!(true);
                }
            }
            p
        })
        .chain([json!({
            "name": "Org-Handle", "in": "header", "required": true,
            "description": "The organization's domain_handle.",
            "schema": {"type": "string", "minLength": 1}, "example": "unpod",
        })])
        .collect();
    let mut call_log = call_log_strict();
    call_log.as_object_mut().map(|o| o.remove("title"));
    let mut page = page_strict();
    if let Some(o) = page.as_object_mut() {
        o.remove("$schema");
        o.remove("$defs");
        o.remove("title");
    }
    page["properties"]["data"]["items"] = json!({"$ref": "#/components/schemas/CallLog"});
    let mut error = error_strict();
    if let Some(o) = error.as_object_mut() {
        o.remove("$schema");
        o.remove("title");
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Unpod platform call logs",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "GET call logs of an organization, with filters and page-number pagination.",
        },
        "servers": [{"url": unpod_calllogs::DEFAULT_BASE_URL}],
        "security": [{"TokenAuth": []}],
        "paths": {
            format!("/{CALL_LOGS_PATH}"): {
                "get": {
                    "operationId": "getCallLogs",
                    "summary": "Get call logs",
                    "description": "Newest creation_time first, ties broken by a stable server-side key. A page past the last is 200 with no records.",
                    "parameters": parameters,
                    "x-speakeasy-pagination": {
                        "type": "offsetLimit",
                        "inputs": [
                            {"name": "page", "in": "parameters", "type": "page"},
                            {"name": "page_size", "in": "parameters", "type": "limit"},
                        ],
                        "outputs": {"results": "$.data"},
                    },
                    "x-list": {
                        "count": "$.count",
                        "order": [{"field": "creation_time", "direction": "desc"}],
                        "max-page-size": MAX_PAGE_SIZE,
                        "rejects-invalid": true,
                    },
                    "responses": {
                        "200": {
                            "description": "Call logs fetched successfully",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CallLogPage"}}},
                        },
                        "400": error_response("An invalid filter or page value, or a missing Org-Handle."),
                        "401": {
                            "description": "Missing or invalid token.",
                            "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Token"}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                        },
                        "403": error_response("The token has no access to that organization."),
                        "404": error_response("No organization has that handle."),
                        "429": {
                            "description": "Too many requests.",
                            "headers": {"Retry-After": {"description": "Seconds or an HTTP date.", "schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                        },
                        "500": error_response("Server-side failure."),
                        "502": error_response("Bad gateway."),
                        "503": error_response("Service unavailable."),
                        "504": error_response("Gateway timeout."),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "TokenAuth": {
                    "type": "apiKey", "in": "header", "name": "Authorization",
                    "description": "`Token <api-token>`; the scheme word is case-insensitive.",
                },
            },
            "schemas": {"CallLog": call_log, "CallLogPage": page, "ErrorBody": error},
        },
    })
}

/// Every generated file: its name under `schema/` and its content.
pub fn files() -> Vec<(&'static str, Value)> {
    let mut strict_log = call_log_strict();
    strict_log["$schema"] = json!(DRAFT);
    vec![
        ("call-log.schema.json", strict_log),
        ("call-log-page.schema.json", page_strict()),
        ("error-body.schema.json", error_strict()),
        ("query.schema.json", query()),
        (
            "call-log-page.lenient.schema.json",
            lenient(schema_for!(CallLogPage).to_value(), "CallLogPage"),
        ),
        (
            "error-body.lenient.schema.json",
            lenient(schema_for!(ErrorBody).to_value(), "ErrorBody"),
        ),
        ("openapi.json", openapi()),
    ]
}

fn render(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes every file into `dir`; with `check`, writes nothing and returns the names of the files
/// that are missing or differ.
pub fn write(dir: &Path, check: bool) -> std::io::Result<Vec<&'static str>> {
    if !check {
        std::fs::create_dir_all(dir)?;
    }
    let mut stale = Vec::new();
    for (name, value) in files() {
        let path = dir.join(name);
        let text = render(&value);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
            if !check {
                std::fs::write(&path, text)?;
            }
        }
    }
    Ok(stale)
}

/// A compiled validator of a generated schema.
pub fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema)
        .unwrap_or_else(|e| panic!("a generated schema is invalid: {e}"))
}
