//! Tensor ops: reshape, transpose, get_item (row selection).

use ndarray::{ArrayD, Axis, IxDyn};

use crate::error::Result;
use crate::function::{apply1, Function};
use crate::functions::checks;
use crate::scalar::Scalar;
use crate::variable::Variable;

/// Gives an array a new shape with the same elements (DeZero's `Reshape`).
pub struct Reshape {
    shape: Vec<usize>,
    x_shape: Vec<usize>,
}

impl<T: Scalar> Function<T> for Reshape {
    fn name(&self) -> &'static str {
        "Reshape"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let x = xs[0];
        self.x_shape = x.shape().to_vec();
        let y = x
            .to_shape((IxDyn(&self.shape), ndarray::Order::RowMajor))
            .unwrap_or_else(|_| {
                panic!(
                    "reshape: cannot reshape array of shape {:?} into shape {:?}",
                    x.shape(),
                    self.shape
                )
            })
            .into_owned();
        vec![y]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(reshape(&gys[0], &self.x_shape))]
    }
}

/// Reshapes `x` (DeZero's `reshape`); returns `x` itself when the shape is
/// unchanged.
///
/// ```
/// use dezero_runtime::{functions::reshape, Variable};
/// let x = Variable::new(ndarray::Array::<f32, _>::zeros(vec![2, 3]));
/// let y = reshape(&x, &[6]);
/// assert_eq!(y.shape(), vec![6]);
/// ```
///
/// # Panics
/// If the element counts differ (see [`try_reshape`] for a checked version).
pub fn reshape<T: Scalar>(x: &Variable<T>, shape: &[usize]) -> Variable<T> {
    if x.shape() == shape {
        return x.clone();
    }
    apply1(
        Reshape {
            shape: shape.to_vec(),
            x_shape: vec![],
        },
        &[x],
    )
}

/// [`reshape`] that returns an error instead of panicking when the element
/// counts differ (for shapes that come from outside the program).
///
/// # Errors
/// [`Error::Shape`](crate::Error::Shape) naming both shapes.
pub fn try_reshape<T: Scalar>(x: &Variable<T>, shape: &[usize]) -> crate::Result<Variable<T>> {
    let have: usize = x.shape().iter().product();
    let want: usize = shape.iter().product();
    if have != want {
        return Err(crate::Error::Shape {
            op: "reshape".into(),
            expected: format!("{want} elements"),
            got: format!("shape {:?} ({have} elements)", x.shape()),
        });
    }
    Ok(reshape(x, shape))
}

/// Permutes axes (DeZero's `Transpose`); with no axes given, reverses them.
pub struct Transpose {
    axes: Option<Vec<usize>>,
}

impl Transpose {
    fn perm(&self, ndim: usize) -> Vec<usize> {
        self.axes
            .clone()
            .unwrap_or_else(|| (0..ndim).rev().collect())
    }
}

impl<T: Scalar> Function<T> for Transpose {
    fn name(&self) -> &'static str {
        "Transpose"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let x = xs[0];
        let perm = self.perm(x.ndim());
        let y = x.view().permuted_axes(IxDyn(&perm));
        // Store in standard (row-major) layout so later ops see plain arrays.
        vec![y.as_standard_layout().into_owned()]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let gy = &gys[0];
        match &self.axes {
            None => vec![Some(transpose(gy))],
            Some(axes) => {
                let mut inv = vec![0; axes.len()];
                for (i, &a) in axes.iter().enumerate() {
                    inv[a] = i;
                }
                vec![Some(transpose_axes(gy, &inv))]
            }
        }
    }
}

/// Reverses the axes (DeZero's `transpose(x)`, `x.T`).
pub fn transpose<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(Transpose { axes: None }, &[x])
}

/// Permutes the axes (DeZero's `transpose(x, axes)`).
///
/// # Panics
/// If `axes` is not a permutation of `0..x.ndim()` (see
/// [`try_transpose_axes`] for a checked version).
pub fn transpose_axes<T: Scalar>(x: &Variable<T>, axes: &[usize]) -> Variable<T> {
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    assert!(
        sorted == (0..x.ndim()).collect::<Vec<_>>(),
        "transpose: axes {axes:?} are not a permutation for shape {:?}",
        x.shape()
    );
    apply1(
        Transpose {
            axes: Some(axes.to_vec()),
        },
        &[x],
    )
}

