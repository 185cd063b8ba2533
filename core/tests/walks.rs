//! The rule every walk keeps, held over random combinations: against a reference server with any
//! set of faults and knobs (caps, defaults, order, repeats, skips, count drift, ignored filters,
//! live inserts), every door (a stream with any read-ahead, `collect_all` at any concurrency, a
//! page walked onward from `list`, a chain of `next_page`s) hands back exactly the faithful
//! server's records, or an error: never other records without one.

mod common;

use std::sync::OnceLock;

use calllogs_reference::{Fault, Filter, Knobs, PastLast, ServerConfig, ServerHandle};
use futures_util::TryStreamExt;
use proptest::prelude::*;
use unpod_calllogs::binding::page::HeldPage;
use unpod_calllogs::{
    CallLog, CallLogQuery, CallStatus, Client, Error, PagerOptions, ViolationKind,
};

const RECORDS: usize = 137;
const SEED: u64 = 11;

/// The faults that bear on what a walk receives.
const FAULTS: &[Fault] = &[
    Fault::OldestFirst,
    Fault::LastPageRepeat,
    Fault::PageWindowOverlap,
    Fault::PageWindowGap,
    Fault::CountDrifts,
    Fault::CountOffByOne,
    Fault::UnstableTies,
    Fault::PastLastPageRepeats,
    Fault::PageSizeCapped,
    Fault::IgnoreCallStatus,
    Fault::StartDateExclusive,
];

#[derive(Clone, Copy, Debug)]
enum Door {
    Stream { prefetch: usize },
    CollectAll { concurrency: usize },
    PagesAfterList { prefetch: usize },
    NextPageChain,
}

#[derive(Clone, Debug)]
struct Case {
    faults: Vec<Fault>,
    page_size_cap: Option<u32>,
    default_page_size: Option<u32>,
    past_last: PastLast,
    ignore_status: bool,
    live_inserts: u32,
    page_size: Option<u32>,
    missed_only: bool,
    door: Door,
}

impl Case {
    /// Whether the server keeps the contract in everything a walk relies on.
    fn faithful(&self) -> bool {
        self.faults.is_empty() && !self.ignore_status && self.live_inserts == 0
    }

    fn query(&self) -> CallLogQuery {
        let mut query = CallLogQuery::new();
        query.page_size = self.page_size;
        if self.missed_only {
            query = query.call_status(CallStatus::Missed);
        }
        query
    }
}

fn case() -> impl Strategy<Value = Case> {
    let door = prop_oneof![
        (0usize..=4).prop_map(|prefetch| Door::Stream { prefetch }),
        (1usize..=5).prop_map(|concurrency| Door::CollectAll { concurrency }),
        (0usize..=3).prop_map(|prefetch| Door::PagesAfterList { prefetch }),
        Just(Door::NextPageChain),
    ];
    (
        prop::sample::subsequence(FAULTS, 0..=2),
        prop::option::weighted(0.3, 3u32..40),
        prop::option::weighted(0.3, 5u32..30),
        prop_oneof![
            Just(PastLast::Empty),
            Just(PastLast::BadRequest),
            Just(PastLast::NotFound)
        ],
        prop::bool::weighted(0.15),
        prop_oneof![4 => Just(0u32), 1 => 1u32..3],
        prop::option::weighted(0.85, 1u32..60),
        any::<bool>(),
        door,
    )
        .prop_map(
            |(
                faults,
                page_size_cap,
                default_page_size,
                past_last,
                ignore_status,
                live_inserts,
                page_size,
                missed_only,
                door,
            )| Case {
                faults,
                page_size_cap,
                default_page_size,
                past_last,
                ignore_status,
                live_inserts,
                page_size,
                missed_only,
                door,
            },
        )
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Runtime::new().unwrap())
}

/// The faithful server's records for each of the two filters: the truth every case is held to.
fn truth(missed_only: bool) -> &'static Vec<CallLog> {
    static TRUTH: OnceLock<[Vec<CallLog>; 2]> = OnceLock::new();
    let both = TRUTH.get_or_init(|| {
        runtime().block_on(async {
            let server = calllogs_reference::start(ServerConfig::seeded(RECORDS, SEED))
                .await
                .unwrap();
            let client = common::client(&server);
            let all = CallLogQuery::new().page_size(1000);
            let everything = client.call_logs().collect_all(all.clone(), 1).await;
            let missed = all.call_status(CallStatus::Missed);
            let missed = client.call_logs().collect_all(missed, 1).await;
            [everything.unwrap(), missed.unwrap()]
        })
    });
    &both[usize::from(missed_only)]
}

