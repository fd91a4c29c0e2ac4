//! # Memory
//!
//! A define-by-run graph keeps every intermediate value it computed alive
//! for as long as the graph lives — DeZero's lesson of steps 42–45, where
//! `mean_squared_error` written as composed ops keeps what the one-Function
//! version does not. A compiled model keeps nothing unnamed: after a pass
//! it holds its parameters, their gradients, and one workspace.
//!
//! ## The workspace
//!
//! Each model owns a workspace: one slab of elements cut into the buffer
//! slots of its plan. The compiler gives each intermediate value a slot
//! and lets values whose lives do not overlap share one, so a pass needs
//! far less than a naive plan keeping every intermediate; `plan()` prints
//! both, in bytes per batch row. A pass over `N` rows uses `N` times its
//! plan's bytes per row; the training and inference passes share the slab.
//! An input that is not contiguous in memory (a column slice, a transposed
//! view) is first copied into a side buffer of the workspace. A nested
//! model has a workspace of its own; a define-by-run node
//! ([`generated`](super::generated#the-layer-impl-a-define-by-run-node))
//! holds a copy of the model (the same parameters, a fresh workspace) for
//! as long as its graph lives.
//!
//! The workspace **grows** when a batch larger than any before arrives and
//! keeps that size for the life of the model: smaller batches afterwards
//! reuse it. To bound the memory of a prediction on a very large input,
//! feed the input to `predict` in row blocks (the example below). The
//! workspace's current size in bytes is
//! [`CompiledModel::workspace_bytes`](crate::compiled::CompiledModel::workspace_bytes),
//! counting the workspaces of nested models.
//!
//! ## Allocation-free steps
//!
//! Once warm — after a step on a batch at least as large — a training step
//! allocates nothing: `cleargrads()` sets each gradient array aside rather
//! than freeing it, `forward_backward` computes in the workspace and writes
//! the gradients into those arrays, and an `SGD` or `Adam` update works in
//! place. A warm `predict` allocates nothing either. A counting allocator
//! shows it:
//!
//! ```
//! use std::alloc::{GlobalAlloc, Layout, System};
//! use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
//!
//! use dezero::compiled::CompiledModel; // for `workspace_bytes`
//! use dezero::prelude::*;
//! use ndarray::{s, Array2, Axis};
//!
//! /// Counts every byte allocated.
//! struct Counting;
//! static BYTES: AtomicUsize = AtomicUsize::new(0);
//! unsafe impl GlobalAlloc for Counting {
//!     unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
//!         BYTES.fetch_add(layout.size(), Relaxed);
//!         unsafe { System.alloc(layout) }
//!     }
//!     unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
//!         unsafe { System.dealloc(ptr, layout) }
//!     }
//! }
//! #[global_allocator]
//! static GLOBAL: Counting = Counting;
//!
//! model! {
//!     /// The book's TwoLayerNet (step 45).
//!     pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
//!         l1: Linear(hidden_size),
//!         l2: Linear(out_size),
//!     }
//!     fn forward(x) {
//!         l2(sigmoid(l1(x)))
//!     }
//!     fn loss(y, t) {
//!         mean_squared_error(y, t)
//!     }
//! }
//!
//! fn main() -> dezero::Result<()> {
//!     let x = Array2::from_shape_fn((100, 1), |(i, _)| i as f32 / 100.0);
//!     let t = x.mapv(|v| (2.0 * std::f32::consts::PI * v).sin());
//!     let mut model = TwoLayerNet::<f32>::new(10, 1);
//!     let mut optimizer = SGD::new(0.2);
//!     optimizer.setup(&model);
//!
//!     // The first step grows the workspace and creates the gradients.
//!     model.cleargrads();
//!     model.forward_backward(x.view(), t.view())?;
//!     optimizer.update();
//!     let per_row = model.plan().train.planned_bytes_per_row().expect("widths known");
//!     assert_eq!(model.workspace_bytes(), 100 * per_row);
//!
//!     let before = BYTES.load(Relaxed);
//!     for _ in 0..10 {
//!         model.cleargrads();
//!         model.forward_backward(x.view(), t.view())?;
//!         optimizer.update();
//!     }
//!     // A smaller batch, and predictions, reuse the same workspace.
//!     model.forward_backward(x.slice(s![..50, ..]), t.slice(s![..50, ..]))?;
//!     model.predict(x.view())?;
//!     assert_eq!(BYTES.load(Relaxed), before, "warm steps allocated");
//!
//!     // 10,000 rows predicted in blocks of 100: the workspace does not grow.
//!     let big = Array2::from_shape_fn((10_000, 1), |(i, _)| i as f32 / 10_000.0);
//!     let mut y = Vec::with_capacity(big.nrows());
//!     for block in big.axis_chunks_iter(Axis(0), 100) {
//!         y.extend(model.predict(block)?.iter().copied());
//!     }
//!     assert_eq!(y.len(), 10_000);
//!     assert_eq!(model.workspace_bytes(), 100 * per_row);
//!     Ok(())
//! }
//! ```
//!
//! ## Two threads
//!
//! One thread by default. [`kernels::set_threads(2)`](crate::kernels::set_threads)
//! (or `DEZERO_THREADS=2`) lets the kernels use a second thread, started
//! once, shared by the whole process, and reused:
//!
//! - a matrix product of at least
//!   [`PARALLEL_MIN_WORK`](crate::kernels::PARALLEL_MIN_WORK) multiply-adds
//!   gives half its rows to the second thread;
//! - a training pass whose products are each smaller than that, but which
//!   has at least [`SPLIT_MIN_ROWS`](crate::compiled::SPLIT_MIN_ROWS) rows
//!   and [`SPLIT_MIN_WORK`](crate::compiled::SPLIT_MIN_WORK) multiply-adds
//!   in all, is split by rows: each thread runs the whole fused pass on
//!   half the batch, in a workspace of its own (the second thread's is held
//!   by the model too), and the second thread's gradients are added to the
//!   parameters' afterwards. A model that nests another is not split this
//!   way. The decision is [`split_point`](crate::compiled::split_point).
//!
//! A split step still allocates nothing once warm. Its gradients are summed
//! in another order than on one thread, so their last bits can differ from
//! a one-thread step; two-thread runs repeat exactly.
//! `tests/compiled_threads.rs` checks both.
//!
//! ```
//! use dezero::compiled::{split_point, SPLIT_MIN_ROWS};
//! use dezero::kernels::set_threads;
//!
//! // Three 128-wide layers: per row, 128 · 128 multiply-adds for each of
//! // the three forward products, the three weight gradients and the two
//! // input gradients (the model's input needs none).
//! let (work, largest) = (8 * 128 * 128, 128 * 128);
//! set_threads(1);
//! assert_eq!(split_point(256, work, largest), None);
//! set_threads(2);
//! assert_eq!(split_point(256, work, largest), Some(128));
//! assert_eq!(split_point(SPLIT_MIN_ROWS - 1, work, largest), None); // too few rows
//! assert_eq!(split_point(256, 64, 64), None); // too little work
//! set_threads(1);
//! ```
