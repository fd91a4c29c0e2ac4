//! Global switches, as DeZero's `Config`: whether to record graphs, whether
//! layers run in training or test mode, and whether ops check their results
//! for NaNs and infinities.
//!
//! All are thread-local and changed through scoped guards, so a panic or an
//! early return restores the previous value.

use std::cell::Cell;
use std::sync::OnceLock;

thread_local! {
    static ENABLE_BACKPROP: Cell<bool> = const { Cell::new(true) };
    static TRAIN: Cell<bool> = const { Cell::new(true) };
    static CHECK_FINITE: Cell<bool> = Cell::new(check_finite_from_env());
}

/// Whether `DEZERO_CHECK_FINITE` turns the check on: set to anything but
/// empty, `0` or `false`. Read once per process.
fn check_finite_from_env() -> bool {
    static FROM_ENV: OnceLock<bool> = OnceLock::new();
    *FROM_ENV.get_or_init(|| {
        std::env::var_os("DEZERO_CHECK_FINITE")
            .is_some_and(|v| !(v.is_empty() || v == "0" || v == "false"))
    })
}

/// DeZero's `Config`: read the current switches.
pub struct Config;

impl Config {
    /// Whether operations record the graph needed by `backward` (DeZero's
    /// `Config.enable_backprop`).
    pub fn enable_backprop() -> bool {
        ENABLE_BACKPROP.with(Cell::get)
    }

    /// Whether layers are in training mode (DeZero's `Config.train`).
    pub fn train() -> bool {
        TRAIN.with(Cell::get)
    }

    /// Whether ops check their outputs and gradients for NaNs and
    /// infinities (see [`check_finite`] and [`finite`](crate::finite)).
    ///
    /// Off by default; on for every thread when the environment variable
    /// `DEZERO_CHECK_FINITE` is set (to anything but empty, `0` or `false`).
    pub fn check_finite() -> bool {
        CHECK_FINITE.with(Cell::get)
    }
}

/// Restores a switch to its previous value when dropped.
#[must_use = "the setting reverts as soon as the guard is dropped"]
pub struct ConfigGuard {
    which: Switch,
    previous: bool,
}

#[derive(Clone, Copy)]
enum Switch {
    EnableBackprop,
    Train,
    CheckFinite,
}

fn cell(which: Switch) -> &'static std::thread::LocalKey<Cell<bool>> {
    match which {
        Switch::EnableBackprop => &ENABLE_BACKPROP,
        Switch::Train => &TRAIN,
        Switch::CheckFinite => &CHECK_FINITE,
    }
}

impl ConfigGuard {
    fn set(which: Switch, value: bool) -> Self {
        let previous = cell(which).with(|c| c.replace(value));
        ConfigGuard { which, previous }
    }
}

impl Drop for ConfigGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        cell(self.which).with(|c| c.set(previous));
    }
}

/// Sets `Config.enable_backprop` for as long as the guard lives (DeZero's
/// `using_config('enable_backprop', value)`).
pub fn using_backprop(value: bool) -> ConfigGuard {
    ConfigGuard::set(Switch::EnableBackprop, value)
}

/// Turns graph recording off until the guard is dropped (DeZero's `no_grad()`).
///
/// ```
/// use dezero_runtime::{no_grad, Config};
/// {
///     let _g = no_grad();
///     assert!(!Config::enable_backprop());
/// }
/// assert!(Config::enable_backprop());
/// ```
pub fn no_grad() -> ConfigGuard {
    using_backprop(false)
}

/// Puts layers in test mode until the guard is dropped (DeZero's `test_mode()`).
///
/// ```
/// use dezero_runtime::{test_mode, Config};
/// let g = test_mode();
/// assert!(!Config::train());
/// drop(g);
/// assert!(Config::train());
/// ```
pub fn test_mode() -> ConfigGuard {
    ConfigGuard::set(Switch::Train, false)
}

/// Turns the non-finite check on until the guard is dropped: every op then
/// scans its outputs, and every backward rule its gradients, for NaNs and
/// infinities, and the first offender is reported with the op's name and
/// its inputs' shapes (see [`finite`](crate::finite) for how the report
/// reaches you). The check mode of PyTorch's `detect_anomaly()`.
///
/// ```
/// use dezero_runtime::{check_finite, finite, functions::log, Config, Variable};
/// {
///     let _check = check_finite();
///     assert!(Config::check_finite());
///     let _y = log(&Variable::scalar(0.0_f64)); // -inf
///     assert_eq!(finite::take_report().unwrap().op, "Log");
/// }
/// assert!(!Config::check_finite());
/// ```
pub fn check_finite() -> ConfigGuard {
    using_check_finite(true)
}

/// Sets [`Config::check_finite`] for as long as the guard lives (to turn it
/// off for a scope under `DEZERO_CHECK_FINITE=1`, say).
pub fn using_check_finite(value: bool) -> ConfigGuard {
    ConfigGuard::set(Switch::CheckFinite, value)
}
