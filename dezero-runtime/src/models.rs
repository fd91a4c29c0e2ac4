//! Models: layers that make up a whole network (DeZero's `models.py`):
//! [`Model`], [`Sequential`] and [`MLP`].

use std::fmt;

use crate::functions::sigmoid;
use crate::layers::{Layer, Linear, ParamVisitor};
use crate::scalar::Scalar;
use crate::variable::Variable;

/// A whole network (DeZero's `Model`, a `Layer` with `plot`).
///
/// In DeZero, `Model` subclasses `Layer` and adds only `plot`. Here it is a
/// marker trait implemented for every [`Layer`] (a blanket impl), so a
/// define-by-run model, a `model!`-compiled one, and a single layer can all
/// be used where a `Model` is asked for; graph drawing lives with the other
/// graph utilities rather than on this trait.
///
/// ```
/// use dezero_runtime::{models::{Model, MLP}, Variable};
/// fn predict(model: &dyn Model<f64>, x: &Variable<f64>) -> Variable<f64> {
///     model.forward(x)
/// }
/// let model = MLP::new(&[10, 1]);
/// let x = Variable::new(ndarray::ArrayD::zeros(ndarray::IxDyn(&[5, 1])));
/// assert_eq!(predict(&model, &x).shape(), [5, 1]);
/// ```
pub trait Model<T: Scalar = f32>: Layer<T> {}

impl<T: Scalar, L: Layer<T> + ?Sized> Model<T> for L {}

/// A boxed function from Variable to Variable (an activation); `Send` and
/// `Sync` as every layer is.
type BoxedFn<T> = Box<dyn Fn(&Variable<T>) -> Variable<T> + Send + Sync>;

/// A parameterless step of a [`Sequential`]: a function such as `sigmoid`.
struct FnLayer<T: Scalar>(BoxedFn<T>);

impl<T: Scalar> Layer<T> for FnLayer<T> {
    fn visit_params(&self, _v: &mut dyn ParamVisitor<T>) {}
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        (self.0)(x)
    }
}

/// Layers applied one after another (DeZero's `Sequential(*layers)`).
///
/// The `i`-th step is named `l{i}`, as DeZero's `setattr(self, 'l' + str(i),
/// layer)` does, so weight keys read `l0/W`, `l2/b`. A function step (added
/// with [`with_fn`](Sequential::with_fn)) takes its index too, as a function
/// passed to DeZero's `Sequential` does, but holds no parameters.
///
/// ```
/// use dezero_runtime::{functions::sigmoid, layers::Linear, models::Sequential, Layer, Variable};
/// let model = Sequential::<f64>::new()
///     .with(Linear::new(10))
///     .with_fn(sigmoid)
///     .with(Linear::new(1));
/// let x = Variable::new(ndarray::ArrayD::zeros(ndarray::IxDyn(&[4, 2])));
/// assert_eq!(model.forward(&x).shape(), [4, 1]);
/// let names: Vec<String> = model.named_params().into_iter().map(|(k, _)| k).collect();
/// assert_eq!(names, ["l0/W", "l0/b", "l2/W", "l2/b"]);
/// ```
pub struct Sequential<T: Scalar = f32> {
    layers: Vec<Box<dyn Layer<T>>>,
}

impl<T: Scalar> Sequential<T> {
    /// An empty sequence, which maps `x` to itself.
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a layer (builder form of [`push`](Sequential::push)).
    pub fn with(mut self, layer: impl Layer<T> + 'static) -> Self {
        self.push(layer);
        self
    }

    /// Appends a parameterless function step such as `sigmoid` or `relu`
    /// (a function, or a closure that is `Send` and `Sync`, as layers are).
    pub fn with_fn(
        mut self,
        f: impl Fn(&Variable<T>) -> Variable<T> + Send + Sync + 'static,
    ) -> Self {
        self.push(FnLayer(Box::new(f)));
        self
    }

    /// Appends a layer.
    pub fn push(&mut self, layer: impl Layer<T> + 'static) {
        self.layers.push(Box::new(layer));
    }

    /// Appends a boxed layer.
    pub fn push_boxed(&mut self, layer: Box<dyn Layer<T>>) {
        self.layers.push(layer);
    }

    /// The steps, in order.
    pub fn layers(&self) -> &[Box<dyn Layer<T>>] {
        &self.layers
    }

    /// The number of steps.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no steps.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<T: Scalar> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Scalar> From<Vec<Box<dyn Layer<T>>>> for Sequential<T> {
    fn from(layers: Vec<Box<dyn Layer<T>>>) -> Self {
        Sequential { layers }
    }
}

