#!/usr/bin/env bash
# Starts, stops and reports the Apache Kafka broker and the QuestDB server
# that tests and the distributed deployment use, without Docker. Both listen
# on 127.0.0.1 only. Run with no arguments for help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/services.sh COMMAND [kafka|questdb]

Commands (with no service named, each applies to both):
  up      fetch the jars if missing, start the service and wait until it responds;
          does nothing for a service that is already running, also one that another
          checkout started on the same port
  down    stop gracefully: SIGTERM, then SIGKILL after FLEETPULSE_SERVICES_STOP_TIMEOUT
  kill    stop at once with SIGKILL, as a crash would (data is kept)
  status  print state, pid and address; exit status 3 if a named service is stopped
          (a server started elsewhere on the service's port counts as running)
  env     print `export FLEETPULSE_TEST_...=` lines for the running services
  fetch   only download the jars into the cache

Environment (defaults in brackets):
  FLEETPULSE_SERVICES_DIR            data, logs and pid files [.cache/services/state]
  FLEETPULSE_SERVICES_CACHE          downloaded jars [.cache/services]
  FLEETPULSE_KAFKA_PORT              Kafka client listener [9092]
  FLEETPULSE_KAFKA_CONTROLLER_PORT   KRaft controller listener [9093]
  FLEETPULSE_KAFKA_HEAP              Kafka maximum Java heap [512m]
  FLEETPULSE_QUESTDB_HTTP_PORT       QuestDB HTTP: REST, ILP over HTTP, web console [9000]
  FLEETPULSE_QUESTDB_PG_PORT         QuestDB PostgreSQL wire protocol [8812]
  FLEETPULSE_QUESTDB_ILP_PORT        QuestDB ILP over TCP [9009]
  FLEETPULSE_QUESTDB_HTTP_MIN_PORT   QuestDB minimal HTTP server (health) [9003]
  FLEETPULSE_QUESTDB_HEAP            QuestDB maximum Java heap [512m]
  FLEETPULSE_SERVICES_START_TIMEOUT  seconds to wait for a service to respond [120]
  FLEETPULSE_SERVICES_STOP_TIMEOUT   seconds between SIGTERM and SIGKILL [30]
  FLEETPULSE_JAVA                    java executable [$JAVA_HOME/bin/java, else java]
EOF
}

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
POM="$SCRIPT_DIR/services/pom.xml"

CACHE_DIR=${FLEETPULSE_SERVICES_CACHE:-$REPO_ROOT/.cache/services}
STATE_DIR=${FLEETPULSE_SERVICES_DIR:-$CACHE_DIR/state}

# Loopback only, on purpose: these servers have no authentication.
HOST=127.0.0.1

