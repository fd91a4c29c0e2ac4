//! The optional second thread: of the large matrix products, the large
//! SGD steps, and the compiled training passes split by batch rows.
//!
//! One thread by default. With [`set_threads`]`(2)` (or `DEZERO_THREADS=2`
//! in the environment), a helper thread is started once and then reused:
//!
//! - a product of at least [`PARALLEL_MIN_WORK`] multiply-adds gives it half
//!   its rows;
//! - so does an SGD step of a parameter of at least
//!   [`SGD_PARALLEL_MIN`](super::SGD_PARALLEL_MIN) elements (bound by
//!   memory bandwidth);
//! - a compiled training pass gives it half the batch
//!   ([`compiled::split_point`](crate::compiled::split_point)).
//!
//! Small products and parameters never use it (the hand-off would cost more
//! than they take). Handing it work allocates nothing, so a warm training
//! step stays allocation-free, and costs a fraction of a microsecond while
//! the helper is awake: it spins for [`SPIN`] after each job before it
//! sleeps.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

/// The fewest multiply-adds (`m·k·n`) for which a product is split between
/// two threads: about a millisecond of work, against a wake-up of tens of
/// microseconds.
pub const PARALLEL_MIN_WORK: usize = 1 << 24;

/// 0: not yet read from the environment.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets how many threads a large matrix product may use: 1 (the default) or
/// 2 (more are treated as 2).
///
/// ```
/// dezero_runtime::kernels::set_threads(2);
/// assert_eq!(dezero_runtime::kernels::threads(), 2);
/// dezero_runtime::kernels::set_threads(1);
/// ```
pub fn set_threads(n: usize) {
    THREADS.store(n.clamp(1, 2), Ordering::Relaxed);
}

/// How many threads a large matrix product may use: as [`set_threads`]
/// left it, or `DEZERO_THREADS` from the environment, or 1.
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = std::env::var("DEZERO_THREADS")
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(1)
                .clamp(1, 2);
            THREADS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// A job for the helper: a closure that borrows the caller's stack, with
/// the borrow's lifetime erased. Sound because [`join`] does not return (or
/// unwind) before the helper has finished with it.
#[derive(Clone, Copy)]
struct Job(*const (dyn Fn() + Sync + 'static));

// SAFETY: the closure is `Sync`, so calling it from the helper thread is
// allowed; the pointer stays valid while the helper may use it (see `Job`).
unsafe impl Send for Job {}

/// How long the helper, and a caller waiting for it, spin before they
/// sleep. Waking a sleeping thread through the kernel costs about 40 µs on
/// the machines measured (a condition-variable round trip), a spinning one
/// about 0.15 µs; a training loop posts work far more often than this, so
/// the helper stays awake while one runs and sleeps soon after it ends.
const SPIN: std::time::Duration = std::time::Duration::from_millis(2);

/// Spins until `ready()` or [`SPIN`] has passed; returns whether `ready()`.
fn spin_until(ready: impl Fn() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        for _ in 0..64 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        if start.elapsed() >= SPIN {
            return ready();
        }
    }
}

#[derive(Default)]
struct Slot {
    job: Option<Job>,
    panicked: bool,
    /// The helper sleeps on `ready` (a poster must notify it).
    helper_asleep: bool,
    /// The caller sleeps on `done` (the helper must notify it).
    caller_asleep: bool,
}

struct Helper {
    slot: Mutex<Slot>,
    ready: Condvar,
    done: Condvar,
    /// How many jobs were posted; the helper spins on it.
    posted: AtomicUsize,
    /// How many jobs were finished; the caller spins on it.
    finished: AtomicUsize,
    /// Held by the thread that is using the helper.
    busy: Mutex<()>,
}

/// The helper, started at the first use.
fn helper() -> Option<&'static Helper> {
    static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();
    *HELPER.get_or_init(|| {
        let h: &'static Helper = Box::leak(Box::new(Helper {
            slot: Mutex::new(Slot::default()),
            ready: Condvar::new(),
            done: Condvar::new(),
            posted: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            busy: Mutex::new(()),
        }));
        std::thread::Builder::new()
            .name("dezero-kernels".to_string())
            .spawn(move || serve(h))
            .ok()
            .map(|_| h)
    })
}

