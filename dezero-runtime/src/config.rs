//! Global switches, as DeZero's `Config`: whether to record graphs, and
//! whether layers run in training or test mode.
//!
//! Both are thread-local and changed through scoped guards, so a panic or an
//! early return restores the previous value.

use std::cell::Cell;

thread_local! {
    static ENABLE_BACKPROP: Cell<bool> = const { Cell::new(true) };
    static TRAIN: Cell<bool> = const { Cell::new(true) };
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
}

fn cell(which: Switch) -> &'static std::thread::LocalKey<Cell<bool>> {
    match which {
        Switch::EnableBackprop => &ENABLE_BACKPROP,
        Switch::Train => &TRAIN,
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
