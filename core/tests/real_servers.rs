//! The client against the reference server made to paginate and filter the way real servers do
//! (CONTRACT.md, "what the real server has been seen to do differently"): exactly the right
//! records, or a typed error that says what happened.

use calllogs_reference::{Filter, Knobs, PastLast, ServerConfig, ServerHandle};
use futures_util::TryStreamExt;
use unpod_calllogs::{
    CallLog, CallLogQuery, CallType, Client, ContractViolation, Error, PagerOptions, ViolationKind,
};

const RECORDS: usize = 523;
const SEED: u64 = 9;

async fn start(knobs: Knobs) -> ServerHandle {
    calllogs_reference::start(ServerConfig::with_knobs(RECORDS, SEED, knobs, None).unwrap())
        .await
        .unwrap()
}

mod common;
use common::client;

/// Every record of `query` as a faithful server answers it.
async fn expected(query: CallLogQuery) -> Vec<CallLog> {
    let faithful = start(Knobs::default()).await;
    let all = client(&faithful)
        .call_logs()
        .stream(query.page_size(1000))
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    faithful.shutdown().await;
    all
}

async fn walk(client: &Client, query: CallLogQuery, options: PagerOptions) -> Vec<CallLog> {
    client
        .call_logs()
        .stream_with(query, options)
        .try_collect()
        .await
        .unwrap()
}

fn capped(cap: u32) -> Knobs {
    Knobs::default().page_size_cap(cap)
}

#[tokio::test]
async fn a_silent_page_size_cap_is_learned_by_every_kind_of_walk() {
    let reference = expected(CallLogQuery::new()).await;
    assert_eq!(reference.len(), RECORDS);
    for (cap, asked) in [(100, 1000), (50, 200)] {
        let server = start(capped(cap)).await;
        let client = client(&server);
        let query = CallLogQuery::new().page_size(asked);
        for prefetch in [0, 1, 4] {
            let options = PagerOptions::new().prefetch(prefetch);
            let got = walk(&client, query.clone(), options).await;
            assert_eq!(got, reference, "cap {cap}, page_size {asked}");
        }
        let limited = PagerOptions::new().limit(170).prefetch(1);
        assert_eq!(
            walk(&client, query.clone(), limited).await,
            reference[..170]
        );
        for concurrency in [1, 4] {
            let all = client
                .call_logs()
                .collect_all(query.clone(), concurrency)
                .await
                .unwrap();
            assert_eq!(all, reference, "collect_all({concurrency}), cap {cap}");
        }
        let pages = RECORDS.div_ceil(cap as usize) as u64;
        let before = server.requests();
        walk(&client, query, PagerOptions::default()).await;
        assert_eq!(server.requests() - before, pages, "one request a page");
    }
}

#[tokio::test]
async fn a_page_held_from_list_reports_the_served_size_and_walks_on() {
    let reference = expected(CallLogQuery::new()).await;
    let server = start(Knobs::default().default_page_size(10)).await;
    let client = client(&server);
    let query = CallLogQuery::new();
    let page = client.call_logs().list(&query).await.unwrap();
    assert_eq!((page.count, page.data.len()), (RECORDS as u64, 10));
    assert_eq!(
        unpod_calllogs::pagination::served_page_size(&query, &page),
        10
    );
    let next = unpod_calllogs::pagination::next_page_query(&query, &page).unwrap();
    assert_eq!((next.page, next.page_size), (Some(2), Some(10)));
    let mut all = page.data.clone();
    let mut pager = client
        .call_logs()
        .pages_after(query, page, PagerOptions::default())
        .unwrap();
    while let Some(records) = pager.next_page().await.unwrap() {
        all.extend(records);
    }
    assert_eq!(all, reference);
}

#[tokio::test]
async fn a_walk_from_a_later_page_is_rebased_onto_the_served_size() {
    let reference = expected(CallLogQuery::new()).await;
    let server = start(capped(100)).await;
    let query = CallLogQuery::new().page_size(200).page(2);
    let got = walk(&client(&server), query, PagerOptions::default()).await;
    assert_eq!(got, reference[200..]);
}

