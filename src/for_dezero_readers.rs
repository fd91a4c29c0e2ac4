//! # For DeZero readers
//!
//! The book's Python on the left, this crate's Rust on the right, for every
//! name the scripts of steps 42–50 use; then the few places where Rust
//! makes the code look different, and why. Everything below is in scope
//! after `use dezero::prelude::*;` or under the paths shown (`functions`,
//! `datasets`, … are modules of `dezero`).
//!
//! A whole book script, step 48, reads like this in Rust (shortened to 30
//! epochs; `examples/step48.rs` is the full one):
//!
//! ```
//! use dezero::datasets::get_spiral;
//! use dezero::functions::softmax_cross_entropy;
//! use dezero::optimizers::{Optimizer, SGD};
//! use dezero::{random, Layer, Variable, MLP};
//! use ndarray::Axis;
//!
//! let (max_epoch, batch_size, hidden_size, lr) = (30, 30, 10, 1.0);
//!
//! let (x, t) = get_spiral(true);                    // x, t = get_spiral(train=True)
//! let model = MLP::new(&[hidden_size, 3]);          // model = MLP((hidden_size, 3))
//! let mut optimizer = SGD::new(lr);                 // optimizer = SGD(lr).setup(model)
//! optimizer.setup(&model);
//!
//! let data_size = x.nrows();                        // len(x)
//! let max_iter = data_size.div_ceil(batch_size);    // math.ceil(data_size / batch_size)
//! let mut printed = Vec::new();
//! for epoch in 0..max_epoch {
//!     let index = random::permutation(data_size);   // np.random.permutation(data_size)
//!     let mut sum_loss = 0.0;
//!     for i in 0..max_iter {
//!         let batch_index = &index[i * batch_size..((i + 1) * batch_size).min(data_size)];
//!         let batch_x = x.select(Axis(0), batch_index);                 // x[batch_index]
//!         let batch_t: Vec<usize> = batch_index.iter().map(|&j| t[j]).collect();
//!
//!         let y = model.forward(&Variable::new(batch_x.into_dyn()));  // y = model(batch_x)
//!         let loss = softmax_cross_entropy(&y, &batch_t);
//!         model.cleargrads();
//!         loss.backward();
//!         optimizer.update();
//!
//!         sum_loss += f64::from(loss.data()[[]]) * batch_t.len() as f64; // float(loss.data)
//!     }
//!     let avg_loss = sum_loss / data_size as f64;
//!     printed.push(format!("epoch {}, loss {avg_loss:.2}", epoch + 1)); // '%.2f'
//! }
//! // What DeZero prints for these epochs.
//! assert_eq!(printed[0], "epoch 1, loss 1.13");
//! assert_eq!(printed[29], "epoch 30, loss 0.73");
//! ```
//!
//! ## Names, step by step
//!
//! ### Data and randomness (`np.random`)
//!
//! The [`random`](crate::random) module is NumPy's legacy global stream
//! (MT19937), so a seed gives the book's numbers. Arrays are
//! [`ndarray`] arrays; `rand` and `randn` give `f64`, as NumPy does.
//!
//! | DeZero (Python) | dezero (Rust) |
//! |---|---|
//! | `np.random.seed(0)` | [`random::seed(0)`](crate::random::seed) |
//! | `np.random.rand(100, 1)` | [`random::rand(&[100, 1])`](crate::random::rand) |
//! | `np.random.randn(I, H)` | [`random::randn(&[i, h])`](crate::random::randn) |
//! | `np.random.permutation(n)` | [`random::permutation(n)`](crate::random::permutation) |
//! | `np.random.shuffle(xs)` | [`random::shuffle(&mut xs)`](crate::random::shuffle) |
//! | `np.zeros(H)`, `np.zeros((1, 1))` | `ArrayD::zeros(vec![h])`, `ArrayD::zeros(vec![1, 1])` |
//! | `np.sin(2 * np.pi * x)` | `x.mapv(f64::sin)` on `2.0 * PI * x` |
//! | `np.array([2, 0, 1, 0])` (targets) | `[2, 0, 1, 0]`, a `&[usize]` |
//! | `x[batch_index]` (rows of an array) | `x.select(Axis(0), batch_index)` |
//! | `np.argmax(score.data, axis=1)` | done by [`plot_decision_regions`](crate::plot::plot_decision_regions); [`accuracy`](crate::functions::accuracy) for counting |
//!
//! ### Variables (steps 1–41, used throughout)
//!
//! | DeZero (Python) | dezero (Rust) |
//! |---|---|
//! | `Variable(x)` | [`Variable::new(x)`](crate::Variable::new) (`x` an `ArrayD`; `.into_dyn()` turns any ndarray into one) |
//! | `as_variable(x)` | `Variable::new(x)`; functions take `&Variable` only |
//! | `Parameter(x)` | [`Parameter::new(x)`](crate::Parameter::new) |
//! | `x.data` | [`x.data()`](crate::Variable::data) (a borrow), [`x.to_array()`](crate::Variable::to_array) (a copy) |
//! | `x.data = a` | [`x.set_data(a)`](crate::Variable::set_data) |
//! | `x.grad` | [`x.grad()`](crate::Variable::grad), an `Option<Variable>` |
//! | `x.grad.data` | `x.grad().unwrap().data()` |
//! | `x.cleargrad()` | [`x.cleargrad()`](crate::Variable::cleargrad) |
//! | `loss.backward()` | [`loss.backward()`](crate::Variable::backward) |
//! | `y.backward(retain_grad=True)` | [`y.backward_with(BackwardOptions::default().retain_grad(true))`](crate::Variable::backward_with) |
//! | `y.backward(create_graph=True)` | `y.backward_with(BackwardOptions::default().create_graph(true))` |
//! | `x.shape`, `x.ndim`, `x.size`, `x.dtype`, `len(x)` | `x.shape()`, `x.ndim()`, `x.size()`, `x.dtype()`, `x.len()` |
//! | `x.reshape(2, 3)`, `x.T`, `x.transpose()` | `x.reshape(&[2, 3])`, `x.T()`, `x.transpose()` |
//! | `x.sum()` | `x.sum()` |
//! | `x0 + x1`, `x0 - x1`, `x0 * x1`, `x0 / x1`, `-x` | `&x0 + &x1`, `&x0 - &x1`, `&x0 * &x1`, `&x0 / &x1`, `-&x` |
//! | `x * 2.0`, `2.0 * x` | `&x * 2.0`, `2.0 * &x` |
//! | `x ** 2`, `x ** 0.5` | `x.powi(2)`, `x.powf(0.5)` |
//! | `print(x)` | `println!("{x}")` (NumPy's layout: `variable([[1. 2.]])`) |
//! | `x.name = 'x'` | `x.set_name(Some("x".into()))`, or [`Variable::with_name`](crate::Variable::with_name) |
//!
//! ### Functions (`dezero.functions as F`)
//!
//! All in [`functions`](crate::functions); each takes its inputs by
//! reference.
//!
//! | DeZero (Python) | dezero (Rust) |
//! |---|---|
//! | `F.matmul(x, W)` (step 42) | [`matmul(&x, &w)`](crate::functions::matmul) |
//! | `F.sum(x)`, `F.sum(x, axis=1, keepdims=True)` | [`sum(&x)`](crate::functions::sum), [`sum_axis(&x, &[1], true)`](crate::functions::sum_axis) |
//! | `F.mean_squared_error(y, y_pred)` | [`mean_squared_error(&y, &y_pred)`](crate::functions::mean_squared_error) |
//! | `F.linear(x, W, b)`, `F.linear(x, W)` (step 43) | [`linear(&x, &w, Some(&b))`](crate::functions::linear), `linear(&x, &w, None)` |
//! | `F.linear_simple(x, W, b)` | [`linear_simple(&x, &w, Some(&b))`](crate::functions::linear_simple) |
//! | `F.sigmoid(x)`, `F.sigmoid_simple(x)` | [`sigmoid(&x)`](crate::functions::sigmoid), [`sigmoid_simple(&x)`](crate::functions::sigmoid_simple) |
//! | `F.relu(x)` | [`relu(&x)`](crate::functions::relu) |
//! | `F.exp`, `F.log`, `F.sin`, `F.cos`, `F.tanh` | [`exp`](crate::functions::exp), [`log`](crate::functions::log), [`sin`](crate::functions::sin), [`cos`](crate::functions::cos), [`tanh`](crate::functions::tanh) |
//! | `F.get_item(x, [0, 2])`, `x[[0, 2]]` (step 47) | [`get_item(&x, &[0, 2])`](crate::functions::get_item) (rows) |
//! | `F.clip(p, 1e-15, 1.0)` | [`clip(&p, 1e-15, 1.0)`](crate::functions::clip) |
//! | `F.max(x)`, `F.min(x)` | [`max(&x)`](crate::functions::max), [`min(&x)`](crate::functions::min) |
//! | `F.softmax(y)`, `F.softmax_simple(y)` (step 47) | [`softmax(&y)`](crate::functions::softmax), [`softmax_simple(&y)`](crate::functions::softmax_simple) |
//! | `F.log_softmax(y)` | [`log_softmax(&y)`](crate::functions::log_softmax) |
//! | `F.softmax_cross_entropy(y, t)` | [`softmax_cross_entropy(&y, &t)`](crate::functions::softmax_cross_entropy) (`t: &[usize]`) |
//! | `F.softmax_cross_entropy_simple(y, t)` | [`softmax_cross_entropy_simple(&y, &t)`](crate::functions::softmax_cross_entropy_simple) |
//! | `F.accuracy(y, t)` (step 50) | [`accuracy(&y, &t)`](crate::functions::accuracy), a number |
//! | `F.reshape`, `F.transpose`, `F.sum_to`, `F.broadcast_to` | [`reshape`](crate::functions::reshape), [`transpose`](crate::functions::transpose), [`sum_to`](crate::functions::sum_to), [`broadcast_to`](crate::functions::broadcast_to) |
//!
//! ### Layers and models (steps 44–45)
//!
//! | DeZero (Python) | dezero (Rust) |
//! |---|---|
//! | `L.Linear(10)` | [`Linear::new(10)`](crate::Linear::new) (`in_size` from the first input) |
//! | `L.Linear(10, in_size=2)` | [`Linear::with_in(2, 10)`](crate::Linear::with_in) (in, then out) |
//! | `L.Linear(10, nobias=True)` | [`Linear::new(10).nobias()`](crate::Linear::nobias) |
//! | `l1.W`, `l1.b` | [`l1.w`](crate::Linear::w), [`l1.b`](crate::Linear::b) (an `Option`) |
//! | `l1(x)`, `model(x)` | [`l1.forward(&x)`](crate::Layer::forward), `model.forward(&x)` |
//! | `model.params()` | [`model.params()`](crate::Layer::params) (a `Vec` of handles) |
//! | `model.cleargrads()` | [`model.cleargrads()`](crate::Layer::cleargrads) |
//! | `class TwoLayerNet(Model)` | a struct implementing [`Layer`](crate::Layer) (see below); [`Model`](crate::Model) is every `Layer` |
//! | `MLP((10, 1))`, `MLP((10, 3))` | [`MLP::new(&[10, 1])`](crate::MLP::new), `MLP::new(&[10, 3])` |
//! | `MLP((10, 1), activation=F.relu)` | [`MLP::with_activation(&[10, 1], relu)`](crate::MLP::with_activation) |
//! | `model.plot(x)` | [`graph::plot_dot_graph(&model.forward(&x), true, "model.png")`](crate::graph::plot_dot_graph) |
//! | — | [`model!`](crate::model), a compiled model with the same layers and weights |
//!
//! ### Optimizers (step 46)
//!
//! | DeZero (Python) | dezero (Rust) |
//! |---|---|
//! | `optimizer = optimizers.SGD(lr).setup(model)` | `let mut optimizer = SGD::new(lr);` then [`optimizer.setup(&model);`](crate::Optimizer::setup) |
//! | `optimizer.update()` | [`optimizer.update()`](crate::Optimizer::update) (the [`Optimizer`](crate::Optimizer) trait in scope) |
//! | `optimizers.MomentumSGD(lr, momentum)` | [`MomentumSGD::new(lr, momentum)`](crate::MomentumSGD::new) |
//! | `AdaGrad(lr)`, `AdaDelta()`, `Adam(alpha)` | [`AdaGrad::new(lr)`](crate::AdaGrad::new), [`AdaDelta::new(rho, eps)`](crate::AdaDelta::new), [`Adam::new(alpha)`](crate::Adam::new) |
//! | `optimizer.add_hook(WeightDecay(1e-4))` | [`optimizer.add_hook(WeightDecay::new(1e-4))`](crate::Optimizer::add_hook) |
//! | `def update_one(self, param)` | [`fn update_one(&mut self, param: &Parameter<T>)`](crate::Optimizer::update_one) |
//! | `p.data -= lr * p.grad.data` (by hand) | see "Updating a parameter by hand" below |
//!
//! ### Data sets and loaders (steps 48–50)
//!
//! | DeZero (Python) | dezero (Rust) |
//! |---|---|
//! | `dezero.datasets.get_spiral(train=True)` | [`datasets::get_spiral(true)`](crate::datasets::get_spiral): `(Array2<f32>, Vec<usize>)` |
//! | `dezero.datasets.Spiral(train=True)` | [`Spiral::new(true)`](crate::datasets::Spiral::new) |
//! | `train_set[i]`, `len(train_set)` | [`train_set.get(i)`](crate::datasets::Dataset::get), [`train_set.len()`](crate::datasets::Dataset::len) (the [`Dataset`](crate::datasets::Dataset) trait in scope) |
//! | `class MyData(Dataset)` | a type implementing [`Dataset`](crate::datasets::Dataset) (`len` and `get`) |
//! | `np.array([example[0] for example in batch])` | `ndarray::stack(Axis(0), &rows)` of the examples' `.view()`s |
//! | `DataLoader(train_set, batch_size)` | [`DataLoader::new(&train_set, batch_size, true)`](crate::datasets::DataLoader::new) |
//! | `DataLoader(test_set, batch_size, shuffle=False)` | `DataLoader::new(&test_set, batch_size, false)` |
//! | `for x, t in train_loader:` | `for (x, t) in &mut train_loader {` (`x: Array2`, `t: Vec<usize>`) |
//! | `train_loader.next()` | `train_loader.next()`, an `Option` |
//!
//! ### Modes (steps 18, 50)
//!
//! | DeZero (Python) | dezero (Rust) |
//! |---|---|
//! | `with dezero.no_grad():` | `{ let _guard = no_grad(); … }` ([`no_grad`](crate::no_grad)) |
//! | `with dezero.test_mode():` | `{ let _guard = test_mode(); … }` ([`test_mode`](crate::test_mode)) |
//! | `with using_config('enable_backprop', False):` | `let _guard = using_backprop(false);` ([`using_backprop`](crate::using_backprop)) |
//! | `Config.enable_backprop`, `Config.train` | [`Config::enable_backprop()`](crate::Config::enable_backprop), [`Config::train()`](crate::Config::train) |
//! | (none; PyTorch's `with torch.autograd.detect_anomaly():`) | `{ let _guard = check_finite(); … }` ([`check_finite`](crate::check_finite)) or `DEZERO_CHECK_FINITE=1`: the first op giving a NaN or an infinity is reported (see [`finite`](crate::finite)) |
//!
//! ### Plots (matplotlib in the book)
//!
//! | DeZero (Python) | dezero (Rust) |
//! |---|---|
//! | `plt.scatter(x, y); plt.plot(t, y_pred)` (steps 43, 45) | [`plot::plot_fit("step45.png", &x, &y, &t, &y_pred)`](crate::plot::plot_fit) |
//! | `plt.plot(losses)` | [`plot::plot_losses("loss.png", &losses)`](crate::plot::plot_losses) |
//! | `plt.contourf(...)` of `argmax(model(X))`, then `plt.scatter` (step 48) | [`plot::plot_decision_regions("step48.png", \|x\| model.forward(x), &x, &t)`](crate::plot::plot_decision_regions) |
//! | a long loop printing as it goes | [`progress::Progress`](crate::progress::Progress), a bar with the current loss |
//!
//! ## Where Rust differs
//!
//! **`W` is the field `w`.** Rust warns on upper-case field names, so a
//! `Linear`'s weight is `l1.w`. Its *parameter name* is still `"W"`: weight
//! files and [`named_params`](crate::Layer::named_params) say `l1/W`, as
//! DeZero's do.
//!
//! **Operators take references.** A [`Variable`](crate::Variable) is a
//! shared handle (cloning it is Python's assignment, not a copy), and `+`
//! on two values would move them; write `&a + &b`. Scalars go either side:
//! `&x * 2.0`, `1.0 - &y`. Powers are methods, `x.powi(2)`.
//!
//! **Gradients are `Option`s.** `x.grad` may be `None` in Python too; Rust
//! makes you say what you expect. `x.grad.data` is
//! `x.grad().unwrap().data()`, or `.expect("…")` with the reason.
//!
//! ```
//! use dezero::Variable;
//! use ndarray::array;
//! let x = Variable::new(array![[1.0_f32, 2.0]].into_dyn());
//! let y = (&x * &x).sum();
//! y.backward();
//! assert_eq!(*x.grad().unwrap().data(), array![[2.0_f32, 4.0]].into_dyn());
//! ```
//!
//! **`backward`'s keywords are options.** `y.backward(create_graph=True)`
//! is `y.backward_with(BackwardOptions::default().create_graph(true))`
//! (step 33's second derivative):
//!
//! ```
//! use dezero::{BackwardOptions, Variable};
//! let x = Variable::scalar(2.0_f64);
//! let y = &x.powi(4) - &(2.0 * &x.powi(2));
//! y.backward_with(BackwardOptions::default().create_graph(true));
//! let gx = x.grad().unwrap();
//! x.cleargrad();
//! gx.backward();
//! assert_eq!(x.grad().unwrap().data()[[]], 44.0);
//! ```
//!
//! **`setup` does not return the optimizer.** `SGD(lr).setup(model)` is a
//! chain in Python; in Rust `setup` borrows the model to collect its
//! parameters and returns nothing, so it is a statement of its own. The
//! [`Optimizer`](crate::Optimizer) trait must be in scope for `setup` and
//! `update`.
//!
//! **Modes are guards.** `with no_grad():` becomes a guard that restores
//! the previous mode when it goes out of scope, even on a panic. Bind it to
//! a named variable: `let _ = no_grad();` drops the guard at once (the
//! compiler warns).
//!
//! ```
//! use dezero::{no_grad, test_mode, Config};
//! {
//!     let _no_grad = no_grad();
//!     let _test_mode = test_mode();
//!     assert!(!Config::enable_backprop() && !Config::train());
//! }
//! assert!(Config::enable_backprop() && Config::train());
//! ```
//!
//! **A model is a struct.** DeZero's `Layer.__setattr__` registers every
//! `Parameter` or `Layer` attribute; Rust has no such hook, so a model
//! names its children once, in [`visit_params`](crate::Layer::visit_params)
//! (with [`visit_child`](crate::layers::visit_child)), and every walker —
//! `params`, `cleargrads`, optimizers, weight files — is built on it:
//!
//! ```
//! use dezero::functions::sigmoid;
//! use dezero::layers::visit_child;
//! use dezero::{Layer, Linear, ParamVisitor, Variable};
//!
//! /// The book's `TwoLayerNet(Model)` (step 45).
//! struct TwoLayerNet {
//!     l1: Linear,
//!     l2: Linear,
//! }
//!
//! impl Layer for TwoLayerNet {
//!     fn visit_params(&self, v: &mut dyn ParamVisitor<f32>) {
//!         visit_child(v, "l1", &self.l1);
//!         visit_child(v, "l2", &self.l2);
//!     }
//!     fn forward(&self, x: &Variable) -> Variable {
//!         let y = sigmoid(&self.l1.forward(x));
//!         self.l2.forward(&y)
//!     }
//! }
//!
//! let model = TwoLayerNet { l1: Linear::new(10), l2: Linear::new(1) };
//! let y = model.forward(&Variable::new(ndarray::ArrayD::zeros(vec![5, 1])));
//! assert_eq!(y.shape(), [5, 1]);
//! assert_eq!(model.params().len(), 4);
//! ```
//!
//! **One element type per graph: `f32` by default.** DeZero's `Linear`
//! keeps its weights in float32 while the data of steps 42–47 is float64,
//! and NumPy promotes the mix to float64 as it goes. Here a variable has one
//! element type, `Variable<f32>` (the default, DeZero's parameter type) or
//! `Variable<f64>`, and the two do not mix: convert the data first
//! (`x.mapv(|v| v as f32)`), or build an `f64` model (`MLP::<f64>::new`).
//! The book's printed numbers still come out: steps 48–50 print DeZero's
//! losses and accuracies to the last digit shown, every epoch (DeZero's
//! gradients there are float64, because its one-hot targets are integers;
//! ours are `f32`, and the difference stays below the printed digits).
//!
//! **Targets are index slices.** Where DeZero takes an integer array `t`,
//! the loss and accuracy take `&[usize]`, and a data loader yields
//! `Vec<usize>`.
//!
//! **Updating a parameter by hand.** Step 44's `p.data -= lr * p.grad.data`
//! borrows the data mutably and the gradient's data immutably:
//!
//! ```
//! use dezero::{Layer, Linear, Variable};
//! let l = Linear::<f32>::with_in(1, 1);
//! let y = l.forward(&Variable::new(ndarray::ArrayD::ones(vec![1, 1])));
//! y.backward();
//! let lr = 0.1;
//! for p in l.params() {
//!     let g = p.grad().expect("every parameter is on the graph").to_array();
//!     *p.data_mut() -= &(g * lr);
//! }
//! ```
