//! # What the language refuses, and why
//!
//! Every mistake in a `model!` input is a compile error under the
//! offending token that says what would be right. All the mistakes of one
//! model are reported at once, each at its own token, and the model's type
//! is still declared — with its constructor and the fields that parsed —
//! so that the code using it does not fail a second time. The catalogue
//! below follows the repository's compile-fail tests (`tests/ui/`, one case
//! each, with the exact messages in their `.stderr` files); the examples
//! on this page are checked not to compile.
//!
//! ## Syntax
//!
//! The language is the grammar of [`grammar`](super::grammar) and nothing
//! more. Every value is a matrix whose width the compiler infers, so
//! nothing in a body has a type, and there are no scalars: values combine
//! with `+`, `-` and `*` only.
//!
//! | Written | Refused with |
//! |---|---|
//! | `a / b` | `` `/` is not supported: values combine with `+`, `-` and `*` (elementwise) `` |
//! | `l1(2 * x)` | `` constant `2` is not supported: an operand is a value such as `x`, `l1(x)` or `(a + b)` `` |
//! | `return l1(x);` | `` `return` is not supported: a function's value is its last expression, written without `;` `` |
//! | `l1(x);` as the last line | `` unexpected `;` after the function's value: its last expression is written without `;` `` |
//! | `fn forward(x: Variable)` | `` parameter `x` takes no type: remove `: Variable`; every value is a matrix whose width the compiler infers `` |
//! | `fn forward(x) -> Variable` | `` `fn forward` takes no return type: remove `-> Variable`; .. `` |
//! | `struct Net(hidden_size)` | `` constructor argument `hidden_size` needs a type: `hidden_size: usize` `` |
//! | `l1: Linear` | `` `Linear` needs its arguments in parentheses, e.g. `Linear(10)`, or `Block()` for a model without arguments `` |
//! | more than 128 nested brackets, calls or operators | `` expression nested too deeply: .. give parts of it a name with `let` `` |
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(1) }
//!     fn forward(x) { l1(x) / l1(x) } // no division
//! }
//! ```
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(1) }
//!     fn forward(x) { l1(2 * x) } // no constants
//! }
//! ```
//!
//! ## Names
//!
//! Each name means one thing, and nothing is declared in vain: a `let`
//! never used, or a layer never called (whose parameters no pass would
//! use), is an error. An unknown name is answered with the closest known
//! one, or with the names in scope.
//!
//! | Written | Refused with |
//! |---|---|
//! | no `fn forward` | `` model `Net` has no `fn forward(x)`: add one after the layers `` |
//! | `fn forwrd(x)` | `` unexpected `fn forwrd`: a model has `fn forward(x)` and may have `fn loss(y, t)`; did you mean `fn forward`? `` |
//! | two `fn forward`, two `fn loss` | `` duplicate `fn forward`: a model has one `fn forward(x)` `` |
//! | `fn loss` before `fn forward` | `` `fn loss` must come last, after `fn forward` `` |
//! | `fn forward(x, y)`, `fn loss(y)` | `` `fn forward` takes one parameter, the input: `fn forward(x)` `` |
//! | `fn loss(y, y)` | `` duplicate parameter `y`: the output and the target need two names, e.g. `fn loss(y, t)` `` |
//! | `hiden` for `hidden` | `` cannot find value `hiden` in this model; did you mean `hidden`? `` |
//! | `sigmod(h)` | `` unknown function `sigmod`; did you mean `sigmoid`? `` |
//! | `softmax(h)` | `` unknown function `softmax`; expected a layer (`l1`, `l2`) or one of `sigmoid`, `relu`, `tanh` `` |
//! | `l2(l1)` | `` `l1` is a layer; call it on a value: `l1(x)` `` |
//! | `sigmoid(a, b)`, `l1()` | `` `sigmoid` takes 1 argument but 2 were given: `sigmoid(x)` `` |
//! | `let unused = ..;` never read | `` `unused` is never used: use its value or remove the `let` `` |
//! | a layer never called | `` layer `l3` is declared but never called in `fn forward`: call it or remove it `` |
//! | an empty `fn forward` | `` `fn forward` must end with an expression: the model's output `` |
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(10), l2: Linear(1), l3: Linear(1) }
//!     fn forward(x) { l2(l1(x)) } // `l3` is never called
//! }
//! ```
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(10), l2: Linear(3) }
//!     fn forward(x) { softmax(l2(l1(x))) } // not a function of the language
//! }
//! ```
//!
//! ## Layers
//!
//! A layer is `Linear` or another `model!` type
//! ([`layers`](super::layers)); activations are functions, not layers. A
//! size is at least 1, and is an integer literal or a constructor argument
//! of type `usize`.
//!
//! | Written | Refused with |
//! |---|---|
//! | `Linaer(10)`, `linear(10)` | `` unknown layer `Linaer`; did you mean `Linear`? `` |
//! | `dense(10)` | `` unknown layer `dense`: a layer is `Linear(..)` or another `model!` type `` |
//! | `act: ReLU()` | `` `ReLU` is not a layer: activations are functions; call `relu(..)` in `fn forward` and remove this field `` |
//! | a type not in scope (`Blok()`, `BatchNorm(10)`) | rustc's `` cannot find type `Blok` in this scope `` |
//! | a nested model with other arguments than its constructor's | `` `Block<T>` is not built from arguments of types `(usize, {integer})` `` |
//! | `Linear(0)` | `` layer size `0` is too small: a size is at least 1 `` |
//! | `Linear()`, `Linear(nobias)` | `` `Linear` needs its output size: `Linear(out_size)` or `Linear(in_size, out_size)` `` |
//! | `Linear(1, 2, 3)` | `` `Linear` takes at most two sizes: `Linear(in_size, out_size)` `` |
//! | `Linear(nobias, 10)` | `` `nobias` must come after the sizes: `Linear(10, nobias)` `` |
//! | `Linear(10, nobias, nobias)` | `` duplicate `nobias`: write it once, after the sizes `` |
//! | `Linear(in_size = 3, 10)`, `nobias = true` | `` `in_size = 3` is a keyword argument: sizes are positional, .. `` |
//! | `Linear(2 * hidden_size)` | `` `2 * hidden_size` is not a layer size: a size is an integer literal or a constructor argument, .. `` |
//! | `Linear(hiden_size)`, `Linear(nobais)` | `` cannot find constructor argument `hiden_size`; did you mean `hidden_size`? `` |
//! | `struct Net(hidden_size: u32)` used as a size | `` `hidden_size` is a layer size, so its type must be `usize` `` |
//! | no layers | `` model `Net` has no layers: declare at least one, e.g. `l1: Linear(10)` `` |
//! | two layers `l1` | `` duplicate layer `l1`: each layer needs its own name `` |
//! | a layer named `relu` | `` layer `relu` has the name of a built-in function: rename the layer `` |
//! | a layer `__w` (or an argument `__out`) | `` layer name `__w` is reserved: names starting with `__` are the compiler's `` |
//! | an argument `in_size` or `rng` | `` constructor argument `in_size` is reserved: the generated `with_rng(.., in_size, rng)` takes a parameter of that name; rename it `` |
//! | an argument named like a layer | `` constructor argument `l1` has the name of a layer: rename one of them `` |
//! | two arguments `size` | `` duplicate constructor argument `size`: each argument needs its own name `` |
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(10), act: ReLU(), l2: Linear(1) }
//!     fn forward(x) { l2(act(l1(x))) } // `relu(..)` is a function
//! }
//! ```
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(0) }
//!     fn forward(x) { l1(x) }
//! }
//! ```
//!
//! ## Shapes
//!
//! Widths that provably disagree — two different literals that the forward
//! pass makes one width — are refused at the op that joins them. Widths
//! named by constructor arguments are checked at the first call instead
//! ([`layers`](super::layers#sizes-and-constructor-arguments)).
//!
//! | Written | Refused with |
//! |---|---|
//! | `Linear(3, 4)` fed into `Linear(5, 1)` | `` `l2` takes inputs of width 5 (declared `Linear(5, 1)`), but this value has width 4 `` |
//! | `a(x) + b(x)`, `a: Linear(10)`, `b: Linear(5)` | `` cannot add widths 10 and 5: both sides of `+` must have the same width `` |
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(3, 4), l2: Linear(5, 1) }
//!     fn forward(x) { l2(relu(l1(x))) } // width 4 into a layer of width 5
//! }
//! ```
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { a: Linear(10), b: Linear(5), out: Linear(1) }
//!     fn forward(x) { out(a(x) + b(x)) } // widths 10 and 5
//! }
//! ```
//!
//! ## Losses and nested models
//!
//! `fn forward` computes the output and `fn loss` scores it, so a loss is
//! only the last expression of `fn loss`, layers are called only in
//! `fn forward`, and the target is only the loss's second argument (the
//! loss's target type is fixed by the loss, see
//! [`functions`](super::functions#losses-and-targets)). A nested model is
//! called once per pass, because it keeps one pass's activations in its
//! workspace.
//!
//! | Written | Refused with |
//! |---|---|
//! | a loss in `fn forward` | `` `mean_squared_error` is a loss: it can only be the last expression of `fn loss`; `fn forward` computes the output, and `fn loss(y, t)` its loss `` |
//! | `fn loss` ending with something else (`sigmoid(y)`, a sum of two losses, nothing) | `` `fn loss` must end with a loss: `mean_squared_error(y, t)` or `softmax_cross_entropy(y, t)` `` |
//! | `l2(y)` in `fn loss` | `` layer `l2` is called in `fn loss`; call layers in `fn forward` `` |
//! | `mean_squared_error(t, y)` | `` the arguments are swapped: the output comes first, then the target: `mean_squared_error(y, t)` `` |
//! | `mean_squared_error(y, sigmoid(t))` | `` `sigmoid(t)` is not the target: the second argument of a loss is the target `t` itself `` |
//! | `mean_squared_error(y - t, t)` | `` the target `t` can only be the second argument of the loss, e.g. `mean_squared_error(y, t)` `` |
//! | `mean_square_error(y, t)`, `cross_entropy(y, t)` | `` unknown function `mean_square_error`; did you mean `mean_squared_error`? `` |
//! | `block(block(x))` | `` nested model `block` can be called only once per pass; declare a second field for a second use `` |
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(1) }
//!     fn forward(x) { mean_squared_error(l1(x), x) } // a loss in `fn forward`
//! }
//! ```
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(1) }
//!     fn forward(x) { l1(x) }
//!     fn loss(y, t) { mean_squared_error(y - t, t) } // the target as a value
//! }
//! ```
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Block { l1: Linear(4, 4) }
//!     fn forward(x) { tanh(l1(x)) }
//! }
//! model! {
//!     struct Net { block: Block(), out: Linear(1) }
//!     fn forward(x) { out(block(block(x))) } // a nested model twice
//! }
//! ```
//!
//! ## Using the generated type
//!
//! The rest is Rust's type system at work on the generated methods
//! ([`generated`](super::generated)): a method that makes no sense for the
//! model does not exist or does not compile, and data of the wrong type is
//! a type mismatch.
//!
//! | Written | Refused with |
//! |---|---|
//! | `forward_backward` on a model without `fn loss` | `` `Net` declares no `fn loss`, so it cannot be trained with `forward_backward` ``, with a note on adding one |
//! | `accuracy` on a model whose loss is not `softmax_cross_entropy` | rustc: no method named `accuracy` |
//! | class indices to `mean_squared_error`, an array to `softmax_cross_entropy` | rustc: mismatched types |
//! | `f64` data on an `f32` model | rustc: mismatched types |
//! | `Net::new(..)` where nothing fixes the element type | rustc: type annotations needed ([`generated`](super::generated#element-type)) |
//! | a define-by-run model as a field (`l1: MLP(..)`) | rustc: trait errors; only `model!` types nest ([`layers`](super::layers#nested-models)) |
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(1) }
//!     fn forward(x) { l1(x) }
//! }
//! let mut model = Net::<f32>::new();
//! let x = ndarray::Array2::<f32>::zeros((4, 1));
//! model.forward_backward(x.view(), x.view()); // no `fn loss`
//! ```
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(1) }
//!     fn forward(x) { l1(x) }
//!     fn loss(y, t) { mean_squared_error(y, t) }
//! }
//! let mut model = Net::<f32>::new();
//! let x = ndarray::Array2::<f32>::zeros((2, 1));
//! model.forward_backward(x.view(), &[0, 1]); // float targets, not classes
//! ```
//!
//! ```compile_fail
//! use dezero::prelude::*;
//! model! {
//!     struct Net { l1: Linear(1) }
//!     fn forward(x) { l1(x) }
//! }
//! let mut model = Net::<f32>::new();
//! let x = ndarray::Array2::<f64>::zeros((2, 1));
//! model.predict(x.view()); // f64 data, f32 model
//! ```
//!
//! ## Not in the language
//!
//! There are no convolutions, pooling, dropout, batch normalisation or
//! recurrent layers yet (the design's next steps), no other activations or
//! losses, and no scalars. A model that needs them is written with the
//! define-by-run API, which can still call a `model!` type as one of its
//! layers ([`generated`](super::generated#the-layer-impl-a-define-by-run-node)).
