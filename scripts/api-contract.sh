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
cargo build --quiet --locked --bin ticketeer

work=$(mktemp -d)
demo_pid=""
cleanup() {
    if [ -n "$demo_pid" ]; then
        kill -INT "$demo_pid" 2>/dev/null || true
        wait "$demo_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Free ports everywhere; no rate limit in the way of the fuzzer.
TICKETEER_API_LISTEN=127.0.0.1:0 TICKETEER_OPS_LISTEN=127.0.0.1:0 TICKETEER_API_RATE_LIMIT=1000000 \
    "$CARGO_TARGET_DIR/debug/ticketeer" demo --standin-port 0 >"$work/demo.log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 600); do
    grep -q "Ticketeer demo is running" "$work/demo.log" && break
    kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log"; echo "the demo stopped"; exit 1; }
    sleep 0.1
done
grep -q "Ticketeer demo is running" "$work/demo.log" || { cat "$work/demo.log"; echo "the demo did not start"; exit 1; }

api=$(grep -oE 'HTTP API +http://[0-9.:]+' "$work/demo.log" | grep -oE 'http://[0-9.:]+')
standin=$(grep -oE 'Discord stand-in +http://[0-9.:]+' "$work/demo.log" | grep -oE 'http://[0-9.:]+')
guild=$(grep -oE '"Acme Support" \(guild [0-9]+\)' "$work/demo.log" | grep -oE '[0-9]+')
owner=$(grep -oE 'oauth2/user .*"user_id":"[0-9]+"' "$work/demo.log" | grep -oE '[0-9]{6,}' | head -n 1)
echo "API $api, stand-in $standin, guild $guild, owner $owner"

# The owner logs in (the stand-in approves at once) and makes a token.
curl -sf -X PUT "$standin/_standin/oauth2/user" -H 'content-type: application/json' -d "{\"user_id\":\"$owner\"}" >/dev/null
curl -sf -L -c "$work/cookies" -b "$work/cookies" "$api/v1/auth/login" >/dev/null
token=$(curl -sf -b "$work/cookies" -X POST "$api/v1/guilds/$guild/tokens" -H 'content-type: application/json' \
    -d '{"name":"schemathesis","scopes":["settings:read","settings:write","tickets:read","audit_log:read"]}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')

# Every operation, with the demo guild for {guild_id} (other values are
# generated too, and must be refused cleanly).
cat >"$work/schemathesis.toml" <<TOML
[parameters]
"path.guild_id" = "$guild"
TOML
session=$(awk '$6 == "ticketeer_session" { print $7 }' "$work/cookies")
[ -n "$token" ] && [ -n "$session" ] || { echo "could not log in and make a token"; exit 1; }

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
contract "${SCHEMATHESIS_SESSION_MAX_TIME:-45}" "Cookie: ticketeer_session=$session" \
    --include-tag tokens --include-tag data --include-path /v1/me/guilds
