//! Sum, sum_to and broadcast_to: the reductions and their adjoints.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::error::Result;
use crate::function::{apply1, Function};
use crate::functions::checks;
use crate::kernels;
use crate::scalar::Scalar;
use crate::variable::Variable;

/// Sums elements, over all axes or the given ones (DeZero's `Sum`).
pub struct Sum {
    axis: Option<Vec<usize>>,
    keepdims: bool,
    x_shape: Vec<usize>,
}

/// The shape `gy` is reshaped to before broadcasting back to the input of a
/// sum over `axis`: the input's shape with the summed axes set to 1 (DeZero's
/// `utils.reshape_sum_backward`; the same whether or not `keepdims` was set).
fn keepdims_shape(x_shape: &[usize], axis: Option<&[usize]>) -> Vec<usize> {
    x_shape
        .iter()
        .enumerate()
        .map(|(i, &d)| match axis {
            Some(ax) if !ax.contains(&i) => d,
            _ => 1,
        })
        .collect()
}

impl<T: Scalar> Function<T> for Sum {
    fn name(&self) -> &'static str {
        "Sum"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let x = xs[0];
        self.x_shape = x.shape().to_vec();
        let y = match &self.axis {
            None => {
                let s = x.sum();
                if self.keepdims {
                    ArrayD::from_elem(IxDyn(&vec![1; x.ndim()]), s)
                } else {
                    ndarray::arr0(s).into_dyn()
                }
            }
            Some(axes) => {
                let mut sorted = axes.clone();
                sorted.sort_unstable();
                let mut y = x.clone();
                for &a in sorted.iter().rev() {
                    y = y.sum_axis(Axis(a));
                    if self.keepdims {
                        y = y.insert_axis(Axis(a));
                    }
                }
                y
            }
        };
        vec![y]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let shape = keepdims_shape(&self.x_shape, self.axis.as_deref());
        let gy = gys[0].reshape(&shape);
        vec![Some(broadcast_to(&gy, &self.x_shape))]
    }
}

fn check_axes(op: &str, axes: &[usize], ndim: usize) {
    for (i, &a) in axes.iter().enumerate() {
        assert!(
            a < ndim,
            "{op}: axis {a} is out of bounds for an array of dimension {ndim}"
        );
        // NumPy refuses a repeated axis; summing one twice would sum the
        // next axis instead.
        assert!(
            !axes[..i].contains(&a),
            "{op}: duplicate axis {a} in {axes:?}"
        );
    }
}

/// Sums all elements to a 0-d Variable (DeZero's `sum(x)`).
pub fn sum<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(
        Sum {
            axis: None,
            keepdims: false,
            x_shape: vec![],
        },
        &[x],
    )
}

/// Sums over `axes`, keeping them as length-1 axes when `keepdims`
/// (DeZero's `sum(x, axis, keepdims)`).
///
/// ```
/// use dezero_runtime::{functions::sum_axis, Variable};
/// let x = Variable::new(ndarray::Array::range(0.0_f64, 24.0, 1.0).into_shape_with_order(vec![2, 3, 4]).unwrap());
/// let y = sum_axis(&x, &[1], true);
/// assert_eq!(y.shape(), vec![2, 1, 4]);
/// ```
///
/// # Panics
/// If an axis is out of range or repeated (see [`try_sum_axis`] for a
/// checked version).
pub fn sum_axis<T: Scalar>(x: &Variable<T>, axes: &[usize], keepdims: bool) -> Variable<T> {
    check_axes("sum", axes, x.ndim());
    apply1(
        Sum {
            axis: Some(axes.to_vec()),
            keepdims,
            x_shape: vec![],
        },
        &[x],
    )
}