#[tokio::test]
async fn every_answer_to_a_page_past_the_last_leaves_walks_whole() {
    for past_last in [PastLast::Empty, PastLast::BadRequest, PastLast::NotFound] {
        let server = start(Knobs::default().past_last(past_last).page_size_cap(100)).await;
        let client = client(&server);
        for page_size in [100, 523, 1000] {
            let query = CallLogQuery::new().page_size(page_size);
            let got = walk(&client, query.clone(), PagerOptions::default()).await;
            assert_eq!(got.len(), RECORDS, "{past_last:?}, page_size {page_size}");
            let all = client.call_logs().collect_all(query, 4).await.unwrap();
            assert_eq!(all, got);
        }
        let past = client
            .call_logs()
            .list(&CallLogQuery::new().page_size(100).page(7))
            .await;
        match past_last {
            PastLast::Empty => assert!(past.unwrap().data.is_empty()),
            PastLast::BadRequest => assert_eq!(past.unwrap_err().status(), Some(400)),
            PastLast::NotFound => assert_eq!(past.unwrap_err().status(), Some(404)),
            other => panic!("no expectation for {other:?}"),
        }
    }
}

fn violation(error: Error) -> ContractViolation {
    match error {
        Error::ServerContract(violation) => *violation,
        other => panic!("expected a contract violation, got {other:?}"),
    }
}

#[tokio::test]
async fn a_record_outside_the_filters_is_an_error_naming_the_filter() {
    let cases = [
        (
            Filter::CallType,
            CallLogQuery::new().call_type(CallType::Inbound),
            "call_type",
            "inbound",
        ),
        (
            Filter::StartDate,
            CallLogQuery::new().start_date(chrono::NaiveDate::from_ymd_opt(2026, 2, 20).unwrap()),
            "start_date",
            "2026-02-20",
        ),
        (
            Filter::EndDate,
            CallLogQuery::new().end_date(chrono::NaiveDate::from_ymd_opt(2026, 2, 20).unwrap()),
            "end_date",
            "2026-02-20",
        ),
    ];
    for (ignored, query, parameter, value) in cases {
        let server = start(Knobs::default().ignored_filters([ignored])).await;
        let client = client(&server);
        let mut stream = client.call_logs().stream(query.clone().page_size(50));
        let mut yielded = Vec::new();
        let error = loop {
            match stream.try_next().await {
                Ok(Some(record)) => yielded.push(record),
                Ok(None) => panic!("the walk ended without noticing {parameter} was ignored"),
                Err(error) => break error,
            }
        };
        assert!(yielded.iter().all(|r| query.matches(r)), "{parameter}");
        assert!(
            stream.try_next().await.unwrap().is_none(),
            "nothing after it"
        );
        let shown = error.to_string();
        let violation = violation(error);
        assert_eq!(violation.kind, ViolationKind::FilterNotApplied);
        assert_eq!(violation.parameter, Some(parameter));
        assert_eq!(violation.value.as_deref(), Some(value));
        let record: CallLog = serde_json::from_str(violation.record.as_deref().unwrap()).unwrap();
        assert!(!query.matches(&record));
        assert!(shown.contains(&format!("`{parameter}={value}`")), "{shown}");

        let whole = query.clone().page_size(1000);
        let error = client.call_logs().list(&whole).await.unwrap_err();
        assert_eq!(violation_kind(error), ViolationKind::FilterNotApplied);
        let error = client
            .call_logs()
            .collect_all(query.clone(), 4)
            .await
            .unwrap_err();
        assert_eq!(violation_kind(error), ViolationKind::FilterNotApplied);

        let trusting = Client::builder()
            .token(server.token())
            .org_handle(server.org_handle())
            .base_url(server.url())
            .verify_filters(false)
            .build()
            .unwrap();
        let everything = walk(&trusting, query, PagerOptions::default()).await;
        assert_eq!(
            everything.len(),
            RECORDS,
            "verification off: what the server sends"
        );
    }
}

fn violation_kind(error: Error) -> ViolationKind {
    violation(error).kind
}

