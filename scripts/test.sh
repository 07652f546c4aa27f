#!/usr/bin/env bash
# The test suite: starts PostgreSQL and Redis if they are not running (see
# scripts/services.sh), then runs every test of the workspace. This is the test
# command README.md gives and .ci/run calls.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/services.sh
ensure_postgres
ensure_redis
# The query macros use the checked-in .sqlx/ data, not a live database.
export SQLX_OFFLINE=true
# Outside the clone, so repeated runs on one machine share compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
exec cargo test --workspace --locked "$@"
