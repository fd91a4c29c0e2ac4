//! Thread count for the rayon-based peers (candle's CPU kernels and burn's
//! backends read rayon's pool size, which `RAYON_NUM_THREADS` sets).

use crate::workloads::Args;

/// Sets `RAYON_NUM_THREADS` to `--threads` before any pool is built.
pub fn set_rayon_threads(args: &Args) {
    // Called first thing in `main`, before any other thread exists.
    std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string());
}
