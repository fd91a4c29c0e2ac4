//! Maximum and minimum over all elements or over axes (DeZero's `Max`,
//! `Min`).

use ndarray::{ArrayD, Axis, IxDyn, Zip};

use crate::function::{apply1, Function};
use crate::functions::checks;
use crate::functions::{broadcast_to, reshape};
use crate::scalar::Scalar;
use crate::variable::Variable;

/// Whether a reduction keeps the maximum or the minimum.
#[derive(Clone, Copy)]
enum Extreme {
    Max,
    Min,
}

impl Extreme {
    /// NumPy's name for the op in messages.
    fn op(self) -> &'static str {
        match self {
            Extreme::Max => "max",
            Extreme::Min => "min",
        }
    }

    /// The kept one of two values; NaN wins, as in NumPy's `max`/`min`.
    fn pick<T: Scalar>(self, a: T, b: T) -> T {
        let keep_a = match self {
            Extreme::Max => a >= b,
            Extreme::Min => a <= b,
        };
        if a.is_nan() || keep_a {
            a
        } else {
            b
        }
    }

    /// Reduces `x` over `axis` (all axes when `None`).
    fn reduce<T: Scalar>(self, x: &ArrayD<T>, axis: Option<&[usize]>, keepdims: bool) -> ArrayD<T> {
        let nonempty = "reduced lanes are non-empty (checked by the wrapper)";
        match axis {
            None => {
                let m = x
                    .iter()
                    .copied()
                    .reduce(|a, b| self.pick(a, b))
                    .expect(nonempty);
                if keepdims {
                    ArrayD::from_elem(IxDyn(&vec![1; x.ndim()]), m)
                } else {
                    ndarray::arr0(m).into_dyn()
                }
            }
            Some(axes) => {
                let mut sorted = axes.to_vec();
                sorted.sort_unstable();
                let mut y = x.clone();
                for &a in sorted.iter().rev() {
                    y = y.map_axis(Axis(a), |lane| {
                        lane.iter()
                            .copied()
                            .reduce(|p, q| self.pick(p, q))
                            .expect(nonempty)
                    });
                    if keepdims {
                        y = y.insert_axis(Axis(a));
                    }
                }
                y
            }
        }
    }
}

/// `x`'s shape with the reduced axes set to 1 (DeZero's
/// `utils.max_backward_shape`).
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

/// The gradient shared by [`Max`] and [`Min`]: `gy` goes to every position
/// equal to the result (all of them, on ties), 0 elsewhere.
fn extreme_backward<T: Scalar>(
    axis: Option<&[usize]>,
    x: &Variable<T>,
    y: &Variable<T>,
    gy: &Variable<T>,
) -> Variable<T> {
    let x_shape = x.shape();
    let shape = keepdims_shape(&x_shape, axis);
    let cond = {
        let xd = x.data();
        let yd = y.data();
        let yb = yd
            .to_shape(IxDyn(&shape))
            .expect("the result has the reduced shape's elements");
        let yb = yb
            .broadcast(xd.raw_dim())
            .expect("the reduced shape broadcasts to x");
        Zip::from(&*xd)
            .and(&yb)
            .map_collect(|&a, &b| if a == b { T::one() } else { T::zero() })
    };
    let gy = broadcast_to(&reshape(gy, &shape), &x_shape);
    &gy * &Variable::new(cond)
}

/// The maximum over all elements or over axes (DeZero's `Max`).
pub struct Max {
    axis: Option<Vec<usize>>,
    keepdims: bool,
}

impl<T: Scalar> Function<T> for Max {
    fn name(&self) -> &'static str {
        "Max"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![Extreme::Max.reduce(xs[0], self.axis.as_deref(), self.keepdims)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(extreme_backward(
            self.axis.as_deref(),
            &xs[0],
            &ys[0],
            &gys[0],
        ))]
    }
}

/// The minimum over all elements or over axes (DeZero's `Min`).
pub struct Min {
    axis: Option<Vec<usize>>,
    keepdims: bool,
}

impl<T: Scalar> Function<T> for Min {
    fn name(&self) -> &'static str {
        "Min"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![Extreme::Min.reduce(xs[0], self.axis.as_deref(), self.keepdims)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(extreme_backward(
            self.axis.as_deref(),
            &xs[0],
            &ys[0],
            &gys[0],
        ))]
    }
}

/// Checks the axes and that no reduced lane is empty, with NumPy's messages.
fn check(which: Extreme, shape: &[usize], axis: Option<&[usize]>) {
    let op = which.op();
    if let Some(axes) = axis {
        for (i, &a) in axes.iter().enumerate() {
            assert!(
                a < shape.len(),
                "{op}: axis {a} is out of bounds for an array of shape {shape:?}"
            );
            assert!(
                !axes[..i].contains(&a),
                "{op}: duplicate axis {a} in {axes:?}"
            );
        }
    }
    let empty = match axis {
        None => shape.contains(&0),
        Some(axes) => axes.iter().any(|&a| shape[a] == 0),
    };
    assert!(
        !empty,
        "{op}: zero-size reduction over an array of shape {shape:?} has no identity"
    );
}

