#!/usr/bin/env bash
# The test suite: starts PostgreSQL and Redis if they are not running and
# installs Chromium if it is missing (see scripts/services.sh), then runs
# every test of the workspace. This is the test
# command README.md gives and .ci/run calls.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/services.sh
ensure_postgres
ensure_redis
ensure_chromium
# localstripe for the billing tests (exports LOCALSTRIPE, its path).
ensure_python_tools
# The query macros use the checked-in .sqlx/ data, not a live database.
export SQLX_OFFLINE=true
# Outside the clone, so repeated runs on one machine share compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' "$log" | tee -a "${TEST_SUMMARY_FILE:-/dev/null}"
exit "$status"
