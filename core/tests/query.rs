use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use unpod_calllogs::{CallLogQuery, CallStatus, CallType, DateBound, InvalidQuery};

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn bound_strategy() -> impl Strategy<Value = DateBound> {
    let day = (0i64..800)
        .prop_map(|n| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(n as u64));
    let instant = (1_735_689_600i64..1_805_000_000, 0u32..1_000_000_000)
        .prop_map(|(secs, nanos)| Utc.timestamp_opt(secs, nanos).unwrap());
    prop_oneof![
        day.prop_map(DateBound::Date),
        instant.prop_map(DateBound::DateTime)
    ]
}

fn open_value(documented: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(documented).prop_map(str::to_owned),
        1 => "[a-zA-Z +&=%-]{0,8}",
    ]
}

prop_compose! {
    fn any_query()(
        page in proptest::option::of(prop_oneof![0u32..5, any::<u32>()]),
        page_size in proptest::option::of(prop_oneof![0u32..3, 998u32..1003, any::<u32>()]),
        start_date in proptest::option::of(bound_strategy()),
        end_date in proptest::option::of(bound_strategy()),
        call_type in proptest::option::of(open_value(&["inbound", "outbound"])),
        call_status in proptest::option::of(open_value(&["completed", "missed", "failed", "no-answer"])),
    ) -> CallLogQuery {
        let mut query = CallLogQuery::new();
        query.page = page;
        query.page_size = page_size;
        query.start_date = start_date;
        query.end_date = end_date;
        query.call_type = call_type.map(CallType::from);
        query.call_status = call_status.map(CallStatus::from);
        query
    }
}

/// The contract's rules, written out independently of `validate`.
fn contract_allows(q: &CallLogQuery) -> bool {
    let lower = |b: &DateBound| match b {
        DateBound::Date(d) => d.and_hms_opt(0, 0, 0).unwrap().and_utc(),
        DateBound::DateTime(t) => *t,
    };
    let before_upper = |t: DateTime<Utc>, b: &DateBound| match b {
        DateBound::Date(d) => {
            t < d
                .succ_opt()
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
        }
        DateBound::DateTime(u) => t <= *u,
    };
    q.page.is_none_or(|p| p >= 1)
        && q.page_size.is_none_or(|s| (1..=1000).contains(&s))
        && q.call_type
            .as_ref()
            .is_none_or(|t| ["inbound", "outbound"].contains(&t.as_str()))
        && q.call_status
            .as_ref()
            .is_none_or(|s| ["completed", "missed", "failed", "no-answer"].contains(&s.as_str()))
        && match (&q.start_date, &q.end_date) {
            (Some(start), Some(end)) => before_upper(lower(start), end),
            _ => true,
        }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_query_string_round_trips(query in any_query()) {
        let text = query.to_query_string();
        prop_assert_eq!(CallLogQuery::from_query_string(&text).unwrap(), query);
    }

    #[test]
    fn validate_accepts_exactly_the_valid_queries(query in any_query()) {
        prop_assert_eq!(query.validate().is_ok(), contract_allows(&query), "{:?}", query);
    }

    #[test]
    fn the_escape_hatch_only_lifts_the_value_rule(query in any_query()) {
        let lenient = query.clone().allow_undocumented_values();
        let mut documented_values = query.clone();
        documented_values.call_type = None;
        documented_values.call_status = None;
        prop_assert_eq!(lenient.validate().is_ok(), documented_values.validate().is_ok());
    }
}

