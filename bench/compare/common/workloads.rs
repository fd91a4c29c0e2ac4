//! What every Rust program of the comparison harness shares: the three
//! workloads, their data and initial weights, the command line, the timing
//! loop's bookkeeping and the result line. Included with `#[path]` by
//! `bench/compare/rust-peers` and `bench/compare/dezero-rs`; the Python side
//! has the same in `bench/compare/python/common.py`, and both must produce
//! bit-identical data and weights.
//!
//! Numbers come from a counter hash (splitmix64's finaliser), not from a
//! library's generator, so that DeZero, PyTorch, candle, burn and dezero-rs
//! start from the same f32 values and their final losses can be compared.
#![allow(dead_code)]

use std::time::Instant;

/// One of the harness's workloads: an MLP trained full-batch with SGD on
/// DeZero's mean squared error (sum of squares divided by the row count).
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// `w1`, `w2` or `w3`.
    pub name: &'static str,
    /// Rows of the batch.
    pub rows: usize,
    /// Widths: input, hidden layers…, output.
    pub sizes: &'static [usize],
    /// Hidden activation: `sigmoid` or `relu`.
    pub activation: &'static str,
    /// SGD learning rate.
    pub lr: f64,
    /// Training iterations of a full run.
    pub iters: usize,
}

/// W1, the book's step 45: 100×1, 1→10 sigmoid→1, SGD 0.2, 10 000 iterations.
pub const W1: Workload = Workload {
    name: "w1",
    rows: 100,
    sizes: &[1, 10, 1],
    activation: "sigmoid",
    lr: 0.2,
    iters: 10_000,
};
/// W2, wide: 100×784 → 1000 sigmoid → 10, SGD 0.01, 200 iterations.
pub const W2: Workload = Workload {
    name: "w2",
    rows: 100,
    sizes: &[784, 1000, 10],
    activation: "sigmoid",
    lr: 0.01,
    iters: 200,
};
/// W3, deep narrow: 32×64 → 64 → 64 → 64 → 1, relu, SGD 0.01, 5 000 iterations.
pub const W3: Workload = Workload {
    name: "w3",
    rows: 32,
    sizes: &[64, 64, 64, 64, 1],
    activation: "relu",
    lr: 0.01,
    iters: 5_000,
};

impl Workload {
    /// The workload called `name`.
    pub fn by_name(name: &str) -> Option<Workload> {
        [W1, W2, W3].into_iter().find(|w| w.name == name)
    }

    /// Number of linear layers.
    pub fn layers(&self) -> usize {
        self.sizes.len() - 1
    }

    /// Width of the input.
    pub fn in_width(&self) -> usize {
        self.sizes[0]
    }

    /// Width of the output.
    pub fn out_width(&self) -> usize {
        *self.sizes.last().expect("at least two sizes")
    }

    /// `(x, t)`, row-major `rows × in_width` and `rows × out_width`.
    ///
    /// W1 is the book's sine data, `y = sin(2πx) + noise`; W2 and W3 have
    /// uniform inputs and targets.
    pub fn data(&self) -> (Vec<f32>, Vec<f32>) {
        let x = uniform(1, self.rows * self.in_width());
        let t = if self.name == "w1" {
            let noise = uniform(2, self.rows);
            x.iter()
                .zip(&noise)
                .map(|(&x, &n)| ((2.0 * std::f64::consts::PI * x as f64).sin() + n as f64) as f32)
                .collect()
        } else {
            uniform(2, self.rows * self.out_width())
        };
        (x, t)
    }

    /// Initial `W` of layer `k` (0-based), row-major `in × out` as DeZero
    /// stores it: uniform on ±√(3/in), the variance of DeZero's
    /// `randn · √(1/in)`. Biases start at zero.
    pub fn weight(&self, k: usize) -> Vec<f32> {
        let (i, o) = (self.sizes[k], self.sizes[k + 1]);
        let scale = (3.0 / i as f64).sqrt();
        uniform(100 + k as u64, i * o)
            .into_iter()
            .map(|u| ((2.0 * u as f64 - 1.0) * scale) as f32)
            .collect()
    }

    /// FLOP per iteration counted as 6 · rows · Σ in·out (forward product,
    /// and the two backward products), or `None` where the harness does not
    /// report throughput (W1, W3).
    pub fn flop_per_iter(&self) -> Option<f64> {
        (self.name == "w2").then(|| {
            let macs: usize = self.sizes.windows(2).map(|p| p[0] * p[1]).sum();
            6.0 * self.rows as f64 * macs as f64
        })
    }
}

