//! A warm compiled training step split between two threads allocates
//! nothing on either: with a global allocator that counts every thread's
//! allocations, after one warm-up step, 100 steps of `cleargrads` +
//! `forward_backward` + `SGD` update allocate 0 bytes.
//!
//! One test in its own binary: the counter sees the whole process, so no
//! other test may run beside it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use dezero::prelude::*;
use ndarray::Ix2;

/// Counts the bytes allocated by every thread while armed.
struct Counting;

static ARMED: AtomicBool = AtomicBool::new(false);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.load(Ordering::Relaxed) {
            BYTES.fetch_add(new_size, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[path = "common/deep.rs"]
mod deep;
use deep::Deep;

#[test]
fn a_warm_split_step_allocates_nothing_on_either_thread() {
    dezero::kernels::set_threads(2);
    random::seed(0);
    // W3's model on 256 rows (W3's own 32 are not split).
    let data = |cols: usize| {
        random::rand(&[256, cols])
            .into_dimensionality::<Ix2>()
            .expect("2-d")
            .mapv(|v| v as f32)
    };
    let (x, t) = (data(64), data(1));
    let mut m = Deep::<f32>::new(64);
    let mut opt = SGD::new(0.01);
    opt.setup(&m);
    let mut step = |m: &mut Deep<f32>| {
        m.cleargrads();
        m.forward_backward(x.view(), t.view()).expect("fits");
        opt.update();
    };
    step(&mut m);
    BYTES.store(0, Ordering::Relaxed);
    ARMED.store(true, Ordering::Relaxed);
    for _ in 0..100 {
        step(&mut m);
    }
    ARMED.store(false, Ordering::Relaxed);
    let bytes = BYTES.load(Ordering::Relaxed);
    assert_eq!(bytes, 0, "100 warm split steps allocated {bytes} bytes");
    // The steps were split: the helper's workspace is in use, which one
    // thread's pass leaves empty.
    dezero::kernels::set_threads(1);
    let mut one = Deep::<f32>::new(64);
    one.forward_backward(x.view(), t.view()).expect("fits");
    assert!(m.workspace_bytes() > one.workspace_bytes());
}
