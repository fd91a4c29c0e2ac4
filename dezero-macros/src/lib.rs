//! The `model!` macro of dezero-rs: declared layers and a forward
//! expression in, a struct with a fused, allocation-free training pass out.
//!
//! Use it through the `dezero` facade (`dezero::model`), whose module
//! `dezero::model_reference` describes the language and the generated API
//! with tested examples. This crate is only the entry point: the compiler is the
//! ordinary library `dezero-compiler` (in `dezero-macros/compiler/`), so
//! that tests and the fuzzer can call it.

#![warn(missing_docs)]

// Two texts. rustdoc shows a re-exported item's own docs after the
// re-export's, so `dezero::model`'s page is the facade's tested
// documentation followed by the first text, a closing note (the docs of
// every build but this crate's rustdoc run). The second is this crate's own
// page: `cfg(doc)` is set for the crate being documented, never for its
// dependencies, so the facade, documented from this crate's normal
// metadata, never sees it. Its example cannot be tested here (it needs the
// facade, which depends on this crate), hence `ignore`.
#[cfg_attr(
    not(doc),
    doc = "`model!` is implemented by the `dezero-macros` crate, an entry point \
           over the `dezero-compiler` library; the language is described, with \
           tested examples, in `dezero::model_reference`."
)]
#[cfg_attr(
    doc,
    doc = r#"
Compiles a model declaration into a struct with fused training and
inference passes.

Use it through the `dezero` facade, as `dezero::model` (or
`use dezero::prelude::*`): the generated code refers to the runtime by the
path `::dezero::__private`.

```ignore
use dezero::prelude::*;

model! {
    /// The book's TwoLayerNet (step 45).
    pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
        l1: Linear(hidden_size),     // in_size taken from the first input
        l2: Linear(out_size),
    }
    fn forward(x) {
        let y = sigmoid(l1(x));
        l2(y)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

let mut model = TwoLayerNet::<f32>::new(10, 1);
let mut optimizer = SGD::new(0.2);
optimizer.setup(&model);
for _ in 0..1000 {
    model.cleargrads();
    let loss = model.forward_backward(x.view(), t.view())?; // fused, no allocation once warm
    optimizer.update();
}
let y = model.predict(x.view())?; // the inference plan
```

The generated `TwoLayerNet<T = f32>` has the layers as public fields,
`new`, `with_rng`, `forward_backward` (with `fn loss`), `predict`,
`accuracy` (with `softmax_cross_entropy`), `try_forward` and `plan`, and
implements `Layer`. A mistake in the input is a compile error at the
offending token.

The language reference, with tested examples of every rule, is the
`dezero` crate's module `dezero::model_reference`: the grammar, the layers
and functions with their shape rules, the generated type and its errors,
memory, and what the language refuses.
"#
)]
#[proc_macro]
pub fn model(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    dezero_compiler::expand(input.into()).into()
}
