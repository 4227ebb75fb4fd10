#!/usr/bin/env bash
# Ensure .venv: create it (python3.11, else python3) and install the lock, once per change.
#   scripts/venv.sh            install only when requirements.txt or pyproject.toml is newer
#                              than .venv/.installed-stamp (what `make install` does)
#   scripts/venv.sh --force    install again (the Makefile passes this: make already decided)
# PYTHON=/path/to/python overrides the interpreter used to create the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP=$VENV/.installed-stamp
FORCE=0
[ "${1:-}" = --force ] && FORCE=1

up_to_date() {
  [ -f "$STAMP" ] && [ -x "$VENV/bin/python" ] \
    && [ "$STAMP" -nt requirements.txt ] && [ "$STAMP" -nt pyproject.toml ]
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
      "${SUDO[@]}" apt-get update -qq
      "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3-venv >/dev/null
    fi
    "$PY" -m venv "$VENV" || {
      echo "error: '$PY -m venv' failed (on Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
fi

PIP=("$VENV/bin/python" -m pip --disable-pip-version-check --quiet)
echo "== installing requirements.txt and sicollect (editable) into $VENV"
"${PIP[@]}" install -r requirements.txt
"${PIP[@]}" install --no-deps -e .
touch "$STAMP"
