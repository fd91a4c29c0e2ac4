//! What a compiled model's methods accept as a batch ([`Batch`]), the
//! check every batch passes before a model touches it ([`batch`]), and the
//! checks of targets and constructor arguments that the generated code
//! calls.

use ndarray::{Array2, ArrayBase, ArrayView2, ArrayViewD, Data, Ix2, IxDyn};

use crate::error::{Error, Result};
use crate::scalar::Scalar;

/// A batch of rows a `model!` type takes as its input `x` (or a
/// `mean_squared_error` target `t`): a matrix, as a 2-dimensional view
/// (`x.view()`), a dynamic-rank view (`x.view()` of what
/// [`random::rand`](crate::random::rand) returns), or a reference to either
/// kind of array (`&x`).
///
/// A dynamic-rank array must have two axes; any other rank is an
/// [`Error::Shape`] naming the model and the rank it expects.
///
/// ```
/// use dezero_runtime::compiled::Batch;
/// let x = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[4, 3]));
/// assert_eq!(x.view().into_matrix("Net.predict").unwrap().dim(), (4, 3));
/// let v = ndarray::ArrayD::<f32>::zeros(ndarray::IxDyn(&[4]));
/// assert_eq!(
///     v.view().into_matrix("Net.predict").unwrap_err().to_string(),
///     "Net.predict: expected a matrix (2 axes: rows × features), got shape [4]"
/// );
/// ```
pub trait Batch<'a, T> {
    /// The batch as a matrix.
    ///
    /// # Errors
    /// [`Error::Shape`] naming `who` if the batch does not have two axes.
    fn into_matrix(self, who: &str) -> Result<ArrayView2<'a, T>>;
}

impl<'a, T> Batch<'a, T> for ArrayView2<'a, T> {
    fn into_matrix(self, _who: &str) -> Result<ArrayView2<'a, T>> {
        Ok(self)
    }
}

impl<'a, T> Batch<'a, T> for ArrayViewD<'a, T> {
    fn into_matrix(self, who: &str) -> Result<ArrayView2<'a, T>> {
        let shape = self.shape().to_vec();
        self.into_dimensionality::<Ix2>()
            .map_err(|_| not_a_matrix(who, &shape))
    }
}

impl<'a, T, S: Data<Elem = T>> Batch<'a, T> for &'a ArrayBase<S, Ix2> {
    fn into_matrix(self, _who: &str) -> Result<ArrayView2<'a, T>> {
        Ok(self.view())
    }
}

impl<'a, T, S: Data<Elem = T>> Batch<'a, T> for &'a ArrayBase<S, IxDyn> {
    fn into_matrix(self, who: &str) -> Result<ArrayView2<'a, T>> {
        self.view().into_matrix(who)
    }
}

/// The error of a batch whose rank is not 2.
fn not_a_matrix(who: &str, shape: &[usize]) -> Error {
    Error::Shape {
        op: who.to_string(),
        expected: "a matrix (2 axes: rows × features)".to_string(),
        got: format!("shape {shape:?}"),
    }
}

/// The input `x` of a compiled model's method, as a matrix with at least
/// one row: what every generated method checks before it resolves a width
/// or initialises a lazy layer, so that a wrong batch leaves a fresh model
/// as it was.
///
/// `who` names the model and method (`TwoLayerNet.predict`).
///
/// ```
/// use dezero_runtime::compiled::batch;
/// let x = ndarray::Array2::<f32>::zeros((0, 3));
/// assert_eq!(
///     batch(x.view(), "Net.predict").unwrap_err().to_string(),
///     "Net.predict: expected a batch of at least one row, got shape [0, 3]"
/// );
/// ```
///
/// # Errors
/// [`Error::Shape`] naming `who` if `x` is not a matrix or has no rows (a
/// loss or an accuracy over no rows is 0/0, and no width can be learnt from
/// it).
pub fn batch<'a, T>(x: impl Batch<'a, T>, who: &str) -> Result<ArrayView2<'a, T>> {
    let x = x.into_matrix(who)?;
    if x.nrows() == 0 {
        return Err(no_rows(who, x.shape()));
    }
    Ok(x)
}

/// The error of a batch with no rows.
pub fn no_rows(who: &str, shape: &[usize]) -> Error {
    Error::Shape {
        op: who.to_string(),
        expected: "a batch of at least one row".to_string(),
        got: format!("shape {shape:?}"),
    }
}

/// Checks class targets against the model's output width: at least two
/// classes (a softmax over one is always 1, so its cross-entropy is always
/// 0 and teaches nothing), and every target below the width.
///
/// ```
/// use dezero_runtime::compiled::check_classes;
/// assert!(check_classes(&[0, 2], 3, "Net accuracy").is_ok());
/// assert_eq!(
///     check_classes(&[0, 3], 3, "Net accuracy").unwrap_err().to_string(),
///     "Net accuracy: expected class targets below 3 (the output's width), got 3"
/// );
/// ```
///
/// # Errors
/// [`Error::Shape`] naming `who`.
pub fn check_classes(t: &[usize], width: usize, who: &str) -> Result<()> {
    if width < 2 {
        return Err(one_class(who, width));
    }
    match t.iter().find(|&&c| c >= width) {
        Some(bad) => Err(Error::Shape {
            op: who.to_string(),
            expected: format!("class targets below {width} (the output's width)"),
            got: bad.to_string(),
        }),
        None => Ok(()),
    }
}

