//! The memory a compiled model holds after a 200,000-row batch stays
//! within a small bound, measured with a global allocator that counts the
//! bytes live (allocated and not yet freed) and their peak: a `predict`
//! holds one block's workspace and the output, a `forward_backward` one
//! block's workspace, and `release_memory` gives it back.
//!
//! One test in its own binary: the counter sees the whole process, so no
//! other test may run beside it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use dezero::compiled::block_bytes;
use dezero::prelude::*;
use ndarray::Array2;

#[path = "common/two_layer_net.rs"]
mod two_layer_net;
use two_layer_net::TwoLayerNet;

/// Counts the bytes live, and the most that were.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted as the new block allocated before the old one is freed,
        // which is what a moving realloc holds at its peak.
        grew(new_size);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Live bytes now, and the peak from now on.
fn mark() -> usize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

const ROWS: usize = 200_000;
const MIB: usize = 1 << 20;

#[test]
fn a_200k_row_batch_leaves_a_bounded_workspace_and_release_gives_it_back() {
    let x = Array2::from_shape_fn((ROWS, 1), |(i, _)| (i % 1000) as f32 / 1000.0);
    let t = x.mapv(|v| (2.0 * std::f32::consts::PI * v).sin());
    // A budget of 512 KiB rather than 4 MiB: the same bound on a smaller
    // model, which keeps this test quick in debug builds.
    dezero::compiled::set_block_bytes(MIB / 2);
    let mut m = TwoLayerNet::<f32>::new(4, 1);
    // Small batches first: initialised and warm.
    m.forward_backward(
        x.slice(ndarray::s![..100, ..]),
        t.slice(ndarray::s![..100, ..]),
    )
    .expect("fits");
    m.predict(x.slice(ndarray::s![..100, ..])).expect("fits");
    let budget = block_bytes();
    let plans = m.plan();
    let per_row = plans.predict.planned_bytes_per_row().expect("known");
    let train_per_row = plans.train.planned_bytes_per_row().expect("known");
    // What the workspace would hold for the whole batch: the bound below
    // means something.
    assert!(ROWS * per_row > 3 * budget, "{per_row} bytes a row");
    assert!(
        ROWS * train_per_row > 8 * budget,
        "{train_per_row} bytes a row"
    );

    // predict: one block's workspace, and the output (rows × 1 × 4 bytes)
    let out = ROWS * 4;
    let before = mark();
    let sum: f32 = m.predict(x.view()).expect("fits").sum();
    assert!(sum.is_finite());
    let held = live() - before;
    assert!(held <= budget + out + MIB / 4, "predict left {held} bytes");
    assert!(
        peak() - before <= budget + out + MIB / 4,
        "predict peaked at {} bytes",
        peak() - before
    );
    assert!(
        m.workspace_bytes() <= budget + out + MIB / 4,
        "{}",
        m.workspace_bytes()
    );
    // the next small batch lets the output go
    m.predict(x.slice(ndarray::s![..100, ..])).expect("fits");
    assert!(
        live() - before <= budget + MIB / 4,
        "{} bytes",
        live() - before
    );

    // training: one block's workspace, whatever the batch
    let before = mark();
    m.cleargrads();
    let loss = m.forward_backward(x.view(), t.view()).expect("fits");
    assert!(loss.is_finite());
    // Beside the workspace, the product kernels keep a per-thread scratch
    // buffer: the weight gradient of the one-output layer sums over the
    // block's rows, packing a panel of up to 32 columns for each.
    let scratch = plans.train.block_rows.expect("known") * 32 * 4;
    let held = live().saturating_sub(before);
    assert!(
        held <= budget + scratch + MIB / 4,
        "forward_backward left {held} bytes"
    );
    assert!(
        peak() - before <= budget + scratch + MIB / 4,
        "forward_backward peaked at {} bytes",
        peak() - before
    );

    // release: back to what a model without a workspace holds
    let bytes = m.workspace_bytes();
    assert!(bytes > 0);
    let before_release = live();
    m.release_memory();
    assert_eq!(m.workspace_bytes(), 0);
    assert_eq!(before_release - live(), bytes, "release freed all it held");
}
