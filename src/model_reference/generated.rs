//! # The generated type
//!
//! For
//!
//! ```text
//! pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
//!     l1: Linear(hidden_size),
//!     l2: Linear(out_size),
//! }
//! fn forward(x) { .. }
//! fn loss(y, t) { mean_squared_error(y, t) }
//! ```
//!
//! `model!` emits, in the module where it is invoked:
//!
//! ```text
//! pub struct TwoLayerNet<T: Scalar = f32> {
//!     pub l1: Linear<T>,
//!     pub l2: Linear<T>,
//!     // a private workspace
//! }
//!
//! impl<T: Scalar> TwoLayerNet<T> {
//!     pub fn new(hidden_size: usize, out_size: usize) -> Self;
//!     pub fn with_rng(hidden_size: usize, out_size: usize, in_size: usize,
//!                     rng: &mut RandomState) -> Result<Self>;
//!     pub fn forward_backward(&mut self, x: ArrayView2<'_, T>, t: ArrayView2<'_, T>) -> Result<T>;
//!     pub fn predict(&mut self, x: ArrayView2<'_, T>) -> Result<ArrayView2<'_, T>>;
//!     pub fn try_forward(&self, x: &Variable<T>) -> Result<Variable<T>>;
//!     pub fn plan(&self) -> Plans;
//!     // with `softmax_cross_entropy`, `t: &[usize]` in `forward_backward`, and:
//!     pub fn accuracy(&mut self, x: ArrayView2<'_, T>, t: &[usize]) -> Result<T>;
//! }
//!
//! impl<T: Scalar> Layer<T> for TwoLayerNet<T> { .. }          // params, cleargrads, forward
//! impl<T: Scalar> CompiledModel<T> for TwoLayerNet<T> { .. }  // nesting, the node
//! ```
//!
//! `Result` is [`dezero::Result`](crate::Result), whose error is
//! [`dezero::Error`](crate::Error); `RandomState` is
//! [`random::RandomState`](crate::random::RandomState); `Plans` is
//! [`compiled::Plans`](crate::compiled::Plans). The type is `Send` and
//! `Sync` (see [`compiled`](crate::compiled#threads-send-and-sync)).
//!
//! ## Element type
//!
//! `T` is `f32` (the default, DeZero's parameter type) or `f64`; inputs and
//! float targets have the model's element type. The default applies where
//! a type is written, so name it in one place: `let m: Net = Net::new(..)`
//! or `Net::<f32>::new(..)`, and `Net::<f64>::new(..)` for `f64`. A bare
//! `Net::new(..)` whose type nothing else fixes does not compile today
//! (rustc asks for type annotations).
//!
//! ## Constructors
//!
//! - **`new(args)`** builds the model from its constructor arguments.
//!   Layers with a declared input size are initialised now, from the
//!   thread's global random stream; the others at the first call, from that
//!   call's input width ([`layers`](super::layers#linear)).
//! - **`with_rng(args, in_size, rng)`** builds the model and initialises
//!   every layer now, from `rng`, as the first call with inputs of width
//!   `in_size` would: reproducible weights that do not depend on the global
//!   stream or on the thread. It fails with
//!   [`Error::Shape`](crate::Error::Shape) if `in_size` does not fit a
//!   layer declared with an input size.
//!
//! ## `forward_backward`
//!
//! One training pass, fused: forward, loss and backward in the workspace.
//! Returns the loss, and adds each parameter's gradient to its `grad` — as
//! define-by-run's `backward` does, gradients accumulate, so call
//! `cleargrads()` before each step. The target's type follows the loss
//! ([`functions`](super::functions#losses-and-targets)). A model without
//! `fn loss` has no usable `forward_backward`: calling it does not compile,
//! and the message says to add a loss.
//!
//! ## `predict`
//!
//! The output for `x` by the inference plan, which keeps nothing for a
//! backward pass and so uses fewer slots. The result is a view into the
//! model's workspace: it borrows the model, so copy it with `.to_owned()`
//! to keep it while the model is called again. `predict` touches no
//! gradient.
//!
//! ## `accuracy`
//!
//! Only for a model whose loss is `softmax_cross_entropy`: the fraction of
//! rows of `x` whose largest output (the first, on ties) is the class in
//! `t` — DeZero's `accuracy` of `predict(x)`.
//!
//! ## `plan`
//!
//! The compiled plans, training and inference, with the widths known now:
//! the schedule of steps after fusion, the buffer slots and what shares
//! them, and the bytes per batch row, planned against a naive plan that
//! keeps every intermediate. Print it with `{}`, or render it as Graphviz
//! with `to_dot()` (see [`Plan`](crate::compiled::Plan)). Widths not known
//! yet (an input size before the first call) print as names.
//!
//! ## The `Layer` impl: a define-by-run node
//!
//! The type implements [`Layer`](crate::Layer), so everything built on it
//! works unchanged: [`params`](crate::Layer::params) and
//! [`named_params`](crate::Layer::named_params) (DeZero's names: `l1/W`,
//! `enc/l1/b`), [`cleargrads`](crate::Layer::cleargrads), optimizers
//! (`optimizer.setup(&model)`), and weight files
//! ([`io::save_weights`](crate::io::save_weights),
//! [`io::load_weights`](crate::io::load_weights)).
//!
//! Its [`forward`](crate::Layer::forward) calls the model on a
//! [`Variable`](crate::Variable) holding a matrix, as **one node** of a
//! define-by-run graph: the node's inputs are `x` and the model's
//! parameters, and its backward is the model's fused backward. It panics
//! if `x` does not fit the model; `try_forward` returns the error instead.
//! When the backward pass records its own graph (`create_graph`, for
//! gradients of gradients), the node differentiates the model's forward
//! written in define-by-run functions instead, so higher derivatives reach
//! the input and every parameter.
//!
//! ## Errors
//!
//! Every method that takes data returns [`Error::Shape`](crate::Error::Shape)
//! when the data does not fit, naming the layer or loss (`TwoLayerNet.l1`,
//! `TwoLayerNet loss (mean_squared_error)`), before anything is touched: the
//! model, its weights and gradients are left as they were.
//!
//! | Method | Fails when |
//! |---|---|
//! | every pass | `x`'s width differs from the input width (declared, or fixed by the first call); two widths named by constructor arguments disagree |
//! | `forward_backward` | also: `t` is not of the output's shape (`mean_squared_error`); `t.len()` is not the row count, or a class index is not below the output's width (`softmax_cross_entropy`) |
//! | `accuracy` | also: `t.len()` is not the row count |
//! | `try_forward` | also: `x` is not 2-dimensional (`forward` panics instead) |
//! | `with_rng` | `in_size` does not fit a declared input size |
//!
//! Not checked today, so to be avoided: a batch of 0 rows (the passes
//! return a meaningless loss or an empty output, and the first call fixes
//! the input width all the same), and, in `accuracy`, class indices not
//! below the output's width (they count as wrong).
//!
//! In check-finite mode ([`check_finite`](crate::check_finite), or
//! `DEZERO_CHECK_FINITE=1`), the passes also return
//! [`Error::NonFinite`](crate::Error::NonFinite) naming the first step of
//! the plan that wrote a NaN or an infinity (see
//! [`finite`](crate::finite)).
//!
//! ```
//! use dezero::prelude::*;
//! use ndarray::Array2;
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
//! // The element type: f32 unless named.
//! let mut small: TwoLayerNet = TwoLayerNet::new(10, 1);
//! let y = small.predict(Array2::<f32>::zeros((2, 3)).view())?;
//! assert_eq!(y.shape(), [2, 1]);
//!
//! // `new` leaves `l1` to its first input; `with_rng` initialises it now.
//! let lazy = TwoLayerNet::<f64>::new(10, 1);
//! assert!(!lazy.l1.w.has_data());
//! let seeded = || TwoLayerNet::<f64>::with_rng(10, 1, 3, &mut random::RandomState::new(7));
//! let mut model = seeded()?;
//! assert_eq!(model.l1.w.shape(), [3, 10]);
//! assert_eq!(*model.l1.w.data(), *seeded()?.l1.w.data());
//!
//! // Errors name the layer or the loss, and leave the model as it was.
//! let x = Array2::from_shape_fn((4, 3), |(i, j)| (i + j) as f64);
//! let t = Array2::<f64>::ones((4, 1));
//! let before = model.forward_backward(x.view(), t.view())?;
//! let wide = Array2::<f64>::zeros((4, 5));
//! let err = model.predict(wide.view()).unwrap_err();
//! assert!(matches!(err, dezero::Error::Shape { .. }));
//! assert!(err.to_string().starts_with("TwoLayerNet.l1: "), "{err}");
//! let two_columns = Array2::<f64>::zeros((4, 2));
//! let err = model.forward_backward(x.view(), two_columns.view()).unwrap_err();
//! assert!(err.to_string().contains("mean_squared_error"), "{err}");
//! model.cleargrads();
//! assert_eq!(model.forward_backward(x.view(), t.view())?, before);
//!
//! // The plan, for people: the schedule, the slots, the bytes per row.
//! let plan = model.plan();
//! assert!(plan.to_string().contains("bytes per batch row"));
//! let per_row = |p: &dezero::compiled::Plan| p.planned_bytes_per_row().expect("widths known");
//! assert!(per_row(&plan.predict) < per_row(&plan.train)); // inference keeps less
//! # Ok::<(), dezero::Error>(())
//! ```
//!
//! The `Layer` impl: the same model as a node of a define-by-run graph,
//! with an optimizer and a weight file:
//!
//! ```
//! use dezero::functions::mean_squared_error;
//! use dezero::prelude::*;
//! use ndarray::{Array2, ArrayD};
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
//! let mut model = TwoLayerNet::<f64>::new(10, 1);
//! let x = Array2::from_shape_fn((5, 2), |(i, j)| (i * j) as f64 / 5.0);
//! let t = Array2::from_shape_fn((5, 1), |(i, _)| i as f64 / 5.0);
//! let loss = model.forward_backward(x.view(), t.view())?;
//! let grad = model.l1.w.grad().expect("trained").to_array();
//!
//! model.cleargrads();
//! assert!(model.params().iter().all(|p| p.grad().is_none()));
//! let y = model.forward(&Variable::new(x.into_dyn())); // one node
//! let node_loss = mean_squared_error(&y, &Variable::new(t.into_dyn()));
//! node_loss.backward(); // through the fused backward
//! assert!((node_loss.data()[[]] - loss).abs() < 1e-12);
//! let node_grad = model.l1.w.grad().expect("trained").to_array();
//! assert!(grad.iter().zip(&node_grad).all(|(a, b)| (a - b).abs() < 1e-12));
//! let not_a_matrix = Variable::new(ArrayD::zeros(vec![5]));
//! assert!(model.try_forward(&not_a_matrix).is_err());
//!
//! let mut optimizer = SGD::new(0.1);
//! optimizer.setup(&model);
//! optimizer.update(); // the node's gradients
//!
//! let path = std::env::temp_dir().join(format!("model-ref-{}.npz", std::process::id()));
//! dezero::io::save_weights(&model, &path)?;
//! let fresh = TwoLayerNet::<f64>::new(10, 1);
//! dezero::io::load_weights(&fresh, &path)?; // keys `l1/W`, `l1/b`, `l2/W`, `l2/b`
//! assert_eq!(*fresh.l2.w.data(), *model.l2.w.data());
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), dezero::Error>(())
//! ```
