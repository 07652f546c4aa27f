#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1:5432 and :6379, starting
# them (and installing them with apt-get on a fresh machine) when they do not,
# and that headless Chromium is installed (for the transcript browser test).
# Sourced by scripts/test.sh and .ci/run; run it directly to just start them.
set -euo pipefail

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi

# --- services ----------------------------------------------------------------
APT_UPDATED=""
apt_install() {
    if [ -z "$APT_UPDATED" ]; then
        DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "$@"
}

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND until it succeeds.
wait_for() {
    local seconds=$1 what=$2
    shift 2
    local deadline=$(($(date +%s) + seconds))
    until "$@"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "error: $what did not come up within ${seconds}s" >&2
            return 1
        fi
        sleep 0.5
    done
}

pg_ready() {
    command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432
}

pg_trusts_postgres() {
    psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -w -Atqc 'SELECT 1' >/dev/null 2>&1
}

# Runs a command as the postgres OS user (peer authentication on the socket).
as_postgres() {
    if [ "$(id -u)" -ne 0 ]; then
        sudo -u postgres "$@"
    elif command -v runuser >/dev/null; then
        runuser -u postgres -- "$@"
    else
        su -s /bin/sh postgres -c 'exec "$0" "$@"' "$@"
    fi
}

ensure_postgres() {
    if ! pg_ready; then
        if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null; then
            echo "PostgreSQL is not installed; installing it"
            apt_install postgresql
        fi
        if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
            "${SUDO[@]}" pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -1)" main
        fi
        local version
        version=$(ls /etc/postgresql | head -1)
        # Containers have no boot-time tmpfiles to create the socket directory.
        "${SUDO[@]}" install -d -o postgres -g postgres -m 2775 /var/run/postgresql
        echo "starting PostgreSQL cluster $version/main"
        # Fails harmlessly when the cluster is already running.
        "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        wait_for 60 "PostgreSQL on 127.0.0.1:5432" pg_ready
    fi

    if ! pg_trusts_postgres; then
        # The tests connect as postgres@127.0.0.1 without a password. Allow that
        # for loopback only; this is a throwaway test machine's database.
        local hba
        hba=$(as_postgres psql -Atqc 'SHOW hba_file')
        echo "allowing trust authentication on loopback in $hba"
        local rules tmp
        rules=$'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust'
        tmp=$(mktemp)
        # pg_hba.conf is first match wins, so the rules go on top. `cp` onto the
        # existing file keeps its owner and mode.
        { printf '%s\n' "$rules"; "${SUDO[@]}" cat "$hba"; } >"$tmp"
        "${SUDO[@]}" cp "$tmp" "$hba"
        rm -f "$tmp"
        as_postgres psql -Atqc 'SELECT pg_reload_conf()' >/dev/null
        wait_for 10 "trust authentication for postgres@127.0.0.1" pg_trusts_postgres
    fi
    echo "PostgreSQL is ready on 127.0.0.1:5432"
}

redis_ready() {
    # Plain bash, so redis-cli is not needed.
    timeout 2 bash -c '
        exec 3<>/dev/tcp/127.0.0.1/6379 || exit 1
        printf "PING\r\n" >&3
        IFS= read -r line <&3
        [[ "$line" == +PONG* ]]
    ' 2>/dev/null
}

ensure_redis() {
    if ! redis_ready; then
        if ! command -v redis-server >/dev/null; then
            echo "Redis is not installed; installing it"
            apt_install redis-server
        fi
        # Installing may have started it as a service already.
        if ! redis_ready; then
            echo "starting redis-server on 127.0.0.1:6379"
            redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
        fi
        wait_for 30 "Redis on 127.0.0.1:6379" redis_ready
    fi
    echo "Redis is ready on 127.0.0.1:6379"
}


# Headless Chromium (Debian's package) for the transcript browser test.
ensure_chromium() {
    if ! command -v chromium >/dev/null; then
        echo "Chromium is not installed; installing it"
        apt_install chromium
    fi
    echo "Chromium is ready: $(chromium --version 2>/dev/null || echo unknown version)"
}

# Python tools from PyPI, in a venv outside the clone (reused across runs):
# schemathesis (the API contract check) and localstripe (a Stripe-compatible
# server the billing tests start, one per test, on free ports).
PYTHON_TOOLS_DIR="${PYTHON_TOOLS_DIR:-$HOME/.cache/ticketeer/venv}"
PYTHON_TOOLS=(schemathesis==4.32.5 localstripe==1.15.10)
ensure_python_tools() {
    if [ ! -x "$PYTHON_TOOLS_DIR/bin/python" ]; then
        python3 -m venv "$PYTHON_TOOLS_DIR"
    fi
    local installed
    installed=$("$PYTHON_TOOLS_DIR/bin/pip" freeze 2>/dev/null || true)
    for tool in "${PYTHON_TOOLS[@]}"; do
        if ! grep -qx "$tool" <<<"$installed"; then
            echo "installing ${PYTHON_TOOLS[*]} into $PYTHON_TOOLS_DIR"
            "$PYTHON_TOOLS_DIR/bin/pip" install --quiet "${PYTHON_TOOLS[@]}"
            break
        fi
    done
    echo "Python tools are ready: $("$PYTHON_TOOLS_DIR/bin/schemathesis" --version), localstripe $("$PYTHON_TOOLS_DIR/bin/pip" show localstripe | awk '/^Version/ {print $2}')"
    export LOCALSTRIPE="$PYTHON_TOOLS_DIR/bin/localstripe"
}

# Run directly: ensure all and stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    ensure_postgres
    ensure_redis
    ensure_chromium
fi
