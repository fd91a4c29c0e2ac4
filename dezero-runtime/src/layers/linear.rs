//! The fully connected layer (DeZero's `L.Linear`).

use std::fmt;

use ndarray::{ArrayD, IxDyn};

use crate::error::{Error, Result};
use crate::functions::linear;
use crate::layers::{Layer, ParamVisitor};
use crate::random::{self, RandomState};
use crate::scalar::Scalar;
use crate::variable::{Parameter, Variable};

/// `y = x·W + b`, with `W` of shape `(in_size, out_size)` and `b` of shape
/// `(out_size,)` (DeZero's `Linear` layer).
///
/// As in DeZero, `in_size` may be left to the first call: [`Linear::new`]
/// creates `W` without data (DeZero's `Parameter(None)`), and the first
/// [`forward`](Layer::forward) initialises it from the input's width. The
/// parameter handles exist from the start, so an optimizer set up before the
/// first call updates them.
///
/// `W` is initialised as DeZero's `_init_W` does: `randn(I, O)` from the
/// NumPy-compatible stream, rounded to `T`, times `sqrt(1/I)`; `b` starts at
/// zeros. A lazy layer draws from the thread's global stream
/// ([`random::with_global`]) when it is first called, so that
/// `np.random.seed(0)` in a book script is `random::seed(0)` here.
///
/// ```
/// // Step 44: `l1 = L.Linear(10)`, in_size taken from the data.
/// use dezero_runtime::{layers::Linear, random, Layer, Variable};
/// random::seed(0);
/// let x = Variable::new(random::rand(&[100, 1]));
/// let l1 = Linear::new(10);
/// assert_eq!(l1.in_size(), None);
/// let y = l1.forward(&x);
/// assert_eq!(y.shape(), [100, 10]);
/// assert_eq!(l1.in_size(), Some(1));
/// assert_eq!(l1.w.shape(), [1, 10]);
/// assert_eq!(l1.b.as_ref().map(|b| b.shape()), Some(vec![10]));
/// ```
pub struct Linear<T: Scalar = f32> {
    /// The weight, shape `(in_size, out_size)`; the book's `W` (named `w`
    /// here because rustc warns on upper-case field names). It has no data
    /// until the first call when `in_size` was not given. Its parameter name
    /// is `"W"`, so weight-file keys read `l1/W` as in DeZero.
    pub w: Parameter<T>,
    /// The bias, shape `(out_size,)`, or `None` for a layer built with
    /// [`nobias`](Linear::nobias). Its parameter name is `"b"`.
    pub b: Option<Parameter<T>>,
    out_size: usize,
}

impl<T: Scalar> Linear<T> {
    /// A layer with `out_size` outputs whose `in_size` is taken from the first
    /// input (DeZero's `Linear(out_size)`); `W` has no data until then.
    ///
    /// ```
    /// use dezero_runtime::layers::Linear;
    /// let l = Linear::<f64>::new(3);
    /// assert!(!l.w.has_data());
    /// assert_eq!((l.in_size(), l.out_size()), (None, 3));
    /// ```
    pub fn new(out_size: usize) -> Self {
        let w = Parameter::with_name(ArrayD::zeros(IxDyn(&[0, 0])), "W");
        w.await_first_call();
        let b = Parameter::with_name(ArrayD::zeros(IxDyn(&[out_size])), "b");
        Linear {
            w,
            b: Some(b),
            out_size,
        }
    }

    /// A layer with a known `in_size`, initialised now from the thread's
    /// global stream (DeZero's `Linear(out_size, in_size=in_size)`).
    ///
    /// ```
    /// use dezero_runtime::{layers::Linear, random};
    /// random::seed(0);
    /// let l = Linear::<f64>::with_in(2, 3);
    /// assert_eq!(l.w.shape(), [2, 3]);
    /// assert_eq!(l.w.data()[[0, 0]], 1.764052345967664 * (0.5_f64).sqrt());
    /// ```
    pub fn with_in(in_size: usize, out_size: usize) -> Self {
        random::with_global(|rng| Self::with_in_rng(in_size, out_size, rng))
    }

    /// A layer with a known `in_size`, initialised now from `rng`.
    ///
    /// ```
    /// use dezero_runtime::{layers::Linear, random::RandomState};
    /// let mut rng = RandomState::new(0);
    /// let l = Linear::<f32>::with_in_rng(4, 2, &mut rng);
    /// assert_eq!((l.in_size(), l.out_size()), (Some(4), 2));
    /// ```
    pub fn with_in_rng(in_size: usize, out_size: usize, rng: &mut RandomState) -> Self {
        let layer = Self::new(out_size);
        layer.init_w(in_size, rng);
        layer
    }