KAFKA_PORT=${FLEETPULSE_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${FLEETPULSE_KAFKA_CONTROLLER_PORT:-9093}
KAFKA_HEAP=${FLEETPULSE_KAFKA_HEAP:-512m}
QUESTDB_HTTP_PORT=${FLEETPULSE_QUESTDB_HTTP_PORT:-9000}
QUESTDB_PG_PORT=${FLEETPULSE_QUESTDB_PG_PORT:-8812}
QUESTDB_ILP_PORT=${FLEETPULSE_QUESTDB_ILP_PORT:-9009}
QUESTDB_HTTP_MIN_PORT=${FLEETPULSE_QUESTDB_HTTP_MIN_PORT:-9003}
QUESTDB_HEAP=${FLEETPULSE_QUESTDB_HEAP:-512m}
START_TIMEOUT=${FLEETPULSE_SERVICES_START_TIMEOUT:-120}
STOP_TIMEOUT=${FLEETPULSE_SERVICES_STOP_TIMEOUT:-30}

# Other commands wait this many seconds for a service's lock, which an `up`
# holds until its service responds.
LOCK_TIMEOUT=$((START_TIMEOUT + 60))

say() { printf '%s\n' "$*"; }
fail() {
  printf 'services.sh: %s\n' "$*" >&2
  exit 1
}

check_settings() {
  local name value
  for name in FLEETPULSE_KAFKA_PORT FLEETPULSE_KAFKA_CONTROLLER_PORT FLEETPULSE_QUESTDB_HTTP_PORT \
    FLEETPULSE_QUESTDB_PG_PORT FLEETPULSE_QUESTDB_ILP_PORT FLEETPULSE_QUESTDB_HTTP_MIN_PORT; do
    value=${!name:-}
    [[ -z $value ]] && continue
    if ! [[ $value =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
      fail "invalid $name=$value: expected a port number from 1 to 65535"
    fi
  done
  for name in START_TIMEOUT STOP_TIMEOUT; do
    [[ ${!name} =~ ^[0-9]+$ ]] || fail "invalid FLEETPULSE_SERVICES_$name=${!name}: expected whole seconds"
  done
  for name in KAFKA_HEAP QUESTDB_HEAP; do
    [[ ${!name} =~ ^[0-9]+[kKmMgG]?$ ]] || fail "invalid FLEETPULSE_$name=${!name}: expected a Java size such as 512m or 1g"
  done
}

# --- versions and downloads --------------------------------------------------

pom_property() {
  local value
  value=$(sed -n "s:.*<$1>\\(.*\\)</$1>.*:\\1:p" "$POM" | head -n 1)
  [[ -n $value ]] || fail "property <$1> not found in $POM"
  printf '%s' "$value"
}

lib_dir() { printf '%s/%s-%s/lib' "$CACHE_DIR" "$1" "$(pom_property "$1.version")"; }

# Copies the jars of one service (a profile of the pom) into the cache, unless
# a previous fetch completed. A marker file written last distinguishes a
# complete fetch from an interrupted one.
fetch() {
  local service=$1 lib
  lib=$(lib_dir "$service")
  [[ -f $lib/.complete ]] && return 0

  command -v mvn >/dev/null || fail "mvn not found: install Apache Maven to fetch the $service jars"
  mkdir -p "$CACHE_DIR"
  local fd
  exec {fd}>"$CACHE_DIR/.fetch.lock"
  flock -w "$LOCK_TIMEOUT" "$fd" || fail "timed out waiting for another fetch ($CACHE_DIR/.fetch.lock)"
  if [[ ! -f $lib/.complete ]]; then
    say "$service: fetching $(basename "$(dirname "$lib")") from Maven Central"
    local started=$SECONDS
    rm -rf "$lib.partial"
    local mvn_log="$CACHE_DIR/fetch-$service.log"
    if ! mvn -B --no-transfer-progress -Dstyle.color=never -f "$POM" -P "$service" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$lib.partial" >"$mvn_log" 2>&1; then
      printf -- '--- last 40 lines of %s ---\n' "$mvn_log" >&2
      tail -n 40 "$mvn_log" >&2
      fail "fetching the $service jars with Maven failed (full output: $mvn_log)"
    fi
    touch "$lib.partial/.complete"
    rm -rf "$lib"
    mv "$lib.partial" "$lib"
    say "$service: fetched in $((SECONDS - started)) s into $lib"
  fi
  exec {fd}>&-
}

# --- processes -----------------------------------------------------------------

java_bin() {
  if [[ -n ${FLEETPULSE_JAVA:-} ]]; then
    printf '%s' "$FLEETPULSE_JAVA"
  elif [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    printf '%s' "$JAVA_HOME/bin/java"
  else
    command -v java >/dev/null || fail "java not found: install a JDK 17 or newer, or set FLEETPULSE_JAVA"
    printf 'java'
  fi
}

# Kafka 4 brokers and QuestDB 9 both need Java 17 or newer.
check_java() {
  local java version major
  java=$(java_bin)
  version=$("$java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
  major=${version%%.*}
  [[ $major =~ ^[0-9]+$ ]] || fail "cannot read the version of $java"
  ((major >= 17)) || fail "$java is Java $version; Kafka 4 and QuestDB 9 need Java 17 or newer (set FLEETPULSE_JAVA)"
}

service_dir() { printf '%s/%s' "$STATE_DIR" "$1"; }
pid_file() { printf '%s/%s.pid' "$(service_dir "$1")" "$1"; }
log_file() { printf '%s/logs/%s.log' "$(service_dir "$1")" "$1"; }
endpoints_file() { printf '%s/endpoints' "$(service_dir "$1")"; }

main_class() {
  case $1 in
    kafka) printf 'kafka.Kafka' ;;
    questdb) printf 'io.questdb.ServerMain' ;;
  esac
}

# Prints the pid of the running service and succeeds, or fails when it is not
# running. The command line must name the main class and this state directory,
# so a recycled pid or another instance's process never counts.
running_pid() {
  local service=$1 file pid cmdline
  file=$(pid_file "$service")
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ $cmdline == *"$(main_class "$service")"* && $cmdline == *"$(service_dir "$service")"* ]] || return 1
  printf '%s' "$pid"
}

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# Fails with a clear message if another process already listens on a port the
# service needs, which would otherwise surface as a bind error in its log.
check_ports_free() {
  local service=$1 port
  shift
  for port in "$@"; do
    if port_open "$port"; then
      fail "$service: port $HOST:$port is already in use by another process; stop it or choose other ports (scripts/services.sh with no arguments lists the variables)"
    fi
  done
}

# Starts a command in its own session, so that Ctrl-C in the terminal that
# ran `up` does not reach the server, and records its pid.
launch() {
  local service=$1 log
  shift
  log=$(log_file "$service")
  mkdir -p "$(dirname "$log")"
  # Keep the previous run's log for a post-mortem, but no older ones.
  [[ -s $log ]] && mv -f "$log" "$log.1"
  # The server must not inherit the lock descriptors: flock locks belong to
  # the open file, so a child holding one would keep the lock for its lifetime.
  # shellcheck disable=SC2016
  setsid bash -c 'pid_file=$1 lock_fds=$2; shift 2
    for fd in $lock_fds; do eval "exec $fd>&-"; done
    echo $$ >"$pid_file"
    exec "$@"' launch "$(pid_file "$service")" "${LOCK_FDS[*]}" "$@" >"$log" 2>&1 </dev/null &
  local attempts=0
  while [[ ! -s $(pid_file "$service") ]] && ((attempts < 50)); do
    sleep 0.1
    attempts=$((attempts + 1))
  done
}

print_log_tail() {
  local log
  log=$(log_file "$1")
  if [[ -f $log ]]; then
    printf -- '--- last 40 lines of %s ---\n' "$log" >&2
    tail -n 40 "$log" >&2
    printf -- '---\n' >&2
  fi
}

kafka_ready() {
  local port
  port=$(endpoint kafka port)
  port_open "$port" || return 1
  # Prefer a real metadata request; before `npm ci` there is no kafkajs, and
  # the broker's own "started" line is the next best sign.
  if [[ -d $REPO_ROOT/node_modules/kafkajs ]] && command -v node >/dev/null; then
    node "$SCRIPT_DIR/services/kafka-ready.mjs" "$HOST:$port" 2>/dev/null
  else
    grep -q 'Kafka Server started' "$(log_file kafka)"
  fi
}

questdb_ready() {
  local http pg
  http=$(endpoint questdb http_port)
  pg=$(endpoint questdb pg_port)
  curl -fsS --max-time 2 -o /dev/null "http://$HOST:$http/exec?query=select%201" 2>/dev/null && port_open "$pg"
}

# --- servers started elsewhere ---------------------------------------------------

# Another checkout (or a developer) may already run Kafka or QuestDB on the
# ports this script uses. Such a server is reused when it responds as the real
# thing, and `down` leaves it running. A port held by any other program stops
# `up` before it downloads anything.

# The port a service is recognised by: Kafka's client listener, QuestDB's HTTP server.
main_port() {
  case $1 in
    kafka) printf '%s' "$KAFKA_PORT" ;;
    questdb) printf '%s' "$QUESTDB_HTTP_PORT" ;;
  esac
}

