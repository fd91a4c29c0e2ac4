//! # Layers, sizes and nesting
//!
//! A model's fields are its layers. A layer is the built-in `Linear` or
//! another `model!` type; nothing else (see
//! [`refusals`](super::refusals#layers)).
//!
//! ## `Linear`
//!
//! DeZero's `Linear`: `y = x·W + b`, the field [`Linear`](crate::Linear)
//! of the generated struct.
//!
//! | Written | Parameters | Shape rule |
//! |---|---|---|
//! | `Linear(out_size)` | `W: [in, out_size]`, `b: [out_size]` | `[N, in] → [N, out_size]`, `in` the width of the first input |
//! | `Linear(in_size, out_size)` | `W: [in_size, out_size]`, `b: [out_size]` | `[N, in_size] → [N, out_size]` |
//! | `Linear(out_size, nobias)`, `Linear(in_size, out_size, nobias)` | `W` only | as above, without `+ b` |
//!
//! - **Initialisation** is DeZero's: `W` is `randn(in, out) * sqrt(1/in)`
//!   and `b` zeros, drawn from the thread's global random stream
//!   ([`random::seed`](crate::random::seed)). A layer with a declared
//!   `in_size` is initialised when the model is built; one without, at the
//!   model's first call (`predict`, `forward_backward` or `forward`), from
//!   that call's input width, in the order the forward pass first calls the
//!   layers — exactly as the define-by-run model would. Until then its `w`
//!   holds no data (`model.l1.w.has_data()` is `false` and
//!   `model.l1.in_size()` is `None`). `with_rng` initialises every layer at
//!   once from a stream of your own ([`generated`](super::generated#constructors)).
//! - **Names.** The field is `w` (Rust warns on `W`), but the parameter's
//!   name is still DeZero's: `l1/W` and `l1/b` in
//!   [`named_params`](crate::Layer::named_params) and in weight files. `b`
//!   is an `Option`, `None` under `nobias`.
//! - **Arguments** are positional; `nobias` comes last. Sizes are below.
//!
//! ## Sizes and constructor arguments
//!
//! A size is an integer literal of at least 1, or a constructor argument
//! of type `usize`. Constructor arguments, declared after the model's name
//! (`struct Net(hidden: usize, classes: usize)`), are the arguments of the
//! generated `new`, in order. An argument that is not a size may have any
//! type (it can be passed on to a nested model). An argument may not be
//! named like a layer, nor `in_size` or `rng` (the generated
//! `with_rng(.., in_size, rng)` takes those), nor start with `__`.
//!
//! The compiler follows widths through the forward pass: an op's input and
//! a layer's `in_size` are one width, the two sides of `+` are one width,
//! and so on. Two different literals that must be equal are a compile
//! error ([`refusals`](super::refusals#shapes)). Widths named by different
//! constructor arguments that must be equal (`a: Linear(h1)`,
//! `b: Linear(h2)`, then `a(x) + b(x)`) cannot be checked at compile time:
//! they are checked at the model's first call, which returns an
//! [`Error::Shape`](crate::Error::Shape) naming the layer that disagrees.
//!
//! ## Shared layers
//!
//! A `Linear` may be called any number of times in `fn forward`. Every call
//! uses the same `W` and `b` (so every call's input has the layer's input
//! width), and the gradients of all the calls are summed into its
//! parameters, as when a define-by-run layer is called twice:
//!
//! ```
//! use dezero::functions::{mean_squared_error, tanh};
//! use dezero::prelude::*;
//! use ndarray::Array2;
//!
//! model! {
//!     /// `l1` twice: `l2(tanh(l1(tanh(l1(x)))))`.
//!     struct Twice {
//!         l1: Linear(3, 3),
//!         l2: Linear(1),
//!     }
//!     fn forward(x) {
//!         let h = tanh(l1(x));
//!         l2(tanh(l1(h)))
//!     }
//!     fn loss(y, t) {
//!         mean_squared_error(y, t)
//!     }
//! }
//!
//! let mut model = Twice::<f64>::new();
//! let x = Array2::from_shape_fn((5, 3), |(i, j)| (i * 3 + j) as f64 / 10.0);
//! let t = Array2::from_shape_fn((5, 1), |(i, _)| i as f64);
//! let loss = model.forward_backward(x.view(), t.view())?;
//! let grad = model.l1.w.grad().expect("l1 was used").to_array();
//!
//! // The same model, define-by-run, on the same parameters.
//! model.cleargrads();
//! let h = tanh(&model.l1.forward(&Variable::new(x.into_dyn())));
//! let y = model.l2.forward(&tanh(&model.l1.forward(&h)));
//! let expected = mean_squared_error(&y, &Variable::new(t.into_dyn()));
//! expected.backward();
//! assert!((loss - expected.data()[[]]).abs() < 1e-10);
//! let both_uses = model.l1.w.grad().expect("l1 was used").to_array();
//! assert!(grad.iter().zip(&both_uses).all(|(a, b)| (a - b).abs() < 1e-10));
//! # Ok::<(), dezero::Error>(())
//! ```
//!
//! ## Nested models
//!
//! A field whose type is not `Linear` is another `model!` type, written
//! with its constructor's arguments in parentheses (`enc: Encoder(8)`, or
//! `Block()` for one without arguments). The arguments are Rust
//! expressions, which may use this model's constructor arguments; the
//! nested model has this model's element type.
//!
//! - It is called exactly **once** in `fn forward`: it keeps one pass's
//!   activations in its own workspace. For a second use, declare a second
//!   field (with weights of its own).
//! - It needs no `fn loss`: the outer model's loss trains it (a `fn loss`
//!   of its own is not used when it is nested).
//! - Widths flow through it: its input width is the value it is called on,
//!   and its output width follows from its own layers.
//! - Its parameters are named under the field: `enc/l1/W`. Its layers are
//!   public fields too: `model.enc.l1`.
//! - The outer model's passes call the nested model's fused passes; a
//!   model that nests another is never split between two threads (see
//!   [`memory`](super::memory#two-threads)).
//! - Only `model!` types nest. A define-by-run model (an
//!   [`MLP`](crate::MLP), a hand-written [`Layer`](crate::Layer)) cannot be
//!   a field; to combine the two, call the `model!` type inside a
//!   define-by-run graph ([`generated`](super::generated#the-layer-impl-a-define-by-run-node)).
//!
//! ```
//! use dezero::prelude::*;
//! use ndarray::Array2;
//!
//! model! {
//!     /// A residual block, nested below; it has no loss of its own.
//!     pub struct Encoder(width: usize) {
//!         l1: Linear(width),
//!         l2: Linear(width),
//!     }
//!     fn forward(x) {
//!         let h = relu(l1(x));
//!         tanh(l2(h)) + h
//!     }
//! }
//!
//! model! {
//!     /// An encoder, twice (two fields, two sets of weights), and a head.
//!     pub struct Net(width: usize) {
//!         enc: Encoder(width),
//!         enc2: Encoder(width),
//!         head: Linear(1),
//!     }
//!     fn forward(x) {
//!         head(sigmoid(enc2(enc(x))))
//!     }
//!     fn loss(y, t) {
//!         mean_squared_error(y, t)
//!     }
//! }
//!
//! let mut model = Net::<f32>::new(4);
//! let x = Array2::from_shape_fn((8, 2), |(i, j)| (i + j) as f32 / 8.0);
//! let t = Array2::from_shape_fn((8, 1), |(i, _)| i as f32 / 8.0);
//! model.forward_backward(x.view(), t.view())?;
//! assert_eq!(model.enc.l1.w.shape(), [2, 4]);  // in_size from x
//! assert_eq!(model.enc2.l1.w.shape(), [4, 4]); // in_size from enc
//! let names: Vec<String> = model.named_params().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names[..4], ["enc/l1/W", "enc/l1/b", "enc/l2/W", "enc/l2/b"]);
//! assert_eq!(names.len(), 10);
//! // The nested model is a model of its own, too.
//! assert_eq!(model.enc.predict(x.view())?.shape(), [8, 4]);
//! # Ok::<(), dezero::Error>(())
//! ```
