//! What a compiled model's `forward_backward` and `accuracy` take as
//! targets, as traits: a target of the wrong type is then an error at the
//! argument saying what the model's loss expects, rather than a type
//! mismatch whose note points at the whole `model!` call.

use std::convert::Infallible;

use ndarray::{ArrayBase, ArrayView2, ArrayViewD, Data, Ix2, IxDyn};

use super::input::Batch;
use crate::error::Result;

use crate::Scalar;

/// A target for a model trained with `mean_squared_error`: a matrix of
/// the output's shape, of the model's element type `T`. Taken by the
/// generated `forward_backward`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a target for `mean_squared_error` on a model of `{T}`",
    label = "expected an `ArrayView2<'_, {T}>` (or `&Array2<{T}>`) of the output's shape",
    note = "a model whose `fn loss` ends with `mean_squared_error(y, t)` takes `t.view()` of an `Array2<{T}>`, `{T}` being the model's element type (`Net::<{T}>::new(..)`); class indices (`&[usize]`) are the targets of `softmax_cross_entropy`"
)]
pub trait MseTarget<'a, T: Scalar> {
    /// The target as a matrix view.
    ///
    /// # Errors
    /// [`Error::Shape`](crate::Error::Shape) naming `who` if the target
    /// does not have two axes.
    fn target(self, who: &str) -> Result<ArrayView2<'a, T>>;
}

// The matrices [`Batch`] takes, each as a target too (written out, so that
// rustc's list of what implements the trait reads as types).
impl<'a, T: Scalar> MseTarget<'a, T> for ArrayView2<'a, T> {
    fn target(self, who: &str) -> Result<ArrayView2<'a, T>> {
        self.into_matrix(who)
    }
}

impl<'a, T: Scalar> MseTarget<'a, T> for ArrayViewD<'a, T> {
    fn target(self, who: &str) -> Result<ArrayView2<'a, T>> {
        self.into_matrix(who)
    }
}

impl<'a, T: Scalar, S: Data<Elem = T>> MseTarget<'a, T> for &'a ArrayBase<S, Ix2> {
    fn target(self, who: &str) -> Result<ArrayView2<'a, T>> {
        self.into_matrix(who)
    }
}

impl<'a, T: Scalar, S: Data<Elem = T>> MseTarget<'a, T> for &'a ArrayBase<S, IxDyn> {
    fn target(self, who: &str) -> Result<ArrayView2<'a, T>> {
        self.into_matrix(who)
    }
}

/// The targets of a model trained with `softmax_cross_entropy`: one class
/// index per row. Taken by the generated `forward_backward`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a list of class targets for `softmax_cross_entropy`",
    label = "expected class indices, `&[usize]`",
    note = "a model whose `fn loss` ends with `softmax_cross_entropy(y, t)` takes one class index per row, `&[usize]` (or `&Vec<usize>`); a matrix of the output's shape is the target of `mean_squared_error`"
)]
pub trait ClassTargets<'a> {
    /// The class indices.
    fn classes(self) -> &'a [usize];
}

impl<'a> ClassTargets<'a> for &'a [usize] {
    fn classes(self) -> &'a [usize] {
        self
    }
}

impl<'a> ClassTargets<'a> for &'a Vec<usize> {
    fn classes(self) -> &'a [usize] {
        self
    }
}

impl<'a, const N: usize> ClassTargets<'a> for &'a [usize; N] {
    fn classes(self) -> &'a [usize] {
        self
    }
}

/// Implemented by the `model!` types trained with `softmax_cross_entropy`,
/// whose outputs are class scores; a model with another loss, or none, has
/// an `accuracy` that does not compile, with this message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not trained with `softmax_cross_entropy`, so it has no `accuracy`",
    label = "needs a model whose outputs are class scores",
    note = "`accuracy` counts the rows whose largest output is the target class: it is generated for a model whose `fn loss` ends with `softmax_cross_entropy(y, t)`"
)]
pub trait HasClassTargets {
    /// Never called: a model without class targets has no implementation.
    fn unreachable() -> Infallible;
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn classes<'a>(t: impl ClassTargets<'a>) -> &'a [usize] {
        t.classes()
    }

    fn target<'a>(t: impl MseTarget<'a, f64>) -> ArrayView2<'a, f64> {
        t.target("test").expect("a matrix")
    }

    #[test]
    fn targets_are_read_from_every_form() {
        let v = vec![2, 0, 1];
        assert_eq!(classes(&v), [2, 0, 1]);
        assert_eq!(classes(&v[..]), [2, 0, 1]);
        assert_eq!(classes(&[2, 0, 1]), [2, 0, 1]);
        let a = Array2::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f64);
        assert_eq!(target(&a), a.view());
        assert_eq!(target(a.view()), a.view());
        let v = a.view();
        let by_ref: &ArrayView2<'_, f64> = &v;
        assert_eq!(target(by_ref), a.view());
        let d = a.clone().into_dyn();
        assert_eq!(target(&d), a.view());
        assert_eq!(target(d.view()), a.view());
        let flat = ndarray::Array1::<f64>::zeros(3).into_dyn();
        let e = flat.view().target("Net.forward_backward").unwrap_err();
        assert!(e.to_string().contains("Net.forward_backward"), "{e}");
    }
}
