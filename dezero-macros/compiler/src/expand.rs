//! The driver: parse → check → lower → shapes → autodiff → fuse → plan →
//! emit. On errors, the errors and a stub of the type.

use proc_macro2::TokenStream;

use crate::ctxt::Ctxt;
use crate::emit::{self, Compiled};
use crate::program::Mode;
use crate::{autodiff, check, fallback, fuse, ir, parse, plan, shape};

/// Expands one `model!` invocation.
pub fn model(input: TokenStream) -> TokenStream {
    let m = match parse::parse(input) {
        Ok(m) => m,
        Err(e) => return e.to_compile_error(),
    };
    match compile(&m) {
        Ok(ts) => ts,
        Err(e) => {
            let mut ts = fallback::stub(&m);
            ts.extend(e.to_compile_error());
            ts
        }
    }
}

/// Checks and compiles a parsed model.
fn compile(m: &parse::Model) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    check::check(&cx, m);
    cx.check()?;
    let graph = ir::lower(m);
    let cx = Ctxt::new();
    let shapes = shape::infer(&cx, &graph);
    cx.check()?;
    let program = |mode| {
        let p = fuse::fuse(autodiff::derive(&graph, &shapes, mode));
        let s = plan::assign(&p);
        (p, s)
    };
    // The naive plan keeps every intermediate of the unfused program.
    let naive = |mode| {
        let p = autodiff::derive(&graph, &shapes, mode);
        plan::naive(&p)
            .into_iter()
            .map(|b| (p.bufs[b.0].name.clone(), p.bufs[b.0].class))
            .collect()
    };
    let compiled = Compiled {
        model: m,
        graph: &graph,
        shapes: &shapes,
        train: graph.loss.map(|_| program(Mode::Train)),
        naive_train: naive(if graph.loss.is_some() {
            Mode::Train
        } else {
            Mode::Split
        }),
        naive_predict: naive(Mode::Predict),
        split: program(Mode::Split),
        predict: program(Mode::Predict),
    };
    Ok(emit::emit(&compiled))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: &str = "
        /// The book's TwoLayerNet.
        pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
            l1: Linear(hidden_size),
            l2: Linear(out_size),
        }
        fn forward(x) {
            let y = sigmoid(l1(x));
            l2(y)
        }
        fn loss(y, t) {
            mean_squared_error(y, t)
        }";

    fn expand(src: &str) -> String {
        model(src.parse().expect("tokens")).to_string()
    }

    #[test]
    fn expansion_is_deterministic() {
        let a = expand(NET);
        assert!(!a.contains("compile_error"), "{a}");
        for _ in 0..3 {
            assert_eq!(expand(NET), a);
        }
    }

    #[test]
    fn errors_come_with_a_stub_of_the_type() {
        let out = expand(&NET.replace("sigmoid(", "sigmod("));
        assert!(out.contains("compile_error"));
        assert!(out.contains("did you mean `sigmoid`?"));
        assert!(out.contains("struct TwoLayerNet"));
        assert_eq!(out.matches("compile_error").count(), 1);
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let src = NET
            .replace("sigmoid(", "sigmod(")
            .replace("Linear(out_size)", "Linear(0)");
        let out = expand(&src);
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }
}