/// The largest element, as a 0-d Variable (DeZero's `max(x)`); its gradient
/// goes to every position holding the maximum.
///
/// ```
/// use dezero_runtime::{functions::max, Variable};
/// let x = Variable::new(ndarray::arr1(&[1.0_f64, 3.0, 3.0, 2.0]).into_dyn());
/// let y = max(&x);
/// y.backward();
/// assert_eq!(y.data()[[]], 3.0);
/// assert_eq!(x.grad().unwrap().to_array().into_raw_vec_and_offset().0, vec![0.0, 1.0, 1.0, 0.0]);
/// ```
///
/// # Panics
/// If `x` has no elements (the message names `max` and the shape).
pub fn max<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    check(Extreme::Max, &x.shape(), None);
    apply1(
        Max {
            axis: None,
            keepdims: false,
        },
        &[x],
    )
}

/// The maximum over `axes`, keeping them as length-1 axes when `keepdims`
/// (DeZero's `max(x, axis, keepdims)`).
///
/// ```
/// use dezero_runtime::{functions::max_axis, Variable};
/// use ndarray::array;
/// let x = Variable::new(array![[1.0_f64, 5.0], [4.0, 2.0]].into_dyn());
/// let y = max_axis(&x, &[1], true);
/// assert_eq!(y.to_array(), array![[5.0], [4.0]].into_dyn());
/// ```
///
/// # Panics
/// If an axis is out of range or repeated, or a reduced axis has length 0
/// (the message names `max` and `x`'s shape; see [`try_max_axis`] for a
/// checked version).
pub fn max_axis<T: Scalar>(x: &Variable<T>, axes: &[usize], keepdims: bool) -> Variable<T> {
    check(Extreme::Max, &x.shape(), Some(axes));
    apply1(
        Max {
            axis: Some(axes.to_vec()),
            keepdims,
        },
        &[x],
    )
}

/// The smallest element, as a 0-d Variable (DeZero's `min(x)`); its gradient
/// goes to every position holding the minimum.
///
/// ```
/// use dezero_runtime::{functions::min, Variable};
/// let x = Variable::new(ndarray::arr1(&[1.0_f64, -3.0, 2.0]).into_dyn());
/// assert_eq!(min(&x).data()[[]], -3.0);
/// ```
///
/// # Panics
/// If `x` has no elements (the message names `min` and the shape).
pub fn min<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    check(Extreme::Min, &x.shape(), None);
    apply1(
        Min {
            axis: None,
            keepdims: false,
        },
        &[x],
    )
}

/// The minimum over `axes`, keeping them as length-1 axes when `keepdims`
/// (DeZero's `min(x, axis, keepdims)`).
///
/// ```
/// use dezero_runtime::{functions::min_axis, Variable};
/// use ndarray::array;
/// let x = Variable::new(array![[1.0_f64, 5.0], [4.0, 2.0]].into_dyn());
/// assert_eq!(min_axis(&x, &[0], false).to_array(), array![1.0, 2.0].into_dyn());
/// ```
///
/// # Panics
/// If an axis is out of range or repeated, or a reduced axis has length 0
/// (the message names `min` and `x`'s shape; see [`try_min_axis`] for a
/// checked version).
pub fn min_axis<T: Scalar>(x: &Variable<T>, axes: &[usize], keepdims: bool) -> Variable<T> {
    check(Extreme::Min, &x.shape(), Some(axes));
    apply1(
        Min {
            axis: Some(axes.to_vec()),
            keepdims,
        },
        &[x],
    )
}

/// [`max_axis`] that returns an error instead of panicking on a bad axis
/// or an empty reduction (for axes that come from outside the program).
///
/// ```
/// use dezero_runtime::{functions::try_max_axis, Variable};
/// let x = Variable::new(ndarray::array![[1.0_f64, 5.0], [4.0, 2.0]].into_dyn());
/// assert_eq!(try_max_axis(&x, &[0], false)?.to_array(), ndarray::array![4.0, 5.0].into_dyn());
/// assert!(try_max_axis(&x, &[2], false).is_err());
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`](crate::Error::Shape) naming `max` if an axis is out of
/// range or repeated, or a reduced axis has length 0.
pub fn try_max_axis<T: Scalar>(
    x: &Variable<T>,
    axes: &[usize],
    keepdims: bool,
) -> crate::Result<Variable<T>> {
    let shape = x.shape();
    checks::axes("max", &shape, axes)?;
    checks::nonempty("max", &shape, Some(axes))?;
    Ok(max_axis(x, axes, keepdims))
}

/// [`min_axis`] that returns an error instead of panicking (see
/// [`try_max_axis`]).
///
/// # Errors
/// As [`try_max_axis`], naming `min`.
pub fn try_min_axis<T: Scalar>(
    x: &Variable<T>,
    axes: &[usize],
    keepdims: bool,
) -> crate::Result<Variable<T>> {
    let shape = x.shape();
    checks::axes("min", &shape, axes)?;
    checks::nonempty("min", &shape, Some(axes))?;
    Ok(min_axis(x, axes, keepdims))
}

impl<T: Scalar> Variable<T> {
    /// The largest element (DeZero's `x.max()`); see [`max`].
    ///
    /// # Panics
    /// If `x` has no elements.
    pub fn max(&self) -> Variable<T> {
        max(self)
    }

    /// The smallest element (DeZero's `x.min()`); see [`min`].
    ///
    /// # Panics
    /// If `x` has no elements.
    pub fn min(&self) -> Variable<T> {
        min(self)
    }
}
