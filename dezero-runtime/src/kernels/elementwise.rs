//! Elementwise pieces of a backward pass that accumulate or work in place,
//! on row-major slices, allocation-free.
//!
//! Where a kernel takes `acc`, `false` overwrites the output and `true` adds
//! to it (gradients accumulate when a value feeds several ops).

use super::simd::multiversion;
use crate::scalar::Scalar;

/// `y = a + b` elementwise.
///
/// # Panics
/// If the lengths differ.
pub fn add_into<T: Scalar>(a: &[T], b: &[T], y: &mut [T]) {
    assert!(
        a.len() == b.len() && a.len() == y.len(),
        "add_into: lengths differ"
    );
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = ai + bi;
    }
}

/// `y = a - b` elementwise.
///
/// # Panics
/// If the lengths differ.
pub fn sub_into<T: Scalar>(a: &[T], b: &[T], y: &mut [T]) {
    assert!(
        a.len() == b.len() && a.len() == y.len(),
        "sub_into: lengths differ"
    );
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = ai - bi;
    }
}

/// `y (=|+=) a * b` elementwise.
///
/// # Panics
/// If the lengths differ.
pub fn mul_into<T: Scalar>(a: &[T], b: &[T], y: &mut [T], acc: bool) {
    assert!(
        a.len() == b.len() && a.len() == y.len(),
        "mul_into: lengths differ"
    );
    for ((yi, &ai), &bi) in y.iter_mut().zip(a).zip(b) {
        *yi = if acc { *yi + ai * bi } else { ai * bi };
    }
}

/// `y (=|+=) x`, or `y (=|+=) -x` when `neg` (the gradient of `+` and `-`).
///
/// ```
/// let mut y = [1.0_f64, 1.0];
/// dezero_runtime::kernels::copy_into(&[2.0, 3.0], &mut y, true, true);
/// assert_eq!(y, [-1.0, -2.0]);
/// ```
///
/// # Panics
/// If the lengths differ.
pub fn copy_into<T: Scalar>(x: &[T], y: &mut [T], neg: bool, acc: bool) {
    assert_eq!(x.len(), y.len(), "copy_into: lengths differ");
    match (neg, acc) {
        (false, false) => y.copy_from_slice(x),
        (false, true) => y.iter_mut().zip(x).for_each(|(yi, &xi)| *yi += xi),
        (true, false) => y.iter_mut().zip(x).for_each(|(yi, &xi)| *yi = -xi),
        (true, true) => y.iter_mut().zip(x).for_each(|(yi, &xi)| *yi -= xi),
    }
}

/// `w = w − lr·g` elementwise: an SGD step, rounded as `w - (lr * g)` (no
/// fused multiply-add, so it gives the numbers of the plain formula).
///
/// ```
/// let mut w = [1.0_f64, 2.0];
/// dezero_runtime::kernels::sgd_step(0.5, &[2.0, -2.0], &mut w);
/// assert_eq!(w, [0.0, 3.0]);
/// ```
///
/// # Panics
/// If the lengths differ.
pub fn sgd_step<T: Scalar>(lr: T, g: &[T], w: &mut [T]) {
    assert_eq!(g.len(), w.len(), "sgd_step: lengths differ");
    sgd_dispatch(lr, g, w);
}

multiversion! { fn sgd_dispatch<T: Scalar>(lr: T, g: &[T], w: &mut [T]) => sgd_imp }

#[inline(always)]
fn sgd_imp<T: Scalar, const FMA: bool>(lr: T, g: &[T], w: &mut [T]) {
    for (wi, &gi) in w.iter_mut().zip(g) {
        *wi -= lr * gi;
    }
}
