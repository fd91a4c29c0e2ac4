//! Elementwise pieces of a backward pass that accumulate or work in place,
//! on row-major slices, allocation-free.
//!
//! Where a kernel takes `acc`, `false` overwrites the output and `true` adds
//! to it (gradients accumulate when a value feeds several ops).

use std::sync::{Mutex, PoisonError};

use super::simd::multiversion;
use crate::scalar::Scalar;

/// `y = a + b` elementwise.
///
/// # Panics
/// If the lengths differ.
pub fn add_into<T: Scalar>(a: &[T], b: &[T], y: &mut [T]) {
    T::add_into(a, b, y)
}

/// [`add_into`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn add_into_imp<T: Scalar>(a: &[T], b: &[T], y: &mut [T]) {
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
    T::sub_into(a, b, y)
}

/// [`sub_into`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn sub_into_imp<T: Scalar>(a: &[T], b: &[T], y: &mut [T]) {
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
    T::mul_into(a, b, y, acc)
}

/// [`mul_into`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn mul_into_imp<T: Scalar>(a: &[T], b: &[T], y: &mut [T], acc: bool) {
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
    T::copy_into(x, y, neg, acc)
}

/// [`copy_into`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn copy_into_imp<T: Scalar>(x: &[T], y: &mut [T], neg: bool, acc: bool) {
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
///
/// With two threads ([`set_threads`](super::set_threads)), a parameter of at
/// least [`SGD_PARALLEL_MIN`] elements gives its first half to the helper
/// thread: the step is bound by memory bandwidth, which a second core
/// doubles (the 784×1000 weight of a wide layer: 9 MB read and written per
/// step). Each element's update is the same either way.
pub fn sgd_step<T: Scalar>(lr: T, g: &[T], w: &mut [T]) {
    T::sgd_step(lr, g, w)
}

/// [`sgd_step`]'s body, compiled once per element type in this crate
/// ([`Kernels`](super::entry::Kernels)).
#[allow(clippy::too_many_arguments, reason = "the kernel's")]
pub(super) fn sgd_step_imp<T: Scalar>(lr: T, g: &[T], w: &mut [T]) {
    assert_eq!(g.len(), w.len(), "sgd_step: lengths differ");
    if w.len() >= SGD_PARALLEL_MIN && super::threads() > 1 {
        let half = w.len() / 2 / 16 * 16;
        let (w1, w2) = w.split_at_mut(half);
        let (g1, g2) = g.split_at(half);
        // The helper's half is handed over through a mutex, since the job
        // is a shared closure (called once).
        let w1 = Mutex::new(w1);
        return super::threads::join(
            &|| {
                let mut w1 = w1.lock().unwrap_or_else(PoisonError::into_inner);
                T::sgd_dispatch(lr, g1, &mut w1);
            },
            || T::sgd_dispatch(lr, g2, w2),
        );
    }
    T::sgd_dispatch(lr, g, w);
}

/// The fewest elements of a parameter whose [`sgd_step`] is split between
/// two threads: a megabyte of `f32`, a few hundred microseconds of memory
/// traffic against a hand-off of well under one. (Under Miri, 1024, so that
/// the split's test runs in seconds rather than many minutes.)
pub const SGD_PARALLEL_MIN: usize = if cfg!(miri) { 1 << 10 } else { 1 << 18 };

multiversion! { pub(super) fn sgd_dispatch<T: Scalar>(lr: T, g: &[T], w: &mut [T]) => sgd_imp }

#[inline(always)]
fn sgd_imp<T: Scalar, const FMA: bool>(lr: T, g: &[T], w: &mut [T]) {
    for (wi, &gi) in w.iter_mut().zip(g) {
        *wi -= lr * gi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large step split between two threads updates every element as
    /// one thread does, bit for bit, the odd lengths' last elements
    /// included.
    #[test]
    fn a_large_sgd_step_on_two_threads_is_the_one_thread_step() {
        for len in [SGD_PARALLEL_MIN, SGD_PARALLEL_MIN + 37] {
            let g: Vec<f32> = (0..len).map(|i| ((i % 101) as f32 - 50.0) * 0.01).collect();
            let w0: Vec<f32> = (0..len).map(|i| ((i % 37) as f32).sin()).collect();
            let lr = 0.1_f32;
            let want: Vec<f32> = w0.iter().zip(&g).map(|(w, g)| w - lr * g).collect();
            for threads in [1, 2] {
                crate::kernels::set_threads(threads);
                let mut w = w0.clone();
                sgd_step(lr, &g, &mut w);
                assert!(w == want, "{threads} threads, {len} elements");
            }
            crate::kernels::set_threads(1);
        }
    }
}
