#!/usr/bin/env bash
# CI smoke of the comparison harness's Rust side: builds
# bench/compare/dezero-rs (no Python, no candle, no burn) and trains each
# workload a few iterations, compiled and define-by-run, checking that both
# print a result line with a finite loss and that the two losses agree.
# Seconds once built. Run from anywhere: bench/compare/smoke.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CARGO_TARGET_DIR="$here/target"
(cd "$here/dezero-rs" && cargo build --release --quiet)
bin="$CARGO_TARGET_DIR/release/dezero-rs"

loss() { # loss WORKLOAD MODE ITERS -> prints the final loss
    local out
    out=$("$bin" --workload "$1" --mode "$2" --runs 2 --iters "$3")
    echo "$out" >&2
    echo "$out" | sed -n 's/^RESULT .*"final_loss": \([^}]*\)}$/\1/p'
}

passed=0
failed=0
for spec in w1:200 w2:3 w3:100; do
    w=${spec%%:*} iters=${spec#*:}
    a=$(loss "$w" compiled "$iters")
    b=$(loss "$w" define-by-run "$iters")
    if awk -v a="$a" -v b="$b" 'BEGIN {
            if (a == "" || b == "" || a == "null" || b == "null") exit 1
            d = a - b; if (d < 0) d = -d
            m = a < 0 ? -a : a
            exit !(d <= 1e-4 * m + 1e-7)
        }'; then
        echo "ok: $w compiled $a, define-by-run $b"
        passed=$((passed + 1))
    else
        echo "FAIL: $w compiled '$a', define-by-run '$b'"
        failed=$((failed + 1))
    fi
done
# An unsupported thread count must be reported as such (exit 3), not crash.
set +e
"$bin" --workload w2 --threads 2 --runs 1 --iters 1 >/dev/null
rc=$?
set -e
if [ "$rc" = 0 ] || [ "$rc" = 3 ]; then
    passed=$((passed + 1))
else
    echo "FAIL: --threads 2 exited $rc"
    failed=$((failed + 1))
fi
echo "smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
