# shellcheck shell=bash
# Helpers shared by deploy/kafka.sh and deploy/zipkin.sh. Sourced, not run.
#
# Everything here is about running JVM services as plain background
# processes with pid files: there is no Docker and no systemd on the
# machines this project runs on, only Java, Maven and Maven Central.

# shellcheck disable=SC2034  # DEPLOY_DIR and CACHE are used by the scripts that source this
DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Downloaded jars are shared by every checkout and survive `git clean`;
# runtime state belongs to the working directory that started the service.
# shellcheck disable=SC2034
CACHE="${GONGZHI_CACHE:-$HOME/.cache/gongzhi}"

# Extra arguments for every mvn call (e.g. "-o" to stay offline, or
# "-Dmaven.repo.local=/some/where"). Maven 3.8 has no MAVEN_ARGS of its own.
read -r -a MVN_ARGS <<<"${GONGZHI_MVN_ARGS:-}"

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Make a path absolute without requiring it to exist yet. The state dirs
# default to paths relative to $PWD, but the pid files and server configs we
# write must keep pointing at the same place whatever directory runs `stop`.
abspath() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s/%s\n' "$PWD" "${1#./}" ;;
    esac
}

# fetch_with_maven POM DEST: copy POM's dependencies into the directory DEST.
# Idempotent: DEST/.fetched records the sha256 of the pom it was filled from,
# so a cached fetch costs no JVM at all, and bumping a version in the pom
# (changing its hash) fetches again. Jars land in a temporary sibling first
# and are renamed into place, so an interrupted download never looks complete.
fetch_with_maven() {
    local pom="$1" dest="$2" want tmp
    want="$(sha256sum "$pom" | cut -d' ' -f1)"
    if [[ -f "$dest/.fetched" && "$(cat "$dest/.fetched")" == "$want" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found: it is needed to fetch jars from Maven Central"
    mkdir -p "$(dirname "$dest")"
    tmp="$(mktemp -d "$dest.tmp.XXXXXX")"
    log "fetching $(basename "$(dirname "$pom")") jars into $dest (Maven Central)"
    # Maven's output is kept aside and shown only on failure: even with -q,
    # Maven 3.8 prints stray ANSI resets on exit.
    if ! mvn -q -B -Dstyle.color=never "${MVN_ARGS[@]}" -f "$pom" dependency:copy-dependencies \
            -DoutputDirectory="$tmp" -Dmdep.useBaseVersion=true >"$tmp.log" 2>&1; then
        sed 's/\x1b\[[0-9;]*m//g' "$tmp.log" >&2
        rm -rf "$tmp" "$tmp.log"
        die "mvn could not fetch the dependencies of $pom"
    fi
    rm -f "$tmp.log"
    printf '%s\n' "$want" >"$tmp/.fetched"
    chmod 755 "$tmp"  # mktemp made it private; the jars are not secret
    rm -rf "$dest"
    mv "$tmp" "$dest"
}

# pid_alive PIDFILE PATTERN: true when the pid in PIDFILE is a live process
# whose command line contains PATTERN. The pattern guards against pid reuse
# after a reboot or a crash: a stale pid file must never make us signal (or
# believe in) some unrelated process.
pid_alive() {
    local pidfile="$1" pattern="$2" pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(cat "$pidfile" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern"
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
# Uses bash's /dev/tcp so we do not depend on nc being installed.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# stop_pids TIMEOUT PIDFILE PATTERN [PIDFILE PATTERN ...]: SIGTERM every live
# process first (so a cluster shuts down together rather than one node at a
# time losing its quorum), wait up to TIMEOUT seconds for all of them, then
# SIGKILL whatever is left. Removes the pid files.
stop_pids() {
    local timeout="$1"; shift
    local -a files=() patterns=() pids=()
    local i pid deadline alive
    while (($#)); do files+=("$1"); patterns+=("$2"); shift 2; done
    for i in "${!files[@]}"; do
        if pid_alive "${files[$i]}" "${patterns[$i]}"; then
            pid="$(cat "${files[$i]}")"
            pids+=("$pid")
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    deadline=$((SECONDS + timeout))
    while ((${#pids[@]})); do
        alive=()
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive+=("$pid")
        done
        pids=("${alive[@]+"${alive[@]}"}")
        ((${#pids[@]})) || break
        if ((SECONDS >= deadline)); then
            log "still running after ${timeout}s, sending SIGKILL to: ${pids[*]}"
            kill -KILL "${pids[@]}" 2>/dev/null || true
            sleep 0.5
            break
        fi
        sleep 0.2
    done
    rm -f "${files[@]}"
}

# show_log_tail FILE: print the end of a service log to stderr, for the
# "it did not come up, here is why" case.
show_log_tail() {
    local file="$1" lines="${2:-40}"
    if [[ -f "$file" ]]; then
        log "---- last $lines lines of $file ----"
        tail -n "$lines" "$file" >&2
        log "---- end of $file ----"
    else
        log "(no log at $file)"
    fi
}

# lock_state DIR: hold an exclusive lock on DIR for the rest of this script,
# so that two callers (say, parallel test workers both running `start`) do
# not launch two sets of servers into one state dir. Released on exit.
lock_state() {
    mkdir -p "$1"
    exec 9>"$1/.lock"
    flock -w 300 9 || die "could not lock $1 (another start/stop still running?)"
}

# Java itself must be there; say so plainly rather than via "command not found".
require_java() {
    command -v "${JAVA:-java}" >/dev/null || die "java not found (set JAVA=/path/to/java)"
}