impl<T: Scalar> Layer<T> for Sequential<T> {
    fn visit_params(&self, v: &mut dyn ParamVisitor<T>) {
        for (i, layer) in self.layers.iter().enumerate() {
            v.enter(format_args!("l{i}"));
            layer.visit_params(v);
            v.leave();
        }
    }

    /// Applies every step in order.
    ///
    /// # Panics
    /// If a step panics on its input (a width mismatch, say).
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let mut y = x.clone();
        for layer in &self.layers {
            y = layer.forward(&y);
        }
        y
    }
}

impl<T: Scalar> fmt::Debug for Sequential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sequential")
            .field("len", &self.layers.len())
            .finish()
    }
}

/// A multi-layer perceptron: fully connected [`Linear`] layers with an
/// activation between them and none after the last (DeZero's `MLP`).
///
/// The layers are lazy (their `in_size` comes from the first input) and are
/// named `l0`, `l1`, … as in DeZero, so weight keys read `l0/W`, `l1/b`.
///
/// ```
/// // Step 45: `model = MLP((10, 1))`, sigmoid between the layers.
/// use dezero_runtime::{models::MLP, random, Layer, Variable};
/// random::seed(0);
/// let x = Variable::new(random::rand(&[100, 1]));
/// let model = MLP::new(&[10, 1]);
/// let y = model.forward(&x);
/// assert_eq!(y.shape(), [100, 1]);
/// let names: Vec<String> = model.named_params().into_iter().map(|(k, _)| k).collect();
/// assert_eq!(names, ["l0/W", "l0/b", "l1/W", "l1/b"]);
/// ```
pub struct MLP<T: Scalar = f32> {
    layers: Vec<Linear<T>>,
    activation: BoxedFn<T>,
}

impl<T: Scalar> MLP<T> {
    /// An MLP whose `i`-th layer has `fc_output_sizes[i]` outputs, with
    /// `sigmoid` between layers (DeZero's `MLP(fc_output_sizes)`).
    ///
    /// # Panics
    /// If `fc_output_sizes` is empty.
    pub fn new(fc_output_sizes: &[usize]) -> Self {
        Self::with_activation(fc_output_sizes, sigmoid::<T>)
    }

    /// An MLP with `activation` between layers (DeZero's
    /// `MLP(fc_output_sizes, activation)`): a function, or a closure that is
    /// `Send` and `Sync`, so that the MLP is too.
    ///
    /// ```
    /// use dezero_runtime::{functions::relu, models::MLP, Layer, Variable};
    /// let model = MLP::with_activation(&[3, 2], relu);
    /// let x = Variable::new(ndarray::ArrayD::<f32>::ones(ndarray::IxDyn(&[1, 4])));
    /// assert_eq!(model.forward(&x).shape(), [1, 2]);
    /// ```
    ///
    /// # Panics
    /// If `fc_output_sizes` is empty.
    pub fn with_activation(
        fc_output_sizes: &[usize],
        activation: impl Fn(&Variable<T>) -> Variable<T> + Send + Sync + 'static,
    ) -> Self {
        assert!(
            !fc_output_sizes.is_empty(),
            "MLP: `fc_output_sizes` must name at least one layer"
        );
        MLP {
            layers: fc_output_sizes.iter().map(|&o| Linear::new(o)).collect(),
            activation: Box::new(activation),
        }
    }

    /// The layers, `l0` first (DeZero's `model.layers`).
    pub fn layers(&self) -> &[Linear<T>] {
        &self.layers
    }
}

impl<T: Scalar> Layer<T> for MLP<T> {
    fn visit_params(&self, v: &mut dyn ParamVisitor<T>) {
        for (i, layer) in self.layers.iter().enumerate() {
            v.enter(format_args!("l{i}"));
            layer.visit_params(v);
            v.leave();
        }
    }

    /// `activation(l(x))` for every layer but the last, then the last layer.
    ///
    /// # Panics
    /// If `x` is not 2-dimensional, or its width differs from the one the
    /// model was first called with.
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let (last, hidden) = self
            .layers
            .split_last()
            .expect("MLP::with_activation checks there is at least one layer");
        let mut y = x.clone();
        for layer in hidden {
            y = (self.activation)(&layer.forward(&y));
        }
        last.forward(&y)
    }
}

impl<T: Scalar> fmt::Debug for MLP<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MLP").field("layers", &self.layers).finish()
    }
}