#[test]
fn errors_name_the_parameter_and_the_rule() {
    let cases: [(CallLogQuery, &str, &str); 6] = [
        (
            CallLogQuery::new().page(0),
            "page",
            "invalid `page`: must be an integer >= 1 (got \"0\")",
        ),
        (
            CallLogQuery::new().page_size(1001),
            "page_size",
            "invalid `page_size`: must be an integer between 1 and 1000 (got \"1001\")",
        ),
        (
            CallLogQuery::new().page_size(0),
            "page_size",
            "invalid `page_size`: must be an integer between 1 and 1000 (got \"0\")",
        ),
        (
            CallLogQuery::new().call_type("both"),
            "call_type",
            "invalid `call_type`: must be one of inbound, outbound (got \"both\")",
        ),
        (
            CallLogQuery::new().call_status("busy"),
            "call_status",
            "invalid `call_status`: must be one of completed, missed, failed, no-answer (got \"busy\")",
        ),
        (
            CallLogQuery::new()
                .start_date(date("2026-02-08"))
                .end_date(date("2026-02-07")),
            "start_date",
            "invalid `start_date`: must not be after end_date (2026-02-07) (got \"2026-02-08\")",
        ),
    ];
    for (query, parameter, message) in cases {
        let error: InvalidQuery = query.validate().unwrap_err();
        assert_eq!(error.parameter, parameter);
        assert_eq!(error.to_string(), message);
    }
    CallLogQuery::new()
        .call_status("busy")
        .allow_undocumented_values()
        .validate()
        .unwrap();
}

#[test]
fn a_date_end_covers_its_whole_day() {
    let same_day = CallLogQuery::new()
        .start_date(Utc.with_ymd_and_hms(2026, 2, 7, 23, 59, 59).unwrap())
        .end_date(date("2026-02-07"));
    same_day.validate().unwrap();
    let next_day = CallLogQuery::new()
        .start_date(Utc.with_ymd_and_hms(2026, 2, 8, 0, 0, 0).unwrap())
        .end_date(date("2026-02-07"));
    assert_eq!(next_day.validate().unwrap_err().parameter, "start_date");
    let bound = DateBound::Date(date("2026-02-07"));
    assert_eq!(
        bound.first_instant().to_rfc3339(),
        "2026-02-07T00:00:00+00:00"
    );
    assert_eq!(
        bound.last_instant().to_rfc3339(),
        "2026-02-07T23:59:59.999999999+00:00"
    );
}

