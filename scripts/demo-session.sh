# Sourced by scripts that drive the running system through its API
# (scripts/api-contract.sh, loadtests/api_read.sh): starts `ticketeer demo`
# on free ports with the API's rate limits out of the way, waits until it
# runs, logs the demo guild's owner in through Discord OAuth2 the way a
# browser does, and makes an API token with every scope. Sets API, STANDIN,
# GUILD, OWNER, TOKEN and SESSION; the demo stops when the calling script
# exits. Needs `work` (a scratch folder) and a built $CARGO_TARGET_DIR/debug/ticketeer
# with the `demo` feature (the default).

demo_pid=""
stop_demo() {
    if [ -n "$demo_pid" ]; then
        kill -INT "$demo_pid" 2>/dev/null || true
        wait "$demo_pid" 2>/dev/null || true
    fi
}

start_demo_session() {
    TICKETEER_API_LISTEN=127.0.0.1:0 TICKETEER_OPS_LISTEN=127.0.0.1:0 TICKETEER_API_OPS_LISTEN=127.0.0.1:0 \
        TICKETEER_API_RATE_LIMIT=100000000 TICKETEER_API_IP_RATE_LIMIT=100000000 TICKETEER_API_WEBHOOK_RATE_LIMIT=100000000 \
        "$CARGO_TARGET_DIR/debug/ticketeer" demo --standin-port 0 >"$work/demo.log" 2>&1 &
    demo_pid=$!
    for _ in $(seq 1 600); do
        grep -q "Ticketeer demo is running" "$work/demo.log" && break
        kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log"; echo "the demo stopped"; return 1; }
        sleep 0.1
    done
    grep -q "Ticketeer demo is running" "$work/demo.log" || { cat "$work/demo.log"; echo "the demo did not start"; return 1; }

    API=$(grep -oE 'HTTP API +http://[0-9.:]+' "$work/demo.log" | grep -oE 'http://[0-9.:]+')
    STANDIN=$(grep -oE 'Discord stand-in +http://[0-9.:]+' "$work/demo.log" | grep -oE 'http://[0-9.:]+')
    GUILD=$(grep -oE '"Acme Support" \(guild [0-9]+\)' "$work/demo.log" | grep -oE '[0-9]+')
    OWNER=$(grep -oE 'oauth2/user .*"user_id":"[0-9]+"' "$work/demo.log" | grep -oE '[0-9]{6,}' | head -n 1)

    curl -sf -X PUT "$STANDIN/_standin/oauth2/user" -H 'content-type: application/json' -d "{\"user_id\":\"$OWNER\"}" >/dev/null
    curl -sf -L -c "$work/cookies" -b "$work/cookies" "$API/v1/auth/login" >/dev/null
    # A write with the session cookie must say it comes from the API's own origin.
    TOKEN=$(curl -sf -b "$work/cookies" -X POST "$API/v1/guilds/$GUILD/tokens" -H 'content-type: application/json' \
        -H "Origin: $API" \
        -d '{"name":"automation","scopes":["settings:read","settings:write","tickets:read","audit_log:read"]}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
    SESSION=$(awk '$6 == "ticketeer_session" { print $7 }' "$work/cookies")
    [ -n "$TOKEN" ] && [ -n "$SESSION" ] || { echo "could not log in and make a token"; return 1; }
    echo "API $API, stand-in $STANDIN, guild $GUILD, owner $OWNER"
}
