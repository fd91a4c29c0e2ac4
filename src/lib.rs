//! # dezero
//!
//! DeZero — the deep-learning framework built step by step in "Deep
//! Learning from Scratch 3" — in Rust, with two ways to build and train a
//! model that share one set of parameters, layers, optimizers and weight
//! files:
//!
//! - **Define-by-run**, the book's way: every operation on a
//!   [`Variable`] records a node, and `loss.backward()` walks the graph.
//!   The book's names ([`Variable`], [`Parameter`], [`Layer`], [`Linear`],
//!   [`MLP`], [`SGD`], [`functions::mean_squared_error`], …) and its
//!   numbers: the same data and seed give DeZero's losses. Good for
//!   exploring, for gradients of gradients, for anything the compiler does
//!   not cover.
//! - **Compiled**, with [`model!`]: layer declarations and a forward
//!   expression, read at compile time. Widths are checked, the backward
//!   pass derived, operations fused and buffers planned, and the result is
//!   a plain struct whose training step runs in a fixed workspace and
//!   allocates nothing once warm.
//!
//! This crate is the facade: it re-exports [`dezero_runtime`] (arrays,
//! autograd, layers, optimizers, kernels) and the `model!` compiler of
//! `dezero-macros`. Arrays are [`ndarray`] arrays, so a program depends on
//! both:
//!
//! ```toml
//! [dependencies]
//! dezero = { path = "../dezero-rs" }
//! ndarray = "0.17"
//! ```
//!
//! and most programs start with `use dezero::prelude::*;`.
//!
//! ## Define-by-run
//!
//! The book's step 45: a two-layer network fitting a sine, with the graph
//! recorded at every step.
//!
//! ```
//! use dezero::functions::mean_squared_error;
//! use dezero::prelude::*;
//! use dezero::MLP;
//!
//! random::seed(0);
//! let x = random::rand(&[100, 1]);                       // np.random.rand(100, 1)
//! let t = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin());
//! let (x, t) = (Variable::new(x), Variable::new(t));
//!
//! let model = MLP::<f64>::new(&[10, 1]);                 // MLP((10, 1))
//! let mut optimizer = SGD::new(0.2);
//! optimizer.setup(&model);
//! let mut losses = Vec::new();
//! for _ in 0..100 {
//!     let loss = mean_squared_error(&model.forward(&x), &t);
//!     model.cleargrads();
//!     loss.backward();
//!     optimizer.update();
//!     losses.push(loss.data()[[]]);
//! }
//! assert!(losses[99] < losses[0]);
//! ```
//!
//! ## Compiled
//!
//! The same network declared with [`model!`]: one fused training pass per
//! step, the weights as public fields, DeZero's parameter names.
//!
//! ```
//! use dezero::prelude::*;
//!
//! model! {
//!     /// The book's TwoLayerNet (step 45).
//!     pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
//!         l1: Linear(hidden_size),     // in_size taken from the first input
//!         l2: Linear(out_size),
//!     }
//!     fn forward(x) {
//!         let y = sigmoid(l1(x));
//!         l2(y)
//!     }
//!     fn loss(y, t) {
//!         mean_squared_error(y, t)
//!     }
//! }
//!
//! random::seed(0);
//! let x = random::rand(&[100, 1]).into_dimensionality::<ndarray::Ix2>().expect("2-D");
//! let t = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin());
//! let mut model = TwoLayerNet::<f64>::new(10, 1);
//! let mut optimizer = SGD::new(0.2);
//! optimizer.setup(&model);
//! let mut losses = Vec::new();
//! for _ in 0..100 {
//!     model.cleargrads();
//!     losses.push(model.forward_backward(x.view(), t.view())?); // fused
//!     optimizer.update();
//! }
//! assert!(losses[99] < losses[0]);
//! assert_eq!(model.predict(x.view())?.shape(), [100, 1]); // inference plan
//! assert_eq!(model.l1.w.shape(), [1, 10]);
//! let names: Vec<String> = model.named_params().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["l1/W", "l1/b", "l2/W", "l2/b"]);
//! println!("{}", model.plan()); // the schedule, the slots, the bytes per row
//! # Ok::<(), dezero::Error>(())
//! ```
//!
//! Both programs compute the same thing: with the same weights, the two
//! give the same losses and gradients (`tests/compiled_differential.rs`).
//!
//! ## Where to go next
//!
//! - [`for_dezero_readers`]: the book's Python beside this crate's Rust,
//!   name by name, and where Rust differs.
//! - [`model_reference`]: the `model!` language — its grammar, layers,
//!   functions and losses with their shape rules, the generated type and
//!   its errors, memory, and what it refuses.
//! - The modules, by what they hold: [`functions`] (DeZero's
//!   `functions.py`), [`layers`] and [`models`], [`optimizers`],
//!   [`datasets`], [`random`] (NumPy's stream), [`io`] (weight files that
//!   DeZero reads), [`plot`] and [`progress`] (the book's figures and long
//!   loops), [`finite`] (finding the first NaN), [`compiled`] (what
//!   `model!` types are built on), [`kernels`] (the array routines and the
//!   second thread).
//! - The repository's examples: `cargo run --release --example sine` (a
//!   `model!` model), and `step42` … `step50`, the book's steps.

