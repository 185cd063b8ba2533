//! A list operation as an OpenAPI 3.0/3.1 document describes it, with the extensions of
//! `docs/LIST-EXTENSIONS.md`: how it pages, what it promises (`x-list`) and what each filter
//! parameter filters (`x-filter`). What the document does not say is `None` here, so that every
//! check without a basis is skipped, never passed.

use serde_json::Value;

/// A path into a record or a body: `$` and member names (`docs/LIST-EXTENSIONS.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path(pub Vec<String>);

impl Path {
    /// Reads `$.a.b`, `$['a b']` or a bare name.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(mut rest) = text.strip_prefix('$') else {
            return if !text.is_empty() && text.chars().all(|c| c.is_alphanumeric() || c == '_') {
                Ok(Self(vec![text.to_owned()]))
            } else {
                Err(format!(
                    "{text:?} is neither a name nor a path starting with $"
                ))
            };
        };
        let mut names = Vec::new();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("['") {
                let end = after
                    .find("']")
                    .ok_or_else(|| format!("{text:?}: an unclosed ['...']"))?;
                names.push(after[..end].to_owned());
                rest = &after[end + 2..];
            } else if let Some(after) = rest.strip_prefix('.') {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                let name = &after[..end];
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(format!("{text:?}: {name:?} is not a member name"));
                }
                names.push(name.to_owned());
                rest = &after[end..];
            } else {
                return Err(format!(
                    "{text:?}: only member names are supported ($.a.b, $['a b'])"
                ));
            }
        }
        Ok(Self(names))
    }

    /// The value at this path in `value` (`None`: nothing there).
    pub fn select<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(value, |value, name| value.get(name))
    }
}

/// How the operation pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pagination {
    /// A page number (the first 1) and optionally a page size.
    Page {
        /// The page number's parameter.
        page: String,
        /// The page size's parameter.
        limit: Option<String>,
    },
    /// Records to skip and optionally a page size.
    Offset {
        /// The offset's parameter.
        offset: String,
        /// The page size's parameter.
        limit: Option<String>,
    },
    /// A cursor parameter, the next one read from each body.
    Cursor {
        /// The cursor's parameter.
        cursor: String,
        /// Where the next cursor is in a body.
        next: Path,
        /// The page size's parameter.
        limit: Option<String>,
    },
    /// The next page's URL, read from each body.
    NextLink {
        /// Where the URL is in a body.
        next: Path,
    },
    /// The next page's URL in a `Link: <...>; rel="next"` header.
    LinkHeader,
}

impl Pagination {
    /// The page size's parameter, when the operation takes one (next links carry their own).
    pub fn limit(&self) -> Option<&str> {
        match self {
            Self::Page { limit, .. } | Self::Offset { limit, .. } | Self::Cursor { limit, .. } => {
                limit.as_deref()
            }
            Self::NextLink { .. } | Self::LinkHeader => None,
        }
    }
}

impl std::fmt::Display for Pagination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let size = |limit: &Option<String>| {
            limit
                .as_deref()
                .map_or_else(String::new, |limit| format!(", size {limit}"))
        };
        match self {
            Self::Page { page, limit } => write!(f, "page numbers ({page}{})", size(limit)),
            Self::Offset { offset, limit } => write!(f, "offsets ({offset}{})", size(limit)),
            Self::Cursor { cursor, limit, .. } => write!(f, "cursors ({cursor}{})", size(limit)),
            Self::NextLink { .. } => write!(f, "next links in the body"),
            Self::LinkHeader => write!(f, "Link: rel=\"next\" headers"),
        }
    }
}

/// Where the count of matching records is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Count {
    /// In the body.
    Body(Path),
    /// In a response header.
    Header(String),
}

/// One key of the declared order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderKey {
    /// The record's field.
    pub field: Path,
    /// Whether the order is descending.
    pub descending: bool,
}

/// A comparison of `x-filter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// One of a comma-separated list.
    In,
    /// At or after.
    Gte,
    /// After.
    Gt,
    /// At or before.
    Lte,
    /// Before.
    Lt,
    /// Starts with.
    Prefix,
    /// Contains, regardless of case.
    Contains,
}

