#!/usr/bin/env bash
# The whole test suite, on SQLite and then on a throwaway PostgreSQL cluster.
#
#   scripts/test.sh [pytest args]        e.g. scripts/test.sh -k interest -x
#   SICOLLECT_TEST_DB=sqlite|postgres|both  (default both)
#
# Both runs always happen (when selected); the script fails if either failed. Each run lists its skips
# with their reasons (-rs); with CI=true a skip for a missing tool (chromium, Java, pango: reasons that
# start "missing tool:", tests/tools.py) fails the run (tests/conftest.py).
# Installs when missing, as root or with sudo, waiting for the apt lock: Debian's postgresql, chromium,
# openjdk-17-jre-headless, libpango-1.0-0, libpangoft2-1.0-0, fonts-dejavu-core.
# PostgreSQL: the Debian server binaries in /usr/lib/postgresql/*/bin, installed with
# apt-get when missing (root, or sudo). The cluster lives in a temporary directory
# (data, log and unix socket), listens on 127.0.0.1 on a free port, runs as the
# `postgres` user when we are root (the server refuses root), and is stopped and
# removed on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
WHICH=${SICOLLECT_TEST_DB:-both}
case "$WHICH" in
  sqlite | postgres | both) ;;
  *) echo "error: SICOLLECT_TEST_DB must be sqlite, postgres or both (got '$WHICH')" >&2; exit 2 ;;
esac
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1

banner() { printf '\n==================== %s ====================\n' "$*"; }

# apt-get waits up to 10 minutes for another apt or dpkg process (unattended upgrades, a second
# install) to release its lock, instead of failing at once with "Could not get lock".
APT_WAIT=(-o DPkg::Lock::Timeout=600)

# ---------------------------------------------------------------- clean-up, set before anything exists
PGDIR=""
PGBIN=""
VARDIR=""

as_pg() {  # run a server command as the cluster's owner, from a directory it can read
  if [ "$IS_ROOT" = 1 ]; then
    if command -v runuser >/dev/null; then
      (cd "$PGDIR" && runuser -u postgres -- "$@")
    else
      (cd "$PGDIR" && su postgres -s /bin/bash -c "$(printf '%q ' "$@")")
    fi
  else
    (cd "$PGDIR" && "$@")
  fi
}

