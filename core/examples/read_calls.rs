//! Reads call logs with the settings in the environment and prints them.
//!
//! ```text
//! UNPOD_PLATFORM_TOKEN=... UNPOD_ORG_HANDLE=... [UNPOD_BASE_URL=...] \
//!     cargo run --example read_calls -- [PAGE_SIZE] [LIMIT]
//! ```

use futures_util::TryStreamExt;
use unpod_calllogs::{CallLogQuery, Client, PagerOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u32>());
    let page_size = args.next().transpose()?.unwrap_or(20);
    let limit = args.next().transpose()?.unwrap_or(10);

    let client = Client::from_env()?;
    let query = CallLogQuery::new().page_size(page_size);
    let first = client.call_logs().list(&query).await?;
    println!("{} call logs in total; the newest {limit}:", first.count);
    let options = PagerOptions::new().limit(u64::from(limit)).prefetch(1);
    let mut calls = client.call_logs().stream_with(query, options);
    while let Some(call) = calls.try_next().await? {
        println!(
            "{}  {:<8} {:<9} {:>5}s  {} -> {}",
            call.creation_time.format("%Y-%m-%d %H:%M:%S"),
            call.call_type,
            call.call_status,
            call.call_duration,
            call.source_number.as_deref().unwrap_or("-"),
            call.destination_number.as_deref().unwrap_or("-"),
        );
    }
    Ok(())
}