/// The error of a softmax cross-entropy over fewer than two classes.
fn one_class(who: &str, width: usize) -> Error {
    Error::Shape {
        op: who.to_string(),
        expected: "an output of at least 2 classes for `softmax_cross_entropy` (over one \
                   class it is always 0)"
            .to_string(),
        got: format!("width {width}"),
    }
}

/// Checks a constructor argument that sets the width of a
/// `softmax_cross_entropy` output: at least two classes.
///
/// ```
/// use dezero_runtime::compiled::enough_classes;
/// assert!(enough_classes("Net::new", "classes", 2).is_ok());
/// assert_eq!(
///     enough_classes("Net::new", "classes", 1).unwrap_err().to_string(),
///     "Net::new: expected constructor argument `classes` to be at least 2 (the width of \
///      the output `softmax_cross_entropy` scores; over one class it is always 0), got 1"
/// );
/// ```
///
/// # Errors
/// [`Error::Shape`] naming `who` and `arg` if `value` is below 2.
pub fn enough_classes(who: &str, arg: &str, value: usize) -> Result<()> {
    if value >= 2 {
        return Ok(());
    }
    Err(Error::Shape {
        op: who.to_string(),
        expected: format!(
            "constructor argument `{arg}` to be at least 2 (the width of the output \
             `softmax_cross_entropy` scores; over one class it is always 0)"
        ),
        got: value.to_string(),
    })
}

/// `out` as the buffer of a `rows × width` output (the generated
/// `predict_into` passes it to the inference pass, which writes it block by
/// block): reallocated only when its shape differs or it is not in standard
/// layout, so a warm call with a buffer of the right shape allocates
/// nothing.
///
/// ```
/// let mut out = ndarray::Array2::<f32>::zeros((2, 3));
/// assert_eq!(dezero_runtime::compiled::output_buffer(&mut out, 2, 3).len(), 6);
/// assert_eq!(dezero_runtime::compiled::output_buffer(&mut out, 4, 1).len(), 4);
/// assert_eq!(out.dim(), (4, 1));
/// ```
pub fn output_buffer<T: Scalar>(out: &mut Array2<T>, rows: usize, width: usize) -> &mut [T] {
    if out.dim() != (rows, width) || !out.is_standard_layout() {
        *out = Array2::zeros((rows, width));
    }
    out.as_slice_mut()
        .expect("a standard-layout array is one slice")
}

/// One width that two constructor arguments (or an argument and a
/// declared literal) both set, as the generated `try_new` checks it.
#[derive(Clone, Copy, Debug)]
pub struct SameWidth<'a> {
    /// The constructor argument that sets it (`h1`).
    pub arg: &'a str,
    /// Its value.
    pub value: usize,
    /// The other argument that sets it, or `None` for a literal width
    /// declared in the model.
    pub other: Option<&'a str>,
    /// The other argument's value, or the literal.
    pub other_value: usize,
    /// What in the model's declaration makes them one width
    /// (`` `fn forward` gives `a`'s output and `b`'s output one width ``).
    pub because: &'a str,
}

/// Checks that two sources of one width agree, for the generated
/// constructors (`who` is `Net::new`).
///
/// ```
/// use dezero_runtime::compiled::{same_width, SameWidth};
/// let w = SameWidth {
///     arg: "h1",
///     value: 10,
///     other: Some("h2"),
///     other_value: 5,
///     because: "`fn forward` gives `a`'s output and `b`'s output one width",
/// };
/// assert_eq!(
///     same_width("Net::new", w).unwrap_err().to_string(),
///     "Net::new: expected constructor arguments `h1` and `h2` to be equal (`fn forward` \
///      gives `a`'s output and `b`'s output one width), got `h1` = 10 and `h2` = 5"
/// );
/// ```
///
/// # Errors
/// [`Error::Shape`] naming `who` and the arguments when they differ.
pub fn same_width(who: &str, w: SameWidth<'_>) -> Result<()> {
    if w.value == w.other_value {
        return Ok(());
    }
    let (expected, got) = match w.other {
        Some(other) => (
            format!(
                "constructor arguments `{}` and `{other}` to be equal",
                w.arg
            ),
            format!(
                "`{}` = {} and `{other}` = {}",
                w.arg, w.value, w.other_value
            ),
        ),
        None => (
            format!("constructor argument `{}` to be {}", w.arg, w.other_value),
            format!("`{}` = {}", w.arg, w.value),
        ),
    };
    Err(Error::Shape {
        op: who.to_string(),
        expected: format!("{expected} ({})", w.because),
        got,
    })
}
