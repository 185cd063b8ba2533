//! The one tokio runtime of the module, and the three ways a Python call runs on it: blocking
//! with the GIL released and Ctrl-C let through, awaited from asyncio, or inside its context.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use tokio::runtime::{Handle, Runtime};
use unpod_calllogs::Error;

use crate::errors;

/// How often a blocking call wakes to let Ctrl-C through.
const SIGNAL_TICK: Duration = Duration::from_millis(100);
/// How long the runtime's threads get to stop when the interpreter exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The runtime of the process that started it.
struct Owned {
    pid: u32,
    runtime: Runtime,
}

/// The runtime every call of the module runs on, owned here so that [`_shutdown`] can stop it.
/// It is locked only by a thread that holds the GIL, as `os.fork` does: no fork finds it locked.
static RUNTIME: Mutex<Option<Owned>> = Mutex::new(None);

/// The runtime of this process (the GIL held, as `py` shows). A process forked from one that had
/// started it finds a copy without threads: that copy is forgotten (stopping it would wait for
/// threads that do not exist here, and unregister the parent's sockets from the event loop it
/// shares with the parent), and this process starts its own.
pub fn runtime(_py: Python<'_>) -> Handle {
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    if let Some(owned) = slot.as_ref().filter(|owned| owned.pid == pid) {
        return owned.runtime.handle().clone();
    }
    std::mem::forget(slot.take());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("unpod-calllogs")
        .build()
        .expect("the async runtime of unpod-calllogs cannot start");
    let handle = runtime.handle().clone();
    *slot = Some(Owned { pid, runtime });
    handle
}

/// Stops the runtime and joins its threads; registered with `atexit`, which runs before the
/// interpreter starts to finalize. A runtime thread that touched Python during finalization (to
/// settle an awaitable, to log) crashed the process; after this, no such thread exists. A forked
/// child's copy of its parent's runtime is left alone.
#[pyfunction]
pub fn _shutdown(py: Python<'_>) {
    let owned = RUNTIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    match owned {
        Some(owned) if owned.pid == std::process::id() => {
            py.detach(|| owned.runtime.shutdown_timeout(SHUTDOWN_GRACE));
        }
        stale => std::mem::forget(stale),
    }
}

/// Runs a future to completion with the GIL released, waking every 100 ms for Ctrl-C. A panic
/// inside becomes a `CallLogsError`.
pub fn wait<T: Send>(
    py: Python<'_>,
    future: impl Future<Output = Result<T, Error>> + Send,
) -> PyResult<T> {
    let mut future = Box::pin(AssertUnwindSafe(future).catch_unwind());
    let runtime = runtime(py);
    loop {
        let step = py.detach(|| {
            runtime.block_on(async { tokio::time::timeout(SIGNAL_TICK, &mut future).await })
        });
        match step {
            Ok(Ok(result)) => return result.map_err(|e| errors::to_py(py, e)),
            Ok(Err(panic)) => return Err(errors::panic(py, &panic)),
            Err(_) => py.check_signals()?,
        }
    }
}

/// Runs `f` inside the shared runtime's context; a panic becomes a `CallLogsError`.
pub fn guarded<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let runtime = runtime(py);
    let _context = runtime.enter();
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|panic| Err(errors::panic(py, &panic)))
}

/// A native call running on the runtime for an awaiting coroutine; `cancel` drops it (its request
/// and retries) when the coroutine is cancelled.
#[pyclass(frozen, module = "unpod_calllogs._native")]
pub struct NativeTask {
    task: tokio::task::AbortHandle,
}

#[pymethods]
impl NativeTask {
    fn cancel(&self) {
        self.task.abort();
    }
}

/// Runs a future on the shared runtime; when it ends, `settle(ok, value)` is called with its
/// result or its exception (the Python side hands that to the event loop that awaits it).
pub fn awaitable<T>(
    py: Python<'_>,
    settle: Py<PyAny>,
    future: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> NativeTask
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let task = runtime(py).spawn(async move {
        let result = AssertUnwindSafe(future).catch_unwind().await;
        Python::attach(|py| {
            let outcome = match result {
                Ok(Ok(value)) => value.into_py_any(py).map(|value| (true, value)),
                Ok(Err(error)) => Ok((false, errors::to_py(py, error).into_value(py).into_any())),
                Err(panic) => Ok((false, errors::panic(py, &panic).into_value(py).into_any())),
            };
            let (ok, value) = outcome.unwrap_or_else(|e| (false, e.into_value(py).into_any()));
            if let Err(error) = settle.call1(py, (ok, value)) {
                error.write_unraisable(py, None);
            }
        });
    });
    NativeTask {
        task: task.abort_handle(),
    }
}

/// Empties a walk's slot on the runtime (waiting for a call in progress to finish with it), which
/// drops the walk and its read-ahead.
pub fn close_later<T: Send + 'static>(py: Python<'_>, slot: Arc<tokio::sync::Mutex<Option<T>>>) {
    runtime(py).spawn(async move { slot.lock().await.take() });
}
