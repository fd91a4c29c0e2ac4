//! A progress bar for long training loops that shows the current loss.
//!
//! ```
//! // Step 48's loop with a bar over the epochs.
//! use dezero::progress::Progress;
//! let max_epoch = 300;
//! let progress = Progress::new(max_epoch);
//! for epoch in 0..max_epoch {
//!     let avg_loss = 1.1 / (epoch as f64 + 1.0).sqrt(); // train an epoch here
//!     progress.println(format!("epoch {}, loss {avg_loss:.2}", epoch + 1));
//!     progress.step(avg_loss);
//! }
//! assert_eq!(progress.position(), 300);
//! progress.finish();
//! ```

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over a known number of steps (epochs or iterations) that
/// shows the latest loss: `epoch 120/300 [=====>    ] loss 0.2134 (eta 2s)`.
///
/// It draws on standard error, and only when standard output and standard
/// error are both terminals. With either redirected (to a log file, a pipe,
/// CI) it is hidden and costs next to nothing, so logs hold only what the
/// program prints. Lines printed with [`println`](Progress::println) go to
/// standard output, above the bar while it is shown.
///
/// Dropping the bar (or [`finish`](Progress::finish)) erases it.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `len` epochs, shown when the output is a terminal.
    pub fn new(len: usize) -> Self {
        Self::with_label(len, "epoch")
    }

    /// A bar over `len` steps named `label` (`"epoch"`, `"iter"`), shown
    /// when the output is a terminal.
    ///
    /// ```
    /// use dezero::progress::Progress;
    /// let progress = Progress::with_label(10_000, "iter");
    /// progress.set_loss(0.5);
    /// progress.inc();
    /// assert_eq!(progress.position(), 1);
    /// ```
    pub fn with_label(len: usize, label: &str) -> Self {
        let shown = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let target = if shown {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self::with_target(len, label, target)
    }

    /// A bar that is never drawn (what [`new`](Progress::new) gives when the
    /// output is not a terminal); [`println`](Progress::println) still
    /// prints.
    ///
    /// ```
    /// use dezero::progress::Progress;
    /// let progress = Progress::hidden(3);
    /// assert!(progress.is_hidden());
    /// ```
    pub fn hidden(len: usize) -> Self {
        Self::with_target(len, "epoch", ProgressDrawTarget::hidden())
    }

    fn with_target(len: usize, label: &str, target: ProgressDrawTarget) -> Self {
        let bar = ProgressBar::with_draw_target(Some(len as u64), target);
        let style = ProgressStyle::with_template(
            "{prefix} {pos}/{len} [{bar:30.cyan/blue}] {msg} (eta {eta})",
        )
        .map(|s| s.progress_chars("=> "))
        // The template is a constant that parses; the default bar is the
        // fallback should indicatif ever reject it.
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        Progress { bar }
    }

    /// Whether the bar is not drawn.
    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Shows `loss` as the current loss.
    pub fn set_loss(&self, loss: f64) {
        self.bar.set_message(format!("loss {loss:.4}"));
    }

    /// Counts one step done.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Shows `loss` and counts one step done (the end of an epoch).
    pub fn step(&self, loss: f64) {
        self.set_loss(loss);
        self.inc();
    }

    /// The number of steps done.
    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    /// Prints `line` to standard output, above the bar while it is shown.
    pub fn println(&self, line: impl AsRef<str>) {
        self.bar.suspend(|| println!("{}", line.as_ref()));
    }

    /// Erases the bar.
    pub fn finish(self) {
        // Drop erases it.
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress")
            .field("position", &self.bar.position())
            .field("len", &self.bar.length())
            .field("hidden", &self.bar.is_hidden())
            .finish()
    }
}
