#!/usr/bin/env bash
# Run Apache Kafka on this machine, without Docker and without the Kafka
# tarball: the broker's jars come from Maven Central (deploy/kafka/pom.xml)
# and it runs as plain `java` processes on loopback, in KRaft mode (each node
# is broker and controller at once; Kafka 4 has no ZooKeeper).
#
#   deploy/kafka.sh fetch              download the jars into the cache (once)
#   deploy/kafka.sh start [--cluster]  start 1 node, or 3 nodes, and wait until up
#   deploy/kafka.sh start-node ID      start one stopped node of a running cluster
#   deploy/kafka.sh stop-node ID       stop one node (SIGTERM: a clean shutdown)
#   deploy/kafka.sh kill-node ID       kill one node at once (SIGKILL: a crash)
#   deploy/kafka.sh stop               stop whatever this state dir started
#   deploy/kafka.sh status             report; exit 0 running, 3 stopped, 1 partial
#   deploy/kafka.sh clean              stop, then delete the state dir (topics, logs)
#
# See deploy/README.md for the variables and where things go.
set -euo pipefail

PROG="kafka.sh"
# shellcheck source=SCRIPTDIR/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

LIBS="$CACHE/kafka/libs"
STATE="$(abspath "${GONGZHI_KAFKA_DIR:-./.gongzhi/kafka}")"
KAFKA_PORT="${KAFKA_PORT:-9092}"
# Controllers listen on their own ports; by default 10000 above the broker's
# (19092, 19093, 19094) so the two ranges never collide.
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 10000))}"
# Kafka's own scripts default to a 1 GiB heap; a test broker needs far less,
# and a 3-node cluster has to fit beside everything else on a 2-core box.
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_OPTS="${KAFKA_OPTS:-}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

# The class that identifies our broker processes in /proc/PID/cmdline,
# together with the node's own config path (so two state dirs never mix).
MAIN_CLASS="kafka.Kafka"

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

node_dir() { printf '%s/node-%s\n' "$STATE" "$1"; }

# The node ids that have a directory in the state dir, i.e. that `start`
# configured at some point (1, or 1 2 3).
known_nodes() {
    local d
    for d in "$STATE"/node-*; do
        [[ -d "$d" ]] && printf '%s\n' "${d##*/node-}"
    done
    return 0
}

node_running() {
    local dir
    dir="$(node_dir "$1")"
    pid_alive "$dir/kafka.pid" "$dir/server.properties"
}

cmd_fetch() {
    fetch_with_maven "$DEPLOY_DIR/kafka/pom.xml" "$LIBS"
    # Guard against a pom edit that silently drops the broker.
    compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null || die "no kafka_2.13 jar in $LIBS"
}

# A KRaft cluster id is 16 random bytes in URL-safe base64 without padding,
# exactly what `kafka-storage.sh random-uuid` prints; making it here saves a
# JVM start. Kafka's own generator avoids a leading '-' (it reads as a CLI
# flag), so do we.
random_cluster_id() {
    local id
    while :; do
        id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
        [[ "$id" != -* ]] && { printf '%s\n' "$id"; return; }
    done
}

# Log4j2 config for the broker: everything to stdout, which start redirects
# into node-N/server.log. The chatty request/state-change loggers stay at WARN.
# shutdownHook=disable: otherwise Log4j stops itself as soon as SIGTERM
# arrives and the broker's own shutdown messages are lost.
write_log4j_config() {
    cat >"$STATE/log4j2.properties" <<'EOF'
status = warn
shutdownHook = disable
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.kafkaclients.name = org.apache.kafka.clients
logger.kafkaclients.level = WARN
EOF
}

