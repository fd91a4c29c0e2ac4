//! The comparison of a compiled model against the same model written with
//! define-by-run Functions, shared by the differential tests on one thread
//! (`compiled_differential.rs`) and on two (`compiled_threads.rs`).

use dezero::prelude::*;
use ndarray::{Array2, ArrayD, Ix2};

/// A `rows`×`cols` matrix of uniform values in [−1, 1) from the global RNG.
pub fn data<T: Scalar>(rows: usize, cols: usize) -> Array2<T> {
    random::rand(&[rows, cols])
        .into_dimensionality::<Ix2>()
        .expect("2-d")
        .mapv(|v| T::from_f64_lossy(2.0 * v - 1.0))
}

/// A Variable holding a copy of `a`.
pub fn var<T: Scalar>(a: &Array2<T>) -> Variable<T> {
    Variable::new(a.clone().into_dyn())
}

/// Each parameter's name and gradient.
pub fn grads<T: Scalar>(m: &dyn Layer<T>) -> Vec<(String, ArrayD<T>)> {
    m.named_params()
        .into_iter()
        .map(|(n, p)| {
            let g = p.grad().unwrap_or_else(|| panic!("{n} has no grad"));
            let g = g.to_array();
            (n, g)
        })
        .collect()
}

/// Drops every parameter's gradient.
pub fn drop_grads<T: Scalar>(m: &dyn Layer<T>) {
    for p in m.params() {
        p.cleargrad();
    }
}

/// Asserts `a` within `tol` of `b` (relative, or absolute below 1).
pub fn close<T: Scalar>(what: &str, a: T, b: T, tol: f64) {
    let (a, b) = (a.to_f64_lossless(), b.to_f64_lossless());
    assert!(
        (a - b).abs() <= tol * b.abs().max(1.0),
        "{what}: compiled {a} vs define-by-run {b}"
    );
}

/// Asserts two gradient lists equal name by name within `tol`.
pub fn same_grads<T: Scalar>(c: &[(String, ArrayD<T>)], d: &[(String, ArrayD<T>)], tol: f64) {
    assert_eq!(c.len(), d.len());
    for ((nc, gc), (nd, gd)) in c.iter().zip(d) {
        assert_eq!(nc, nd);
        assert_eq!(gc.shape(), gd.shape(), "{nc}");
        for (a, b) in gc.iter().zip(gd) {
            close(nc, *a, *b, tol);
        }
    }
}

/// Runs the three comparisons for one model: fused pass vs define-by-run,
/// the compiled node inside a define-by-run graph vs define-by-run, and
/// `predict` vs the define-by-run output.
macro_rules! differential {
    ($model:expr, $x:expr, $t:expr, $tv:expr, $dbr:expr, $loss:expr, $tol:expr) => {{
        let mut m = $model;
        let x = $x;
        let xv = var(&x);
        // compiled (initialises the lazy layers, as a first call would)
        m.cleargrads();
        let lc = m.forward_backward(x.view(), $t).expect("fits");
        let gc = grads(&m);
        // define-by-run on the same weights
        drop_grads(&m);
        let y = $dbr(&m, &xv);
        let ld = $loss(&y, $tv);
        ld.backward();
        close("loss", lc, ld.data()[[]], $tol);
        same_grads(&gc, &grads(&m), $tol);
        // predict
        let yc = m.predict(x.view()).expect("fits").to_owned();
        for (a, b) in yc.iter().zip(y.data().iter()) {
            close("predict", *a, *b, $tol);
        }
        // the compiled model as one define-by-run node
        drop_grads(&m);
        let yn = Layer::forward(&m, &xv);
        let ln = $loss(&yn, $tv);
        ln.backward();
        close("node loss", ln.data()[[]], ld.data()[[]], $tol);
        same_grads(&grads(&m), &gc, $tol);
        // grads accumulate over two fused passes without cleargrads
        m.cleargrads();
        m.forward_backward(x.view(), $t).expect("fits");
        m.forward_backward(x.view(), $t).expect("fits");
        let twice: Vec<_> = gc
            .iter()
            .map(|(n, g)| (n.clone(), g.mapv(|v| v + v)))
            .collect();
        same_grads(&grads(&m), &twice, $tol);
        // cleargrads drops every gradient, as DeZero's does; the next pass
        // overwrites the arrays it set aside (holding the doubled sums
        // above), rather than adding to them
        m.cleargrads();
        for (n, p) in m.named_params() {
            assert!(p.grad().is_none(), "{n} has a grad after cleargrads");
        }
        m.forward_backward(x.view(), $t).expect("fits");
        same_grads(&grads(&m), &gc, $tol);
    }};
}
