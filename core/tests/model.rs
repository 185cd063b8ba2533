use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use unpod_calllogs::{CallLog, CallLogPage, CallStatus, CallType, ErrorBody};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn decodes_a_page_in_the_real_servers_shape() {
    let page: CallLogPage =
        serde_json::from_str(include_str!("fixtures/real-server-page.json")).unwrap();
    assert_eq!(page.count, 3);
    let [first, second, third] = &page.data[..] else {
        panic!("three records expected, got {}", page.data.len())
    };

    assert_eq!(first.call_type, CallType::Other("both".into()));
    assert_eq!(first.call_status, CallStatus::Other("connected".into()));
    assert_eq!(first.call_duration, 90.5);
    assert_eq!(first.destination_number, None);
    assert_eq!(first.end_reason, None);
    assert_eq!(first.creation_time, utc("2026-02-07T05:57:00.123456Z"));
    assert_eq!(first.start_time, Some(utc("2026-02-07T05:57:45Z")));
    assert_eq!(first.end_time, Some(utc("2026-02-07T06:01:15.5Z")));
    let extra_keys: Vec<&str> = first.extra.keys().map(String::as_str).collect();
    assert_eq!(
        extra_keys,
        [
            "agent",
            "bridge",
            "id",
            "organization",
            "product_id",
            "space"
        ]
    );
    assert_eq!(first.extra["bridge"]["slug"], "sales-line");

    assert_eq!(second.call_status, CallStatus::Other("FAILED".into()));
    assert_eq!(
        second.creation_time,
        Utc.with_ymd_and_hms(2026, 2, 7, 5, 0, 0).unwrap()
    );
    assert_eq!(second.call_duration, 0.0, "a null duration reads as 0");

    assert_eq!(third.call_status, CallStatus::NoAnswer);
    assert_eq!(third.call_type, CallType::Outbound);
}

#[test]
fn writes_the_documented_shape_and_keeps_what_it_does_not_know() {
    let page: CallLogPage =
        serde_json::from_str(include_str!("fixtures/real-server-page.json")).unwrap();
    let written = serde_json::to_value(&page).unwrap();
    let first = &written["data"][0];
    assert_eq!(first["call_type"], "both");
    assert_eq!(first["call_status"], "connected");
    assert_eq!(first["creation_time"], "2026-02-07T05:57:00.123456Z");
    assert_eq!(first["start_time"], "2026-02-07T05:57:45Z");
    assert_eq!(first["call_duration"], json!(90.5));
    assert_eq!(first["id"], 91842);
    assert_eq!(first["agent"], Value::Null);
    assert_eq!(written["data"][2]["call_duration"], json!(0));
    assert!(
        written["data"][2]["call_duration"].is_u64(),
        "whole seconds are integers"
    );

    let again: CallLogPage = serde_json::from_value(written).unwrap();
    assert_eq!(again, page);
}

#[test]
fn decodes_the_documented_example() {
    let record: CallLog = serde_json::from_value(json!({
        "source_number": "+911234567890",
        "destination_number": "+919876543210",
        "call_type": "outbound",
        "call_status": "completed",
        "creation_time": "2026-02-07T05:57:00Z",
        "start_time": "2026-02-07T05:57:45Z",
        "end_time": "2026-02-07T06:01:12Z",
        "call_duration": 207,
        "end_reason": "caller_hangup"
    }))
    .unwrap();
    assert_eq!(record.call_type, CallType::Outbound);
    assert_eq!(record.call_status, CallStatus::Completed);
    assert_eq!(record.call_duration, 207.0);
    assert!(record.extra.is_empty());
}

#[test]
fn rejects_records_without_the_fields_nothing_can_stand_in_for() {
    for missing in ["call_type", "call_status", "creation_time"] {
        let mut record = json!({
            "call_type": "inbound", "call_status": "missed",
            "creation_time": "2026-02-07T05:57:00Z"
        });
        record.as_object_mut().unwrap().remove(missing);
        let error = serde_json::from_value::<CallLog>(record).unwrap_err();
        assert!(error.to_string().contains(missing), "{error}");
    }
    let error = serde_json::from_value::<CallLog>(json!({
        "call_type": "inbound", "call_status": "missed", "creation_time": "yesterday"
    }))
    .unwrap_err();
    assert!(error.to_string().contains("yesterday"), "{error}");
}

#[test]
fn open_enums_round_trip_every_value() {
    for text in ["inbound", "outbound", "both", "", "Inbound"] {
        let value = CallType::from(text);
        assert_eq!(value.as_str(), text);
        assert_eq!(
            value.is_documented(),
            matches!(text, "inbound" | "outbound")
        );
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(serde_json::from_str::<CallType>(&json).unwrap(), value);
    }
    for status in CallStatus::DOCUMENTED {
        assert_eq!(&CallStatus::from(status.as_str()), status);
    }
    assert_eq!(
        CallStatus::documented_list(),
        "completed, missed, failed, no-answer"
    );
}

#[test]
fn error_bodies_read_message_or_detail() {
    let body: ErrorBody =
        serde_json::from_str(r#"{"status_code": 400, "message": "bad page"}"#).unwrap();
    assert_eq!(body.text().as_deref(), Some("bad page"));
    let body: ErrorBody = serde_json::from_str(r#"{"detail": "Invalid token."}"#).unwrap();
    assert_eq!(body.text().as_deref(), Some("Invalid token."));
    let body: ErrorBody =
        serde_json::from_str(r#"{"detail": {"page": ["not an integer"]}, "data": []}"#).unwrap();
    assert_eq!(
        body.text().as_deref(),
        Some(r#"{"page":["not an integer"]}"#)
    );
    assert_eq!(body.extra["data"], json!([]));
    assert_eq!(ErrorBody::default().text(), None);
}

mod timestamps {
    use chrono::{DateTime, TimeZone, Utc};
    use proptest::prelude::*;
    use unpod_calllogs::model::parse_timestamp;

    proptest! {
        #[test]
        fn the_fast_path_agrees_with_rfc3339(secs in -62_135_596_800i64..253_402_300_799) {
            let time = Utc.timestamp_opt(secs, 0).unwrap();
            let text = time.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let general = DateTime::parse_from_rfc3339(&text).unwrap().with_timezone(&Utc);
            prop_assert_eq!(parse_timestamp(&text), Some(general));
        }
    }

    #[test]
    fn impossible_dates_and_leap_seconds_fall_through_to_the_general_parser() {
        assert_eq!(parse_timestamp("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_timestamp("2026-02-07T24:00:00Z"), None);
        assert_eq!(parse_timestamp("2026-0a-07T05:57:00Z"), None);
        let leap = DateTime::parse_from_rfc3339("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(
            parse_timestamp("2016-12-31T23:59:60Z"),
            Some(leap.with_timezone(&Utc))
        );
    }
}
