//! Layers: objects that own Parameters (DeZero's `layers.py`).
//!
//! A layer exposes its parameters through one method,
//! [`Layer::visit_params`], which every other walker (`params`,
//! `named_params`, `cleargrads`, the optimizers, weight files) is built on.
//! Define-by-run layers and `model!`-compiled models implement the same
//! trait, so optimizers and weight files treat them alike.

use std::fmt::{self, Write as _};

pub mod linear;
pub use linear::Linear;

use crate::scalar::Scalar;
use crate::variable::{Parameter, Variable};

/// Receives a layer's parameters, with the path of nested layers around them.
///
/// Visitors that do not need names ignore [`enter`](ParamVisitor::enter) and
/// [`leave`](ParamVisitor::leave), so walking parameters allocates nothing.
pub trait ParamVisitor<T: Scalar> {
    /// A nested layer named `name` begins (its parameters follow).
    fn enter(&mut self, name: fmt::Arguments<'_>) {
        let _ = name;
    }
    /// The most recently entered nested layer ends.
    fn leave(&mut self) {}
    /// A parameter of the current layer, under its attribute name (`W`, `b`).
    fn param(&mut self, name: &str, p: &Parameter<T>);
}

/// Something that owns parameters and maps a Variable to a Variable
/// (DeZero's `Layer`).
///
/// Implement [`visit_params`](Layer::visit_params) and
/// [`forward`](Layer::forward); every other method derives from them.
///
/// A layer is `Send` and `Sync`, as its [`Parameter`]s are, so that a model
/// (and a [`Sequential`](crate::models::Sequential) of boxed layers) can be
/// moved to another thread: keep a layer's own state in `Send + Sync` types
/// (an `Arc` rather than an `Rc`).
pub trait Layer<T: Scalar = f32>: Send + Sync {
    /// Calls the visitor on every parameter, recursing into nested layers
    /// between `enter` and `leave` calls, in declaration order.
    fn visit_params(&self, v: &mut dyn ParamVisitor<T>);

    /// Applies the layer (DeZero's `layer(x)`, i.e. `forward`).
    fn forward(&self, x: &Variable<T>) -> Variable<T>;

    /// Calls `f` on every parameter, allocating nothing.
    fn for_each_param(&self, f: &mut dyn FnMut(&Parameter<T>)) {
        struct Each<'a, T: Scalar>(&'a mut dyn FnMut(&Parameter<T>));
        impl<T: Scalar> ParamVisitor<T> for Each<'_, T> {
            fn param(&mut self, _name: &str, p: &Parameter<T>) {
                (self.0)(p)
            }
        }
        self.visit_params(&mut Each(f));
    }

    /// Every parameter, recursively, in declaration order (DeZero's `params()`).
    fn params(&self) -> Vec<Parameter<T>> {
        let mut out = Vec::new();
        self.for_each_param(&mut |p| out.push(p.clone()));
        out
    }

    /// Every parameter with its path in DeZero's weight-file style: `l1/W`,
    /// `block/l0/b` (DeZero's `_flatten_params` keys).
    fn named_params(&self) -> Vec<(String, Parameter<T>)> {
        struct Named<T: Scalar> {
            path: Vec<String>,
            out: Vec<(String, Parameter<T>)>,
        }
        impl<T: Scalar> ParamVisitor<T> for Named<T> {
            fn enter(&mut self, name: fmt::Arguments<'_>) {
                let mut s = String::new();
                let _ = s.write_fmt(name);
                self.path.push(s);
            }
            fn leave(&mut self) {
                self.path.pop();
            }
            fn param(&mut self, name: &str, p: &Parameter<T>) {
                let mut key = self.path.join("/");
                if !key.is_empty() {
                    key.push('/');
                }
                key.push_str(name);
                self.out.push((key, p.clone()));
            }
        }
        let mut v = Named {
            path: Vec::new(),
            out: Vec::new(),
        };
        self.visit_params(&mut v);
        v.out
    }

    /// Drops every parameter's gradient (DeZero's `cleargrads()`).
    fn cleargrads(&self) {
        self.for_each_param(&mut |p| p.cleargrad());
    }
}

/// Visits a nested layer's parameters under `name` (the attribute name a
/// Python model would use: `self.l1 = L.Linear(10)` gives `l1`): the one
/// line a hand-written [`Layer::visit_params`] needs per child.
///
/// ```
/// use dezero_runtime::layers::visit_child;
/// use dezero_runtime::{functions::sigmoid, Layer, Linear, ParamVisitor, Variable};
///
/// struct TwoLayerNet { l1: Linear<f64>, l2: Linear<f64> }
/// impl Layer<f64> for TwoLayerNet {
///     fn visit_params(&self, v: &mut dyn ParamVisitor<f64>) {
///         visit_child(v, "l1", &self.l1);
///         visit_child(v, "l2", &self.l2);
///     }
///     fn forward(&self, x: &Variable<f64>) -> Variable<f64> {
///         self.l2.forward(&sigmoid(&self.l1.forward(x)))
///     }
/// }
/// let m = TwoLayerNet { l1: Linear::new(10), l2: Linear::new(1) };
/// let names: Vec<String> = m.named_params().into_iter().map(|(k, _)| k).collect();
/// assert_eq!(names, ["l1/W", "l1/b", "l2/W", "l2/b"]);
/// ```
pub fn visit_child<T: Scalar>(v: &mut dyn ParamVisitor<T>, name: &str, layer: &dyn Layer<T>) {
    v.enter(format_args!("{name}"));
    layer.visit_params(v);
    v.leave();
}
