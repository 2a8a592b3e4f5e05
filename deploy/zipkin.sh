#!/usr/bin/env bash
# Run the Zipkin server on this machine, without Docker: its self-contained
# jar comes from Maven Central (deploy/zipkin/pom.xml) and it runs as a plain
# `java -jar` process on loopback, keeping spans in memory only.
#
#   deploy/zipkin.sh fetch    download the jar into the cache (once)
#   deploy/zipkin.sh start    start it and wait until /health answers UP
#   deploy/zipkin.sh stop     stop it
#   deploy/zipkin.sh status   report; exit 0 running, 3 stopped
#
# See deploy/README.md for the variables and where things go.
set -euo pipefail

PROG="zipkin.sh"
# shellcheck source=SCRIPTDIR/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

JAR_DIR="$CACHE/zipkin"
JAR="$JAR_DIR/zipkin.jar"
STATE="$(abspath "${GONGZHI_ZIPKIN_DIR:-./.gongzhi/zipkin}")"
ZIPKIN_PORT="${ZIPKIN_PORT:-9411}"
ZIPKIN_HEAP_OPTS="${ZIPKIN_HEAP_OPTS:--Xms64m -Xmx512m}"
ZIPKIN_OPTS="${ZIPKIN_OPTS:-}"
ZIPKIN_START_TIMEOUT="${ZIPKIN_START_TIMEOUT:-90}"
ZIPKIN_STOP_TIMEOUT="${ZIPKIN_STOP_TIMEOUT:-20}"
# Zipkin's default of 500,000 in-memory spans does not fit the heap above;
# old traces are dropped first once the limit is reached.
MEM_MAX_SPANS="${MEM_MAX_SPANS:-100000}"

PIDFILE="$STATE/zipkin.pid"
LOG="$STATE/zipkin.log"
# Marks our process on its command line, so pid_alive can tell our Zipkin
# (started from this state dir) from any other java process.
MARKER="-Dgongzhi.zipkin.dir=$STATE"
HEALTH_URL="http://127.0.0.1:$ZIPKIN_PORT/health"

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

running() { pid_alive "$PIDFILE" "$MARKER"; }

# /health answers {"status":"UP",...} once storage and collectors are ready.
healthy() {
    curl -fsS --max-time 2 "$HEALTH_URL" 2>/dev/null | grep -q '"status" *: *"UP"'
}

cmd_fetch() {
    fetch_with_maven "$DEPLOY_DIR/zipkin/pom.xml" "$JAR_DIR"
    # Maven names it zipkin-server-VERSION-exec.jar; give it a stable name so
    # callers need not know the version. (Also finishes a fetch that was
    # interrupted between the download and this rename.)
    local j
    for j in "$JAR_DIR"/zipkin-server-*.jar; do
        [[ -f "$j" ]] && mv -f "$j" "$JAR"
    done
    [[ -f "$JAR" ]] || die "no Zipkin jar in $JAR_DIR after fetching"
}

cmd_start() {
    (($# == 0)) || usage
    if running; then
        log "already running (pid $(cat "$PIDFILE"))"
        return 0
    fi
    require_java
    command -v curl >/dev/null || die "curl not found: it is needed to check Zipkin's /health"
    cmd_fetch
    port_open "$ZIPKIN_PORT" && die "127.0.0.1:$ZIPKIN_PORT is already in use by another process"

    mkdir -p "$STATE"
    [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.prev"
    # Zipkin reads its settings from the environment (STORAGE_TYPE, ...).
    # The listening address has no variable of its own: bind to loopback
    # through Spring's command-line properties, restating the whole port
    # entry because a list given on the command line replaces the default one.
    # setsid: outlive this script, ignore the caller's Ctrl-C / SIGHUP.
    # 9>&-: do not hand our state-dir lock (fd 9) to the long-lived server.
    # shellcheck disable=SC2086  # heap and extra options are word lists
    STORAGE_TYPE=mem MEM_MAX_SPANS="$MEM_MAX_SPANS" QUERY_PORT="$ZIPKIN_PORT" \
        setsid "${JAVA:-java}" $ZIPKIN_HEAP_OPTS "$MARKER" $ZIPKIN_OPTS \
        -jar "$JAR" \
        "--armeria.ports[0].ip=127.0.0.1" \
        "--armeria.ports[0].port=$ZIPKIN_PORT" \
        "--armeria.ports[0].protocols[0]=http" \
        >"$LOG" 2>&1 </dev/null 9>&- &
    local pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$ZIPKIN_PORT" >"$STATE/port"  # for status, whatever ZIPKIN_PORT is then
    log "started (pid $pid), waiting up to ${ZIPKIN_START_TIMEOUT}s for $HEALTH_URL"

    local deadline=$((SECONDS + ZIPKIN_START_TIMEOUT))
    until healthy; do
        # Alive by pid, not by command line: the pid just started may not have exec'd java
        # yet (its command line is still the shell's), and it is too young to be reused.
        if ! kill -0 "$pid" 2>/dev/null; then
            log "Zipkin exited during startup"
            show_log_tail "$LOG"
            rm -f "$PIDFILE"
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            log "Zipkin not healthy after ${ZIPKIN_START_TIMEOUT}s"
            show_log_tail "$LOG"
            cmd_stop >/dev/null 2>&1 || true
            exit 1
        fi
        sleep 0.5
    done
    log "ready: http://127.0.0.1:$ZIPKIN_PORT (spans: POST /api/v2/spans)"
}

cmd_stop() {
    if ! running; then
        rm -f "$PIDFILE"
        log "not running"
        return 0
    fi
    stop_pids "$ZIPKIN_STOP_TIMEOUT" "$PIDFILE" "$MARKER"
    log "stopped"
}

cmd_status() {
    if running; then
        printf 'zipkin: running, pid %s, http://127.0.0.1:%s\n' "$(cat "$PIDFILE")" "$(cat "$STATE/port")"
        return 0
    fi
    echo "zipkin: stopped"
    return 3
}

case "${1:-}" in
    fetch) shift; cmd_fetch "$@" ;;
    start) shift; lock_state "$STATE"; cmd_start "$@" ;;
    stop) shift; [[ -d "$STATE" ]] && lock_state "$STATE"; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    *) usage ;;
esac
