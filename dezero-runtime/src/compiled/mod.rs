//! Runtime support for the code that `model!` generates: the workspace its
//! buffers live in ([`Workspace`]), where parameter gradients go
//! ([`GradSink`]), the trait a compiled model implements so that another
//! compiled model can nest it and a define-by-run graph can call it
//! ([`CompiledModel`]), with the define-by-run node whose backward is the
//! fused backward ([`CompiledNode`]), and the plan description a compiled
//! model prints ([`Plans`]), the non-finite check of its passes
//! (`check.rs`), what its methods accept as a batch ([`Batch`]) and
//! refuse (`input.rs`), and the running of a large batch in row blocks,
//! which keeps the workspace bounded ([`block_rows`], [`set_block_bytes`]).
//!
//! Users meet these types through a compiled model's methods
//! (`plan()`, `forward`, `workspace_bytes()`, `release_memory()`); the
//! generated code reaches them through `dezero::__private`.
//!
//! # Threads: Send and Sync
//!
//! **What is `Send` and `Sync`.** Every `model!` type (`f32` or `f64`,
//! nesting other `model!` types or not) is `Send` and `Sync`, and so is
//! everything it is built from and trained with:
//! [`Variable`](crate::Variable) and [`Parameter`](crate::Parameter) (an
//! `Arc` around an `atomic_refcell::AtomicRefCell`), every
//! [`Layer`](crate::Layer) (the trait requires both, so
//! [`Linear`](crate::Linear), [`Sequential`](crate::Sequential) and
//! [`MLP`](crate::MLP) are too), the optimizers ([`SGD`](crate::SGD),
//! [`Adam`](crate::Adam), …; a [`Hook`](crate::Hook) need only be `Send`),
//! the recorded graph (a [`Function`](crate::Function) is `Send + Sync`),
//! the [`Workspace`], the [`Plans`] and [`Error`](crate::Error). A
//! compiled model's workspace is plain vectors; its layers hold
//! Parameters.
//!
//! **Moving a model** to another thread is what `Send` is for: build it
//! here, move it with its optimizer into `std::thread::spawn`, train it
//! there, and send both back. The same steps give the same results to the
//! bit on any thread. A define-by-run model, as here, and a `model!` one
//! (with `forward_backward`) move alike.
//!
//! ```
//! // Step 45's training loop, run on another thread.
//! use dezero_runtime::functions::mean_squared_error;
//! use dezero_runtime::{models::MLP, optimizers::{Optimizer, SGD}, Layer, Variable};
//! let model = MLP::<f64>::new(&[10, 1]);
//! let mut optimizer = SGD::new(0.2);
//! optimizer.setup(&model);
//! let x = ndarray::Array2::from_shape_fn((20, 1), |(i, _)| i as f64 / 20.0).into_dyn();
//! let (x, t) = (Variable::new(x.clone()), Variable::new(x.mapv(f64::sin)));
//! let (model, first, last) = std::thread::spawn(move || {
//!     let mut losses = Vec::new();
//!     for _ in 0..10 {
//!         model.cleargrads();
//!         let loss = mean_squared_error(&model.forward(&x), &t);
//!         loss.backward();
//!         optimizer.update();
//!         losses.push(loss.data()[[]]);
//!     }
//!     (model, losses[0], losses[9])
//! })
//! .join()
//! .expect("the training thread does not panic");
//! assert!(last < first);
//! assert_eq!(model.params().len(), 4);
//! ```
//!
//! **Sharing a model** between threads is what `Sync` is for, and is safe
//! for reading: several threads may call `Layer::forward` on one `&model`
//! (a compiled model called this way copies its workspace), read
//! parameters, or save weights, at once. Training takes `&mut self`
//! (`forward_backward`, `predict`, [`Optimizer::update`](crate::Optimizer))
//! so the compiler keeps two threads from training one model through
//! references. But Parameters are shared handles: clones of one, an
//! optimizer set up on a model, or the models that
//! [`CompiledModel::share`] makes, reach the same Parameter from several
//! places, and so possibly from several threads.
//!
//! # Panics
//!
//! When two threads use one Parameter (or any one Variable) at the same
//! moment and one of them writes to it — a training step adding its
//! gradient, an optimizer's update, `set_data`, loading weights — the
//! later borrow panics with `AtomicRefCell`'s "already borrowed" message
//! instead of waiting for the other thread or racing with it. Memory is
//! never raced, but whether it panics depends on timing: when the two
//! uses happen not to overlap there is no panic, and the gradients or
//! updates of the two threads interleave. So do not train one set of
//! Parameters from two threads: give each thread its own model (build a
//! second one and copy the weights), or put the shared one behind a
//! `Mutex`. Reading from several threads at once never panics.
//!
//! **What is per thread.** The configuration switches
//! ([`no_grad`](crate::no_grad), [`test_mode`](crate::test_mode),
//! [`using_backprop`](crate::using_backprop)) are thread-local: a guard
//! changes only its own thread, and a new thread starts with backprop
//! enabled in training mode. The global random stream is per thread too
//! ([`random::with_global`](crate::random::with_global)): a new thread's
//! starts from [`DEFAULT_SEED`](crate::random::DEFAULT_SEED), whatever was
//! seeded elsewhere, so a model whose layers are initialised lazily gets
//! the weights of the thread that first calls it (build it with
//! `with_rng`, or call `random::seed` in that thread). Kernels' scratch
//! buffers are per thread. The thread count of large matrix products is
//! **not** per thread: [`kernels::set_threads`](crate::kernels::set_threads)
//! sets it for the whole process, and the one helper thread is shared (a
//! thread that finds it busy computes the whole product itself, with the
//! same result, as the helper takes whole rows).

mod blocks;
mod check;
mod grads;
mod input;
mod model;
mod plan;
mod split;
mod targets;
mod workspace;

pub use blocks::*;
pub use check::*;
pub use grads::*;
pub use input::*;
pub use model::*;
pub use plan::*;
pub use split::*;
pub use targets::*;
pub use workspace::*;