impl Op {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "eq" => Self::Eq,
            "in" => Self::In,
            "gte" => Self::Gte,
            "gt" => Self::Gt,
            "lte" => Self::Lte,
            "lt" => Self::Lt,
            "prefix" => Self::Prefix,
            "contains" => Self::Contains,
            other => {
                return Err(format!(
                    "op {other:?} is not one of eq, in, gte, gt, lte, lt, prefix, contains"
                ));
            }
        })
    }
}

/// A query parameter that filters, as `x-filter` states it.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// The parameter.
    pub parameter: String,
    /// The record's field it compares.
    pub field: Path,
    /// The comparison.
    pub op: Op,
    /// Whether text compares regardless of ASCII case.
    pub case_insensitive: bool,
    /// For a date-only value on an instant: whether it means the end of the day (else its start).
    pub end_of_day: Option<bool>,
    /// The values its schema allows (`schema.enum`), when it lists them.
    pub values: Option<Vec<Value>>,
}

/// A list operation of a document, with everything the checks may rest on.
#[derive(Clone, Debug, PartialEq)]
pub struct ListOperation {
    /// `operationId`, or `GET /path` without one.
    pub name: String,
    /// The path, as the document writes it.
    pub path: String,
    /// How it pages.
    pub pagination: Pagination,
    /// Where a page's records are in its body (`$`: the body is the array).
    pub results: Path,
    /// Where the count is, when promised.
    pub count: Option<Count>,
    /// The declared order, when promised.
    pub order: Option<Vec<OrderKey>>,
    /// The largest page size served in full, when promised.
    pub max_page_size: Option<u64>,
    /// Whether a value its parameter's schema rules out gets a 4xx (`x-list.rejects-invalid`).
    pub rejects_invalid: bool,
    /// The filter parameters.
    pub filters: Vec<Filter>,
    /// Every query parameter with its schema (the invalid-value checks use them all).
    pub parameters: Vec<(String, Value)>,
    /// The required query parameters, with the value every request sends: the schema's
    /// `default`, `const` or only `enum` value, or the parameter's `example`.
    pub required: Vec<(String, String)>,
    /// Whether the operation (or the document) declares security.
    pub secured: bool,
}

/// A document from its bytes: JSON, or else YAML.
pub fn document(bytes: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(bytes).or_else(|json| {
        serde_norway::from_slice(bytes)
            .map_err(|yaml| format!("neither JSON ({json}) nor YAML ({yaml})"))
    })
}

