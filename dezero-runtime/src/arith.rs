//! Arithmetic Functions (`Add`, `Sub`, `Mul`, `Div`, `Neg`, `Pow`) and the
//! operators `+ - * /` and unary `-` on Variables, with NumPy broadcasting.
//!
//! Operators accept `Variable` and `&Variable` on either side, and a scalar
//! (`f32` or `f64`, matching the Variable's element type) on either side.
//! When the two shapes differ, backward sums each gradient back to its
//! input's shape (`sum_to`), as DeZero does.
//!
//! # Panics
//! Every operator panics when the two shapes cannot be broadcast together;
//! the message names the op and both shapes.

use std::ops;

use ndarray::{ArrayD, IxDyn, Zip};

use crate::function::{apply1, Function};
use crate::functions::sum_to;
use crate::scalar::Scalar;
use crate::variable::Variable;

/// The shape two shapes broadcast to, NumPy's rules, or `None`.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// Applies `f` elementwise to `a` and `b` broadcast together.
///
/// # Panics
/// If the shapes do not broadcast; the message names `op`.
fn zip_broadcast<T: Scalar>(
    op: &str,
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    f: impl Fn(T, T) -> T,
) -> ArrayD<T> {
    if a.shape() == b.shape() {
        let mut out = a.clone();
        Zip::from(&mut out).and(b).for_each(|o, &bv| *o = f(*o, bv));
        return out;
    }
    let shape = broadcast_shape(a.shape(), b.shape()).unwrap_or_else(|| {
        panic!(
            "{op}: operands could not be broadcast together with shapes {:?} {:?}",
            a.shape(),
            b.shape()
        )
    });
    let av = a.broadcast(IxDyn(&shape)).expect("shape checked above");
    let bv = b.broadcast(IxDyn(&shape)).expect("shape checked above");
    Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y))
}

/// Sums a gradient back to an input's shape when broadcasting widened it.
fn unbroadcast<T: Scalar>(g: Variable<T>, shape: &[usize]) -> Variable<T> {
    if g.shape() == shape {
        g
    } else {
        sum_to(&g, shape)
    }
}

/// `y = x0 + x1` (DeZero's `Add`).
#[derive(Default)]
pub struct Add {
    x0_shape: Vec<usize>,
    x1_shape: Vec<usize>,
}

impl<T: Scalar> Function<T> for Add {
    fn name(&self) -> &'static str {
        "Add"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        self.x0_shape = xs[0].shape().to_vec();
        self.x1_shape = xs[1].shape().to_vec();
        vec![zip_broadcast("add", xs[0], xs[1], |a, b| a + b)]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let gy = &gys[0];
        vec![
            Some(unbroadcast(gy.clone(), &self.x0_shape)),
            Some(unbroadcast(gy.clone(), &self.x1_shape)),
        ]
    }
}

/// `y = x0 − x1` (DeZero's `Sub`).
#[derive(Default)]
pub struct Sub {
    x0_shape: Vec<usize>,
    x1_shape: Vec<usize>,
}

impl<T: Scalar> Function<T> for Sub {
    fn name(&self) -> &'static str {
        "Sub"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        self.x0_shape = xs[0].shape().to_vec();
        self.x1_shape = xs[1].shape().to_vec();
        vec![zip_broadcast("sub", xs[0], xs[1], |a, b| a - b)]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let gy = &gys[0];
        vec![
            Some(unbroadcast(gy.clone(), &self.x0_shape)),
            Some(unbroadcast(-gy, &self.x1_shape)),
        ]
    }
}

/// `y = x0 · x1` elementwise (DeZero's `Mul`).
pub struct Mul;

impl<T: Scalar> Function<T> for Mul {
    fn name(&self) -> &'static str {
        "Mul"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![zip_broadcast("mul", xs[0], xs[1], |a, b| a * b)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (x0, x1, gy) = (&xs[0], &xs[1], &gys[0]);
        let gx0 = gy * x1;
        let gx1 = gy * x0;
        vec![
            Some(unbroadcast(gx0, &x0.shape())),
            Some(unbroadcast(gx1, &x1.shape())),
        ]
    }
}

/// `y = x0 / x1` elementwise (DeZero's `Div`).
pub struct Div;

impl<T: Scalar> Function<T> for Div {
    fn name(&self) -> &'static str {
        "Div"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![zip_broadcast("div", xs[0], xs[1], |a, b| a / b)]
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let (x0, x1, gy) = (&xs[0], &xs[1], &gys[0]);
        let gx0 = gy / x1;
        let gx1 = gy * &(&(-x0) / &(x1 * x1));
        vec![
            Some(unbroadcast(gx0, &x0.shape())),
            Some(unbroadcast(gx1, &x1.shape())),
        ]
    }
}

/// `y = −x` (DeZero's `Neg`).
pub struct Neg;

impl<T: Scalar> Function<T> for Neg {
    fn name(&self) -> &'static str {
        "Neg"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        vec![xs[0].mapv(|v| -v)]
    }
    fn backward(
        &self,
        _xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        vec![Some(-&gys[0])]
    }
}

/// `y = x^c` for a constant exponent `c` (DeZero's `Pow`).
pub struct Pow<T> {
    /// The exponent.
    pub c: T,
}

