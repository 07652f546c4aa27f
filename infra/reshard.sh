#!/usr/bin/env bash
# Reshards the gateway fleet of one systemd host without downtime.
#
#   infra/reshard.sh NEW_TOTAL_SHARDS NEW_CLUSTERS
#
# Discord lets sessions with different shard counts run side by side, so:
#   1. the new set of clusters (ticketeer-gateway-next@K, K = 0..NEW_CLUSTERS-1,
#      ops ports 9200+K) is started with the new shard total next to the
#      running set (ticketeer-gateway@K, ops ports 9100+K);
#   2. the script waits until every new cluster's /healthz answers 200, which
#      it does only once each of its shards has a session;
#   3. the old set is stopped (each of its guilds is served by the new set by
#      then); the new total and cluster count are written to ticketeer.env;
#   4. each new cluster is moved, one at a time, to the ordinary unit
#      (ticketeer-gateway@K, port 9100+K): stopped with its sessions saved,
#      started again under the ordinary unit, which resumes them (no identify
#      spent, missed events replayed), and waited for.
# While both sets run, every event reaches both; Ticketeer handles a duplicate
# delivery idempotently (tests/integration/replays.rs), so keep the overlap to
# the wait in step 2. Identifies: the new set spends NEW_TOTAL_SHARDS of the
# day's 1,000 (ticketeer_identify_budget_remaining), paced by Discord's
# max_concurrency through the fleet's Redis queue.
#
# Needs: root, curl, the units in infra/systemd installed, and every gateway
# cluster of the fleet on this host (with several hosts, run steps 1-2 on
# each, then 3-4 on each; see infra/README.md).
set -euo pipefail

NEW_TOTAL=${1:?usage: reshard.sh NEW_TOTAL_SHARDS NEW_CLUSTERS}
NEW_CLUSTERS=${2:?usage: reshard.sh NEW_TOTAL_SHARDS NEW_CLUSTERS}
ENV_FILE=${TICKETEER_ENV_FILE:-/etc/ticketeer/ticketeer.env}
RESHARD_ENV=/etc/ticketeer/reshard.env
UNIT_DIR=/etc/systemd/system
OLD_PORT_BASE=9100
NEW_PORT_BASE=9200
# Identifies are paced at a few per 5 s: allow for the whole new set.
READY_TIMEOUT=${READY_TIMEOUT:-$(( 60 + NEW_TOTAL * 6 ))}

if (( NEW_CLUSTERS < 1 || NEW_TOTAL < NEW_CLUSTERS )); then
    echo "need at least one cluster and at least as many shards as clusters" >&2
    exit 64
fi

log() { printf '%s reshard: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# Waits until http://127.0.0.1:PORT/healthz answers 200 (every shard of that
# cluster has a session), polling every 2 s, at most READY_TIMEOUT seconds.
wait_ready() {
    local port=$1 waited=0
    until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${port}/healthz") == 200 ]]; do
        if (( waited >= READY_TIMEOUT )); then
            log "the cluster on port ${port} is not ready after ${READY_TIMEOUT} s"
            return 1
        fi
        sleep 2
        waited=$(( waited + 2 ))
    done
}

old_units() {
    systemctl list-units --plain --no-legend --state=active 'ticketeer-gateway@*.service' | awk '{print $1}'
}

# 1. The new set, beside the old one.
log "starting ${NEW_CLUSTERS} clusters with ${NEW_TOTAL} shards beside the running set"
printf 'TICKETEER_TOTAL_SHARDS=%s\nTICKETEER_CLUSTERS=%s\n' "$NEW_TOTAL" "$NEW_CLUSTERS" > "$RESHARD_ENV"
for (( k = 0; k < NEW_CLUSTERS; k++ )); do
    mkdir -p "${UNIT_DIR}/ticketeer-gateway-next@${k}.service.d"
    printf '[Service]\nEnvironment=TICKETEER_OPS_LISTEN=127.0.0.1:%s\n' $(( NEW_PORT_BASE + k )) \
        > "${UNIT_DIR}/ticketeer-gateway-next@${k}.service.d/ops.conf"
done
systemctl daemon-reload
for (( k = 0; k < NEW_CLUSTERS; k++ )); do
    systemctl start "ticketeer-gateway-next@${k}.service"
done

# 2. Every new cluster has a session on every shard.
for (( k = 0; k < NEW_CLUSTERS; k++ )); do
    if ! wait_ready $(( NEW_PORT_BASE + k )); then
        log "giving up: stopping the new set; the old set was never touched"
        for (( j = 0; j < NEW_CLUSTERS; j++ )); do systemctl stop "ticketeer-gateway-next@${j}.service" || true; done
        exit 1
    fi
    log "new cluster ${k} is ready"
done

# 3. Switch: the old set stops (saving sessions it will never resume: they
# are keyed by the old total and expire), the configuration says the new counts.
mapfile -t OLD < <(old_units)
log "stopping the old set: ${OLD[*]:-none}"
for unit in "${OLD[@]}"; do
    systemctl disable --now "$unit"
done
for key in TICKETEER_TOTAL_SHARDS TICKETEER_CLUSTERS; do
    value=$(grep "^${key}=" "$RESHARD_ENV" | cut -d= -f2)
    if grep -q "^${key}=" "$ENV_FILE"; then
        sed -i "s/^${key}=.*/${key}=${value}/" "$ENV_FILE"
    else
        printf '%s=%s\n' "$key" "$value" >> "$ENV_FILE"
    fi
done

# 4. Each new cluster moves to the ordinary unit, resuming its sessions.
for (( k = 0; k < NEW_CLUSTERS; k++ )); do
    systemctl stop "ticketeer-gateway-next@${k}.service"
    systemctl enable --now "ticketeer-gateway@${k}.service"
    wait_ready $(( OLD_PORT_BASE + k ))
    rm -rf "${UNIT_DIR}/ticketeer-gateway-next@${k}.service.d"
    log "cluster ${k} runs as ticketeer-gateway@${k} (port $(( OLD_PORT_BASE + k )))"
done
rm -f "$RESHARD_ENV"
systemctl daemon-reload
log "done: ${NEW_CLUSTERS} clusters, ${NEW_TOTAL} shards"
