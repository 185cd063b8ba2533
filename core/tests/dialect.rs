//! The `unpod-v2` dialect against the reference server emulating the real Unpod v2 server (date
//! filters ignored, `Product-Id` required, ties in no stable order): date windows give exactly the
//! records a faithful server gives, at the cost of the records newer than `start_date`.

mod common;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use unpod_calllogs::{
    CallLog, CallLogQuery, Client, Dialect, Error, Event, PagerOptions, ViolationKind,
};

use calllogs_reference::{Emulation, Knobs, ServerConfig, ServerHandle};

const RECORDS: usize = 600;
const SEED: u64 = 3;

async fn faithful() -> ServerHandle {
    let knobs = Knobs::default().real_world_records(true);
    calllogs_reference::start(ServerConfig::seeded(RECORDS, SEED).knobs(knobs))
        .await
        .unwrap()
}

async fn unpod_v2() -> ServerHandle {
    let config = Emulation::UnpodV2.apply(ServerConfig::seeded(RECORDS, SEED));
    calllogs_reference::start(config).await.unwrap()
}

fn dialect_client(
    server: &ServerHandle,
    events: Option<std::sync::Arc<std::sync::Mutex<Vec<Event>>>>,
) -> Client {
    let mut builder = common::builder(server).dialect(Dialect::UnpodV2);
    if let Some(events) = events {
        builder = builder.on_event(move |event| events.lock().unwrap().push(event.clone()));
    }
    builder.build().unwrap()
}

/// Records with those that share a `creation_time` in one fixed order.
fn tie_order(mut records: Vec<CallLog>) -> Vec<CallLog> {
    assert!(
        records
            .windows(2)
            .all(|w| w[0].creation_time >= w[1].creation_time),
        "records out of order"
    );
    records.sort_by_cached_key(|r| {
        (
            std::cmp::Reverse(r.creation_time),
            serde_json::to_string(r).unwrap(),
        )
    });
    records
}

fn window(all: &[CallLog], newer: usize, older: usize) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        all[all.len() - older].creation_time,
        all[newer].creation_time,
    )
}

#[tokio::test]
async fn date_windows_are_exact_against_a_server_that_ignores_them() {
    let truth_server = faithful().await;
    let everything = common::client(&truth_server)
        .call_logs()
        .collect_all(CallLogQuery::new().page_size(1000), 1)
        .await
        .unwrap();
    let server = unpod_v2().await;
    for (newer, older, page_size) in [(40, 300, 7), (0, 450, 25), (120, 120, 100), (5, 590, 33)] {
        let (from, through) = window(&everything, newer, older);
        let query = CallLogQuery::new()
            .start_date(from)
            .end_date(through)
            .page_size(page_size);
        let truth = common::client(&truth_server)
            .call_logs()
            .collect_all(query.clone(), 1)
            .await
            .unwrap();
        assert!(!truth.is_empty());
        let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let client = dialect_client(&server, Some(events.clone()));
        let before = server.requests();
        let streamed: Vec<CallLog> = client
            .call_logs()
            .stream_with(query.clone(), PagerOptions::new().prefetch(0))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            tie_order(streamed),
            tie_order(truth.clone()),
            "window {newer}..{older} by {page_size}"
        );
        // The walk reads down to start_date, not the whole history.
        let read_past = everything.len() - older + truth.len().min(1);
        let pages = (read_past as u64).div_ceil(u64::from(page_size));
        let regathered = events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e, Event::Warning { .. }))
            .count() as u64;
        assert!(
            server.requests() - before <= pages + 1 + regathered,
            "{} requests for {pages} pages",
            server.requests() - before
        );
        let all = client.call_logs().collect_all(query, 4).await.unwrap();
        assert_eq!(tie_order(all), tie_order(truth));
    }
}

#[tokio::test]
async fn without_the_dialect_an_ignored_date_filter_is_an_error_naming_the_dialect() {
    let server = unpod_v2().await;
    let client = common::builder(&server)
        .header("Product-Id", "unpod.ai")
        .build()
        .unwrap();
    // Page 1 already holds calls newer than the end of the window.
    let query = CallLogQuery::new().end_date(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    let error = client.call_logs().collect_all(query, 2).await.unwrap_err();
    let Error::ServerContract(violation) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(violation.kind, ViolationKind::FilterNotApplied);
    assert!(
        violation.message.contains(".dialect(Dialect::UnpodV2)"),
        "{}",
        violation.message
    );
    assert!(
        violation.message.contains("UNPOD_DIALECT=unpod-v2"),
        "{}",
        violation.message
    );
}

#[tokio::test]
async fn the_dialect_sends_product_id_refuses_a_dated_single_page_and_names_unknown_dialects() {
    let server = unpod_v2().await;
    let client = dialect_client(&server, None);
    // The emulated server answers 400 without Product-Id.
    assert!(
        client
            .call_logs()
            .list(&CallLogQuery::new())
            .await
            .unwrap()
            .count
            > 0
    );
    let dated = CallLogQuery::new().end_date(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap());
    let error = client.call_logs().list(&dated).await.unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("unpod-v2 dialect")),
        "{error:?}"
    );
    let error = common::builder(&server)
        .dialect_named("unpod-v3")
        .build()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(m) if m.contains("unknown dialect \"unpod-v3\"") && m.contains("unpod-v2")),
        "{error:?}"
    );
}