stop_pg() {
  [ -n "$PGDIR" ] && [ -f "$PGDIR/data/postmaster.pid" ] || return 0
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 \
    || true
  if [ -f "$PGDIR/data/postmaster.pid" ]; then  # last resort: the postmaster we started
    local pid
    pid=$(head -n1 "$PGDIR/data/postmaster.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    sleep 1
  fi
  echo "== PostgreSQL stopped"
}

cleanup() {
  local rc=$?
  set +e
  stop_pg
  [ -n "$PGDIR" ] && rm -rf "$PGDIR"
  [ -n "$VARDIR" ] && rm -rf "$VARDIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- the venv: the test set (requirements-test.txt)
bash scripts/venv.sh test

# ---------------------------------------------------------------- PostgreSQL server binaries
find_pg_bin() {  # newest /usr/lib/postgresql/N/bin with a server in it
  local d found=""
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && found=$d
  done
  [ -n "$found" ] && echo "$found"
}

install_postgres() {
  local sudo=() log
  if [ "$IS_ROOT" = 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "error: no PostgreSQL server in /usr/lib/postgresql/*/bin, and installing the Debian" \
        "package 'postgresql' needs root or sudo (or run SICOLLECT_TEST_DB=sqlite $0)" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null || {
    echo "error: no PostgreSQL server in /usr/lib/postgresql/*/bin and no apt-get to install one" >&2
    exit 1
  }
  banner "installing PostgreSQL (Debian package postgresql)"
  log=$(mktemp)
  if ! { "${sudo[@]}" apt-get "${APT_WAIT[@]}" update -q \
      && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" install -y -q \
        --no-install-recommends postgresql; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "error: apt-get install postgresql failed" >&2
    exit 1
  fi
  tail -n 3 "$log"
  rm -f "$log"
  # The package may have created and started a 'main' cluster (where services may start): stop it,
  # nothing of ours should keep running after the tests.
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters --no-header 2>/dev/null | while read -r ver name _port status _rest; do
      case "$status" in online*) "${sudo[@]}" pg_ctlcluster "$ver" "$name" stop || true ;; esac
    done
  fi
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_pg() {
  local locale port attempt
  PGBIN=$(find_pg_bin) || { install_postgres; PGBIN=$(find_pg_bin); } || {
    echo "error: PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin" >&2
    exit 1
  }
  if [ "$IS_ROOT" = 1 ]; then
    id postgres >/dev/null 2>&1 || {
      echo "error: running as root but there is no 'postgres' user to run the server as" >&2
      exit 1
    }
    PGDIR=$(mktemp -d /tmp/sicollect-pg.XXXXXX)  # /tmp: the postgres user must reach it
    chown postgres "$PGDIR"
  else
    PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/sicollect-pg.XXXXXX")
  fi
  # C.UTF-8 is part of Debian's libc (no `locales` package needed); plain C otherwise.
  if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then locale=C.UTF-8; else locale=C; fi
  as_pg env LC_ALL="$locale" "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 \
    --locale="$locale" --no-sync >"$PGDIR/initdb.log" 2>&1 || {
    cat "$PGDIR/initdb.log" >&2
    echo "error: initdb failed" >&2
    exit 1
  }
  for attempt in 1 2 3; do  # a free port can be taken between choosing and binding it
    port=$(free_port)
    if as_pg env LC_ALL="$locale" "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
        -o "-p $port -k '$PGDIR' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 2>&1; then
      break
    fi
    stop_pg
    port=""
  done
  [ -n "$port" ] || { cat "$PGDIR/server.log" >&2; echo "error: PostgreSQL did not start" >&2; exit 1; }
  for attempt in $(seq 1 60); do
    "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
  done
  "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port" || {
    cat "$PGDIR/server.log" >&2
    echo "error: PostgreSQL not ready on 127.0.0.1:$port" >&2
    exit 1
  }
  "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres sicollect
  PGPORT_USED=$port
  PGVERSION_TEXT=$("$PGBIN/postgres" --version)
}

# ---------------------------------------------------------------- web: browser and PDF (Debian packages)
# The browser test drives Debian's chromium with Playwright (no browser download); WeasyPrint
# needs pango, and the PDFs DejaVu fonts (Vietnamese glyphs). Installed when missing, as root or
# with sudo; without them the browser test (and the PDF checks) skip with the reason.
web_debs_missing() {
  local missing=() libs
  libs=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null || true)  # /sbin may not be on a user's PATH
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
  grep -q 'libpango-1\.0\.so\.0' <<<"$libs" || missing+=(libpango-1.0-0)
  grep -q 'libpangoft2-1\.0\.so\.0' <<<"$libs" || missing+=(libpangoft2-1.0-0)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  echo "${missing[@]}"
}

install_web_debs() {
  local missing sudo=() log
  missing=$(web_debs_missing)
  [ -n "$missing" ] || return 0
  if [ "$IS_ROOT" = 0 ]; then
    command -v sudo >/dev/null || { echo "warning: missing Debian packages ($missing) and no root or sudo:" \
      "the browser test and PDF checks will skip" >&2; return 0; }
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null || { echo "warning: missing Debian packages ($missing) and no apt-get" >&2; return 0; }
  banner "installing Debian packages for the web tests: $missing"
  log=$(mktemp)
  # shellcheck disable=SC2086  # a list of package names
  if ! { "${sudo[@]}" apt-get "${APT_WAIT[@]}" update -q \
      && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" install -y -q --no-install-recommends $missing; } \
      >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "warning: apt-get install $missing failed: the browser test and PDF checks will skip" >&2
  else
    tail -n 2 "$log"
  fi
  rm -f "$log"
}
install_web_debs

# ---------------------------------------------------------------- Spark: Java 17 (Debian package)
# tests/close/test_spark.py runs the close on Apache Spark (pyspark, local mode), which needs a Java
# runtime; installed when missing, as root or with sudo; without it that test skips with the reason.
install_java() {
  local sudo=() log
  command -v java >/dev/null && return 0
  if [ "$IS_ROOT" = 0 ]; then
    command -v sudo >/dev/null || { echo "warning: no java and no root or sudo: the Spark test will skip" >&2; return 0; }
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null || { echo "warning: no java and no apt-get: the Spark test will skip" >&2; return 0; }
  banner "installing Java for the Spark test: openjdk-17-jre-headless"
  log=$(mktemp)
  if ! { "${sudo[@]}" apt-get "${APT_WAIT[@]}" update -q \
      && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" install -y -q --no-install-recommends \
        openjdk-17-jre-headless; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "warning: apt-get install openjdk-17-jre-headless failed: the Spark test will skip" >&2
  else
    tail -n 2 "$log"
  fi
  rm -f "$log"
}
if [ "$WHICH" = postgres ] || [ "$WHICH" = both ]; then install_java; fi  # the Spark test runs in that pass

# ---------------------------------------------------------------- the runs
VARDIR=$(mktemp -d)
export SICOLLECT_VAR="$VARDIR"  # keep tests away from ./var (the `make run` database)
ARGS_TEXT=${*:-(none)}
SQLITE_RC=-
PG_RC=-
LAYERS_RC=-
LINT_RC=-

# the linter (pyproject.toml [tool.ruff]) and the import graph's contracts (pyproject.toml
# [tool.importlinter], docs/architecture.md): a few seconds each
banner "lint (ruff check)"
if "$ROOT/.venv/bin/ruff" check --no-cache "$ROOT/src" "$ROOT/tests" "$ROOT/benchmarks"; then LINT_RC=0; else LINT_RC=1; fi

banner "import layers (lint-imports)"
if PYTHONPATH="$ROOT/src" "$ROOT/.venv/bin/lint-imports" --no-cache; then LAYERS_RC=0; else LAYERS_RC=1; fi

if [ "$WHICH" = sqlite ] || [ "$WHICH" = both ]; then
  banner "tests on SQLite   pytest args: $ARGS_TEXT"
  if env -u DATABASE_URL "$PY" -m pytest -rs "$@"; then SQLITE_RC=0; else SQLITE_RC=$?; fi
fi

if [ "$WHICH" = postgres ] || [ "$WHICH" = both ]; then
  start_pg
  banner "tests on PostgreSQL   $PGVERSION_TEXT, 127.0.0.1:$PGPORT_USED   pytest args: $ARGS_TEXT"
  if DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT_USED/sicollect" "$PY" -m pytest -rs "$@"; then
    PG_RC=0
  else
    PG_RC=$?
  fi
fi

result() {
  case "$1" in
    -) echo "not run" ;;
    0) echo "passed" ;;
    *) echo "FAILED (pytest exit $1)" ;;
  esac
}
banner "summary"
echo "Lint:       $([ "$LINT_RC" = 0 ] && echo clean || echo "ERRORS (ruff, above)")"
echo "Layers:     $([ "$LAYERS_RC" = 0 ] && echo kept || echo "BROKEN (lint-imports, above)")"
echo "SQLite:     $(result "$SQLITE_RC")"
echo "PostgreSQL: $(result "$PG_RC")"
[ "$LINT_RC" = 0 ] || exit 1
[ "$LAYERS_RC" = 0 ] || exit 1
[ "$SQLITE_RC" = 0 ] || [ "$SQLITE_RC" = - ] || exit 1
[ "$PG_RC" = 0 ] || [ "$PG_RC" = - ] || exit 1
exit 0
