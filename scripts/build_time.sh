#!/usr/bin/env bash
# The edit-compile loop a user meets, measured on a crate of their own.
#
# Makes a user crate outside the workspace (its own `[workspace]`, depending
# on this checkout's `dezero` by path) whose `main` trains the book's
# TwoLayerNet with `model!`, then times:
#
#   1. the first `cargo build --release` (dependencies included unless the
#      crate's target directory is already warm; pass --clean to start cold);
#   2. release rebuilds after editing only the `model!` body (the forward's
#      activation flips between sigmoid and tanh, twice);
#   3. with --debug: the same edit in a debug build, with and without the
#      profile lines the README recommends, and each build's training time
#      (this builds every dependency twice more, in debug).
#
# Usage: scripts/build_time.sh [--clean] [--debug] [--dir DIR]
#   DIR defaults to target/build-time (kept between runs, so dependencies
#   are built once; the timings of steps 2 and 3 do not depend on it).
#   CARGO_TARGET_DIR, when set, is used for the user crate's builds (point
#   it at this checkout's target/ to reuse the dependencies built there).
#
# Prints one line per measurement; nothing is asserted (timings depend on
# the machine and its load: report them with `uptime`'s load average).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="$repo/target/build-time"
clean=0
debug=0
while [ $# -gt 0 ]; do
    case "$1" in
        --clean) clean=1 ;;
        --debug) debug=1 ;;
        --dir) dir="$2"; shift ;;
        *) echo "usage: $0 [--clean] [--debug] [--dir DIR]" >&2; exit 2 ;;
    esac
    shift
done
crate="$dir/user"
[ "$clean" = 1 ] && rm -rf "$dir"
mkdir -p "$crate/src"

write_manifest() { # $1: extra profile lines
    cat >"$crate/Cargo.toml" <<EOF
[package]
name = "user"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
dezero = { path = "$repo" }
ndarray = "0.17"

[workspace]
$1
EOF
}

write_main() { # $1: the forward's activation
    cat >"$crate/src/main.rs" <<EOF
use dezero::prelude::*;
use ndarray::Ix2;

model! {
    pub struct TwoLayerNet(hidden_size: usize, out_size: usize) {
        l1: Linear(hidden_size),
        l2: Linear(out_size),
    }
    fn forward(x) {
        let y = $1(l1(x));
        l2(y)
    }
    fn loss(y, t) {
        mean_squared_error(y, t)
    }
}

fn main() -> dezero::Result<()> {
    random::seed(0);
    let x = random::rand(&[100, 1]);
    let t = x.mapv(|v| (2.0 * std::f64::consts::PI * v).sin()) + random::rand(&[100, 1]);
    let x = x.mapv(|v| v as f32).into_dimensionality::<Ix2>().expect("100x1");
    let t = t.mapv(|v| v as f32).into_dimensionality::<Ix2>().expect("100x1");
    let mut model = TwoLayerNet::<f32>::new(10, 1);
    let mut opt = SGD::new(0.2);
    opt.setup(&model);
    let start = std::time::Instant::now();
    let mut loss = 0.0;
    for _ in 0..10_000 {
        model.cleargrads();
        loss = model.forward_backward(x.view(), t.view())?;
        opt.update();
    }
    println!("train {:.3} s loss {loss:.6}", start.elapsed().as_secs_f64());
    Ok(())
}
EOF
}

# Seconds taken by a command (its output goes to $dir/last.log).
timed() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >"$dir/last.log" 2>&1 || { cat "$dir/last.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}

cd "$crate"
out="${CARGO_TARGET_DIR:-$crate/target}"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "dezero at $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo '+dirty')"

write_manifest ""
write_main sigmoid
echo "release first build: $(timed cargo build --release) s"
echo "release $("$out/release/user")"
for act in tanh sigmoid; do
    write_main "$act"
    echo "release rebuild after editing the model (-> $act): $(timed cargo build --release) s"
done
[ "$debug" = 1 ] || exit 0

write_main sigmoid
echo "debug first build (no profile lines): $(timed cargo build) s"
echo "debug, no profile lines: $("$out/debug/user")"

# The profile lines the README recommends for debug builds.
write_manifest '
[profile.dev.package."*"]
opt-level = 3'
echo "debug build with the README's profile lines: $(timed cargo build) s"
for act in tanh sigmoid; do
    write_main "$act"
    echo "debug rebuild after editing the model (-> $act): $(timed cargo build) s"
done
echo "debug with profile lines: $("$out/debug/user")"