# write_server_properties ID COUNT: the config of node ID in a COUNT-node setup.
write_server_properties() {
    local id="$1" count="$2" dir port cport voters="" i rf isr
    dir="$(node_dir "$id")"
    port=$((KAFKA_PORT + id - 1))
    cport=$((KAFKA_CONTROLLER_PORT + id - 1))
    for ((i = 1; i <= count; i++)); do
        voters+="${voters:+,}$i@127.0.0.1:$((KAFKA_CONTROLLER_PORT + i - 1))"
    done
    # Replication: 1 on a single node (anything higher and the internal
    # topics could never be created); 3 copies with 2 required in sync for
    # the cluster, so losing one node loses neither data nor writes.
    if ((count == 1)); then rf=1 isr=1; else rf=3 isr=2; fi
    mkdir -p "$dir/data"
    cat >"$dir/server.properties" <<EOF
# Written by deploy/kafka.sh start; rewritten on every start, do not edit.
process.roles=broker,controller
node.id=$id
# A static quorum: every node is a voter, known up front.
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

num.partitions=3
# Topics are made only by the relays (or 'gongzhi topics create'), with the configured
# partitions and replication; a consumer asking for one that does not exist yet waits
# for it instead of creating it with these broker defaults.
auto.create.topics.enable=false
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
# Tests start consumers right away; do not wait 3 s for more group members.
group.initial.rebalance.delay.ms=0
EOF
}

# format_node ID CLUSTER_ID: lay out node ID's data dir (once; a formatted
# dir is kept, so topics survive stop/start).
format_node() {
    local id="$1" cluster_id="$2" dir
    dir="$(node_dir "$id")"
    [[ -f "$dir/data/meta.properties" ]] && return 0
    "${JAVA:-java}" -Xmx256m -cp "$LIBS/*" \
        -Dlog4j2.configurationFile="$STATE/log4j2.properties" \
        kafka.tools.StorageTool format \
        --cluster-id "$cluster_id" --config "$dir/server.properties" \
        >"$dir/format.log" 2>&1 || {
        show_log_tail "$dir/format.log"
        die "formatting the storage of node $id failed"
    }
}

