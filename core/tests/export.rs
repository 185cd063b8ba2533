//! Exports into files, over real sockets: a file that exists is complete; an export stopped by an
//! error or cancelled after any page leaves its records beside the target, and resuming it, as
//! often as it takes, writes exactly the bytes of an export that was never interrupted, also where
//! the records of one instant straddle the pages.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use calllogs_reference::{Filter, Knobs, Records, ServerConfig, ServerHandle};
use chrono::{DateTime, TimeDelta, Utc};
use unpod_calllogs::export::{self, Format, Stopped};
use unpod_calllogs::{
    CallLog, CallLogQuery, CallStatus, CallType, Error, PagerOptions, ViolationKind,
};

mod common;

/// 477 calls in instants of one to seven calls each (the pages hold five), two of the instants
/// holding exact duplicates.
fn records() -> Vec<CallLog> {
    let start: DateTime<Utc> = "2026-02-01T00:00:00Z".parse().unwrap();
    let mut records = Vec::new();
    for minute in 0..120_i64 {
        let time = start + TimeDelta::minutes(minute);
        for n in 0..=(minute % 7) {
            let status = if n % 2 == 0 {
                CallStatus::Completed
            } else {
                CallStatus::Missed
            };
            let mut call = CallLog::new(CallType::Inbound, status, time);
            let number = if minute % 50 == 6 && n == 1 { 0 } else { n };
            call.source_number = Some(format!("+1555000{number:04}"));
            records.push(call);
        }
    }
    records
}

async fn server() -> ServerHandle {
    calllogs_reference::start(ServerConfig::default().records(Records::Given(records())))
        .await
        .unwrap()
}

fn temp(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("unpod-export-{}-{name}", std::process::id()));
    for leftover in [
        path.clone(),
        beside(&path, "partial"),
        beside(&path, "partial.json"),
    ] {
        let _ = std::fs::remove_file(leftover);
    }
    path
}

fn beside(target: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{suffix}", target.display()))
}

fn query() -> CallLogQuery {
    CallLogQuery::new().page_size(5)
}

fn prefetch() -> PagerOptions {
    PagerOptions::new().prefetch(2)
}

/// An export of `server` into `target`, cancelled once `pages` pages are written (`None`: never).
async fn export(
    server: &ServerHandle,
    target: &Path,
    query: CallLogQuery,
    options: PagerOptions,
    resume: bool,
    pages: Option<u64>,
) -> Option<Result<u64, Stopped>> {
    let client = common::client(server);
    let written = Arc::new(AtomicU64::new(0));
    let enough = Arc::new(tokio::sync::Notify::new());
    let (counted, told) = (written.clone(), enough.clone());
    let mut last = u64::MAX;
    let run = export::to_file(
        &client,
        query,
        options,
        Format::choose(None, target.to_str()).unwrap(),
        target,
        resume,
        // A page counts when it wrote something after the first (a resumed run's first page may
        // hold only records already written).
        move |progress| {
            if progress.records > last && Some(counted.fetch_add(1, Ordering::SeqCst) + 1) == pages
            {
                told.notify_one();
            }
            last = progress.records;
        },
    );
    tokio::select! {
        done = run => Some(done),
        () = enough.notified() => None,
    }
}

#[tokio::test]
async fn an_export_cancelled_after_any_page_and_resumed_writes_what_one_uninterrupted_run_writes() {
    let server = server().await;
    let whole = temp("whole.csv");
    let records = export(&server, &whole, query(), prefetch(), false, None).await;
    assert_eq!(records.unwrap().unwrap(), 477);
    let expected = std::fs::read(&whole).unwrap();
    assert!(!beside(&whole, "partial").exists() && !beside(&whole, "partial.json").exists());

    for every in [1, 2, 3, 7] {
        let target = temp(&format!("every-{every}.csv"));
        let mut runs = 0;
        let written = loop {
            runs += 1;
            assert!(runs < 200, "never finished");
            match export(&server, &target, query(), prefetch(), true, Some(every)).await {
                Some(done) => break done.unwrap(),
                None => assert!(!target.exists(), "no target before the export is complete"),
            }
        };
        assert!(runs > 1, "the export was interrupted");
        assert_eq!(written, 477);
        let got = std::fs::read(&target).unwrap();
        assert!(
            got == expected,
            "cancelled every {every} pages: {} bytes, expected {}",
            got.len(),
            expected.len()
        );
        assert!(!beside(&target, "partial").exists());
        std::fs::remove_file(&target).unwrap();
    }
    std::fs::remove_file(&whole).unwrap();
}

