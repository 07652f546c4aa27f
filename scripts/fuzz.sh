#!/usr/bin/env bash
# Fuzzes what reads outside input — text commands, delays, templates, the
# transcript markdown, Stripe's signature header (targets in fuzz/): builds
# every target, runs each for FUZZ_SECONDS (default 20), fails on any crash,
# and prints per target how many inputs it ran.
#
# cargo-fuzz passes nightly-only flags to rustc; RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them. Targets are built without a sanitizer (the
# code under test is safe Rust: AddressSanitizer would double the cost and
# find nothing a panic does not) but with debug assertions and overflow
# checks, so an arithmetic overflow is a crash.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -d "$HOME/.cargo/bin" ]; then
    PATH="$HOME/.cargo/bin:$PATH"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

seconds="${FUZZ_SECONDS:-20}"
export RUSTC_BOOTSTRAP=1
# The query macros use the checked-in .sqlx/ data, not a live database.
export SQLX_OFFLINE=true
# Its own target dir, outside the clone: coverage-instrumented builds would
# otherwise evict the normal ones, and repeated runs share compiled crates.
target_dir="${FUZZ_TARGET_DIR:-/work/target-fuzz}"
flags=(--sanitizer none --debug-assertions --target-dir "$target_dir")

start=$(date +%s)
cargo fuzz build "${flags[@]}"
built=$(date +%s)
echo "fuzz: built every target in $((built - start)) s"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
summary=""
failed=0
for target in $(cargo fuzz list); do
    # Generated inputs go to fuzz/corpus (ignored by git) and are reused by
    # the next run; fuzz/seeds holds the few committed starting points.
    mkdir -p "fuzz/corpus/$target" "fuzz/seeds/$target"
    status=ok
    if ! cargo fuzz run "${flags[@]}" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        status=CRASHED
        failed=1
        tail -n 40 "$log"
        echo "fuzz: $target crashed; the input is in fuzz/artifacts/$target/"
    fi
    runs=$(awk '/stat::number_of_executed_units:/ { n = $2 } END { print n + 0 }' "$log")
    summary+="$(printf '  %-8s %-18s %10s runs' "$status" "$target" "$runs")"$'\n'
done

echo
echo "==> fuzz: ${seconds} s per target, $(($(date +%s) - start)) s in all"
printf '%s' "$summary"
exit "$failed"