    /// Drops the bias (DeZero's `nobias=True`).
    ///
    /// ```
    /// use dezero_runtime::{layers::Linear, Layer};
    /// let l = Linear::<f32>::new(5).nobias();
    /// assert!(l.b.is_none());
    /// assert_eq!(l.params().len(), 1);
    /// ```
    pub fn nobias(mut self) -> Self {
        self.b = None;
        self
    }

    /// The number of inputs: `W`'s first axis, or `None` while `W` awaits
    /// its first call.
    pub fn in_size(&self) -> Option<usize> {
        self.w.data_if_present()?.shape().first().copied()
    }

    /// The number of outputs.
    pub fn out_size(&self) -> usize {
        self.out_size
    }

    /// (Re)initialises `W` for `in_size` inputs from `rng` (DeZero's
    /// `_init_W`): `randn(in_size, out_size)` rounded to `T`, times
    /// `sqrt(1/in_size)` in `T`.
    ///
    /// Calling it before the first forward is how a lazy layer is
    /// initialised from an explicit stream instead of the global one.
    ///
    /// The scale is multiplied in `T`, as NumPy 1.x does for a float32 array;
    /// for `f64` this is exactly the book's value.
    ///
    /// ```
    /// use dezero_runtime::{layers::Linear, random::RandomState};
    /// let l = Linear::<f64>::new(2);
    /// l.init_w(3, &mut RandomState::new(0));
    /// let expected = RandomState::new(0).randn(&[3, 2]) * (1.0_f64 / 3.0).sqrt();
    /// assert_eq!(*l.w.data(), expected);
    /// ```
    pub fn init_w(&self, in_size: usize, rng: &mut RandomState) {
        let scale = T::from_f64_lossy((1.0 / in_size as f64).sqrt());
        let mut w = rng.randn_t::<T>(&[in_size, self.out_size]);
        w.mapv_inplace(|v| v * scale);
        self.w.set_data(w);
    }

    /// How this layer is named in error messages: `Linear(in_size=2,
    /// out_size=10)`.
    fn describe(&self) -> String {
        match self.in_size() {
            Some(i) => format!("Linear(in_size={i}, out_size={})", self.out_size),
            None => format!("Linear(out_size={})", self.out_size),
        }
    }

    /// Applies the layer, or reports an input of the wrong shape without
    /// touching the layer.
    ///
    /// A lazy layer initialises `W` from the input's width first (drawing
    /// from the global stream).
    ///
    /// # Errors
    /// [`Error::Shape`] if `x` is not 2-dimensional, or if its width differs
    /// from `in_size`.
    ///
    /// ```
    /// use dezero_runtime::{layers::Linear, Error, Variable};
    /// let l = Linear::<f64>::with_in(2, 3);
    /// let x = Variable::new(ndarray::ArrayD::zeros(ndarray::IxDyn(&[4, 5])));
    /// let err = l.try_forward(&x).unwrap_err();
    /// assert!(matches!(err, Error::Shape { .. }));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "Linear(in_size=2, out_size=3): expected input of shape [N, 2], got [4, 5]"
    /// );
    /// ```
    pub fn try_forward(&self, x: &Variable<T>) -> Result<Variable<T>> {
        let width = {
            let data = x.data();
            match *data.shape() {
                [_, width] => width,
                ref shape => {
                    return Err(Error::Shape {
                        op: self.describe(),
                        expected: "a 2-dimensional input".to_string(),
                        got: format!("{shape:?}"),
                    })
                }
            }
        };
        match self.in_size() {
            None => random::with_global(|rng| self.init_w(width, rng)),
            Some(in_size) if in_size != width => {
                return Err(Error::Shape {
                    op: self.describe(),
                    expected: format!("input of shape [N, {in_size}]"),
                    got: format!("{:?}", x.data().shape()),
                })
            }
            Some(_) => {}
        }
        Ok(linear(x, &self.w, self.b.as_deref()))
    }
}

impl<T: Scalar> Layer<T> for Linear<T> {
    fn visit_params(&self, v: &mut dyn ParamVisitor<T>) {
        v.param("W", &self.w);
        if let Some(b) = &self.b {
            v.param("b", b);
        }
    }

    /// `linear(x, W, b)`, initialising `W` first if the layer is lazy.
    ///
    /// # Panics
    /// If `x` is not 2-dimensional or its width differs from `in_size`; the
    /// message names the layer, the expected and the given shape (see
    /// [`Linear::try_forward`] for the non-panicking form).
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        self.try_forward(x).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl<T: Scalar> fmt::Debug for Linear<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Linear")
            .field("in_size", &self.in_size())
            .field("out_size", &self.out_size)
            .field("nobias", &self.b.is_none())
            .finish()
    }
}
