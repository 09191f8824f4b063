#!/usr/bin/env bash
# Throwaway servers for tests and local "full mode", all on 127.0.0.1 and non-default ports:
#
#   PostgreSQL 15 + PostGIS  55432      Redis        56379
#   RabbitMQ (AMQP)          55672      Meilisearch  57700
#   (RabbitMQ distribution 55673, its epmd 54369)
#
#   scripts/services.sh start <state_dir>   wipe <state_dir>'s server data, start all four in
#                                           parallel, wait until each answers, write <state_dir>/env
#   scripts/services.sh stop  <state_dir>   stop them; quiet and exit 0 when already down
#
# `start` first stops servers left behind by an earlier run (any state dir) on these ports; a
# port held by some other program is an error. `stop` only stops what <state_dir> records.
# Needs scripts/install.sh test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# TRINITY_PORT_OFFSET shifts every port, so a second set of servers (e.g. for development beside a
# running `make test`) never collides with the first.
OFFSET=${TRINITY_PORT_OFFSET:-0}
PG_PORT=$((55432 + OFFSET))
REDIS_PORT=$((56379 + OFFSET))
AMQP_PORT=$((55672 + OFFSET))
RABBIT_DIST_PORT=$((55673 + OFFSET))
EPMD_PORT=$((54369 + OFFSET))
MEILI_PORT=$((57700 + OFFSET))
ALL_PORTS=("$PG_PORT" "$REDIS_PORT" "$AMQP_PORT" "$RABBIT_DIST_PORT" "$EPMD_PORT" "$MEILI_PORT")
# Process names we may stop when found on those ports.
OUR_PROGRAMS=" postgres redis-server beam.smp epmd meilisearch "

MEILI_MASTER_KEY=trinity-test-master-key-0123456789
PG_BIN=/usr/lib/postgresql/15/bin
RABBIT_BIN=/usr/lib/rabbitmq/bin
MEILI_BIN="${MEILI_BIN:-$ROOT/.tools/meilisearch}"
# Readiness timeouts in seconds (a loaded 2-core CI machine is slower than a laptop).
TIMEOUT_PG="${TIMEOUT_PG:-60}"
TIMEOUT_REDIS="${TIMEOUT_REDIS:-30}"
TIMEOUT_RABBIT="${TIMEOUT_RABBIT:-120}"
TIMEOUT_MEILI="${TIMEOUT_MEILI:-60}"

say() { printf '[services] %s\n' "$*"; }
err() { printf '[services] ERROR: %s\n' "$*" >&2; }

# fail NAME MESSAGE LOG...: name the failing server and show the end of its logs.
fail() {
  local name=$1 msg=$2 log
  shift 2
  err "$name: $msg"
  for log in "$@"; do
    [[ -s $log ]] || continue
    printf '[services] --- last lines of %s ---\n' "$log" >&2
    tail -n 25 "$log" | sed 's/^/    /' >&2
  done
  return 1
}

