#!/usr/bin/env bash
# The API contract check: runs the whole system (`ticketeer demo`, against the
# Discord stand-in) on free ports, logs the demo guild's owner in through
# Discord OAuth2 the way a browser does, makes an API token with every scope,
# and points schemathesis at /v1/openapi.json with it: no response may be a
# 5xx, and every response must match the document (status, content type,
# schema, headers). Bounded in examples and time; stops the demo itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/services.sh
ensure_postgres
ensure_redis
ensure_python_tools
export SQLX_OFFLINE=true
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target}"
# The default features include `demo`, which this script runs.
cargo build --quiet --locked --bin ticketeer

work=$(mktemp -d)
source scripts/demo-session.sh
trap 'stop_demo; rm -rf "$work"' EXIT
start_demo_session
api=$API
guild=$GUILD
token=$TOKEN
session=$SESSION

# Every operation, with the demo guild for {guild_id} (other values are
# generated too, and must be refused cleanly).
cat >"$work/schemathesis.toml" <<TOML
[parameters]
"path.guild_id" = "$guild"
TOML
contract() { # contract SECONDS HEADER [filters...]
    local seconds=$1 header=$2
    shift 2
    "$PYTHON_TOOLS_DIR/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$api/v1/openapi.json" \
        --url "$api" \
        -H "$header" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
        --phases examples,coverage,fuzzing \
        --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-50}" \
        --max-time "$seconds" \
        --workers 1 \
        --request-timeout 10 \
        --max-redirects 0 \
        --warnings off \
        "$@"
}
echo "==> every operation, as an API token with every scope"
contract "${SCHEMATHESIS_MAX_TIME:-90}" "Authorization: Bearer $token"
echo "==> the operations for people (tokens, data rights, my guilds), as the logged-in owner"
# (The demo serves plain HTTP, so the cookie has no __Host- prefix; writes
# with it must name the API's own origin.)
contract "${SCHEMATHESIS_SESSION_MAX_TIME:-45}" "Cookie: ticketeer_session=$session" -H "Origin: $api" \
    --include-tag tokens --include-tag data --include-path /v1/me/guilds