# Succeeds when a Kafka broker responds to an ApiVersions request on the port.
kafka_responds() {
  command -v node >/dev/null || return 1
  node "$SCRIPT_DIR/services/kafka-api-versions.mjs" "$HOST:$1" 2>/dev/null
}

# Succeeds when QuestDB returns the result of `select 1` on its HTTP port.
questdb_responds() {
  curl -fsS --max-time 2 "http://$HOST:$1/exec?query=select%201" 2>/dev/null | grep -q '"dataset":\[\[1\]\]'
}

# Prints how the main port of a service that this checkout does not run is
# used: `free`, `served` by a working server started elsewhere, or `taken` by
# another program.
port_state() {
  local service=$1 port
  port=$(main_port "$service")
  if ! port_open "$port"; then
    printf 'free'
  elif "${service}_responds" "$port"; then
    printf 'served'
  else
    printf 'taken'
  fi
}

describe_external() {
  case $1 in
    kafka) printf '%s:%s' "$HOST" "$KAFKA_PORT" ;;
    questdb) printf 'http://%s:%s, pg %s:%s' "$HOST" "$QUESTDB_HTTP_PORT" "$HOST" "$QUESTDB_PG_PORT" ;;
  esac
}

port_taken_message() {
  case $1 in
    kafka) printf 'port %s:%s is in use by a process that does not respond to a Kafka ApiVersions request, so it is not a Kafka broker; stop that process or choose another port with FLEETPULSE_KAFKA_PORT' "$HOST" "$KAFKA_PORT" ;;
    questdb) printf 'port %s:%s is in use by a process that does not respond to GET /exec?query=select 1, so it is not QuestDB; stop that process or choose other ports with FLEETPULSE_QUESTDB_HTTP_PORT and FLEETPULSE_QUESTDB_PG_PORT' "$HOST" "$QUESTDB_HTTP_PORT" ;;
  esac
}