/// Takes the next job: spins while it may come soon, then sleeps.
fn next_job(h: &Helper, seen: usize) -> Job {
    spin_until(|| h.posted.load(Ordering::Acquire) != seen);
    let mut s = h.slot.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(job) = s.job.take() {
            s.helper_asleep = false;
            return job;
        }
        s.helper_asleep = true;
        s = h.ready.wait(s).unwrap_or_else(PoisonError::into_inner);
    }
}

fn serve(h: &'static Helper) {
    let mut seen = 0;
    loop {
        let job = next_job(h, seen);
        seen += 1;
        // SAFETY: `join` keeps the closure alive until `finished` reaches
        // `seen` below (see `Job`).
        let run = || unsafe { (*job.0)() };
        let panicked = catch_unwind(AssertUnwindSafe(run)).is_err();
        let mut s = h.slot.lock().unwrap_or_else(PoisonError::into_inner);
        s.panicked = panicked;
        h.finished.store(seen, Ordering::Release);
        if s.caller_asleep {
            h.done.notify_all();
        }
    }
}

/// Waits for the helper's job number `n` when dropped, so that `join` does
/// not return or unwind while the helper still uses the caller's closure.
struct Wait(&'static Helper, usize);

impl Drop for Wait {
    fn drop(&mut self) {
        let Wait(h, n) = *self;
        if spin_until(|| h.finished.load(Ordering::Acquire) == n) {
            return;
        }
        let mut s = h.slot.lock().unwrap_or_else(PoisonError::into_inner);
        while h.finished.load(Ordering::Acquire) != n {
            s.caller_asleep = true;
            s = h.done.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        s.caller_asleep = false;
    }
}

/// Runs `a` on the helper thread and `b` on this one, and returns when both
/// are done. Runs both here, one after the other, when the helper cannot
/// be started or another thread is using it.
///
/// # Panics
/// If `a` or `b` panics (after both have finished).
pub(crate) fn join(a: &(dyn Fn() + Sync), b: impl FnOnce()) {
    let Some(h) = helper() else {
        a();
        return b();
    };
    let Ok(_busy) = h.busy.try_lock() else {
        a();
        return b();
    };
    let ptr: *const (dyn Fn() + Sync + '_) = a;
    // SAFETY: only the lifetime changes; `Wait` below keeps `a` borrowed
    // until the helper is done with it (see `Job`).
    let ptr: *const (dyn Fn() + Sync + 'static) = unsafe { std::mem::transmute(ptr) };
    // Only the holder of `busy` posts, so this is the job's number.
    let n = h.posted.load(Ordering::Relaxed) + 1;
    {
        let mut s = h.slot.lock().unwrap_or_else(PoisonError::into_inner);
        s.job = Some(Job(ptr));
        s.panicked = false;
        h.posted.store(n, Ordering::Release);
        if s.helper_asleep {
            h.ready.notify_one();
        }
    }
    let wait = Wait(h, n);
    b();
    drop(wait);
    let panicked = h
        .slot
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .panicked;
    assert!(
        !panicked,
        "the job given to the helper thread panicked (see its message above)"
    );
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn both_halves_run_and_see_the_callers_data() {
        let data = [1_usize, 2, 3, 4];
        let (left, right) = (AtomicUsize::new(0), AtomicUsize::new(0));
        for _ in 0..100 {
            left.store(0, Ordering::Relaxed);
            right.store(0, Ordering::Relaxed);
            super::join(
                &|| left.store(data[..2].iter().sum(), Ordering::Relaxed),
                || right.store(data[2..].iter().sum(), Ordering::Relaxed),
            );
            assert_eq!(left.load(Ordering::Relaxed), 3);
            assert_eq!(right.load(Ordering::Relaxed), 7);
        }
    }

    #[test]
    fn a_panic_on_the_helper_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| super::join(&|| panic!("boom"), || ()));
        assert!(r.is_err());
        // The helper is still there afterwards.
        let x = AtomicUsize::new(0);
        super::join(&|| x.store(1, Ordering::Relaxed), || ());
        assert_eq!(x.load(Ordering::Relaxed), 1);
    }
}