#[tokio::test]
async fn an_export_stopped_by_an_error_says_how_many_records_it_wrote_and_resumes_elsewhere() {
    let first = server().await;
    let target = temp("stopped.csv");
    let whole = temp("stopped-whole.csv");
    // The server goes away after three pages.
    let client = common::client(&first);
    let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = stopping.await;
        first.shutdown().await;
    });
    let pages = AtomicU64::new(0);
    let mut stop = Some(stop);
    let stopped = export::to_file(
        &client,
        query().max_retries(0),
        PagerOptions::new(),
        Format::Csv,
        &target,
        false,
        |_| {
            if pages.fetch_add(1, Ordering::SeqCst) == 2 {
                let _ = stop.take().map(|stop| stop.send(()));
            }
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(stopped.error, Error::Connection(_) | Error::Timeout(_)),
        "{:?}",
        stopped.error
    );
    assert!(!target.exists(), "no file that looks complete");
    assert_eq!(stopped.partial, beside(&target, "partial"));
    let partial = std::fs::read_to_string(&stopped.partial).unwrap();
    assert!(stopped.records >= 15, "{} records", stopped.records);
    assert_eq!(
        partial.lines().count() as u64,
        stopped.records + 1,
        "the partial file holds the header and the records counted"
    );

    // Another server of the same records: other settings are refused, the same ones go on.
    let second = server().await;
    let refused = export(
        &second,
        &target,
        query().call_type("inbound"),
        prefetch(),
        true,
        None,
    )
    .await;
    let refused = refused.unwrap().unwrap_err();
    assert!(
        matches!(refused.error, Error::Config(_)),
        "{:?}",
        refused.error
    );
    assert!(refused.error.to_string().contains("other settings"));
    let done = export(&second, &target, query(), prefetch(), true, None)
        .await
        .unwrap();
    assert_eq!(done.unwrap(), 477);
    export(&second, &whole, query(), prefetch(), false, None)
        .await
        .unwrap()
        .unwrap();
    assert!(std::fs::read(&target).unwrap() == std::fs::read(&whole).unwrap());
    for path in [target, whole] {
        std::fs::remove_file(path).unwrap();
    }
}

#[tokio::test]
async fn a_resumed_export_keeps_its_limit_and_a_fresh_one_forgets_the_partial() {
    let server = server().await;
    let target = temp("limited.ndjson");
    let limited = || PagerOptions::new().limit(33);
    // Cancelled, then run afresh: the partial is started over.
    assert!(
        export(&server, &target, query(), limited(), false, Some(2))
            .await
            .is_none()
    );
    let fresh = export(&server, &target, query(), limited(), false, None).await;
    assert_eq!(fresh.unwrap().unwrap(), 33);
    let fresh = std::fs::read_to_string(&target).unwrap();
    assert_eq!(fresh.lines().count(), 33);
    std::fs::remove_file(&target).unwrap();
    // Resumed until done, a few pages a run: the same 33 records.
    let mut runs = 0;
    let done = loop {
        runs += 1;
        assert!(runs < 50, "never finished");
        if let Some(done) = export(&server, &target, query(), limited(), true, Some(2)).await {
            break done.unwrap();
        }
    };
    assert_eq!(done, 33);
    assert!(runs > 2, "{runs} runs");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), fresh);
    std::fs::remove_file(&target).unwrap();
}

#[tokio::test]
async fn a_resume_against_a_server_that_ignores_end_date_stops_rather_than_write_records_twice() {
    let first = server().await;
    let target = temp("ignored-end.csv");
    assert!(
        export(&first, &target, query(), prefetch(), false, Some(3))
            .await
            .is_none()
    );
    let partial = std::fs::read(beside(&target, "partial")).unwrap();
    // The same records, served by a server that ignores `end_date`; the client is told not to
    // check filters, so only the resume's own check stands between it and a duplicate.
    let config = ServerConfig::default()
        .records(Records::Given(records()))
        .knobs(Knobs::default().ignored_filters([Filter::EndDate]));
    let ignoring = calllogs_reference::start(config).await.unwrap();
    let client = common::builder(&ignoring)
        .verify_filters(false)
        .build()
        .unwrap();
    let stopped = export::to_file(
        &client,
        query(),
        prefetch(),
        Format::Csv,
        &target,
        true,
        |_| {},
    )
    .await
    .unwrap_err();
    let Error::ServerContract(violation) = &stopped.error else {
        panic!("{:?}", stopped.error);
    };
    assert_eq!(violation.kind, ViolationKind::FilterNotApplied);
    assert!(
        stopped.error.to_string().contains("ignored end_date"),
        "{}",
        stopped.error
    );
    assert!(!target.exists());
    assert_eq!(
        std::fs::read(beside(&target, "partial")).unwrap(),
        partial,
        "nothing written twice"
    );
    std::fs::remove_file(beside(&target, "partial")).unwrap();
    std::fs::remove_file(beside(&target, "partial.json")).unwrap();
}