/// [`transpose_axes`] that returns an error instead of panicking when
/// `axes` is not a permutation of `x`'s axes.
///
/// ```
/// use dezero_runtime::{functions::try_transpose_axes, Variable};
/// let x = Variable::new(ndarray::Array::<f32, _>::zeros(vec![2, 3, 4]));
/// assert_eq!(try_transpose_axes(&x, &[2, 0, 1])?.shape(), vec![4, 2, 3]);
/// assert!(try_transpose_axes(&x, &[0, 1]).is_err());
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`](crate::Error::Shape) naming `transpose` and the axes.
pub fn try_transpose_axes<T: Scalar>(x: &Variable<T>, axes: &[usize]) -> Result<Variable<T>> {
    checks::permutation("transpose", x.ndim(), axes)?;
    Ok(transpose_axes(x, axes))
}

/// Selects rows along the first axis (DeZero's `GetItem` with an index
/// array: `x[[0, 2, 2]]`).
pub struct GetItem {
    rows: Vec<usize>,
    x_shape: Vec<usize>,
}

impl<T: Scalar> Function<T> for GetItem {
    fn name(&self) -> &'static str {
        "GetItem"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let x = xs[0];
        self.x_shape = x.shape().to_vec();
        assert!(x.ndim() >= 1, "get_item: cannot index a 0-d array");
        for &r in &self.rows {
            assert!(
                r < x.shape()[0],
                "get_item: index {r} is out of bounds for axis 0 with size {}",
                x.shape()[0]
            );
        }
        vec![x.select(Axis(0), &self.rows)]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let gx = apply1(
            GetItemGrad {
                rows: self.rows.clone(),
                x_shape: self.x_shape.clone(),
            },
            &[&gys[0]],
        );
        vec![Some(gx)]
    }
}

/// The backward of [`GetItem`]: scatters-adds rows back into a zero array
/// (DeZero's `GetItemGrad`).
pub struct GetItemGrad {
    rows: Vec<usize>,
    x_shape: Vec<usize>,
}

impl<T: Scalar> Function<T> for GetItemGrad {
    fn name(&self) -> &'static str {
        "GetItemGrad"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let gy = xs[0];
        let mut gx = ArrayD::zeros(IxDyn(&self.x_shape));
        for (i, &r) in self.rows.iter().enumerate() {
            let mut dst = gx.index_axis_mut(Axis(0), r);
            dst += &gy.index_axis(Axis(0), i);
        }
        vec![gx]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(get_item(&gys[0], &self.rows))]
    }
}

/// Selects rows `rows` of `x` along axis 0, repeats allowed (DeZero's
/// `get_item(x, slices)` with an index list).
///
/// # Panics
/// If `x` is 0-dimensional or a row index is out of range (see
/// [`try_get_item`] for a checked version).
pub fn get_item<T: Scalar>(x: &Variable<T>, rows: &[usize]) -> Variable<T> {
    apply1(
        GetItem {
            rows: rows.to_vec(),
            x_shape: vec![],
        },
        &[x],
    )
}

/// [`get_item`] that returns an error instead of panicking on a row index
/// out of range (for indices that come from data, as a batch's).
///
/// ```
/// use dezero_runtime::{functions::try_get_item, Variable};
/// let x = Variable::new(ndarray::Array::<f32, _>::zeros(vec![3, 2]));
/// assert_eq!(try_get_item(&x, &[2, 0, 2])?.shape(), vec![3, 2]);
/// let e = try_get_item(&x, &[3]).unwrap_err();
/// assert_eq!(e.to_string(), "get_item: expected row indices below 3, got 3");
/// # Ok::<(), dezero_runtime::Error>(())
/// ```
///
/// # Errors
/// [`Error::Shape`](crate::Error::Shape) naming `get_item` if `x` is
/// 0-dimensional or an index is out of range.
pub fn try_get_item<T: Scalar>(x: &Variable<T>, rows: &[usize]) -> Result<Variable<T>> {
    checks::rows("get_item", &x.shape(), rows)?;
    Ok(get_item(x, rows))
}

impl<T: Scalar> Variable<T> {
    /// Reshapes (DeZero's `x.reshape(shape)`).
    ///
    /// # Panics
    /// If the element counts differ.
    pub fn reshape(&self, shape: &[usize]) -> Variable<T> {
        reshape(self, shape)
    }

    /// Reverses the axes (DeZero's `x.T` / `x.transpose()`).
    #[allow(non_snake_case, reason = "the book's name for the property")]
    pub fn T(&self) -> Variable<T> {
        transpose(self)
    }

    /// Reverses the axes (DeZero's `x.transpose()`).
    pub fn transpose(&self) -> Variable<T> {
        transpose(self)
    }
}
