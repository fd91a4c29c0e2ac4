//! # The `model!` language reference
//!
//! [`model!`](crate::model) reads a model written in a small language — its
//! layers, and the expression of its forward pass and of its loss — and
//! compiles it, at compile time, into a plain Rust struct: the layers as
//! public fields, a fused training pass, an inference pass, and the
//! [`Layer`](crate::Layer) API that optimizers and weight files use. This
//! reference is everything a user of the macro needs without reading its
//! source: what the language accepts, what each construct computes and
//! with which shapes, what the generated type offers and when it fails, how
//! it uses memory, and what the language refuses. Every rule comes with an
//! example that `cargo test --doc` runs, or, for a refusal, checks does not
//! compile.
//!
//! | Page | What it covers |
//! |---|---|
//! | [`grammar`] | the syntax, names and scopes, and what every value is |
//! | [`layers`] | `Linear`, sizes and constructor arguments, shared layers, nested models |
//! | [`functions`] | the activations, `+ - *`, the two losses and their targets, with their shape rules |
//! | [`generated`] | the generated type: element type, constructors, `forward_backward`, `predict`, `accuracy`, `plan`, the `Layer` impl, and the errors of each |
//! | [`memory`] | the workspace, allocation-free training steps, two threads |
//! | [`refusals`] | what the language refuses, and why |
//!
//! The define-by-run API (`Variable`, `MLP`, the functions of
//! [`functions`](crate::functions)) covers everything the language does not:
//! a `model!` type can be called inside a define-by-run graph (see
//! [`generated`]), so the two mix.
//!
//! ## The language in one example
//!
//! A classifier with a constructor argument, the three forms of `Linear`,
//! a `let`, an activation, a skip connection and a loss:
//!
//! ```
//! use dezero::prelude::*;
//! use ndarray::Array2;
//!
//! model! {
//!     /// A small classifier with a skip connection.
//!     pub struct Classifier(hidden: usize, classes: usize) {
//!         l1: Linear(hidden),           // in_size taken from the first input
//!         l2: Linear(hidden, hidden),   // both sizes declared
//!         out: Linear(classes, nobias), // no bias parameter
//!     }
//!     fn forward(x) {
//!         let h = relu(l1(x));
//!         out(h + tanh(l2(h)))
//!     }
//!     fn loss(y, t) {
//!         softmax_cross_entropy(y, t)
//!     }
//! }
//!
//! // `f32` is the default element type; a type must be named (see `generated`).
//! let mut model: Classifier = Classifier::new(16, 3);
//! let x = Array2::from_shape_fn((6, 2), |(i, j)| (i as f32 - 2.5) / (j as f32 + 1.0));
//! let t = [0, 0, 1, 1, 2, 2]; // one class index per row
//!
//! let mut optimizer = SGD::new(0.5);
//! optimizer.setup(&model);
//! let first = model.forward_backward(x.view(), &t)?;
//! for _ in 0..100 {
//!     model.cleargrads();
//!     model.forward_backward(x.view(), &t)?; // loss and every gradient, fused
//!     optimizer.update();
//! }
//! assert!(model.forward_backward(x.view(), &t)? < first);
//!
//! assert_eq!(model.predict(x.view())?.shape(), [6, 3]); // the inference plan
//! assert!(model.accuracy(x.view(), &t)? > 0.5);
//! // The layers are public fields; `l1`'s input size came from `x`.
//! assert_eq!(model.l1.w.shape(), [2, 16]);
//! assert!(model.out.b.is_none());
//! let names: Vec<String> = model.named_params().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["l1/W", "l1/b", "l2/W", "l2/b", "out/W"]);
//! # Ok::<(), dezero::Error>(())
//! ```
//!
//! ## At a glance
//!
//! | Construct | Written | Rule |
//! |---|---|---|
//! | model | `pub struct Net(h: usize) { .. } fn forward(x) { .. } fn loss(y, t) { .. }` | one `fn forward`, then at most one `fn loss` ([`grammar`]) |
//! | constructor argument | `struct Net(hidden: usize)` | a `usize` where it is a size; becomes an argument of `new` ([`layers`]) |
//! | dense layer | `l1: Linear(out)`, `Linear(in, out)`, `Linear(out, nobias)` | `[N, in] → [N, out]` ([`layers`]) |
//! | nested model | `enc: Encoder(8)` | another `model!` type with its constructor arguments; called once ([`layers`]) |
//! | binding | `let h = relu(l1(x));` | every `let` is used ([`grammar`]) |
//! | activation | `sigmoid(v)`, `relu(v)`, `tanh(v)` | `[N, w] → [N, w]` ([`functions`]) |
//! | operators | `a + b`, `a - b`, `a * b` | elementwise, both `[N, w]` ([`functions`]) |
//! | losses | `mean_squared_error(y, t)`, `softmax_cross_entropy(y, t)` | last in `fn loss`; float targets of `y`'s shape, or one class index per row ([`functions`]) |
//!
//! The generated type `Net<T = f32>` has `new`, `with_rng`,
//! `forward_backward` (with `fn loss`), `predict`, `accuracy` (with
//! `softmax_cross_entropy`), `try_forward` and `plan`, implements
//! [`Layer`](crate::Layer), and is `Send + Sync` ([`generated`]). Its
//! passes run in a workspace that a warm training step does not grow
//! ([`memory`]). Mistakes are compile errors at the offending token
//! ([`refusals`]).

pub mod functions;
pub mod generated;
pub mod grammar;
pub mod layers;
pub mod memory;
pub mod refusals;
