//! Runtime selection of the instruction set the kernels run with.
//!
//! The crate is built for the baseline x86-64 target (SSE2), so that one
//! binary runs anywhere. Hot kernels are compiled three times by
//! [`multiversion!`]: for the baseline, for AVX2 with FMA, and for AVX-512;
//! the widest set the processor has is chosen once, at the first call.
//! Kernels write their arithmetic with [`madd`], which becomes one fused
//! multiply-add where FMA is available and a multiply and an add elsewhere.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::scalar::Scalar;

/// An instruction set the kernels can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// SSE2 only (any x86-64, or another architecture).
    Baseline,
    /// AVX2 with fused multiply-add.
    Avx2Fma,
    /// AVX-512 (foundation) with AVX2 and FMA.
    Avx512,
}

static DETECTED: AtomicU8 = AtomicU8::new(0);

/// The instruction set the kernels use on this processor (detected once).
///
/// ```
/// let isa = dezero_runtime::kernels::isa();
/// println!("kernels run with {isa:?}");
/// ```
pub fn isa() -> Isa {
    match DETECTED.load(Ordering::Relaxed) {
        1 => Isa::Baseline,
        2 => Isa::Avx2Fma,
        3 => Isa::Avx512,
        _ => {
            let isa = detect();
            let code = match isa {
                Isa::Baseline => 1,
                Isa::Avx2Fma => 2,
                Isa::Avx512 => 3,
            };
            DETECTED.store(code, Ordering::Relaxed);
            isa
        }
    }
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if std::env::var_os("DEZERO_BASELINE_KERNELS").is_some() {
            return Isa::Baseline;
        }
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        if avx2 && is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if avx2 {
            return Isa::Avx2Fma;
        }
    }
    Isa::Baseline
}

/// `a·b + c`, fused into one rounding when `FMA` (the kernel was compiled
/// for a processor with FMA), as a multiply and an add otherwise.
#[inline(always)]
pub fn madd<T: Scalar, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Defines a kernel from a body generic over `const FMA: bool`, compiled
/// for each [`Isa`] and dispatched at run time.
macro_rules! multiversion {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident<$T:ident: Scalar>($($arg:ident: $ty:ty),* $(,)?)
        => $imp:ident
    ) => {
        $(#[$meta])*
        $vis fn $name<$T: Scalar>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                fn avx512<$T: Scalar>($($arg: $ty),*) {
                    $imp::<$T, true>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2<$T: Scalar>($($arg: $ty),*) {
                    $imp::<$T, true>($($arg),*)
                }
                match $crate::kernels::isa() {
                    // SAFETY: `isa()` reported AVX-512F, AVX2 and FMA on this
                    // processor, the features `avx512` is compiled for.
                    $crate::kernels::Isa::Avx512 => return unsafe { avx512::<$T>($($arg),*) },
                    // SAFETY: `isa()` reported AVX2 and FMA on this processor.
                    $crate::kernels::Isa::Avx2Fma => return unsafe { avx2::<$T>($($arg),*) },
                    $crate::kernels::Isa::Baseline => {}
                }
            }
            $imp::<$T, false>($($arg),*)
        }
    };
}

pub(crate) use multiversion;
