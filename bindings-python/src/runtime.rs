//! The one tokio runtime of the module, and the three ways a Python call runs on it: blocking
//! with the GIL released and Ctrl-C let through, awaited from asyncio, or inside its context.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use tokio::runtime::{Handle, Runtime};
use unpod_calllogs::Error;
use unpod_calllogs::binding::log_level;

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
pub fn runtime(py: Python<'_>) -> Handle {
    if exiting_elsewhere() {
        py.detach(stay_out_while_exiting);
    }
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

/// The thread that runs the interpreter's exit (the one that ran [`_shutdown`]), once it has begun.
static EXITING: OnceLock<std::thread::ThreadId> = OnceLock::new();

/// Called with the GIL released, as a blocking call is about to take it back. Once the interpreter
/// has begun to exit, any other thread (a daemon thread still reading call logs) would take the GIL
/// back while the interpreter is torn down, which crashed the process; such a thread waits here
/// instead, until the process ends.
fn stay_out_while_exiting() {
    if exiting_elsewhere() {
        park_forever();
    }
}

fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// How many threads are in [`wait`] (and not parked for good): the exit waits for them to go back
/// to Python or to park, so that none is still taking the GIL back when the interpreter is torn
/// down.
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// [`stay_out_while_exiting`] for a thread counted in [`WAITING`].
fn leave_while_exiting() {
    if exiting_elsewhere() {
        WAITING.fetch_sub(1, Ordering::SeqCst);
        park_forever();
    }
}

/// Registered with `os.register_at_fork(after_in_child=...)`: the threads a forked child inherits
/// the count of are not in it (its one thread is the one that forked, in Python code), so its exit
/// does not wait for them.
#[pyfunction]
pub fn _after_fork_in_child() {
    WAITING.store(0, Ordering::SeqCst);
}

/// Whether the interpreter has begun to exit on another thread than this one.
pub fn exiting_elsewhere() -> bool {
    EXITING
        .get()
        .is_some_and(|exiting| *exiting != std::thread::current().id())
}

/// Stops the runtime and joins its threads; registered with `atexit`, which runs before the
/// interpreter starts to finalize. A runtime thread that touched Python during finalization (to
/// settle an awaitable, to log) crashed the process; after this, no such thread exists. A forked
/// child's copy of its parent's runtime is left alone.
#[pyfunction]
pub fn _shutdown(py: Python<'_>) {
    let _ = EXITING.set(std::thread::current().id());
    let owned = RUNTIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    py.detach(|| {
        match owned {
            Some(owned) if owned.pid == std::process::id() => {
                owned.runtime.shutdown_timeout(SHUTDOWN_GRACE);
            }
            stale => std::mem::forget(stale),
        }
        // The GIL is free meanwhile: each thread still in `wait` goes back to Python or parks.
        let deadline = std::time::Instant::now() + SHUTDOWN_GRACE;
        while WAITING.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Runs a future to completion with the GIL released, waking every 100 ms for Ctrl-C. A panic
/// inside becomes a `CallLogsError`.
pub fn wait<T: Send>(
    py: Python<'_>,
    future: impl Future<Output = Result<T, Error>> + Send,
) -> PyResult<T> {
    wait_raising(py, future)
}

/// [`wait`] for a future whose error is another than the core's.
pub fn wait_raising<T: Send, E: errors::Raise + Send>(
    py: Python<'_>,
    future: impl Future<Output = Result<T, E>> + Send,
) -> PyResult<T> {
    WAITING.fetch_add(1, Ordering::SeqCst);
    let result = wait_counted(py, future);
    WAITING.fetch_sub(1, Ordering::SeqCst);
    result
}

fn wait_counted<T: Send, E: errors::Raise + Send>(
    py: Python<'_>,
    future: impl Future<Output = Result<T, E>> + Send,
) -> PyResult<T> {
    if exiting_elsewhere() {
        py.detach(leave_while_exiting);
    }
    let mut future = Box::pin(AssertUnwindSafe(future).catch_unwind());
    let runtime = runtime(py);
    loop {
        let step = py.detach(|| {
            let step = std::panic::catch_unwind(AssertUnwindSafe(|| {
                runtime.block_on(async { tokio::time::timeout(SIGNAL_TICK, &mut future).await })
            }));
            leave_while_exiting();
            step
        });
        match step {
            Ok(Ok(Ok(result))) => return result.map_err(|e| e.raise(py)),
            Ok(Ok(Err(panic))) | Err(panic) => return Err(errors::panic(py, &panic)),
            Ok(Err(_)) => py.check_signals()?,
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
    /// The process whose runtime runs the task.
    pid: u32,
}

#[pymethods]
impl NativeTask {
    fn cancel(&self) {
        // In a forked child the task is the parent's, on a runtime with no threads here:
        // scheduling its abort could wait on a lock a thread of the parent held at the fork.
        if self.pid == std::process::id() {
            self.task.abort();
        }
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
    awaitable_raising(py, settle, future)
}

/// [`awaitable`] for a future whose error is another than the core's.
pub fn awaitable_raising<T, E>(
    py: Python<'_>,
    settle: Py<PyAny>,
    future: impl Future<Output = Result<T, E>> + Send + 'static,
) -> NativeTask
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    E: errors::Raise + Send + 'static,
{
    let task = runtime(py).spawn(async move {
        let result = AssertUnwindSafe(future).catch_unwind().await;
        Python::attach(|py| {
            let outcome = match result {
                Ok(Ok(value)) => value.into_py_any(py).map(|value| (true, value)),
                Ok(Err(error)) => Ok((false, error.raise(py).into_value(py).into_any())),
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
        pid: std::process::id(),
    }
}

/// Empties a walk's slot on the runtime (waiting for a call in progress to finish with it), which
/// drops the walk and its read-ahead.
pub fn close_later<T: Send + 'static>(py: Python<'_>, slot: Arc<tokio::sync::Mutex<Option<T>>>) {
    runtime(py).spawn(async move { slot.lock().await.take() });
}

/// Rust's log records, forwarded to Python's `logging` (a dependency's at `DEBUG`, see
/// [`log_level`]): except, once the interpreter has begun to
/// exit, from any other thread, where taking the GIL would end the thread inside native code (the
/// interpreter ends such threads as they take it) and crash the process.
struct Logger(pyo3_log::Logger);

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        let level = log_level(metadata.target(), metadata.level());
        let metadata = log::Metadata::builder()
            .level(level)
            .target(metadata.target())
            .build();
        !exiting_elsewhere() && self.0.enabled(&metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        if exiting_elsewhere() {
            return;
        }
        let level = log_level(record.target(), record.level());
        self.0.log(
            &log::Record::builder()
                .level(level)
                .target(record.target())
                .args(*record.args())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {
        if !exiting_elsewhere() {
            self.0.flush();
        }
    }
}

/// Installs [`Logger`], at the level `pyo3_log` uses by default (Python's own level filters on).
pub fn install_logger(py: Python<'_>) -> PyResult<()> {
    let logger = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)?
        .filter(log::LevelFilter::Debug);
    log::set_boxed_logger(Box::new(Logger(logger)))
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    log::set_max_level(log::LevelFilter::Debug);
    Ok(())
}