# Every port a service listens on, for the check before a start.
service_ports() {
  case $1 in
    kafka) printf '%s %s' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" ;;
    questdb) printf '%s %s %s %s' "$QUESTDB_HTTP_PORT" "$QUESTDB_PG_PORT" "$QUESTDB_ILP_PORT" "$QUESTDB_HTTP_MIN_PORT" ;;
  esac
}

# Polls every starting service once a second until each responds. Fails on the
# first one that exits or outlasts START_TIMEOUT, after printing its last log lines.
wait_ready() {
  local -n pending_starts=$1
  local service pid
  while ((${#pending_starts[@]} > 0)); do
    for service in "${!pending_starts[@]}"; do
      local started=${pending_starts[$service]}
      if ! pid=$(running_pid "$service"); then
        print_log_tail "$service"
        fail "$service exited during startup (log: $(log_file "$service"))"
      fi
      if "${service}_ready"; then
        say "$service: ready after $((SECONDS - started)) s, pid $pid, $(describe_endpoints "$service")"
        unset "pending_starts[$service]"
      elif ((SECONDS >= started + START_TIMEOUT)); then
        print_log_tail "$service"
        fail "$service did not respond within $START_TIMEOUT s (pid $pid is still running, stop it with \`down\`; log: $(log_file "$service"))"
      fi
    done
    ((${#pending_starts[@]} == 0)) || sleep 1
  done
}

# The ports a running service was started with, as key=value lines, so that
# `status` and `env` report them even when the caller's environment differs.
endpoint() {
  local value
  value=$(sed -n "s/^$2=//p" "$(endpoints_file "$1")" 2>/dev/null | head -n 1)
  [[ -n $value ]] || fail "$1: no $2 recorded in $(endpoints_file "$1")"
  printf '%s' "$value"
}

describe_endpoints() {
  case $1 in
    kafka) printf '%s:%s (controller %s:%s)' "$HOST" "$(endpoint kafka port)" "$HOST" "$(endpoint kafka controller_port)" ;;
    questdb) printf 'http://%s:%s, pg %s:%s, ilp %s:%s, min http %s:%s' \
      "$HOST" "$(endpoint questdb http_port)" "$HOST" "$(endpoint questdb pg_port)" \
      "$HOST" "$(endpoint questdb ilp_port)" "$HOST" "$(endpoint questdb http_min_port)" ;;
  esac
}

# --- Kafka ---------------------------------------------------------------------

# A single KRaft node acting as broker and controller. Replication factors of
# 1 are required: the defaults of 3 leave kafkajs consumers waiting forever
# for a group coordinator.
kafka_write_config() {
  local dir=$1
  cat >"$dir/server.properties" <<EOF
# Written by scripts/services.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# After a crash the restarted broker cannot register until the session of its
# previous run expires. That takes 9 s by default, so a 3 s session makes crash
# tests faster.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=3000
# Lets failover tests use session timeouts down to 1 s (the default minimum is 6 s).
group.min.session.timeout.ms=1000
# The log cleaner allocates its whole dedupe buffer when the broker starts, and the
# default 128 MiB once ran a 256 MiB test heap out of memory. 16 MiB has room for
# about 600k keys (24 bytes each) per cleaning pass, far more than these compacted topics have.
log.cleaner.dedupe.buffer.size=16777216
EOF
  kafka_endpoints >"$dir/endpoints"
}

kafka_endpoints() {
  printf 'port=%s\ncontroller_port=%s\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
}

kafka_start() {
  local dir lib java cluster_id
  dir=$(service_dir kafka)
  lib=$(lib_dir kafka)
  java=$(java_bin)
  mkdir -p "$dir/data" "$dir/logs"
  check_ports_free kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
  kafka_write_config "$dir"

  local -a jvm=(-Djava.awt.headless=true "-Dlog4j2.configurationFile=$SCRIPT_DIR/services/kafka-log4j2.properties")
  if [[ ! -f $dir/data/meta.properties ]]; then
    cluster_id=$("$java" "${jvm[@]}" -cp "$lib/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    [[ -n $cluster_id ]] || fail "kafka: StorageTool random-uuid printed no cluster id"
    "$java" "${jvm[@]}" -cp "$lib/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
      >"$dir/logs/format.log" 2>&1 || {
      cat "$dir/logs/format.log" >&2
      fail "kafka: formatting $dir/data failed"
    }
    say "kafka: formatted $dir/data with cluster id $cluster_id"
  fi

  say "kafka: starting on $HOST:$KAFKA_PORT (log: $(log_file kafka))"
  launch kafka "$java" "-Xmx$KAFKA_HEAP" "${jvm[@]}" -cp "$lib/*" kafka.Kafka "$dir/server.properties"
}

# --- QuestDB -------------------------------------------------------------------

questdb_write_config() {
  local dir=$1
  mkdir -p "$dir/root/conf"
  cat >"$dir/root/conf/server.conf" <<EOF
# Written by scripts/services.sh on every start; edits are overwritten.
http.bind.to=$HOST:$QUESTDB_HTTP_PORT
pg.net.bind.to=$HOST:$QUESTDB_PG_PORT
line.tcp.net.bind.to=$HOST:$QUESTDB_ILP_PORT
http.min.net.bind.to=$HOST:$QUESTDB_HTTP_MIN_PORT
telemetry.enabled=false
EOF
  questdb_endpoints >"$dir/endpoints"
}

questdb_endpoints() {
  printf 'http_port=%s\npg_port=%s\nilp_port=%s\nhttp_min_port=%s\n' \
    "$QUESTDB_HTTP_PORT" "$QUESTDB_PG_PORT" "$QUESTDB_ILP_PORT" "$QUESTDB_HTTP_MIN_PORT"
}

questdb_start() {
  local dir lib java
  dir=$(service_dir questdb)
  lib=$(lib_dir questdb)
  java=$(java_bin)
  mkdir -p "$dir/logs"
  check_ports_free questdb "$QUESTDB_HTTP_PORT" "$QUESTDB_PG_PORT" "$QUESTDB_ILP_PORT" "$QUESTDB_HTTP_MIN_PORT"
  questdb_write_config "$dir"

  say "questdb: starting on http://$HOST:$QUESTDB_HTTP_PORT (log: $(log_file questdb))"
  launch questdb "$java" "-Xmx$QUESTDB_HEAP" -Djava.awt.headless=true -cp "$lib/*" io.questdb.ServerMain -d "$dir/root"
}

# --- commands ------------------------------------------------------------------

# Holds one lock per service for the rest of the script, so that concurrent
# runs (two test runs calling `up`, or `up` racing `down`) take turns.
declare -A LOCK_FDS=()
lock_service() {
  local service=$1 fd
  [[ -n ${LOCK_FDS[$service]:-} ]] && return 0
  mkdir -p "$(service_dir "$service")"
  exec {fd}>"$(service_dir "$service")/lock"
  flock -w "$LOCK_TIMEOUT" "$fd" || fail "$service: timed out waiting for another services.sh command to finish"
  LOCK_FDS[$service]=$fd
}

# shellcheck disable=SC2034 # wait_ready reads started_at through a nameref.
cmd_up() {
  local service pid java_checked=
  local -A started_at=()

  # Start every service first and wait afterwards, so the JVMs start in parallel.
  for service in "$@"; do
    lock_service "$service"
    if pid=$(running_pid "$service"); then
      if "${service}_ready"; then
        say "$service: already running, pid $pid, $(describe_endpoints "$service")"
        if [[ $("${service}_endpoints") != "$(<"$(endpoints_file "$service")")" ]]; then
          say "$service: note: the running server keeps its ports; stop it first to use the ports set in the environment"
        fi
      else
        # Started by an earlier `up` that timed out, or still recovering after a crash.
        say "$service: running as pid $pid but not responding yet, waiting"
        started_at[$service]=$SECONDS
      fi
      continue
    fi
    case $(port_state "$service") in
      served)
        say "$service: already running (not started by this checkout) on $(describe_external "$service"); using it"
        continue
        ;;
      taken) fail "$service: $(port_taken_message "$service")" ;;
    esac
    # shellcheck disable=SC2046 # the ports are numbers, split on purpose
    check_ports_free "$service" $(service_ports "$service")
    rm -f "$(pid_file "$service")"
    fetch "$service"
    if [[ -z $java_checked ]]; then
      check_java
      java_checked=1
    fi
    started_at[$service]=$SECONDS
    "${service}_start"
  done

  wait_ready started_at
}

# Sends `signal` and waits for the process to exit; after a SIGTERM that does
# not stop it within STOP_TIMEOUT seconds, sends SIGKILL.
stop_service() {
  local service=$1 signal=$2 pid deadline
  lock_service "$service"
  if ! pid=$(running_pid "$service"); then
    rm -f "$(pid_file "$service")"
    if [[ $(port_state "$service") == served ]]; then
      say "$service: running on $(describe_external "$service") but not started by this checkout; left running"
    else
      say "$service: not running"
    fi
    return 0
  fi
  say "$service: sending SIG$signal to pid $pid"
  kill "-$signal" "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if [[ $signal == TERM ]] && ((SECONDS >= deadline)); then
      say "$service: still running after $STOP_TIMEOUT s, sending SIGKILL to pid $pid"
      kill -KILL "$pid" 2>/dev/null || true
      signal=KILL
    fi
    sleep 0.2
  done
  rm -f "$(pid_file "$service")"
  say "$service: stopped"
}

cmd_status() {
  local service pid exit_status=0
  for service in "$@"; do
    if pid=$(running_pid "$service"); then
      local note=
      case $service in
        kafka) port_open "$(endpoint kafka port)" || note=' (not accepting connections)' ;;
        questdb) port_open "$(endpoint questdb http_port)" || note=' (not accepting connections)' ;;
      esac
      printf '%-8s running  pid %-8s %s%s\n' "$service" "$pid" "$(describe_endpoints "$service")" "$note"
    else
      case $(port_state "$service") in
        served) printf '%-8s running  not started by this checkout, %s\n' "$service" "$(describe_external "$service")" ;;
        taken)
          printf '%-8s stopped  %s\n' "$service" "$(port_taken_message "$service")"
          exit_status=3
          ;;
        *)
          printf '%-8s stopped\n' "$service"
          exit_status=3
          ;;
      esac
    fi
  done
  return "$exit_status"
}