impl<T: Scalar> Function<T> for Pow<T> {
    fn name(&self) -> &'static str {
        "Pow"
    }
    fn forward(&mut self, xs: &[&ArrayD<T>]) -> Vec<ArrayD<T>> {
        let c = self.c;
        // Integral exponents use repeated multiplication, as NumPy does for
        // small integer powers, so `x ** 2` is exact.
        match c.to_i32().filter(|&n| T::from_i32(n) == Some(c)) {
            Some(n) => vec![xs[0].mapv(|v| v.powi(n))],
            None => vec![xs[0].mapv(|v| v.powf(c))],
        }
    }
    fn backward(
        &self,
        xs: &[Variable<T>],
        _ys: &[Variable<T>],
        gys: &[Variable<T>],
    ) -> Vec<Option<Variable<T>>> {
        let c = self.c;
        let gx = &(&xs[0].powf(c - T::one()) * c) * &gys[0];
        vec![Some(gx)]
    }
}

impl<T: Scalar> Variable<T> {
    /// `x ** c` for a constant exponent (DeZero's `pow`).
    pub fn powf(&self, c: T) -> Variable<T> {
        apply1(Pow { c }, &[self])
    }

    /// `x ** n` for an integer exponent (DeZero's `pow` with an int).
    pub fn powi(&self, n: i32) -> Variable<T> {
        self.powf(T::from_i32(n).expect("an i32 fits a float"))
    }
}

/// A constant as a 0-d Variable (DeZero's `as_variable(as_array(c))`).
fn constant<T: Scalar>(c: T) -> Variable<T> {
    Variable::new(ndarray::arr0(c).into_dyn())
}

/// `x0 + x1` (DeZero's `add`).
///
/// # Panics
/// If the shapes cannot be broadcast together; the message names the op
/// and both shapes (so do the operators `+ - * /`).
pub fn add<T: Scalar>(x0: &Variable<T>, x1: &Variable<T>) -> Variable<T> {
    apply1(Add::default(), &[x0, x1])
}
/// `x0 − x1` (DeZero's `sub`).
///
/// # Panics
/// If the shapes cannot be broadcast together.
pub fn sub<T: Scalar>(x0: &Variable<T>, x1: &Variable<T>) -> Variable<T> {
    apply1(Sub::default(), &[x0, x1])
}
/// `x0 · x1` elementwise (DeZero's `mul`).
///
/// # Panics
/// If the shapes cannot be broadcast together.
pub fn mul<T: Scalar>(x0: &Variable<T>, x1: &Variable<T>) -> Variable<T> {
    apply1(Mul, &[x0, x1])
}
/// `x0 / x1` elementwise (DeZero's `div`).
///
/// # Panics
/// If the shapes cannot be broadcast together.
pub fn div<T: Scalar>(x0: &Variable<T>, x1: &Variable<T>) -> Variable<T> {
    apply1(Div, &[x0, x1])
}
/// `−x` (DeZero's `neg`).
pub fn neg<T: Scalar>(x: &Variable<T>) -> Variable<T> {
    apply1(Neg, &[x])
}

macro_rules! binary_ops {
    ($($Trait:ident $method:ident $func:ident;)*) => {$(
        impl<T: Scalar> ops::$Trait<&Variable<T>> for &Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: &Variable<T>) -> Variable<T> { $func(self, rhs) }
        }
        impl<T: Scalar> ops::$Trait<Variable<T>> for &Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: Variable<T>) -> Variable<T> { $func(self, &rhs) }
        }
        impl<T: Scalar> ops::$Trait<&Variable<T>> for Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: &Variable<T>) -> Variable<T> { $func(&self, rhs) }
        }
        impl<T: Scalar> ops::$Trait<Variable<T>> for Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: Variable<T>) -> Variable<T> { $func(&self, &rhs) }
        }
        impl<T: Scalar> ops::$Trait<T> for &Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: T) -> Variable<T> { $func(self, &constant(rhs)) }
        }
        impl<T: Scalar> ops::$Trait<T> for Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: T) -> Variable<T> { $func(&self, &constant(rhs)) }
        }
        binary_ops!(@left f32 $Trait $method $func);
        binary_ops!(@left f64 $Trait $method $func);
    )*};
    (@left $t:ident $Trait:ident $method:ident $func:ident) => {
        impl ops::$Trait<&Variable<$t>> for $t {
            type Output = Variable<$t>;
            fn $method(self, rhs: &Variable<$t>) -> Variable<$t> { $func(&constant(self), rhs) }
        }
        impl ops::$Trait<Variable<$t>> for $t {
            type Output = Variable<$t>;
            fn $method(self, rhs: Variable<$t>) -> Variable<$t> { $func(&constant(self), &rhs) }
        }
    };
}

binary_ops! {
    Add add add;
    Sub sub sub;
    Mul mul mul;
    Div div div;
}

impl<T: Scalar> ops::Neg for &Variable<T> {
    type Output = Variable<T>;
    fn neg(self) -> Variable<T> {
        neg(self)
    }
}

impl<T: Scalar> ops::Neg for Variable<T> {
    type Output = Variable<T>;
    fn neg(self) -> Variable<T> {
        neg(&self)
    }
}
