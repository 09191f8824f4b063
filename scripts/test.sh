#!/usr/bin/env bash
# shellcheck disable=SC2317  # the trap handlers are reached indirectly
# Run the test suite: scripts/test.sh [pytest args]
#
# If DATABASE_URL, REDIS_URL, BROKER_URL and MEILI_URL are all set (e.g. docker compose is up),
# the tests use those servers; with TRINITY_TEST_NO_SERVICES=1 none are started (make e2e).
# Otherwise throwaway servers are started in a fresh state dir under .run/ (scripts/services.sh)
# and stopped again on exit, Ctrl-C or SIGTERM.
# Exits non-zero when pytest fails and when it collects no tests (pytest exit code 5).
# Expects scripts/install.sh test to have run (make test does both).
set -euo pipefail

t_start=$EPOCHREALTIME
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export UV_PYTHON_DOWNLOADS=never
export MEILI_BIN="$ROOT/.tools/meilisearch"
export CHROMIUM_PATH=/usr/bin/chromium
registry="$(npm config get registry 2>/dev/null)" || registry=""
[[ -z $registry ]] || export NPM_CONFIG_REGISTRY="$registry"

elapsed() { # seconds since $1 (an $EPOCHREALTIME value), one decimal
  local now=$EPOCHREALTIME
  local ms=$(((10#${now//[.,]/} - 10#${1//[.,]/}) / 1000))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

state=""
pytest_pid=""
# Processes of this checkout's venv left orphaned (parent 1) once pytest is gone: a server a test
# started and did not stop. Printed, killed, and the run fails.
left_behind() {
  local pid args
  for pid in $(pgrep -P 1 -f "$ROOT/.venv/bin/" 2>/dev/null); do
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    echo "[test] left behind: pid $pid: $args" >&2
    kill -KILL "$pid" 2>/dev/null || true
    echo "$pid"
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $(left_behind) ]]; then
    echo "[test] FAILED: the suite left processes behind (killed now)" >&2
    ((rc != 0)) || rc=1
  fi
  if [[ -n $state ]]; then
    bash scripts/services.sh stop "$state" 9<&- || true
    rm -rf "$state"
  fi
  echo "[test] total time $(elapsed "$t_start")s (exit code $rc)"
  exit "$rc"
}
# On INT/TERM: let pytest finish its teardown (Ctrl-C reaches it directly; a TERM sent to this
# script alone is passed on), then stop the servers.
on_signal() { # EXIT_CODE
  if [[ -n $pytest_pid ]]; then
    if (($1 == 143)); then kill -TERM "$pytest_pid" 2>/dev/null || true; fi
    local i
    for ((i = 0; i < 150; i++)); do kill -0 "$pytest_pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pytest_pid" 2>/dev/null || true
    wait "$pytest_pid" 2>/dev/null || true
  fi
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

if [[ ${TRINITY_TEST_NO_SERVICES:-} == 1 ]]; then
  echo "[test] no loopback servers (TRINITY_TEST_NO_SERVICES=1, e.g. make e2e URL=...)"
elif [[ -n ${DATABASE_URL:-} && -n ${REDIS_URL:-} && -n ${BROKER_URL:-} && -n ${MEILI_URL:-} ]]; then
  echo "[test] using the servers from the environment (DATABASE_URL, REDIS_URL, BROKER_URL, MEILI_URL)"
else
  mkdir -p .run
  # The servers use fixed ports: one test run at a time on this machine (a second one waits).
  lock="${TMPDIR:-/tmp}/trinity-test-services-${TRINITY_PORT_OFFSET:-0}.lock"
  : >>"$lock" 2>/dev/null || true
  exec 9<"$lock"
  if ! flock -n 9; then
    echo "[test] another test run is using the test servers; waiting for it to finish"
    flock -w 3600 9 || { echo "[test] gave up waiting for $lock" >&2; exit 1; }
  fi
  state="$(mktemp -d "$ROOT/.run/test.XXXXXX")"
  chmod 755 "$state" # postgres must be able to traverse it
  t_services=$EPOCHREALTIME
  TRINITY_SERVICES_LOCK_HELD=1 bash scripts/services.sh start "$state" 9<&-
  echo "[test] servers up in $(elapsed "$t_services")s"
  # shellcheck source=/dev/null
  source "$state/env"
fi

mkdir -p test-results
# pytest runs as a background job so that the traps above fire while it runs; bash would start it
# with SIGINT ignored, `env --default-signal` undoes that (so Ctrl-C still reaches pytest).
reset_int=()
if env --default-signal=INT true 2>/dev/null; then reset_int=(env "--default-signal=INT,QUIT"); fi
"${reset_int[@]}" uv run --frozen pytest -ra --junitxml=test-results/junit.xml "$@" <&0 9<&- &
pytest_pid=$!
rc=0
wait "$pytest_pid" || rc=$?
pytest_pid=""
if ((rc == 5)); then
  echo "[test] pytest collected no tests (exit code 5): failing" >&2
fi
exit "$rc"