async fn walk(client: &Client, case: &Case) -> Result<Vec<CallLog>, Error> {
    let query = case.query();
    let resource = client.call_logs();
    match case.door {
        Door::Stream { prefetch } => {
            let options = PagerOptions::new().prefetch(prefetch);
            resource.stream_with(query, options).try_collect().await
        }
        Door::CollectAll { concurrency } => resource.collect_all(query, concurrency).await,
        Door::PagesAfterList { prefetch } => {
            let page = resource.list(&query).await?;
            let mut records = page.data.clone();
            let options = PagerOptions::new().prefetch(prefetch);
            let mut pager = resource.pages_after(query, page, options)?;
            while let Some(more) = pager.next_page().await? {
                records.extend(more);
            }
            Ok(records)
        }
        Door::NextPageChain => {
            let mut page = HeldPage::fetch(client, query).await?;
            let mut records = page.page.data.clone();
            // A bound of its own: a chain of pages has no walk to stop it.
            for _ in 0..4 * RECORDS {
                match page.fetch_next(client).await? {
                    Some(next) => {
                        records.extend(next.page.data.iter().cloned());
                        page = next;
                    }
                    None => return Ok(records),
                }
            }
            panic!("the chain of pages did not end");
        }
    }
}

async fn server(case: &Case) -> ServerHandle {
    let mut ignored = Vec::new();
    if case.ignore_status {
        ignored.push(Filter::CallStatus);
    }
    let knobs = Knobs::default()
        .page_size_cap(case.page_size_cap)
        .default_page_size(case.default_page_size)
        .past_last(case.past_last)
        .ignored_filters(ignored)
        .live_inserts(case.live_inserts);
    let config = ServerConfig::seeded(RECORDS, SEED)
        .knobs(knobs)
        .faults(case.faults.clone());
    calllogs_reference::start(config).await.unwrap()
}

/// Records (newest first already) with those that share a `creation_time` in one fixed order:
/// the contract leaves their order to the server.
fn tie_order(mut records: Vec<CallLog>) -> Vec<CallLog> {
    records.sort_by_cached_key(|r| {
        (
            std::cmp::Reverse(r.creation_time),
            serde_json::to_string(r).unwrap(),
        )
    });
    records
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let truth = truth(case.missed_only);
    let result = runtime().block_on(async {
        let server = server(case).await;
        let client = common::builder(&server).max_retries(0).build().unwrap();
        walk(&client, case).await
    });
    if let Ok(records) = &result {
        prop_assert!(
            records
                .windows(2)
                .all(|w| w[0].creation_time >= w[1].creation_time),
            "{case:?}: records handed back out of order"
        );
    }
    match result.map(tie_order) {
        Ok(records) if case.live_inserts > 0 => {
            // Calls created during the walk may join it (at the newest instant); every record of
            // the truth comes exactly once, in order, and nothing else but new calls.
            let newest = truth.first().map(|r| r.creation_time);
            let old: Vec<&CallLog> = records
                .iter()
                .filter(|r| truth.contains(r) || Some(r.creation_time) < newest)
                .collect();
            let truth = tie_order(truth.clone());
            prop_assert_eq!(old, truth.iter().collect::<Vec<_>>(), "{:?}", case);
        }
        Ok(records) => prop_assert!(
            records == tie_order(truth.clone()),
            "{case:?}: {} records of {}",
            records.len(),
            truth.len()
        ),
        Err(error) => prop_assert!(
            !case.faithful(),
            "{case:?}: a faithful server gave an error: {error}"
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_door_hands_back_the_exact_records_or_an_error(case in case()) {
        check(&case)?;
    }
}

#[test]
fn the_servers_that_fooled_the_walk_before_now_end_it_with_an_error() {
    for fault in [
        Fault::OldestFirst,
        Fault::LastPageRepeat,
        Fault::CountDrifts,
        Fault::PageWindowGap,
    ] {
        for door in [
            Door::Stream { prefetch: 4 },
            Door::CollectAll { concurrency: 4 },
            Door::PagesAfterList { prefetch: 0 },
            Door::NextPageChain,
        ] {
            let case = Case {
                faults: vec![fault],
                page_size_cap: None,
                default_page_size: None,
                past_last: PastLast::Empty,
                ignore_status: false,
                live_inserts: 0,
                page_size: Some(25),
                missed_only: false,
                door,
            };
            let result = runtime().block_on(async {
                let server = server(&case).await;
                walk(&common::client(&server), &case).await
            });
            let error = result.expect_err(&format!("{fault} through {door:?}"));
            let expected = match fault {
                Fault::OldestFirst => ViolationKind::Order,
                Fault::LastPageRepeat => ViolationKind::RepeatedRecord,
                Fault::CountDrifts => ViolationKind::CountChanged,
                _ => ViolationKind::PageMismatch,
            };
            assert!(
                matches!(&error, Error::ServerContract(v) if v.kind == expected && v.page.is_some()),
                "{fault} through {door:?}: {error:?}"
            );
        }
    }
}
