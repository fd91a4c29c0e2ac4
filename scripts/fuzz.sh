#!/usr/bin/env bash
# Fuzzes the weights loader and the model! compiler for a bounded time per
# target, then prints how many inputs ran and whether any crashed.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS per target, default 300; all targets one after the other take
# SECONDS times their number. Targets (fuzz/fuzz_targets), default all:
#   load_weights  arbitrary bytes as an .npz file
#   npy_entry     arbitrary bytes as one .npy entry of a valid archive
#   model_dsl     arbitrary text as the input of model! (dezero-compiler)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Each corpus grows in fuzz/corpus/<target> (kept between runs, not
# committed); it starts from fuzz/seeds/<target> and the fixtures. A crash is
# saved under fuzz/artifacts/<target>/ and makes this script fail; reproduce
# it with
#   cargo +nightly fuzz run --fuzz-dir fuzz <target> fuzz/artifacts/<target>/<file>
# and add it as a regression test: tests/weights_untrusted.rs for the
# loader; for model!, a test in dezero-macros/compiler that expands the
# input and expects an error (as in src/nesting.rs).
set -euo pipefail

secs="${1:-300}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(load_weights npy_entry model_dsl)

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: needs nightly and cargo-fuzz: rustup toolchain install nightly; cargo install cargo-fuzz" >&2
    exit 2
fi

status=0
summary=()
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    cp -n "fuzz/seeds/$target"/* "$corpus"/
    dict=fuzz/load_weights.dict
    case "$target" in
        load_weights) cp -n tests/fixtures/*.npz "$corpus"/ ;;
        npy_entry) cp -n tests/fixtures/*.npy "$corpus"/ ;;
        model_dsl) dict=fuzz/model_dsl.dict ;;
    esac

    log="$(mktemp -t dezero-fuzz.XXXXXX)"
    # One job and one build job (a shared machine), low priority.
    # -rss_limit_mb bounds memory, and a single allocation past it counts as
    # a crash (libFuzzer's malloc limit defaults to the rss limit).
    CARGO_BUILD_JOBS=1 nice -n 10 cargo +nightly fuzz run --fuzz-dir fuzz --jobs 1 \
        "$target" "$corpus" -- \
        -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
        -dict="$dict" -print_final_stats=1 2>&1 | tee "$log" || status=$?

    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
    crashes="$(find "$artifacts" -type f | wc -l)"
    summary+=("$target: ${runs:-?} executions in ${secs}s, ${crashes} crash file(s) in $artifacts")
    rm -f "$log"
done

for line in "${summary[@]}"; do
    echo "fuzz.sh: $line"
done
exit "$status"
