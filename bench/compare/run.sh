#!/usr/bin/env bash
# The comparison harness: dezero-rs against the original DeZero, PyTorch
# eager (CPU), candle and burn on the same three training workloads.
#
#   bench/compare/run.sh            # everything: setup, builds, timing, report
#   bench/compare/run.sh --runs 7   # options go to python/harness.py
#   bench/compare/run.sh --scale 0.05 --no-write   # a quick check
#
# Needs Rust (the repo's toolchain), Python 3.11 with pip and venv, network
# access to PyPI and crates.io, and /usr/bin/time (GNU time, for peak RSS).
# Creates, under bench/compare/ (all gitignored):
#   .venv-dezero  dezero 0.0.13 with numpy 1.23.5 (it imports only with
#                 NumPy < 1.24) and the matplotlib it imports
#   .venv-torch   torch from PyPI (on Linux x86_64 that wheel is the CUDA
#                 build with its CUDA libraries, about 5 GB; only its CPU
#                 kernels are used), numpy, matplotlib for the chart
#   target/       the cargo builds of dezero-rs/ and rust-peers/
# then writes BENCHMARKS.md, bench/compare/chart.png and the README's
# Benchmarks section. A part that fails to install or build is left out of
# the table and named under "Not measured"; the rest still runs.
#
# Builds and installs run under `nice -n 19`; CARGO_BUILD_JOBS limits
# cargo's parallelism as usual. Timing runs are not niced: run on a quiet
# machine.
set -uo pipefail
start=$(date +%s)
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
mkdir -p results
notes=results/notes.txt
: >"$notes"
export CARGO_TARGET_DIR="$here/target"
nice=(nice -n 19)
python=${PYTHON:-python3}

step() { printf '\n== %s\n' "$*"; }

venv() { # venv NAME IMPORT-CHECK PACKAGE...
    local dir=".venv-$1" check=$2
    shift 2
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$check" >/dev/null 2>&1; then
        echo "$dir: present"
        return 0
    fi
    rm -rf "$dir"
    "${nice[@]}" "$python" -m venv "$dir" &&
        "${nice[@]}" "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" &&
        "$dir/bin/python" -c "$check"
}

step "Python: the original DeZero"
# dezero 0.0.13 imports matplotlib (dezero/datasets.py) without declaring it.
if ! venv dezero "import dezero" "numpy==1.23.5" "dezero==0.0.13" "matplotlib<3.9"; then
    echo "DeZero: dezero 0.0.13 with numpy 1.23.5 did not install or import (see run.sh's output)" >>"$notes"
    rm -rf .venv-dezero
fi

step "Python: PyTorch (CPU kernels) and matplotlib"
if ! venv torch "import torch, matplotlib" torch numpy matplotlib; then
    echo "PyTorch: torch did not install or import (see run.sh's output)" >>"$notes"
    rm -rf .venv-torch
fi

step "Rust: dezero-rs (bench/compare/dezero-rs)"
if ! (cd dezero-rs && "${nice[@]}" cargo build --release --quiet); then
    echo "dezero-rs: bench/compare/dezero-rs did not build (see the run's output)" >>"$notes"
    rm -f target/release/dezero-rs
fi

step "Rust: candle and burn (bench/compare/rust-peers)"
for bin in candle burn-flex burn-ndarray; do
    if ! (cd rust-peers && "${nice[@]}" cargo build --release --quiet --bin "$bin"); then
        echo "$bin: bench/compare/rust-peers did not build (see the run's output)" >>"$notes"
        rm -f "target/release/$bin"
    fi
done

step "Timing runs"
# The driver needs only the standard library; matplotlib (for the chart)
# lives in the PyTorch environment.
driver=$python
[ -x .venv-torch/bin/python ] && driver=.venv-torch/bin/python
"$driver" python/harness.py --start "$start" "$@"
status=$?
end=$(date +%s)
echo "run.sh took $(((end - start) / 60)) min $(((end - start) % 60)) s"
exit $status