#[test]
fn reads_every_date_form_and_normalises_to_utc() {
    let at = |text| DateBound::parse(text).unwrap().to_string();
    assert_eq!(at("2026-02-01"), "2026-02-01");
    assert_eq!(at("2026-02-01T05:30:00Z"), "2026-02-01T05:30:00Z");
    assert_eq!(at("2026-02-01T05:30:00+05:30"), "2026-02-01T00:00:00Z");
    assert_eq!(at("2026-02-01T05:30:00-08:00"), "2026-02-01T13:30:00Z");
    assert_eq!(
        at("2026-02-01T05:30:00"),
        "2026-02-01T05:30:00Z",
        "naive is UTC"
    );
    assert_eq!(at("2026-02-01T05:30:00.250Z"), "2026-02-01T05:30:00.250Z");
    assert_eq!(
        at("2026-02-01T05:30:00 05:30"),
        "2026-02-01T00:00:00Z",
        "a '+' decoded to a space by a query string"
    );
    for bad in [
        "",
        "01-02-2026",
        "2026-02-30",
        "2026-02-01T25:00:00Z",
        "tomorrow",
    ] {
        assert_eq!(DateBound::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn reads_query_strings_as_a_server_does() {
    let query = CallLogQuery::from_query_string(
        "page=2&page_size=50&call_type=inbound&call_status=no-answer&start_date=2026-02-01\
         &end_date=2026-02-07T10%3A00%3A00%2B01%3A00&unknown=1&page=3",
    )
    .unwrap();
    assert_eq!(query.page, Some(3), "the last of repeated parameters wins");
    assert_eq!(query.page_size, Some(50));
    assert_eq!(query.call_type, Some(CallType::Inbound));
    assert_eq!(query.call_status, Some(CallStatus::NoAnswer));
    assert_eq!(query.end_date.unwrap().to_string(), "2026-02-07T09:00:00Z");
    for (text, parameter, rule) in [
        ("page=1.5", "page", "must be an integer"),
        ("page=", "page", "must be an integer"),
        ("page_size=ten", "page_size", "must be an integer"),
        ("page=-1", "page", "must be an integer >= 1"),
        (
            "end_date=07-02-2026",
            "end_date",
            "must be an ISO 8601 date",
        ),
    ] {
        let error = CallLogQuery::from_query_string(text).unwrap_err();
        assert_eq!(error.parameter, parameter, "{text}");
        assert!(error.rule.starts_with(rule), "{text}: {}", error.rule);
    }
    for (text, parameter) in [
        ("page_size=99999999999", "page_size"),
        ("page=1000000000000000000000000000000", "page"),
        ("page=4294967296", "page"),
    ] {
        let error = CallLogQuery::from_query_string(text).unwrap_err();
        assert_eq!(error.parameter, parameter, "{text}");
        assert_eq!(error.rule, "must be an integer no larger than 4294967295");
    }
    let largest = CallLogQuery::from_query_string("page=4294967295").unwrap();
    assert_eq!(largest.page, Some(u32::MAX), "never clamped, never lost");
}

#[test]
fn serialises_in_the_contracts_order_and_leaves_out_unset_parameters() {
    assert_eq!(CallLogQuery::new().to_query_string(), "");
    let query = CallLogQuery::new()
        .call_status(CallStatus::Missed)
        .end_date(Utc.with_ymd_and_hms(2026, 2, 7, 5, 30, 0).unwrap())
        .page(2);
    assert_eq!(
        query.to_query_string(),
        "page=2&end_date=2026-02-07T05%3A30%3A00Z&call_status=missed"
    );
}

/// A filter rule read as `x-filter` states it, applied to one record: the interpreter a tool
/// reading the OpenAPI document would write.
fn rule_admits(
    rule: &unpod_calllogs::query::FilterRule,
    value: &str,
    record: &unpod_calllogs::CallLog,
) -> bool {
    let field = unpod_calllogs::fields::FIELDS
        .iter()
        .find(|f| f.name == rule.field)
        .unwrap();
    match (field.value)(record) {
        unpod_calllogs::fields::FieldValue::Instant(Some(at)) => {
            let day = date(value);
            let bound = match rule.date_only {
                Some("start-of-day") => day.and_hms_opt(0, 0, 0).unwrap().and_utc(),
                Some("end-of-day") => day
                    .and_hms_micro_opt(23, 59, 59, 999_999)
                    .unwrap()
                    .and_utc(),
                other => panic!("date-only {other:?}"),
            };
            match rule.op {
                "gte" => *at >= bound,
                "lte" => *at <= bound,
                op => panic!("op {op}"),
            }
        }
        unpod_calllogs::fields::FieldValue::Text(Some(text)) => {
            assert_eq!(rule.op, "eq");
            if rule.case_insensitive {
                text.eq_ignore_ascii_case(value)
            } else {
                text == value
            }
        }
        other => panic!("{other:?}"),
    }
}

proptest! {
    /// The rules the OpenAPI document states (`x-filter`) are the ones the client checks.
    #[test]
    fn the_stated_filter_rules_are_the_ones_the_client_applies(
        seconds in 1_769_900_000i64..1_770_100_000,
        day in 0u64..4,
        inbound in any::<bool>(),
        missed in any::<bool>(),
    ) {
        let at = Utc.timestamp_opt(seconds, 0).unwrap();
        let record = unpod_calllogs::CallLog::new(
            if inbound { CallType::Inbound } else { CallType::Outbound },
            if missed { CallStatus::Missed } else { CallStatus::Completed },
            at,
        );
        let day = (date("2026-01-31") + chrono::Days::new(day)).to_string();
        prop_assert_eq!(unpod_calllogs::query::FILTER_RULES.len(), 4);
        for rule in unpod_calllogs::query::FILTER_RULES {
            let (value, query) = match rule.parameter {
                "start_date" => (day.clone(), CallLogQuery::new().start_date(date(&day))),
                "end_date" => (day.clone(), CallLogQuery::new().end_date(date(&day))),
                "call_type" => ("inbound".to_owned(), CallLogQuery::new().call_type(CallType::Inbound)),
                "call_status" => ("missed".to_owned(), CallLogQuery::new().call_status(CallStatus::Missed)),
                other => panic!("a filter rule without a case here: {other}"),
            };
            prop_assert_eq!(query.matches(&record), rule_admits(rule, &value, &record), "{}={}", rule.parameter, value);
        }
    }
}