/// The list operation `operation` (an `operationId`), or the only one the document describes.
pub fn list_operation(document: &Value, operation: Option<&str>) -> Result<ListOperation, String> {
    let version = document["openapi"].as_str().unwrap_or_default();
    if !(version.starts_with("3.0") || version.starts_with("3.1")) {
        return Err(format!(
            "not an OpenAPI 3.0 or 3.1 document (openapi: {:?})",
            document["openapi"]
        ));
    }
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        let Some(get) = item.get("get") else {
            continue;
        };
        let name = get["operationId"]
            .as_str()
            .map_or_else(|| format!("GET {path}"), str::to_owned);
        match operation {
            Some(wanted) if wanted == name => {
                return read(document, path, item, get, name);
            }
            Some(_) => {}
            None if pages(get) => found.push((path, item, get, name)),
            None => {}
        }
    }
    if let Some(wanted) = operation {
        return Err(format!("the document has no GET operation {wanted:?}"));
    }
    match found.len() {
        1 => {
            let (path, item, get, name) = found.remove(0);
            read(document, path, item, get, name)
        }
        0 => Err("the document describes no paginated GET operation (x-speakeasy-pagination, x-ms-pageable or a Link header)".to_owned()),
        _ => Err(format!(
            "the document describes {} paginated operations; choose one with --operation: {}",
            found.len(),
            found.iter().map(|f| f.3.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Whether an operation says how it pages.
fn pages(get: &Value) -> bool {
    get.get("x-speakeasy-pagination").is_some()
        || get.get("x-ms-pageable").is_some()
        || link_header(get)
}

fn link_header(get: &Value) -> bool {
    get["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(status, _)| status.starts_with('2'))
        .any(|(_, response)| {
            response["headers"]
                .as_object()
                .is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("link")))
        })
}

fn path_of(value: &Value, what: &str) -> Result<Path, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{what} must be a path (got {value})"))?;
    Path::parse(text).map_err(|e| format!("{what}: {e}"))
}

fn read(
    document: &Value,
    path: &str,
    item: &Value,
    get: &Value,
    name: String,
) -> Result<ListOperation, String> {
    let fail = |e: String| format!("{name}: {e}");
    let parameters: Vec<&Value> = item["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(get["parameters"].as_array().into_iter().flatten())
        .map(|p| resolve(document, p))
        .collect();
    let query: Vec<&Value> = parameters
        .iter()
        .copied()
        .filter(|p| p["in"] == "query")
        .collect();
    let (pagination, results) = pagination(get).map_err(fail)?;
    let list = &get["x-list"];
    let count = match &list["count"] {
        Value::Null => None,
        Value::Object(header) => Some(Count::Header(
            header["header"]
                .as_str()
                .ok_or("x-list.count: an object must be {header: NAME}")
                .map_err(|e| fail(e.to_owned()))?
                .to_owned(),
        )),
        other => Some(Count::Body(path_of(other, "x-list.count").map_err(fail)?)),
    };
    let order = match list["order"].as_array() {
        None => None,
        Some(keys) => Some(
            keys.iter()
                .map(|key| {
                    let descending = match key["direction"].as_str() {
                        Some("desc") => true,
                        Some("asc") => false,
                        _ => return Err("x-list.order: direction must be asc or desc".to_owned()),
                    };
                    Ok(OrderKey {
                        field: path_of(&key["field"], "x-list.order field")?,
                        descending,
                    })
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(fail)?,
        ),
    };
    let max_page_size = match &list["max-page-size"] {
        Value::Null => None,
        value => Some(value.as_u64().filter(|n| *n > 0).ok_or_else(|| {
            fail(format!(
                "x-list.max-page-size must be a positive integer (got {value})"
            ))
        })?),
    };
    let rejects_invalid = match &list["rejects-invalid"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        other => {
            return Err(fail(format!(
                "x-list.rejects-invalid must be true or false (got {other})"
            )));
        }
    };
    let required = query
        .iter()
        .filter(|p| p["required"] == true)
        .map(|p| {
            let schema = &p["schema"];
            let only = schema["enum"].as_array().filter(|e| e.len() == 1).map(|e| &e[0]);
            let value = [schema.get("default"), schema.get("const"), only, p.get("example")]
                .into_iter()
                .flatten()
                .next()
                .ok_or_else(|| {
                    fail(format!(
                        "parameter {} is required but has no default, const, single enum value or example to send",
                        p["name"]
                    ))
                })?;
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Ok((p["name"].as_str().unwrap_or_default().to_owned(), text))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let filters = query
        .iter()
        .filter(|p| p.get("x-filter").is_some())
        .map(|p| filter(p).map_err(|e| fail(format!("parameter {}: {e}", p["name"]))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListOperation {
        name: name.clone(),
        path: path.to_owned(),
        pagination,
        results,
        count,
        order,
        max_page_size,
        rejects_invalid,
        filters,
        parameters: query
            .iter()
            .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p["schema"].clone())))
            .collect(),
        required,
        secured: get
            .get("security")
            .or_else(|| document.get("security"))
            .and_then(Value::as_array)
            .is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            }),
    })
}

/// A `$ref` to `#/components/parameters/...`, followed.
fn resolve<'a>(document: &'a Value, parameter: &'a Value) -> &'a Value {
    match parameter["$ref"].as_str() {
        Some(reference) => reference
            .strip_prefix("#/")
            .map(|pointer| document.pointer(&format!("/{pointer}")))
            .and_then(|found| found)
            .unwrap_or(parameter),
        None => parameter,
    }
}

fn pagination(get: &Value) -> Result<(Pagination, Path), String> {
    if let Some(speakeasy) = get.get("x-speakeasy-pagination") {
        let input = |kind: &str| {
            speakeasy["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|i| i["type"] == kind)
                .and_then(|i| i["name"].as_str())
                .map(str::to_owned)
        };
        let results = match &speakeasy["outputs"]["results"] {
            Value::Null => Path(Vec::new()),
            value => path_of(value, "x-speakeasy-pagination.outputs.results")?,
        };
        let limit = input("limit");
        let pagination = match speakeasy["type"].as_str() {
            Some("offsetLimit") => match (input("page"), input("offset")) {
                (Some(page), _) => Pagination::Page { page, limit },
                (None, Some(offset)) => Pagination::Offset { offset, limit },
                (None, None) => {
                    return Err(
                        "x-speakeasy-pagination: offsetLimit needs an input of type page or offset"
                            .to_owned(),
                    );
                }
            },
            Some("cursor") => Pagination::Cursor {
                cursor: input("cursor").ok_or(
                    "x-speakeasy-pagination: cursor needs an input of type cursor".to_owned(),
                )?,
                next: path_of(
                    &speakeasy["outputs"]["nextCursor"],
                    "x-speakeasy-pagination.outputs.nextCursor",
                )?,
                limit,
            },
            other => {
                return Err(format!(
                    "x-speakeasy-pagination: type {other:?} is not offsetLimit or cursor"
                ));
            }
        };
        return Ok((pagination, results));
    }
    if let Some(pageable) = get.get("x-ms-pageable") {
        let next = pageable["nextLinkName"]
            .as_str()
            .ok_or("x-ms-pageable: nextLinkName is required here")?;
        let item = pageable["itemName"].as_str().unwrap_or("value");
        return Ok((
            Pagination::NextLink {
                next: Path(vec![next.to_owned()]),
            },
            Path(vec![item.to_owned()]),
        ));
    }
    if link_header(get) {
        return Ok((Pagination::LinkHeader, Path(Vec::new())));
    }
    Err("it says nowhere how it pages".to_owned())
}

fn filter(parameter: &Value) -> Result<Filter, String> {
    let x = &parameter["x-filter"];
    let end_of_day = match x["date-only"].as_str() {
        None => None,
        Some("start-of-day") => Some(false),
        Some("end-of-day") => Some(true),
        Some(other) => {
            return Err(format!(
                "date-only {other:?} is not start-of-day or end-of-day"
            ));
        }
    };
    Ok(Filter {
        parameter: parameter["name"]
            .as_str()
            .ok_or("a parameter without a name")?
            .to_owned(),
        field: path_of(&x["field"], "x-filter.field")?,
        op: Op::parse(x["op"].as_str().ok_or("x-filter.op is required")?)?,
        case_insensitive: x["case-insensitive"].as_bool().unwrap_or(false),
        end_of_day,
        values: parameter["schema"]["enum"].as_array().cloned(),
    })
}

/// Why the full-pages check has no basis without a promised maximum.
pub const NO_MAX_PAGE_SIZE: &str = "no x-list.max-page-size (a server may serve fewer than asked)";
/// Why the checks that ask for page sizes have no basis when the operation takes none.
pub const NO_PAGE_SIZE: &str =
    "the operation takes no page size (its pages are the server's choice)";

/// The families of checks (`docs/LIST-EXTENSIONS.md`), each with what the operation gives it to
/// rest on: `Ok` with what it checks, or `Err` with the promise the document does not make.
pub fn basis(list: &ListOperation) -> Vec<(&'static str, Result<String, String>)> {
    let names = |filters: &[&Filter]| {
        filters
            .iter()
            .map(|f| f.parameter.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all: Vec<&Filter> = list.filters.iter().collect();
    let enums: Vec<&Filter> = all
        .iter()
        .copied()
        .filter(|f| f.op == Op::Eq && f.values.is_some())
        .collect();
    let ranges: Vec<&Filter> = all
        .iter()
        .copied()
        .filter(|f| {
            matches!(f.op, Op::Gte | Op::Gt)
                && all
                    .iter()
                    .any(|g| g.field == f.field && matches!(g.op, Op::Lte | Op::Lt))
        })
        .collect();
    let given = |ok: bool, what: String, missing: &str| {
        if ok {
            Ok(what)
        } else {
            Err(missing.to_owned())
        }
    };
    let cursor = matches!(
        list.pagination,
        Pagination::Cursor { .. } | Pagination::NextLink { .. } | Pagination::LinkHeader
    );
    vec![
        (
            "filters-match",
            given(!all.is_empty(), names(&all), "no parameter has x-filter"),
        ),
        (
            "filters-complete",
            given(!all.is_empty(), names(&all), "no parameter has x-filter"),
        ),
        (
            "enum-partitions",
            given(
                !enums.is_empty() && list.count.is_some(),
                names(&enums),
                "no eq filter with schema.enum, or no x-list.count",
            ),
        ),
        (
            "range-windows",
            given(
                !ranges.is_empty() && list.count.is_some(),
                names(&ranges),
                "no gte/lte pair of filters on one field, or no x-list.count",
            ),
        ),
        (
            "walks-disjoint-complete",
            Ok(match list.pagination.limit() {
                Some(_) => list.pagination.to_string(),
                None => format!("{}: one walk, at the server's page size", list.pagination),
            }),
        ),
        (
            "walk-order",
            given(
                list.order.is_some(),
                "x-list.order".to_owned(),
                "no x-list.order",
            ),
        ),
        (
            "full-pages",
            match (list.max_page_size, list.pagination.limit()) {
                (None, _) => Err(NO_MAX_PAGE_SIZE.to_owned()),
                (Some(_), None) => Err(NO_PAGE_SIZE.to_owned()),
                (Some(_), Some(_)) => Ok("x-list.max-page-size".to_owned()),
            },
        ),
        (
            "cursor-ends",
            given(
                cursor,
                "cursor or next links".to_owned(),
                "pages by number or offset",
            ),
        ),
        (
            "past-the-last",
            given(
                !cursor,
                "page or offset".to_owned(),
                "pages by cursor or next links",
            ),
        ),
        (
            "invalid-values",
            given(
                !list.parameters.is_empty(),
                format!("{} query parameters", list.parameters.len()),
                "no query parameters",
            ),
        ),
        (
            "auth-and-isolation",
            given(list.secured, "security".to_owned(), "no security declared"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_member_names_from_the_root_or_a_bare_name() {
        assert_eq!(Path::parse("$.meta.total").unwrap().0, ["meta", "total"]);
        assert_eq!(Path::parse("$['odd name'].x").unwrap().0, ["odd name", "x"]);
        assert_eq!(Path::parse("creation_time").unwrap().0, ["creation_time"]);
        assert!(Path::parse("$").unwrap().0.is_empty());
        assert!(
            Path::parse("$.data[0]")
                .unwrap_err()
                .contains("only member names")
        );
        assert!(Path::parse("$..x").is_err());
        let body = json!({"meta": {"total": 3}});
        assert_eq!(
            Path::parse("$.meta.total").unwrap().select(&body),
            Some(&json!(3))
        );
        assert_eq!(Path::parse("$.nothing").unwrap().select(&body), None);
    }

    #[test]
    fn the_emitted_document_describes_the_call_logs_endpoint_as_the_client_reads_it() {
        let list = list_operation(&crate::schema::openapi(), None).unwrap();
        assert_eq!(list.name, "getCallLogs");
        assert_eq!(
            list.pagination,
            Pagination::Page {
                page: "page".to_owned(),
                limit: Some("page_size".to_owned())
            }
        );
        assert_eq!(list.results.0, ["data"]);
        assert_eq!(
            list.count,
            Some(Count::Body(Path(vec!["count".to_owned()])))
        );
        assert_eq!(
            list.max_page_size,
            Some(u64::from(unpod_calllogs::query::MAX_PAGE_SIZE))
        );
        assert_eq!(
            list.order,
            Some(vec![OrderKey {
                field: Path(vec!["creation_time".to_owned()]),
                descending: true
            }])
        );
        assert!(list.secured);
        let rules = unpod_calllogs::query::FILTER_RULES;
        assert_eq!(list.filters.len(), rules.len());
        for rule in rules {
            let filter = list
                .filters
                .iter()
                .find(|f| f.parameter == rule.parameter)
                .unwrap();
            assert_eq!(filter.field.0, [rule.field]);
            assert_eq!(Some(filter.op), Op::parse(rule.op).ok());
            assert_eq!(filter.case_insensitive, rule.case_insensitive);
            assert_eq!(filter.end_of_day, rule.date_only.map(|d| d == "end-of-day"));
        }
        let call_type = list
            .filters
            .iter()
            .find(|f| f.parameter == "call_type")
            .unwrap();
        assert_eq!(call_type.values.as_ref().map(Vec::len), Some(2));
        assert!(list.parameters.iter().any(|(name, _)| name == "page_size"));
        let skipped: Vec<&str> = basis(&list)
            .into_iter()
            .filter(|(_, basis)| basis.is_err())
            .map(|(check, _)| check)
            .collect();
        assert_eq!(
            skipped,
            ["cursor-ends"],
            "the call-logs document gives every other check a basis"
        );
    }

    #[test]
    fn other_paginations_counts_and_missing_promises_are_read_as_written() {
        let document = json!({
            "openapi": "3.0.3",
            "paths": {
                "/calls": {"get": {
                    "operationId": "calls",
                    "parameters": [
                        {"name": "_page", "in": "query", "schema": {"type": "integer"}},
                        {"$ref": "#/components/parameters/Kind"},
                    ],
                    "x-speakeasy-pagination": {"type": "offsetLimit", "inputs": [{"name": "_page", "in": "parameters", "type": "page"}]},
                    "x-list": {"count": {"header": "X-Total-Count"}},
                    "responses": {"200": {"description": "ok"}},
                }},
                "/items": {"get": {
                    "x-ms-pageable": {"nextLinkName": "nextLink"},
                    "responses": {"200": {"description": "ok"}},
                }},
                "/feed": {"get": {
                    "responses": {"200": {"description": "ok", "headers": {"Link": {"schema": {"type": "string"}}}}},
                }},
                "/health": {"get": {"responses": {"200": {"description": "ok"}}}},
            },
            "components": {"parameters": {"Kind": {"name": "kind", "in": "query", "schema": {"enum": ["a", "b"]}, "x-filter": {"field": "$.kind", "op": "eq"}}}},
        });
        let many = list_operation(&document, None).unwrap_err();
        assert!(
            many.contains("3 paginated operations")
                && many.contains("calls, GET /feed, GET /items"),
            "{many}"
        );
        let calls = list_operation(&document, Some("calls")).unwrap();
        assert_eq!(
            calls.pagination,
            Pagination::Page {
                page: "_page".to_owned(),
                limit: None
            }
        );
        assert_eq!(calls.results.0, Vec::<String>::new());
        assert_eq!(calls.count, Some(Count::Header("X-Total-Count".to_owned())));
        assert_eq!(
            (calls.order.as_ref(), calls.max_page_size, calls.secured),
            (None, None, false)
        );
        assert_eq!(calls.filters[0].values, Some(vec![json!("a"), json!("b")]));
        let items = list_operation(&document, Some("GET /items")).unwrap();
        assert_eq!(
            items.pagination,
            Pagination::NextLink {
                next: Path(vec!["nextLink".to_owned()])
            }
        );
        assert_eq!(items.results.0, ["value"]);
        let feed = list_operation(&document, Some("GET /feed")).unwrap();
        assert_eq!(feed.pagination, Pagination::LinkHeader);
        let skipped: Vec<&str> = basis(&calls)
            .into_iter()
            .filter(|(_, basis)| basis.is_err())
            .map(|(check, _)| check)
            .collect();
        assert_eq!(
            skipped,
            [
                "range-windows",
                "walk-order",
                "full-pages",
                "cursor-ends",
                "auth-and-isolation"
            ]
        );
        assert!(
            list_operation(&document, Some("GET /health"))
                .unwrap_err()
                .contains("how it pages")
        );
        assert!(
            list_operation(&document, Some("nope"))
                .unwrap_err()
                .contains("no GET operation")
        );
        assert!(
            list_operation(&json!({"swagger": "2.0"}), None)
                .unwrap_err()
                .contains("not an OpenAPI 3")
        );
        let mut bad = document.clone();
        bad["components"]["parameters"]["Kind"]["x-filter"]["op"] = json!("like");
        assert!(
            list_operation(&bad, Some("calls"))
                .unwrap_err()
                .contains("op \"like\"")
        );
    }
}
