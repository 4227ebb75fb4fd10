#!/usr/bin/env bash
# Ensure .venv: create it (python3.11, else python3) and install one set of pinned requirements, once per change.
#   scripts/venv.sh [--force] [SET]
#     SET runtime    requirements.txt: what the app needs to run (`make run`; the default)
#         test       requirements-test.txt: the runtime set, pytest, hypothesis, schemathesis, Playwright,
#                    and what the tests exercise (scale, discovery) (`make test`)
#         bench      requirements-bench.txt: the runtime and scale sets and load-test tools (`make bench*`)
#         scale      requirements-scale.txt: DuckDB, pyarrow, pyspark (the close at scale)
#         discovery  requirements-discovery.txt: Splink record linkage
#   Each set has its stamp, .venv/.installed-SET: the set installs again only when one of its files or
#   pyproject.toml is newer than the stamp. --force installs again (the Makefile passes this: make already
#   decided). Sets add up: `make run` after `make test` keeps the test packages.
# PYTHON=/path/to/python overrides the interpreter used to create the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
FORCE=0
SET=runtime
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    runtime | test | bench | scale | discovery) SET=$arg ;;
    *) echo "error: scripts/venv.sh [--force] [runtime|test|bench|scale|discovery] (got '$arg')" >&2; exit 2 ;;
  esac
done
case "$SET" in
  runtime) REQ=requirements.txt ;;
  *) REQ=requirements-$SET.txt ;;
esac
STAMP=$VENV/.installed-$SET

# The files a requirements file includes with -r, itself first, recursively.
req_files() {
  local f=$1 inc
  echo "$f"
  while read -r inc; do req_files "$inc"; done < <(sed -n 's/^-r[[:space:]]*//p' "$f")
}
mapfile -t FILES < <(req_files "$REQ" | sort -u)

up_to_date() {
  local f
  [ -f "$STAMP" ] && [ -x "$VENV/bin/python" ] && [ "$STAMP" -nt pyproject.toml ] || return 1
  for f in "${FILES[@]}"; do [ "$STAMP" -nt "$f" ] || return 1; done
}

if [ "$FORCE" = 0 ] && up_to_date; then
  exit 0
fi

if [ -e "$VENV" ] && ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  # Never removed here: it may be someone else's, or just unreadable to this user.
  echo "error: $VENV exists but '$VENV/bin/python -m pip' does not work; remove it (make clean) and retry" >&2
  exit 1
fi

if [ ! -e "$VENV" ]; then
  PY=${PYTHON:-$(command -v python3.11 || command -v python3 || true)}
  [ -n "$PY" ] || { echo "error: Python 3.11 not found (looked for python3.11, python3)" >&2; exit 1; }
  echo "== creating $VENV with $PY ($("$PY" --version 2>&1))"
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    # Debian's own python3 ships venv/ensurepip in a separate package.
    rm -rf "$VENV"
    SUDO=()
    [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
    if command -v apt-get >/dev/null && { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; }; then
      echo "== '$PY -m venv' failed: installing python3-venv from Debian packages"
      "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
      "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends \
        python3-venv >/dev/null
    fi
    "$PY" -m venv "$VENV" || {
      echo "error: '$PY -m venv' failed (on Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
fi

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --quiet)
echo "== installing $REQ ($SET set) and sicollect (editable) into $VENV"
"${PIP[@]}" install -r "$REQ"
"${PIP[@]}" install --no-deps -e .
touch "$STAMP"