T0=$EPOCHREALTIME
since_start() { # seconds since the script started, one decimal
  local ms=$(((10#${EPOCHREALTIME//[.,]/} - 10#${T0//[.,]/}) / 1000))
  printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

is_root() { ((EUID == 0)); }
# Run as the postgres user when root (initdb and pg_ctl refuse to run as root).
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

alive() { # PID: running and not a zombie
  [[ -n ${1:-} && -r /proc/$1/status ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

wait_gone() { # PID SECONDS
  local pid=$1 i
  for ((i = 0; i < $2 * 10; i++)); do alive "$pid" || return 0; sleep 0.1; done
  return 1
}

stop_pid() { # PID SIGNAL SECONDS: signal, wait, then SIGKILL
  local pid=$1
  alive "$pid" || return 0
  kill -s "$2" "$pid" 2>/dev/null || true
  wait_gone "$pid" "$3" && return 0
  kill -s KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 5 || true
}

read_pid() { [[ -s $1 ]] && head -n 1 "$1" | tr -dc '0-9'; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_pids() { # PIDs of processes listening on TCP port $1
  local port=$1
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
    return 0
  fi
  # Fallback without iproute2: match socket inodes from /proc/net/tcp* against open fds.
  local hex inodes fd link
  printf -v hex '%04X' "$port"
  inodes=" $(awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { printf "%s ", $10 }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null) "
  [[ -n ${inodes// /} ]] || return 0
  for fd in /proc/[0-9]*/fd/*; do
    link=$(readlink "$fd" 2>/dev/null) || continue
    [[ $link == socket:\[*\] ]] || continue
    link=${link#socket:[}
    [[ $inodes == *" ${link%]} "* ]] && { fd=${fd#/proc/}; echo "${fd%%/*}"; }
  done | sort -u
}

# Stop whatever of ours still listens on our ports (e.g. from a run whose state dir is gone).
# Returns 1 if a port is held by a program that is not one of ours.
sweep_ports() {
  local port pid comm sig rc=0
  for port in "${ALL_PORTS[@]}"; do
    for pid in $(port_pids "$port"); do
      comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
      if [[ $OUR_PROGRAMS != *" $comm "* ]]; then
        err "port $port is used by '$comm' (pid $pid), which is not one of our servers: free it first"
        rc=1
        continue
      fi
      sig=TERM
      [[ $comm == postgres ]] && sig=INT # fast shutdown (TERM waits for clients)
      say "stopping leftover $comm (pid $pid) on port $port"
      stop_pid "$pid" "$sig" 15
    done
  done
  if ((rc == 0)); then
    for port in "${ALL_PORTS[@]}"; do
      port_open "$port" || continue
      err "port $port is still in use (by a process this user cannot see or stop?)"
      rc=1
    done
  fi
  return $rc
}

# ---------------------------------------------------------------- PostgreSQL ----------
pg_root() { # where the postgres data lives for state dir $S
  if [[ -s $S/pg.location ]]; then cat "$S/pg.location"; else echo "$S/pg"; fi
}

start_postgres() {
  local root=$S/pg log
  mkdir -p "$root"
  if is_root; then
    chown postgres:postgres "$root"
    chmod 700 "$root"
    if ! runuser -u postgres -- test -w "$root"; then
      # Some parent directory is not traversable by postgres (e.g. a clone under /root):
      # keep the data under /tmp and remember where.
      root=$(mktemp -d "${TMPDIR:-/tmp}/trinity-pg.XXXXXX")
      chmod 755 "$root"
      chown postgres:postgres "$root"
      echo "$root" >"$S/pg.location"
    fi
  fi
  log=$root/postgres.log
  as_pg "$PG_BIN/initdb" -D "$root/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$root/initdb.log" 2>&1 || fail postgres "initdb failed" "$root/initdb.log" || return 1
  # No unix socket (path length and permission trouble); TCP on 127.0.0.1 only.
  as_pg "$PG_BIN/pg_ctl" -D "$root/data" -l "$log" -w -t "$TIMEOUT_PG" -o "-p $PG_PORT \
-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 \
-c fsync=off -c full_page_writes=off -c synchronous_commit=on -c wal_level=logical" start \
    >"$root/pg_ctl.log" 2>&1 || fail postgres "pg_ctl start failed" "$root/pg_ctl.log" "$log" || return 1
  local deadline=$((SECONDS + TIMEOUT_PG))
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do
    ((SECONDS < deadline)) || { fail postgres "not ready after ${TIMEOUT_PG}s" "$log"; return 1; }
    sleep 0.1
  done
  local psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres)
  {
    "${psql[@]}" -d postgres -c "CREATE ROLE trinity LOGIN SUPERUSER PASSWORD 'trinity'" \
      -c "CREATE DATABASE trinity OWNER trinity" &&
      "${psql[@]}" -d trinity -c "CREATE EXTENSION IF NOT EXISTS postgis" &&
      PGPASSWORD=trinity "$PG_BIN/psql" -X -qAt -h 127.0.0.1 -p "$PG_PORT" -U trinity -d trinity \
        -c "select postgis_version()"
  } >"$root/bootstrap.log" 2>&1 || fail postgres "creating role/database/postgis failed" "$root/bootstrap.log" "$log" || return 1
  say "postgres ready on 127.0.0.1:$PG_PORT, PostGIS $(cut -d' ' -f1 "$root/bootstrap.log") ($(since_start))"
}

stop_postgres() {
  local root data pid
  root=$(pg_root)
  data=$root/data
  pid=$(read_pid "$data/postmaster.pid" 2>/dev/null || true)
  if alive "$pid"; then
    as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || stop_pid "$pid" INT 10
    say "postgres stopped"
  fi
  if [[ -s $S/pg.location && $root == "${TMPDIR:-/tmp}"/trinity-pg.* ]]; then
    rm -rf "$root" "$S/pg.location"
  fi
}

# ---------------------------------------------------------------- Redis ---------------
start_redis() {
  local dir=$S/redis
  mkdir -p "$dir"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
    >"$dir/start.log" 2>&1 || fail redis "redis-server failed to start" "$dir/start.log" "$dir/redis.log" || return 1
  local deadline=$((SECONDS + TIMEOUT_REDIS))
  until [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; do
    ((SECONDS < deadline)) || { fail redis "no PONG after ${TIMEOUT_REDIS}s" "$dir/redis.log"; return 1; }
    sleep 0.05
  done
  say "redis ready on 127.0.0.1:$REDIS_PORT ($(since_start))"
}

stop_redis() {
  local pid
  pid=$(read_pid "$S/redis/redis.pid" || true)
  if alive "$pid"; then
    stop_pid "$pid" TERM 10 # redis shuts down cleanly on SIGTERM (nothing to save)
    say "redis stopped"
  fi
}

# ---------------------------------------------------------------- RabbitMQ ------------
# Everything (cookie, mnesia, logs, config) lives in $S/rabbitmq; the wrapper in /usr/sbin
# would switch users and read /etc/rabbitmq, so the scripts in $RABBIT_BIN are used directly.
rabbit_env() {
  local dir=$S/rabbitmq
  export HOME=$dir/home
  export RABBITMQ_NODENAME=rabbit@localhost
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$AMQP_PORT
  export RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT
  export ERL_EPMD_PORT=$EPMD_PORT
  export ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE=$dir/mnesia
  export RABBITMQ_LOG_BASE=$dir/log
  export RABBITMQ_PID_FILE=$dir/rabbit.pid
  export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
  export RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config
  export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
  export RABBITMQ_CONF_ENV_FILE=/dev/null
  # Without this the distribution port listens on all interfaces.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
  export RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
}

start_rabbitmq() {
  local dir=$S/rabbitmq
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  # Listener address and port come from RABBITMQ_NODE_IP_ADDRESS / RABBITMQ_NODE_PORT.
  printf '%s\n' "log.console = false" "log.file.level = info" >"$dir/rabbitmq.conf"
  echo '[].' >"$dir/enabled_plugins"
  echo '[].' >"$dir/advanced.config"
  (
    rabbit_env
    cd "$dir"
    exec setsid "$RABBIT_BIN/rabbitmq-server" </dev/null >"$dir/stdout.log" 2>&1
  ) &
  local pid=$!
  echo "$pid" >"$dir/wrapper.pid"
  local deadline=$((SECONDS + TIMEOUT_RABBIT))
  until port_open "$AMQP_PORT"; do
    alive "$pid" || { fail rabbitmq "exited during startup" "$dir/stdout.log" "$dir/log/rabbit@localhost.log"; return 1; }
    ((SECONDS < deadline)) ||
      { fail rabbitmq "AMQP port $AMQP_PORT not open after ${TIMEOUT_RABBIT}s" "$dir/stdout.log" "$dir/log/rabbit@localhost.log"; return 1; }
    sleep 0.2
  done
  say "rabbitmq ready on 127.0.0.1:$AMQP_PORT ($(since_start))"
}

stop_rabbitmq() {
  local dir=$S/rabbitmq wrapper beam
  [[ -d $dir ]] || return 0
  wrapper=$(read_pid "$dir/wrapper.pid" || true)
  beam=$(read_pid "$dir/rabbit.pid" || true)
  if alive "$beam" || alive "$wrapper"; then
    if alive "$beam"; then
      (rabbit_env && timeout 60 "$RABBIT_BIN/rabbitmqctl" -q -n rabbit@localhost stop "$RABBITMQ_PID_FILE") \
        >/dev/null 2>&1 || stop_pid "$beam" TERM 20
    fi
    wait_gone "$wrapper" 10 || kill -TERM -- "-$wrapper" 2>/dev/null || true
    say "rabbitmq stopped"
  fi
  # epmd outlives the node.
  if port_open "$EPMD_PORT"; then
    (rabbit_env && epmd -kill) >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------- Meilisearch ---------
start_meili() {
  local dir=$S/meili
  mkdir -p "$dir"
  # All cores for indexing (Meilisearch's default is half: one thread on a 2-core machine). It
  # indexes 1M hotels in 55 s with two, and that work is ~92 s of CPU (docs/performance.md).
  (
    cd "$dir"
    exec setsid "$MEILI_BIN" --db-path "$dir/data.ms" --http-addr "127.0.0.1:$MEILI_PORT" \
      --master-key "$MEILI_MASTER_KEY" --no-analytics --env development \
      --max-indexing-threads "$(nproc)" \
      --dump-dir "$dir/dumps" --snapshot-dir "$dir/snapshots" </dev/null >"$dir/meili.log" 2>&1
  ) &
  local pid=$!
  echo "$pid" >"$dir/meili.pid"
  local deadline=$((SECONDS + TIMEOUT_MEILI))
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$MEILI_PORT/health" 2>/dev/null; do
    alive "$pid" || { fail meilisearch "exited during startup" "$dir/meili.log"; return 1; }
    ((SECONDS < deadline)) || { fail meilisearch "/health not answering after ${TIMEOUT_MEILI}s" "$dir/meili.log"; return 1; }
    sleep 0.1
  done
  say "meilisearch ready on 127.0.0.1:$MEILI_PORT ($(since_start))"
}

stop_meili() {
  local pid
  pid=$(read_pid "$S/meili/meili.pid" || true)
  if alive "$pid"; then
    stop_pid "$pid" TERM 10
    say "meilisearch stopped"
  fi
}

# ---------------------------------------------------------------- commands ------------
stop_recorded() { # the servers recorded in $S, in parallel
  stop_postgres &
  stop_redis &
  stop_rabbitmq &
  stop_meili &
  wait
}

cmd_start() {
  local missing=() f
  for f in "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$(command -v redis-server || echo redis-server)" \
    "$RABBIT_BIN/rabbitmq-server" "$MEILI_BIN" "$(command -v curl || echo curl)"; do
    [[ -x $f ]] || missing+=("$f")
  done
  [[ -f /usr/share/postgresql/15/extension/postgis.control ]] || missing+=(postgresql-15-postgis-3)
  if ((${#missing[@]})); then
    err "missing: ${missing[*]} (run: bash scripts/install.sh test)"
    return 1
  fi

  # Clean slate: stop what an earlier run left, then wipe only the directories we own.
  stop_recorded >/dev/null 2>&1 || true
  sweep_ports || return 1
  if [[ -s $S/pg.location ]]; then rm -rf "$(cat "$S/pg.location")"; fi
  rm -rf "$S/pg" "$S/pg.location" "$S/redis" "$S/rabbitmq" "$S/meili" "$S/env"
  is_root && chmod a+x "$S" # postgres must traverse it

  say "starting postgres, redis, rabbitmq, meilisearch in $S"
  local -A pids=()
  start_postgres & pids[postgres]=$!
  start_redis & pids[redis]=$!
  start_rabbitmq & pids[rabbitmq]=$!
  start_meili & pids[meilisearch]=$!
  local name failed=()
  for name in "${!pids[@]}"; do
    wait "${pids[$name]}" || failed+=("$name")
  done
  if ((${#failed[@]})); then
    err "failed to start: ${failed[*]}; stopping the others"
    stop_recorded
    return 1
  fi

  cat >"$S/env" <<EOF
export DATABASE_URL=postgresql://trinity:trinity@127.0.0.1:$PG_PORT/trinity
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export BROKER_URL=amqp://guest:guest@127.0.0.1:$AMQP_PORT/
export MEILI_URL=http://127.0.0.1:$MEILI_PORT
export MEILI_MASTER_KEY=$MEILI_MASTER_KEY
EOF
  say "all ready ($(since_start)); env: $S/env"
}

cmd_stop() {
  [[ -d $S ]] || return 0
  stop_recorded
  return 0
}

# scripts/test.sh holds this lock for its whole run (it sets TRINITY_SERVICES_LOCK_HELD=1 for us):
# starting other servers on the same ports meanwhile would stop its servers.
check_no_test_run() {
  [[ ${TRINITY_SERVICES_LOCK_HELD:-} == 1 ]] && return 0
  local lock="${TMPDIR:-/tmp}/trinity-test-services-${TRINITY_PORT_OFFSET:-0}.lock"
  [[ -e $lock ]] || return 0
  exec 8<"$lock"
  if ! flock -n 8; then
    err "a test run (scripts/test.sh) is using these ports right now; try again when it has finished"
    exit 1
  fi
  exec 8<&-
}

usage() { echo "usage: $0 start|stop <state_dir>" >&2; exit 2; }
(($# == 2)) || usage
case "$1" in
  start)
    check_no_test_run
    mkdir -p "$2"
    S="$(cd "$2" && pwd)"
    cmd_start
    ;;
  stop)
    S="$(cd "$2" 2>/dev/null && pwd || echo "$2")"
    cmd_stop || true
    ;;
  *) usage ;;
esac
