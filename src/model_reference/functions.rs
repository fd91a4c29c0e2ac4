//! # Activations, operators and losses
//!
//! Everything `fn forward` and `fn loss` can compute besides calling
//! layers. Each is DeZero's function of the same name, computed by the
//! same kernels as the define-by-run function in
//! [`functions`](crate::functions), so the two agree.
//!
//! | Written | Computes | Shape rule |
//! |---|---|---|
//! | `sigmoid(a)` | `1 / (1 + exp(-a))`, elementwise | `[N, w] → [N, w]` |
//! | `relu(a)` | `max(a, 0)`, elementwise | `[N, w] → [N, w]` |
//! | `tanh(a)` | `tanh(a)`, elementwise | `[N, w] → [N, w]` |
//! | `a + b`, `a - b`, `a * b` | elementwise sum, difference, product | `[N, w]` and `[N, w]` `→ [N, w]` |
//! | `mean_squared_error(y, t)` | `Σ (y - t)² / N` | `y: [N, w]`, `t: [N, w]` (floats) `→` a scalar |
//! | `softmax_cross_entropy(y, t)` | `-Σᵢ log softmax(yᵢ)[tᵢ] / N` | `y: [N, w]`, `t`: `N` class indices `< w` `→` a scalar |
//!
//! ## Activations
//!
//! `sigmoid`, `relu` and `tanh` take one value and keep its width. Where
//! an activation is the only use of a `Linear`'s output, the compiler fuses
//! the two into one step (`plan()` shows `affine+sigmoid l1`), and the value
//! before the activation is never stored.
//!
//! ## Operators
//!
//! `+`, `-` and `*` combine two values of the same width, element by
//! element: `*` is not a matrix product (layers are), and nothing
//! broadcasts — there are no scalars or constants in the language, and a
//! width-1 value does not stretch to another width. Widths that provably
//! differ are a compile error
//! ([`refusals`](super::refusals#shapes)). There is no `/` and no unary
//! `-`.
//!
//! ## Losses and targets
//!
//! `fn loss(y, t)` ends with one of the two losses. Its first argument is
//! the output `y` or an expression of it (`mean_squared_error(sigmoid(y), t)`
//! trains through a sigmoid that `predict` does not apply); its second is
//! the target `t` itself. The loss fixes the type of the target that
//! `forward_backward` takes:
//!
//! - **`mean_squared_error`**: `t` is an
//!   [`ArrayView2<T>`](ndarray::ArrayView2) of floats of the model's
//!   element type, with the shape of the loss's first argument. It is
//!   DeZero's `mean_squared_error`, which divides by the number of rows,
//!   not of elements.
//! - **`softmax_cross_entropy`**: `t` is a `&[usize]`, one class index per
//!   row, each less than the output's width (the number of classes). It is
//!   DeZero's `softmax_cross_entropy`, the mean over rows. A model with
//!   this loss also gets [`accuracy`](super::generated#accuracy).
//!
//! Both return the loss as a `T`. A target of the wrong type does not
//! compile ([`refusals`](super::refusals#using-the-generated-type)); one of
//! the wrong shape, or a class index out of range, is an
//! [`Error::Shape`](crate::Error::Shape).
//!
//! Both losses, checked against their formulas on `predict`'s output:
//!
//! ```
//! use dezero::prelude::*;
//! use ndarray::Array2;
//!
//! model! {
//!     /// A regression: float targets of the output's shape.
//!     struct Regression {
//!         l1: Linear(2),
//!     }
//!     fn forward(x) {
//!         tanh(l1(x)) - sigmoid(l1(x)) * relu(l1(x))
//!     }
//!     fn loss(y, t) {
//!         mean_squared_error(y, t)
//!     }
//! }
//!
//! model! {
//!     /// A classification: one class index per row.
//!     struct Classification {
//!         l1: Linear(3),
//!     }
//!     fn forward(x) {
//!         l1(x)
//!     }
//!     fn loss(y, t) {
//!         softmax_cross_entropy(y, t)
//!     }
//! }
//!
//! let x = Array2::from_shape_fn((4, 2), |(i, j)| i as f64 - 2.0 * j as f64);
//!
//! let mut reg = Regression::<f64>::new();
//! let t = Array2::from_shape_fn((4, 2), |(i, j)| (i * j) as f64);
//! let y = reg.predict(x.view())?.to_owned();
//! let mse = (&y - &t).mapv(|d| d * d).sum() / 4.0; // divided by the rows
//! assert!((reg.forward_backward(x.view(), t.view())? - mse).abs() < 1e-12);
//! let wrong = Array2::<f64>::zeros((4, 1));
//! assert!(reg.forward_backward(x.view(), wrong.view()).is_err()); // not y's shape
//!
//! let mut cls = Classification::<f64>::new();
//! let t = [2, 0, 1, 1];
//! let y = cls.predict(x.view())?.to_owned();
//! let mut sce = 0.0;
//! for (row, &c) in y.rows().into_iter().zip(&t) {
//!     let log_sum_exp = row.mapv(f64::exp).sum().ln();
//!     sce += log_sum_exp - row[c];
//! }
//! assert!((cls.forward_backward(x.view(), &t)? - sce / 4.0).abs() < 1e-12);
//! assert!(cls.forward_backward(x.view(), &[2, 0, 1, 3]).is_err()); // class 3 of 3
//! assert!(cls.forward_backward(x.view(), &[2, 0, 1]).is_err()); // 3 targets, 4 rows
//! # Ok::<(), dezero::Error>(())
//! ```
