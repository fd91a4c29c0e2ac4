#!/usr/bin/env bash
# Runs dezero-runtime's unit tests under Miri, which reports Undefined
# Behaviour: the raw-pointer reads of the matrix product's register blocks,
# the helper thread's lifetime-erased job, everything they call.
#
#   scripts/miri.sh [--simd]
#
# Needs the nightly toolchain; adds its `miri` and `rust-src` components if
# they are missing. Not part of .ci/run: on the two-core machine it was
# measured on, it takes about 11 minutes (10.3 for the first run, mostly a
# few tests of a minute or more each, shrunk under `cfg(miri)`; half a
# minute for the threaded ones), plus a minute to build the dependencies
# the first time; `--simd` adds about 7 minutes (two runs of 2.3 minutes,
# each after its own build of the dependencies, the first time).
#
# -Zmiri-deterministic-floats: Miri otherwise adds a few ulp of error to
#   float functions such as `ln`, `exp` and `sin` (as another libm may), and
#   the tests that compare the random stream with NumPy's numbers exactly
#   (random::tests::randn_3x4_seed_0 and others) fail.
# -Zmiri-disable-isolation: the tests write weight files to the temp dir
#   and read the environment.
#
# Under Miri `is_x86_feature_detected!` reports only the target features
# enabled at compile time (none beyond SSE2 by default), so the kernels
# take the baseline path: the AVX2 and AVX-512 versions (and the AVX-512
# tile transposition) are not run. The product's tests also call the AVX2
# and AVX-512 block shapes directly, without target features, so their
# pointer reads are checked all the same. With `--simd`, the kernels'
# tests run twice more, built with `-C target-feature=+avx2,+fma` and then
# with `+avx512f` as well: Miri then takes the AVX2 and the AVX-512 paths
# (it interprets the intrinsics; the processor's own features do not
# matter). Each has its own target directory (target/miri-simd-*), so the
# first `--simd` run also builds the dependencies twice more.
#
# Runs. The first is every test but those that start the kernels' helper
# thread, with Miri's leak check on. The helper is started once and then
# waits for work for the rest of the process, by design, and Miri reports
# a thread still running at exit as an error unless leaks are ignored: so
# the second run, of those tests only, has -Zmiri-ignore-leaks, and is
# repeated under 8 scheduler seeds to try more interleavings of the two
# threads.
set -euo pipefail
cd "$(dirname "$0")/.."

simd=false
case "${1:-}" in
    "") ;;
    --simd) simd=true ;;
    *)
        echo "usage: scripts/miri.sh [--simd]" >&2
        exit 2
        ;;
esac

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup +nightly component add miri rust-src
fi
cargo +nightly miri setup

# Products split between two threads only when a test asks, and the
# kernels choose their instruction set from the target features alone.
unset DEZERO_THREADS DEZERO_BASELINE_KERNELS

flags="-Zmiri-deterministic-floats -Zmiri-disable-isolation"
threaded=(kernels::threads:: two_threads_give_the_one_thread_result
    a_large_sgd_step_on_two_threads_is_the_one_thread_step compiled::split::)
skips=()
for t in "${threaded[@]}"; do
    skips+=(--skip "$t")
done

echo "== Miri: dezero-runtime unit tests, leak check on"
MIRIFLAGS="$flags" cargo +nightly miri test -p dezero-runtime --lib -- "${skips[@]}"

for seed in 0 1 2 3 4 5 6 7; do
    echo "== Miri: the tests that start the helper thread, seed $seed"
    MIRIFLAGS="$flags -Zmiri-ignore-leaks -Zmiri-seed=$seed" \
        cargo +nightly miri test -p dezero-runtime --lib -- "${threaded[@]}"
done

if $simd; then
    for features in +avx2,+fma +avx2,+fma,+avx512f; do
        echo "== Miri: kernel tests built with -C target-feature=$features"
        # Without the triple-loop test of every f64 shape: it calls each
        # shape directly already, and takes three minutes.
        CARGO_TARGET_DIR="target/miri-simd-${features//[+,]/}" \
            RUSTFLAGS="-C target-feature=$features" MIRIFLAGS="$flags" \
            cargo +nightly miri test -p dezero-runtime --lib -- kernels:: "${skips[@]}" \
            --skip every_shape_layout_and_store_matches_the_triple_loop
    done
fi
