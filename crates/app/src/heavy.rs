//! CPU-heavy work of a request (reading an uploaded file, checking its
//! rows) runs here: on Tokio's blocking pool, at most one job per core at a
//! time, so that the async threads stay free for every other request
//! (`/healthz`, pages, the API). A flood of uploads queues for a permit;
//! past `MAX_WAITING` jobs in the queue a request is answered 503 with
//! `Retry-After` instead of waiting without end. (Argon2 has its own,
//! similar queue in `auth.rs`, sized for its memory.)

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Jobs that may wait for a permit; more are refused with 503.
pub const MAX_WAITING: usize = 32;

static PERMITS: LazyLock<Semaphore> =
    LazyLock::new(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())));
static WAITING: AtomicUsize = AtomicUsize::new(0);
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many jobs are running on the blocking pool now. Tests read it to
/// see that other requests are answered while a job runs.
pub fn running() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

/// Counts a job as running until it returns (or panics).
struct Running;

impl Running {
    fn start() -> Self {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a job as waiting until it has its permit (or is dropped).
struct Waiting;

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs `work` on the blocking pool behind the limit.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let permit = {
        let waiting = Waiting;
        if WAITING.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            drop(waiting);
            return Err(AppError::Unavailable);
        }
        PERMITS
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.into()))?
    };
    let out = tokio::task::spawn_blocking(move || {
        let _running = Running::start();
        work()
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("a blocking job failed: {e}")))?;
    drop(permit);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The work runs outside the async threads: there, entering the
    /// runtime again is allowed (on an async thread it panics), even on a
    /// single-threaded runtime.
    #[tokio::test(flavor = "current_thread")]
    async fn work_runs_on_the_blocking_pool() {
        let handle = tokio::runtime::Handle::current();
        let got = run(move || handle.block_on(async { 7 })).await.unwrap();
        assert_eq!(got, 7);
    }

    /// Many jobs at once all finish (they queue for the permits), and the
    /// count of waiting jobs comes back to zero.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_queue_for_permits() {
        let jobs: Vec<_> = (0..MAX_WAITING / 2)
            .map(|i| tokio::spawn(run(move || i * 2)))
            .collect();
        let mut sum = 0;
        for j in jobs {
            sum += j.await.unwrap().unwrap();
        }
        assert_eq!(sum, (0..MAX_WAITING / 2).map(|i| i * 2).sum::<usize>());
        assert_eq!(WAITING.load(Ordering::SeqCst), 0);
    }
}
