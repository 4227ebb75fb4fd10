#!/usr/bin/env bash
# The close at scale (benchmarks/scale.py) on a throwaway PostgreSQL cluster tuned for the close
# (docs/scale.md), stopped and removed on exit. Arguments go to benchmarks/scale.py.
#   scripts/bench-scale.sh --scale bench        # what `make bench-scale SCALE=bench` runs
# With DATABASE_URL already set, that database is used instead (it must be empty).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(pwd)/.venv/bin/python"
if [ -n "${DATABASE_URL:-}" ]; then exec "$PY" benchmarks/scale.py "$@"; fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$PGBIN/initdb" ] || { echo "error: no PostgreSQL server (run scripts/test.sh once: it installs it)" >&2; exit 1; }
PGDIR=$(mktemp -d /tmp/sicollect-bench-pg.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then (cd "$PGDIR" && runuser -u postgres -- "$@"); else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$PGDIR"
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 -o "-p $PORT -k $PGDIR \
  -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c work_mem=256MB -c temp_buffers=1GB -c maintenance_work_mem=1GB -c max_wal_size=8GB -c shared_buffers=2GB" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres sicollect
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (work_mem 256MB, temp_buffers 1GB)"
DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/sicollect" "$PY" benchmarks/scale.py "$@"
