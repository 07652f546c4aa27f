#!/usr/bin/env bash
# API load test: the whole system (`ticketeer demo`) on 127.0.0.1, an admin's
# API token, and wrk reading through the full stack (token lookup, guild
# check, Redis rate limit, PostgreSQL): the settings, a page of tickets and
# the stats. Bounded: SECONDS per route (default 15), CONNECTIONS (default 8),
# one wrk thread; stops the demo itself. Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_PER_ROUTE="${SECONDS_PER_ROUTE:-15}"
CONNECTIONS="${CONNECTIONS:-8}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
source scripts/services.sh
ensure_postgres
ensure_redis
export SQLX_OFFLINE=true
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
# The default features include `demo`, which this script runs.
cargo build --quiet --locked --bin ticketeer

work=$(mktemp -d)
source scripts/demo-session.sh
trap 'stop_demo; rm -rf "$work"' EXIT
start_demo_session

for route in settings "tickets?limit=50" "stats?days=30" ; do
    echo "==> GET /v1/guilds/{guild}/$route, $CONNECTIONS connections, ${SECONDS_PER_ROUTE}s"
    wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_ROUTE}s" --latency -H "Authorization: Bearer $TOKEN" \
        "$API/v1/guilds/$GUILD/$route" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
done