/// [`sum_axis`] that returns an error instead of panicking on a bad axis
/// (for axes that come from outside the program).
///
/// ```
/// use dezero_runtime::{functions::try_sum_axis, Variable};
/// let x = Variable::new(ndarray::Array::<f32, _>::zeros(vec![2, 3]));
/// assert_eq!(try_sum_axis(&x, &[1], false)?.shape(), vec![2]);
/// assert!(try_sum_axis(&x, &[2], false).is_err());
/// assert!(try_sum_axis(&x, &[0, 0], false).is_err());
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`](crate::Error::Shape) naming `sum` if an axis is out of
/// range or repeated.
pub fn try_sum_axis<T: Scalar>(
    x: &Variable<T>,
    axes: &[usize],
    keepdims: bool,
) -> Result<Variable<T>> {
    checks::axes("sum", &x.shape(), axes)?;
    Ok(sum_axis(x, axes, keepdims))
}

/// Sums an array down to a shape, the adjoint of broadcasting (DeZero's `SumTo`).
pub struct SumTo {
    shape: Vec<usize>,
    x_shape: Vec<usize>,
}

impl<T: Scalar> Function<T> for SumTo {
    fn name(&self) -> &'static str {
        "SumTo"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        self.x_shape = xs[0].shape().to_vec();
        vec![kernels::sum_to(xs[0].view(), &self.shape)]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(broadcast_to(&gys[0], &self.x_shape))]
    }
}

/// Sums `x` down to `shape` (DeZero's `sum_to`); returns `x` itself when the
/// shape already matches.
///
/// # Panics
/// If `shape` does not broadcast to `x`'s shape (see [`try_sum_to`] for a
/// checked version).
pub fn sum_to<T: Scalar>(x: &Variable<T>, shape: &[usize]) -> Variable<T> {
    if x.shape() == shape {
        return x.clone();
    }
    apply1(
        SumTo {
            shape: shape.to_vec(),
            x_shape: vec![],
        },
        &[x],
    )
}

/// [`sum_to`] that returns an error instead of panicking when `shape` does
/// not broadcast to `x`'s shape.
///
/// ```
/// use dezero_runtime::{functions::try_sum_to, Variable};
/// let x = Variable::new(ndarray::Array::<f32, _>::ones(vec![2, 3]));
/// assert_eq!(try_sum_to(&x, &[1, 3])?.to_array().sum(), 6.0);
/// let e = try_sum_to(&x, &[2]).unwrap_err();
/// assert_eq!(e.to_string(), "sum_to: expected a shape that [2] broadcasts to, got [2, 3]");
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`](crate::Error::Shape) naming `sum_to` and both shapes.
pub fn try_sum_to<T: Scalar>(x: &Variable<T>, shape: &[usize]) -> Result<Variable<T>> {
    checks::broadcasts("sum_to", shape, &x.shape())?;
    Ok(sum_to(x, shape))
}

/// Broadcasts an array to a shape (DeZero's `BroadcastTo`).
pub struct BroadcastTo {
    shape: Vec<usize>,
    x_shape: Vec<usize>,
}

impl<T: Scalar> Function<T> for BroadcastTo {
    fn name(&self) -> &'static str {
        "BroadcastTo"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        self.x_shape = xs[0].shape().to_vec();
        let y = xs[0]
            .broadcast(IxDyn(&self.shape))
            .unwrap_or_else(|| {
                panic!(
                    "broadcast_to: cannot broadcast shape {:?} to {:?}",
                    xs[0].shape(),
                    self.shape
                )
            })
            .to_owned();
        vec![y]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(sum_to(&gys[0], &self.x_shape))]
    }
}

/// Broadcasts `x` to `shape` (DeZero's `broadcast_to`); returns `x` itself
/// when the shape already matches.
///
/// # Panics
/// If `x` cannot be broadcast to `shape` (see [`try_broadcast_to`] for a
/// checked version).
pub fn broadcast_to<T: Scalar>(x: &Variable<T>, shape: &[usize]) -> Variable<T> {
    if x.shape() == shape {
        return x.clone();
    }
    apply1(
        BroadcastTo {
            shape: shape.to_vec(),
            x_shape: vec![],
        },
        &[x],
    )
}

/// [`broadcast_to`] that returns an error instead of panicking when `x`
/// cannot be broadcast to `shape`.
///
/// ```
/// use dezero_runtime::{functions::try_broadcast_to, Variable};
/// let x = Variable::new(ndarray::Array::<f32, _>::ones(vec![1, 3]));
/// assert_eq!(try_broadcast_to(&x, &[2, 3])?.shape(), vec![2, 3]);
/// assert!(try_broadcast_to(&x, &[2, 2]).is_err());
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`](crate::Error::Shape) naming `broadcast_to` and both
/// shapes.
pub fn try_broadcast_to<T: Scalar>(x: &Variable<T>, shape: &[usize]) -> Result<Variable<T>> {
    checks::broadcasts("broadcast_to", &x.shape(), shape)?;
    Ok(broadcast_to(x, shape))
}

impl<T: Scalar> Variable<T> {
    /// Sums all elements (DeZero's `x.sum()`).
    pub fn sum(&self) -> Variable<T> {
        sum(self)
    }
}