cmd_env() {
  local service kafka_port http_port pg_port
  for service in "$@"; do
    if running_pid "$service" >/dev/null; then
      case $service in
        kafka) kafka_port=$(endpoint kafka port) ;;
        questdb)
          http_port=$(endpoint questdb http_port)
          pg_port=$(endpoint questdb pg_port)
          ;;
      esac
    elif [[ $(port_state "$service") == served ]]; then
      kafka_port=$KAFKA_PORT
      http_port=$QUESTDB_HTTP_PORT
      pg_port=$QUESTDB_PG_PORT
    else
      continue
    fi
    case $service in
      kafka)
        printf 'export FLEETPULSE_TEST_KAFKA_BROKERS=%s:%s\n' "$HOST" "$kafka_port"
        ;;
      questdb)
        printf 'export FLEETPULSE_TEST_QUESTDB_HTTP=http://%s:%s\n' "$HOST" "$http_port"
        # admin/quest and database qdb are QuestDB's built-in defaults.
        printf 'export FLEETPULSE_TEST_QUESTDB_PG=postgres://admin:quest@%s:%s/qdb\n' "$HOST" "$pg_port"
        ;;
    esac
  done
}

main() {
  local command=${1:-}
  if [[ -z $command || $command == -h || $command == --help || $command == help ]]; then
    usage
    [[ -n $command ]] && return 0
    return 2
  fi
  shift

  local -a services
  case ${1:-} in
    '') services=(kafka questdb) ;;
    kafka | questdb) services=("$1") ;;
    *) fail "unknown service '$1': expected kafka or questdb" ;;
  esac
  (($# <= 1)) || fail "expected at most one service name, found: $*"
  check_settings

  local service
  case $command in
    up) cmd_up "${services[@]}" ;;
    down) for service in "${services[@]}"; do stop_service "$service" TERM; done ;;
    kill) for service in "${services[@]}"; do stop_service "$service" KILL; done ;;
    status) cmd_status "${services[@]}" ;;
    env) cmd_env "${services[@]}" ;;
    fetch) for service in "${services[@]}"; do fetch "$service"; done ;;
    *)
      usage >&2
      fail "unknown command '$command'"
      ;;
  esac
}

# Bash handles a signal only after the foreground command ends, and then
# continues unless that command died of it. Exiting instead makes an
# interrupted `up` return within about a second. Servers launched so far keep
# running until `down`.
trap 'exit 130' INT
trap 'exit 143' TERM

main "$@"
