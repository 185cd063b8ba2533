//! No input makes the query parser, the page decoder or the pagination rules panic: arbitrary
//! bytes, and structured inputs that reach deeper than bytes would (proptest, run as a test;
//! `cargo fuzz` needs a nightly toolchain).

use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

use unpod_calllogs::pagination::{has_next_page, next_page_query, served_page_size};
use unpod_calllogs::retry::{Failure, RetryPolicy, parse_retry_after};
use unpod_calllogs::{CallLogPage, CallLogQuery, DateBound};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("2026-02-07T05:57:00Z")),
        Just(Value::from("inbound")),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A page-shaped body whose every field may be of the wrong type or out of range.
fn page_like() -> impl Strategy<Value = Value> {
    let field = || prop_oneof![json_value(), Just(Value::Null)];
    let record = (field(), field(), field(), field(), field(), field()).prop_map(
        |(call_type, status, created, start, duration, extra)| {
            json!({
                "call_type": call_type, "call_status": status, "creation_time": created,
                "start_time": start, "end_time": start, "call_duration": duration,
                "end_reason": "x", "source_number": extra
            })
        },
    );
    (field(), prop::collection::vec(record, 0..6)).prop_map(
        |(count, data)| json!({"count": count, "status_code": 200, "message": "ok", "data": data}),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_query_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(query) = CallLogQuery::from_query_string(&text) {
            let _ = query.validate();
            let again = CallLogQuery::from_query_string(&query.to_query_string());
            prop_assert!(again.is_ok());
        }
        let _ = DateBound::parse(&text);
    }

    #[test]
    fn query_strings_of_the_contracts_names_never_panic(
        pairs in prop::collection::vec(
            (prop::sample::select(vec!["page", "page_size", "start_date", "end_date", "call_type", "call_status"]), ".{0,30}"),
            0..8,
        )
    ) {
        if let Ok(query) = CallLogQuery::from_pairs(pairs) {
            let _ = query.validate();
        }
    }

    #[test]
    fn the_page_decoder_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = CallLogPage::from_body(&bytes);
    }

    /// The decoder checks the body's UTF-8 once and parses text; parsed from bytes, every string is
    /// checked on its own. Both read every body alike: the same page, or both an error.
    #[test]
    fn the_page_decoder_reads_bodies_as_the_byte_parser_does(
        body in page_like(),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = serde_json::to_vec(&body).unwrap();
        // One byte of the body replaced: invalid UTF-8, broken JSON, or another valid page.
        let at = cut.index(bytes.len());
        bytes[at] = byte;
        let from_bytes = serde_json::from_slice::<CallLogPage>(&bytes);
        match CallLogPage::from_body(&bytes) {
            Ok(page) => prop_assert_eq!(Some(page), from_bytes.ok()),
            Err(error) => prop_assert!(from_bytes.is_err(), "{error}"),
        }
    }

    #[test]
    fn page_shaped_bodies_decode_or_fail_cleanly(body in page_like(), page in any::<u32>(), size in any::<u32>()) {
        let bytes = serde_json::to_vec(&body).unwrap();
        if let Ok(decoded) = CallLogPage::from_body(&bytes) {
            let query = CallLogQuery::new().page(page).page_size(size.max(1));
            let served = served_page_size(&query, &decoded);
            prop_assert!(served >= 1);
            let _ = next_page_query(&query, &decoded);
            let _ = has_next_page(page, u64::from(served), decoded.count, decoded.data.len());
            for record in &decoded.data {
                let _ = query.matches(record);
                prop_assert!(serde_json::to_vec(record).is_ok());
            }
        }
    }

    #[test]
    fn no_retry_after_header_panics(
        header in prop_oneof![
            any::<f64>().prop_map(|f| f.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            "[0-9]{18,40}(\\.[0-9]{0,9})?",
            "[0-9.eE+-]{1,24}",
            ".{0,40}",
        ],
        attempt in 0u32..4,
    ) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let _ = parse_retry_after(&header, now);
        let failure = Failure::Status { status: 429, retry_after: Some(&header) };
        let wait = RetryPolicy::default().retry_after(attempt, failure, now, 0.5);
        prop_assert!(wait.is_none_or(|wait| wait <= RetryPolicy::default().max_retry_after));
    }
}
