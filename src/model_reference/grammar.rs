//! # Grammar, names and values
//!
//! A `model!` input is one struct-like declaration of the layers followed
//! by one or two functions. The grammar, as the parser
//! (`dezero-macros/compiler/src/parse.rs` and `parse/expr.rs`) states it in
//! its doc comments:
//!
//! ```text
//! Model    := Attribute* Visibility `struct` Ident CtorArgs? `{` Field,* `}` Function*
//! CtorArgs := `(` CtorArg,* `)`
//! CtorArg  := Ident `:` Type
//! Field    := Attribute* `pub`? Ident `:` Path `(` Arg,* `)`
//! Function := `fn` Ident `(` Ident,* `)` Body
//! Body     := `{` Let* Expr? `}`
//! Let      := `let` Ident `=` Expr `;`
//! Expr     := Term ((`+` | `-`) Term)*
//! Term     := Atom (`*` Atom)*
//! Atom     := Ident `(` Expr,* `)` | Ident | `(` Expr `)`
//! ```
//!
//! `Arg` is a layer's argument: for `Linear` a size (an integer literal or a
//! constructor argument) or `nobias` (see [`layers`](super::layers)); for a
//! nested model, an expression passed to its constructor.
//!
//! ## The declaration
//!
//! - **Attributes** before `struct` (doc comments) go onto the generated
//!   struct, and the **visibility** is the struct's: `pub struct`,
//!   `pub(crate) struct`, or none. Doc comments on a field go onto that
//!   field; without one, the field is documented with its declaration
//!   (``Layer `l1`: `Linear(10)`.``).
//! - **Constructor arguments** `(name: Type, ..)` become the arguments of
//!   the generated `new`, in order; they are in scope in the layer
//!   declarations, nowhere else. A model without arguments may omit the
//!   parentheses (`struct Net { .. }`).
//! - **Fields** are the layers, at least one, each with a name unique in
//!   the model. They are always public fields of the struct; `pub` may be
//!   written and changes nothing.
//!
//! ## The functions
//!
//! - `fn forward(x)` comes first and is required. Its one parameter is the
//!   model's input (any name); its last expression, written without `;`, is
//!   the model's output.
//! - `fn loss(y, t)` is optional and comes last. Its parameters are the
//!   output of `fn forward` and the target (any two names). Its last
//!   expression is a loss whose second argument is the target itself; a
//!   model without `fn loss` can be predicted with, nested and called as a
//!   layer, but not trained with `forward_backward`.
//! - Neither takes types or a return type; there is no `return`, `if`,
//!   loop, literal, method call or other statement. Everything is in the
//!   grammar above.
//!
//! ## Names and scopes
//!
//! In `fn forward`, a name is the input, a `let` binding made above it, or
//! — when called — a layer or an activation (`sigmoid`, `relu`, `tanh`). In
//! `fn loss`, the output `y`, the `let` bindings above, the activations, and
//! the loss; the target appears only as the loss's second argument; layers
//! are not called there. A `let` may shadow an earlier binding of the same
//! name, as in Rust, and every binding must be used. Every declared layer
//! must be called in `fn forward`.
//!
//! ## Values
//!
//! Every value is a matrix `[N, width]`. `N`, the batch's row count, is
//! known at run time and is the same for every value of a pass; each
//! width is known at compile time (a literal), named by a constructor
//! argument, or taken from the input at the first call. The compiler
//! checks that widths that must be equal can be (see
//! [`functions`](super::functions) for each op's rule).
//!
//! `*` binds tighter than `+` and `-`, and all three are left-associative,
//! as in Rust:
//!
//! ```
//! use dezero::functions::{relu, sigmoid};
//! use dezero::prelude::*;
//!
//! model! {
//!     /// Precedence, shadowing and the input's name.
//!     struct Gated {
//!         /// The layer whose output is gated.
//!         pub l1: Linear(4),
//!         gate: Linear(4),
//!     }
//!     fn forward(input) {
//!         let h = l1(input);
//!         let h = relu(h);              // shadows the `h` above
//!         h + h * sigmoid(gate(input))  // h + (h * sigmoid(..))
//!     }
//! }
//!
//! let mut model = Gated::<f64>::new();
//! let x = ndarray::Array2::from_shape_fn((3, 2), |(i, j)| i as f64 - j as f64);
//! let y = model.predict(x.view())?.to_owned();
//!
//! // The same computation with define-by-run calls on the same layers.
//! let v = Variable::new(x.into_dyn());
//! let h = relu(&model.l1.forward(&v));
//! let want = (&h + &(&h * &sigmoid(&model.gate.forward(&v)))).to_array();
//! assert_eq!(want.shape(), y.shape());
//! assert!(y.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-10));
//! # Ok::<(), dezero::Error>(())
//! ```