#[tokio::test]
async fn enum_filters_compare_without_regard_to_case() {
    let record: CallLog = serde_json::from_str(
        r#"{"call_type":"INBOUND","call_status":"FAILED","creation_time":"2026-02-07T05:57:00Z","start_time":null,"end_time":null,"call_duration":0,"end_reason":"x"}"#,
    )
    .unwrap();
    let query = CallLogQuery::new()
        .call_type(CallType::Inbound)
        .call_status(unpod_calllogs::CallStatus::Failed);
    assert!(query.matches(&record));
    assert_eq!(
        query
            .clone()
            .call_status(unpod_calllogs::CallStatus::Missed)
            .unmatched_filter(&record),
        Some(("call_status", "missed".to_owned()))
    );
}

#[tokio::test]
async fn calls_arriving_during_a_capped_walk_neither_repeat_nor_vanish() {
    let server = start(Knobs::default().live_inserts(3).page_size_cap(40)).await;
    let client = client(&server);
    let query = CallLogQuery::new().page_size(100);
    let got = walk(&client, query.clone(), PagerOptions::default()).await;
    let mut seen = std::collections::HashSet::new();
    for record in &got {
        assert!(
            seen.insert(serde_json::to_string(record).unwrap()),
            "repeated {record:?}"
        );
    }
    assert!(
        got.windows(2)
            .all(|w| w[0].creation_time >= w[1].creation_time)
    );
    assert!(got.len() >= RECORDS, "{} records", got.len());
    let all = client.call_logs().collect_all(query, 4).await.unwrap();
    assert!(all.len() >= RECORDS);
}

#[tokio::test]
async fn extra_query_and_headers_reach_the_server_and_cannot_replace_the_contract() {
    let server = start(Knobs::default()).await;
    let client = client(&server);
    let query = CallLogQuery::new()
        .extra_query("start_time", "03-02-2026 00:00:00")
        .extra_header("Product-Id", "unpod.ai");
    assert_eq!(
        query.to_query_string(),
        "start_time=03-02-2026+00%3A00%3A00"
    );
    let page = client.call_logs().list(&query).await.unwrap();
    assert_eq!(
        page.count, RECORDS as u64,
        "the reference server ignores it"
    );

    for (bad, parameter) in [
        (
            CallLogQuery::new().extra_query("call_type", "inbound"),
            "extra_query",
        ),
        (CallLogQuery::new().extra_query("", "x"), "extra_query"),
        (
            CallLogQuery::new().extra_header("Authorization", "Token x"),
            "extra_headers",
        ),
        (
            CallLogQuery::new().extra_header("org-handle", "other"),
            "extra_headers",
        ),
        (
            CallLogQuery::new().extra_header("X-Bad", "a\nb"),
            "extra_headers",
        ),
    ] {
        let before = server.requests();
        let error = client.call_logs().list(&bad).await.unwrap_err();
        let Error::InvalidQuery(invalid) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(invalid.parameter, parameter, "{error}");
        assert_eq!(server.requests(), before, "nothing sent");
    }
}

#[tokio::test]
async fn walking_on_from_a_held_later_page_is_right_or_an_error() {
    let reference = expected(CallLogQuery::new()).await;
    // Django REST framework offsets pages by the size it serves: page 2 held records 100..200.
    let drf = start(capped(100)).await;
    let client_drf = client(&drf);
    let query = CallLogQuery::new().page_size(200).page(2);
    let page = client_drf.call_logs().list(&query).await.unwrap();
    assert_eq!(page.data, reference[100..200]);
    let mut all = page.data.clone();
    let mut pager = client_drf
        .call_logs()
        .pages_after(query.clone(), page, PagerOptions::default())
        .unwrap();
    while let Some(records) = pager.next_page().await.unwrap() {
        all.extend(records);
    }
    assert_eq!(all, reference[100..]);

    // A server that offsets by the size asked served records 200..300; walking on would repeat them.
    let other = calllogs_reference::start(
        ServerConfig::seeded(RECORDS, SEED).faults([calllogs_reference::Fault::PageSizeCapped]),
    )
    .await
    .unwrap();
    let client_other = client(&other);
    let query = CallLogQuery::new().page_size(200).page(2);
    let page = client_other.call_logs().list(&query).await.unwrap();
    assert_eq!(page.data, reference[200..300]);
    let mut pager = client_other
        .call_logs()
        .pages_after(query, page, PagerOptions::default())
        .unwrap();
    let error = pager.next_page().await.unwrap_err();
    assert_eq!(violation(error).kind, ViolationKind::RepeatedPage);
}