/// `n` values in [0, 1), each a multiple of 2⁻²⁴ (so exact in f32): the
/// top 24 bits of splitmix64's finaliser applied to `stream·2³² + i`.
pub fn uniform(stream: u64, n: usize) -> Vec<f32> {
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n as u64)
        .map(|i| {
            let mut z = ((stream << 32) + i).wrapping_mul(GAMMA).wrapping_add(GAMMA);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect()
}

/// The command line every harness program takes:
/// `--workload w1|w2|w3 [--threads N] [--runs R] [--iters I]`.
#[derive(Clone, Debug)]
pub struct Args {
    /// The workload to train.
    pub workload: Workload,
    /// Threads the system may use.
    pub threads: usize,
    /// Timed runs; the harness reports their median.
    pub runs: usize,
    /// Iterations per run (the workload's own count unless overridden).
    pub iters: usize,
    /// Anything else (`--mode compiled`), as `(flag, value)` pairs.
    pub extra: Vec<(String, String)>,
}

impl Args {
    /// Parses `std::env::args()`, exiting with a usage message on error.
    pub fn parse() -> Args {
        let usage = "usage: PROG --workload w1|w2|w3 [--threads N] [--runs R] [--iters I]";
        let mut it = std::env::args().skip(1);
        let (mut workload, mut threads, mut runs, mut iters, mut extra) =
            (None, 1, 5, None, Vec::new());
        while let Some(flag) = it.next() {
            let value = it.next().unwrap_or_else(|| die(usage));
            match flag.as_str() {
                "--workload" => {
                    workload = Some(Workload::by_name(&value).unwrap_or_else(|| die(usage)))
                }
                "--threads" => threads = value.parse().unwrap_or_else(|_| die(usage)),
                "--runs" => runs = value.parse().unwrap_or_else(|_| die(usage)),
                "--iters" => iters = Some(value.parse().unwrap_or_else(|_| die(usage))),
                _ if flag.starts_with("--") => extra.push((flag[2..].to_string(), value)),
                _ => die(usage),
            }
        }
        let workload = workload.unwrap_or_else(|| die(usage));
        Args {
            workload,
            threads,
            runs,
            iters: iters.unwrap_or(workload.iters),
            extra,
        }
    }

    /// The value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn die(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(2)
}

/// Runs `args.runs` timed runs of `run` (which builds a fresh model from the
/// shared initial weights, trains `iters` iterations inside `timer` and
/// returns the last iteration's loss) and prints the result line.
pub fn measure<F>(system: &str, args: &Args, mut run: F)
where
    F: FnMut(&mut Timer) -> f32,
{
    let mut seconds = Vec::with_capacity(args.runs);
    let mut loss = f32::NAN;
    for _ in 0..args.runs {
        let mut timer = Timer::default();
        loss = run(&mut timer);
        seconds.push(timer.seconds.expect("the run called Timer::time"));
    }
    print_result(system, args, &seconds, loss);
}

/// Times the training loop of one run.
#[derive(Default)]
pub struct Timer {
    seconds: Option<f64>,
}

impl Timer {
    /// Runs `f` (the training loop) and records how long it took.
    pub fn time<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let r = f();
        self.seconds = Some(start.elapsed().as_secs_f64());
        r
    }
}

/// Prints the one line the harness reads:
/// `RESULT {"system": …, "run_seconds": […], "final_loss": …}`.
pub fn print_result(system: &str, args: &Args, seconds: &[f64], loss: f32) {
    let secs: Vec<String> = seconds.iter().map(|s| format!("{s:.9}")).collect();
    println!(
        "RESULT {{\"system\": \"{system}\", \"workload\": \"{}\", \
         \"threads\": {}, \"iters\": {}, \"run_seconds\": [{}], \"final_loss\": {}}}",
        args.workload.name,
        args.threads,
        args.iters,
        secs.join(", "),
        if loss.is_finite() {
            format!("{loss:.9e}")
        } else {
            "null".to_string()
        }
    );
}

/// Says that this system cannot run with `args.threads` threads and exits
/// with status 3, which the harness shows as "—".
pub fn unsupported_threads(system: &str, args: &Args) -> ! {
    println!(
        "UNSUPPORTED {system}: {} threads (no way to set a thread count)",
        args.threads
    );
    std::process::exit(3)
}