#![warn(missing_docs)]

/// Compiles a model — its layers, a forward expression and optionally a
/// loss — into a struct with a fused training pass, an inference pass and
/// the [`Layer`] API.
///
/// ```
/// use dezero::prelude::*;
/// use ndarray::Array2;
///
/// model! {
///     /// A classifier into three classes.
///     pub struct Classifier(hidden_size: usize) {
///         l1: Linear(hidden_size),    // in_size taken from the first input
///         l2: Linear(3),
///     }
///     fn forward(x) {
///         l2(relu(l1(x)))
///     }
///     fn loss(y, t) {
///         softmax_cross_entropy(y, t) // `t`: one class index per row
///     }
/// }
///
/// let x = Array2::from_shape_fn((6, 2), |(i, j)| if j == 0 { i as f32 / 5.0 } else { 1.0 });
/// let t = [0, 0, 1, 1, 2, 2];
/// let mut model = Classifier::<f32>::new(16);
/// let mut optimizer = Adam::new(0.05);
/// optimizer.setup(&model);
/// for _ in 0..100 {
///     model.cleargrads();
///     model.forward_backward(x.view(), &t)?; // loss and gradients, fused
///     optimizer.update();
/// }
/// assert_eq!(model.predict(x.view())?.shape(), [6, 3]);
/// assert!(model.accuracy(x.view(), &t)? > 0.5);
/// # Ok::<(), dezero::Error>(())
/// ```
///
/// The input, in brief:
///
/// - `struct Name(args) { layers }`: the constructor's arguments (sizes
///   are `usize`), then the layers: `Linear(out_size)`,
///   `Linear(in_size, out_size)`, either with `nobias`, or another `model!`
///   type with its constructor's arguments.
/// - `fn forward(x) { .. }`: `let` bindings, then the output; calls of the
///   layers and of `sigmoid`, `relu`, `tanh`; `+`, `-` and `*` between
///   values of one width.
/// - `fn loss(y, t) { .. }`, optional: ends with
///   `mean_squared_error(y, t)` (float targets of the output's shape) or
///   `softmax_cross_entropy(y, t)` (class indices, `&[usize]`).
///
/// The generated `Name<T = f32>` has the layers as public fields, `new`,
/// `with_rng`, `forward_backward`, `predict`, `accuracy` (with
/// `softmax_cross_entropy`), `try_forward` and `plan`, and implements
/// [`Layer`], so optimizers and weight files work on it and it can be
/// called inside a define-by-run graph as one node.
///
/// # Errors
///
/// A mistake in the input is a compile error at the offending token
/// ([`refusals`](crate::model_reference::refusals)). The generated methods
/// return [`Error::Shape`] for data that does not fit the model, naming the
/// layer ([`errors`](crate::model_reference::generated#errors)).
///
/// # Reference
///
/// The [language reference](crate::model_reference) has the rest: the
/// [grammar](crate::model_reference::grammar), the
/// [layers](crate::model_reference::layers) and
/// [functions](crate::model_reference::functions) with their shape rules,
/// the [generated type](crate::model_reference::generated), its
/// [memory](crate::model_reference::memory), and what the language
/// [refuses](crate::model_reference::refusals).
pub use dezero_macros::model;
pub use dezero_runtime::*;

pub mod for_dezero_readers;
pub mod model_reference;
#[cfg(feature = "plot")]
pub mod plot;
#[cfg(feature = "progress")]
pub mod progress;

/// The names a program using dezero usually needs: `use dezero::prelude::*;`.
pub mod prelude {
    pub use crate::model;
    pub use dezero_runtime::layers::{Layer, Linear, ParamVisitor};
    pub use dezero_runtime::optimizers::{Adam, MomentumSGD, Optimizer, SGD};
    pub use dezero_runtime::{random, Parameter, Scalar, Variable};
}

/// What the code generated by `model!` refers to, by absolute path; not a
/// public API.
#[doc(hidden)]
pub mod __private {
    pub use dezero_runtime::compiled;
    pub use dezero_runtime::functions;
    pub use dezero_runtime::kernels;
    pub use dezero_runtime::layers::{Layer, Linear, ParamVisitor};
    pub use dezero_runtime::random;
    pub use dezero_runtime::{Error, Result, Scalar, Variable};
    pub use ndarray;
}
