#!/usr/bin/env bash
# The whole test suite, on SQLite and then on a throwaway PostgreSQL cluster.
#   scripts/test.sh [pytest args]       e.g. scripts/test.sh -k interest
#   SICOLLECT_TEST_DB=sqlite|postgres|both (default both)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
WHICH=${SICOLLECT_TEST_DB:-both}

find_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_postgres() {
  if find_pg_bin >/dev/null; then return 0; fi
  echo "== installing PostgreSQL from Debian packages"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  find_pg_bin >/dev/null || { echo "PostgreSQL server binaries not found after install" >&2; exit 1; }
}

status=0
export SICOLLECT_VAR=$(mktemp -d)
trap 'rm -rf "$SICOLLECT_VAR"' EXIT

if [ "$WHICH" = sqlite ] || [ "$WHICH" = both ]; then
  echo "== tests on SQLite"
  env -u DATABASE_URL "$PY" -m pytest "$@" || status=1
fi

if [ "$WHICH" = postgres ] || [ "$WHICH" = both ]; then
  ensure_postgres
  PGBIN=$(find_pg_bin)
  PGDIR=$(mktemp -d)
  PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  RUN=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PGDIR"
    RUN=(runuser -u postgres --)
  fi
  stop_pg() {
    "${RUN[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR" "$SICOLLECT_VAR"
  }
  trap stop_pg EXIT
  "${RUN[@]}" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  "${RUN[@]}" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
    -o "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
  echo "== tests on PostgreSQL ($("$PGBIN/postgres" --version), port $PORT)"
  DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" "$PY" -m pytest "$@" || status=1
fi

exit $status