launch_node() {
    local id="$1" dir
    dir="$(node_dir "$id")"
    # Keep the previous run's log for post-mortems, but start a fresh one so
    # the readiness check below only ever sees this run's "started" line.
    [[ -f "$dir/server.log" ]] && mv -f "$dir/server.log" "$dir/server.log.prev"
    # setsid: the broker must outlive this script and must not receive a
    # Ctrl-C or SIGHUP aimed at the shell (or test runner) that started it.
    # 9>&-: do not hand our state-dir lock (fd 9) to the long-lived server.
    # shellcheck disable=SC2086  # heap and extra options are word lists
    setsid "${JAVA:-java}" -server $KAFKA_HEAP_OPTS \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$STATE/log4j2.properties" \
        -Dkafka.logs.dir="$dir" \
        $KAFKA_OPTS \
        -cp "$LIBS/*" "$MAIN_CLASS" "$dir/server.properties" \
        >"$dir/server.log" 2>&1 </dev/null 9>&- &
    echo $! >"$dir/kafka.pid"
}

# wait_ready ID DEADLINE: until SECONDS reaches DEADLINE, wait for node ID to
# log that it started and to accept connections. Returns non-zero (after
# printing why) if the process died or time ran out.
wait_ready() {
    local id="$1" deadline="$2" dir port
    dir="$(node_dir "$id")"
    port=$((KAFKA_PORT + id - 1))
    while :; do
        # Alive by pid, not by command line: the pid we just started may not have
        # exec'd java yet (its cmdline is still the shell's), and it is too young to
        # have been reused.
        if ! kill -0 "$(cat "$dir/kafka.pid" 2>/dev/null)" 2>/dev/null; then
            log "node $id (port $port) exited during startup"
            show_log_tail "$dir/server.log"
            return 1
        fi
        # "Kafka Server started" is logged once the broker has registered
        # with the controller quorum and been unfenced, i.e. it can lead
        # partitions: a merely open port is not enough.
        if grep -q "Kafka Server started" "$dir/server.log" 2>/dev/null && port_open "$port"; then
            return 0
        fi
        if ((SECONDS >= deadline)); then
            log "node $id (port $port) not ready after ${KAFKA_START_TIMEOUT}s"
            show_log_tail "$dir/server.log"
            return 1
        fi
        sleep 0.5
    done
}

cmd_start() {
    local count=1 layout id cluster_id deadline running=0 ids=()
    while (($#)); do
        case "$1" in
            --cluster) count=3 ;;
            *) usage ;;
        esac
        shift
    done
    for ((id = 1; id <= count; id++)); do ids+=("$id"); done
    layout="nodes=$count port=$KAFKA_PORT controller_port=$KAFKA_CONTROLLER_PORT"

    # Already running? Fine if it is the same layout, an error otherwise
    # (silently handing a 1-node broker to a test that asked for 3 would make
    # replication tests pass or fail for the wrong reason).
    for id in $(known_nodes); do node_running "$id" && running=$((running + 1)); done
    if ((running > 0)); then
        if [[ "$(cat "$STATE/layout" 2>/dev/null)" != "$layout" ]]; then
            die "a different Kafka setup is running from $STATE ($(cat "$STATE/layout" 2>/dev/null || echo unknown)); run '$0 stop' first"
        fi
        if ((running < count)); then
            # Some node died; whatever killed it deserves a look, not a
            # silent restart.
            die "only $running of $count nodes are running (see $STATE/node-*/server.log); '$0 start-node ID' brings one back"
        fi
        log "already running ($layout)"
        return 0
    fi

    require_java
    cmd_fetch

    # Ports taken by something else would make the broker die with a bind
    # error 20 s into startup; say so right away instead.
    for id in "${ids[@]}"; do
        for port in $((KAFKA_PORT + id - 1)) $((KAFKA_CONTROLLER_PORT + id - 1)); do
            port_open "$port" && die "127.0.0.1:$port is already in use by another process"
        done
    done

    mkdir -p "$STATE"
    # Data formatted for another layout (1 vs 3 voters, other ports) cannot
    # be reused: the quorum would never form. Start that over from scratch.
    if [[ -f "$STATE/layout" && "$(cat "$STATE/layout")" != "$layout" ]]; then
        log "layout changed ($(cat "$STATE/layout") -> $layout): wiping old data"
        rm -rf "$STATE"/node-*
    fi
    printf '%s\n' "$layout" >"$STATE/layout"
    [[ -s "$STATE/cluster.id" ]] || random_cluster_id >"$STATE/cluster.id"
    cluster_id="$(cat "$STATE/cluster.id")"
    write_log4j_config

    # Format in parallel: each format is a JVM start (~1-2 s on 2 cores).
    local -a fmt_pids=()
    for id in "${ids[@]}"; do
        write_server_properties "$id" "$count"
        format_node "$id" "$cluster_id" &
        fmt_pids+=($!)
    done
    for pid in "${fmt_pids[@]}"; do wait "$pid" || exit 1; done

    # All nodes at once: with 3 voters none can finish starting until a
    # majority of controllers is up.
    for id in "${ids[@]}"; do launch_node "$id"; done
    log "started $count node(s) from $STATE, waiting up to ${KAFKA_START_TIMEOUT}s"

    deadline=$((SECONDS + KAFKA_START_TIMEOUT))
    for id in "${ids[@]}"; do
        if ! wait_ready "$id" "$deadline"; then
            # Do not leave half a cluster behind: the caller sees a failure
            # and a clean slate, not zombies holding the ports.
            log "startup failed; stopping the nodes that did start"
            cmd_stop >/dev/null 2>&1 || true
            exit 1
        fi
    done
    log "ready: bootstrap servers $(bootstrap_servers "$count")"
}

# start-node ID: bring back one node of a running cluster (after a crash, or a
# test that killed it), with the cluster's layout and data; the others keep
# running. If it cannot start, it is stopped again: nothing half-started stays.
cmd_start_node() {
    local id="${1:-}" layout count port
    [[ "$id" =~ ^[0-9]+$ ]] || usage
    layout="$(cat "$STATE/layout" 2>/dev/null)" || die "no Kafka set up in $STATE; use start"
    count="$(sed -n 's/^nodes=\([0-9]*\) .*/\1/p' <<<"$layout")"
    ((id >= 1 && id <= count)) || die "node $id is not in this setup ($layout)"
    [[ "$layout" == "nodes=$count port=$KAFKA_PORT controller_port=$KAFKA_CONTROLLER_PORT" ]] ||
        die "KAFKA_PORT differs from the running setup ($layout)"
    if node_running "$id"; then
        log "node $id already running"
        return 0
    fi
    require_java
    for port in $((KAFKA_PORT + id - 1)) $((KAFKA_CONTROLLER_PORT + id - 1)); do
        port_open "$port" && die "127.0.0.1:$port is already in use by another process"
    done
    write_log4j_config
    write_server_properties "$id" "$count"
    format_node "$id" "$(cat "$STATE/cluster.id")"
    launch_node "$id"
    log "started node $id, waiting up to ${KAFKA_START_TIMEOUT}s"
    if ! wait_ready "$id" $((SECONDS + KAFKA_START_TIMEOUT)); then
        stop_pids "$KAFKA_STOP_TIMEOUT" "$(node_dir "$id")/kafka.pid" \
            "$(node_dir "$id")/server.properties"
        exit 1
    fi
    log "node $id ready"
}

