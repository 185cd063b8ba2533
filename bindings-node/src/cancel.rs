//! How an async call crosses into JavaScript: a panic becomes a rejected promise, and an
//! `AbortSignal` drops the call.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::errors::panic;

/// Runs a future, turning a panic inside it into a rejected promise instead of a crash, and
/// dropping it (its request, its retries, its read-ahead) as soon as `cancel` is cancelled.
pub async fn guarded<T>(
    cancel: Option<&NativeCancel>,
    future: impl Future<Output = Result<T>>,
) -> Result<T> {
    use futures_util::FutureExt;
    let guarded = std::panic::AssertUnwindSafe(future)
        .catch_unwind()
        .map(|result| result.unwrap_or_else(|payload| Err(panic(payload.as_ref()))));
    let Some(cancel) = cancel else {
        return guarded.await;
    };
    let mut cancelled = cancel.sender.subscribe();
    tokio::select! {
        result = guarded => result,
        _ = cancelled.wait_for(|&cancelled| cancelled) => {
            Err(Error::new(Status::Cancelled, "the operation was aborted"))
        }
    }
}

/// The cancellation of one call: the JavaScript side trips it when the call's `AbortSignal` fires.
#[napi]
pub struct NativeCancel {
    sender: tokio::sync::watch::Sender<bool>,
}

#[napi]
impl NativeCancel {
    /// A cancellation not yet tripped.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            sender: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Stops the call: what it has in flight is dropped and nothing more is sent.
    #[napi]
    pub fn cancel(&self) {
        self.sender.send_replace(true);
    }
}
