//! Matrix product and the affine map (`matmul`, `linear`, `linear_simple`).

use ndarray::{Array2, ArrayD, Ix1, Ix2};

use crate::function::{apply1, Function};
use crate::functions::{sum_to, transpose};
use crate::kernels;
use crate::scalar::Scalar;
use crate::variable::Variable;

fn as_matrix<'a, T: Scalar>(op: &str, what: &str, a: &'a ArrayD<T>) -> ndarray::ArrayView2<'a, T> {
    a.view().into_dimensionality::<Ix2>().unwrap_or_else(|_| {
        panic!(
            "{op}: {what} must be 2-dimensional, got shape {:?}",
            a.shape()
        )
    })
}

fn product<T: Scalar>(op: &str, x: &ArrayD<T>, w: &ArrayD<T>, b: Option<&ArrayD<T>>) -> ArrayD<T> {
    let x2 = as_matrix(op, "x", x);
    let w2 = as_matrix(op, "W", w);
    assert_eq!(
        x2.ncols(),
        w2.nrows(),
        "{op}: shapes {:?} and {:?} not aligned: {} (dim 1) != {} (dim 0)",
        x.shape(),
        w.shape(),
        x2.ncols(),
        w2.nrows()
    );
    let mut y = Array2::zeros((x2.nrows(), w2.ncols()));
    let b1 = b.map(|b| {
        let b1 = b
            .view()
            .into_dimensionality::<Ix1>()
            .unwrap_or_else(|_| panic!("{op}: b must be 1-dimensional, got shape {:?}", b.shape()));
        assert_eq!(
            b1.len(),
            w2.ncols(),
            "{op}: b of shape {:?} does not match W of shape {:?} ({} columns)",
            b.shape(),
            w.shape(),
            w2.ncols()
        );
        b1
    });
    kernels::affine(x2, w2, b1, y.view_mut());
    y.into_dyn()
}

/// `y = x·W` for matrices (DeZero's `MatMul`).
pub struct MatMul;

impl<T: Scalar> Function<T> for MatMul {
    fn name(&self) -> &'static str {
        "MatMul"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![product("matmul", xs[0], xs[1], None)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (x, w, gy) = (&xs[0], &xs[1], &gys[0]);
        let gx = matmul(gy, &transpose(w));
        let gw = matmul(&transpose(x), gy);
        vec![Some(gx), Some(gw)]
    }
}

/// The matrix product `x·W` (DeZero's `matmul`).
///
/// ```
/// use dezero_runtime::{functions::matmul, Variable};
/// use ndarray::array;
/// let x = Variable::new(array![[1.0_f64, 2.0]].into_dyn());
/// let w = Variable::new(array![[3.0_f64], [4.0]].into_dyn());
/// assert_eq!(matmul(&x, &w).data()[[0, 0]], 11.0);
/// ```
///
/// # Panics
/// If either operand is not 2-dimensional or the inner sizes differ.
pub fn matmul<T: Scalar>(x: &Variable<T>, w: &Variable<T>) -> Variable<T> {
    apply1(MatMul, &[x, w])
}

/// `y = x·W + b` as one Function (DeZero's `Linear` function): it keeps no
/// intermediate `x·W` alive, unlike [`linear_simple`] before it frees one.
pub struct LinearFn;

impl<T: Scalar> Function<T> for LinearFn {
    fn name(&self) -> &'static str {
        "Linear"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![product("linear", xs[0], xs[1], xs.get(2).copied())]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (x, w, gy) = (&xs[0], &xs[1], &gys[0]);
        let gx = matmul(gy, &transpose(w));
        let gw = matmul(&transpose(x), gy);
        let mut out = vec![Some(gx), Some(gw)];
        if let Some(b) = xs.get(2) {
            out.push(Some(sum_to(gy, &b.shape())));
        }
        out
    }
}

/// `x·W + b` in one Function (DeZero's `linear`); `b` may be `None`.
///
/// # Panics
/// If the shapes do not chain.
pub fn linear<T: Scalar>(x: &Variable<T>, w: &Variable<T>, b: Option<&Variable<T>>) -> Variable<T> {
    match b {
        Some(b) => apply1(LinearFn, &[x, w, b]),
        None => apply1(LinearFn, &[x, w]),
    }
}

/// `x·W + b` composed of `matmul` and `+`, freeing the intermediate `t =
/// x·W` by hand as the book does (`t.data = None`): `Add`'s backward reads
/// no input data, so the graph stays differentiable.
///
/// # Panics
/// If the shapes do not chain.
pub fn linear_simple<T: Scalar>(
    x: &Variable<T>,
    w: &Variable<T>,
    b: Option<&Variable<T>>,
) -> Variable<T> {
    let t = matmul(x, w);
    let Some(b) = b else {
        return t;
    };
    let y = &t + b;
    t.free_data();
    y
}