# stop-node ID / kill-node ID: take one node of the setup down, the others keep running
# (a broker restart, or a crash for fault tests). kill-node does not wait for a
# shutdown: SIGKILL, then it waits until the process is really gone.
cmd_stop_node() {
    local signal="$1" id="${2:-}" dir pid
    [[ "$id" =~ ^[0-9]+$ ]] || usage
    dir="$(node_dir "$id")"
    [[ -d "$dir" ]] || die "node $id is not in this setup ($STATE)"
    if ! node_running "$id"; then
        log "node $id is not running"
        rm -f "$dir/kafka.pid"
        return 0
    fi
    if [[ "$signal" == KILL ]]; then
        pid="$(cat "$dir/kafka.pid")"
        kill -KILL "$pid" 2>/dev/null || true
        # Gone, or a zombie its new parent has not reaped yet (it holds no port then).
        while kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; do
            sleep 0.1
        done
        rm -f "$dir/kafka.pid"
        log "killed node $id (pid $pid)"
    else
        stop_pids "$KAFKA_STOP_TIMEOUT" "$dir/kafka.pid" "$dir/server.properties"
        log "stopped node $id"
    fi
}

bootstrap_servers() {
    local count="$1" id out=""
    for ((id = 1; id <= count; id++)); do out+="${out:+,}127.0.0.1:$((KAFKA_PORT + id - 1))"; done
    printf '%s\n' "$out"
}

cmd_stop() {
    local id dir args=()
    for id in $(known_nodes); do
        dir="$(node_dir "$id")"
        args+=("$dir/kafka.pid" "$dir/server.properties")
    done
    if ((${#args[@]} == 0)); then
        log "nothing to stop in $STATE"
        return 0
    fi
    stop_pids "$KAFKA_STOP_TIMEOUT" "${args[@]}"
    log "stopped"
}

cmd_status() {
    local id total=0 up=0 dir port
    for id in $(known_nodes); do
        total=$((total + 1))
        dir="$(node_dir "$id")"
        port=$((KAFKA_PORT + id - 1))
        if node_running "$id"; then
            up=$((up + 1))
            # The port comes from the node's own config: KAFKA_PORT may differ now.
            port="$(sed -n 's|^advertised.listeners=PLAINTEXT://||p' "$dir/server.properties")"
            printf 'node %s: running, pid %s, %s\n' "$id" "$(cat "$dir/kafka.pid")" "$port"
        else
            printf 'node %s: stopped\n' "$id"
        fi
    done
    ((total == 0)) && echo "not configured in $STATE"
    if ((up == 0)); then return 3; fi
    if ((up < total)); then return 1; fi
    return 0
}

cmd_clean() {
    cmd_stop
    rm -rf "$STATE"
    log "removed $STATE"
}

case "${1:-}" in
    fetch) shift; cmd_fetch "$@" ;;
    start) shift; lock_state "$STATE"; cmd_start "$@" ;;
    start-node) shift; lock_state "$STATE"; cmd_start_node "$@" ;;
    stop-node) shift; lock_state "$STATE"; cmd_stop_node TERM "$@" ;;
    kill-node) shift; lock_state "$STATE"; cmd_stop_node KILL "$@" ;;
    stop) shift; [[ -d "$STATE" ]] && lock_state "$STATE"; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    clean) shift; [[ -d "$STATE" ]] && lock_state "$STATE"; cmd_clean "$@" ;;
    *) usage ;;
esac
