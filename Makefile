# sicollect: two commands on a fresh machine (Python 3.11 and make): `make run`, `make test`.
#   make run       venv + the runtime set (requirements.txt, when changed), migrate, demo data if empty,
#                  admin login, serve :8000
#   make test      the test set (requirements-test.txt), then scripts/test.sh: the suite on SQLite, then on a
#                  throwaway PostgreSQL; installs Debian packages when missing (PostgreSQL, chromium, Java 17,
#                  pango, DejaVu fonts: root or sudo) (make test PYTEST_ARGS='-k interest';
#                  SICOLLECT_TEST_DB=sqlite|postgres|both)
#   make install   the venv with the runtime set alone (quick no-op when nothing changed)
#   make bench     the close on the province demo (the bench set: requirements-bench.txt)
#   make bench-web the staff app under load: gunicorn + PostgreSQL (DATABASE_URL=postgres://…), locust, figures
#   make bench-scale  the close at region scale on PostgreSQL, DuckDB and Spark (SCALE=bench|region|national; DATABASE_URL=postgres://…)
#   make clean     remove .venv, var/ (the dev database) and caches
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
export PYTHON
VENV := .venv
BIN := $(VENV)/bin
# One stamp per set of requirements (scripts/venv.sh): a set installs again only when one of its files or the
# project metadata changed (the stamp is older).
RUNTIME := $(VENV)/.installed-runtime
TESTSET := $(VENV)/.installed-test
BENCHSET := $(VENV)/.installed-bench

.PHONY: run test install clean bench bench-scale bench-web

$(RUNTIME): requirements.txt pyproject.toml
	@bash scripts/venv.sh --force runtime

$(TESTSET): requirements.txt requirements-test.txt requirements-bench.txt requirements-scale.txt \
		requirements-discovery.txt pyproject.toml
	@bash scripts/venv.sh --force test

$(BENCHSET): requirements.txt requirements-bench.txt requirements-scale.txt pyproject.toml
	@bash scripts/venv.sh --force bench

install: $(RUNTIME)
	@:

run: $(RUNTIME)
	$(BIN)/sicollect bootstrap
	$(BIN)/sicollect runserver 127.0.0.1:8000

test: $(TESTSET)
	bash scripts/test.sh $(PYTEST_ARGS)

bench: $(BENCHSET)
	$(BIN)/python benchmarks/close.py

# The close at scale on PostgreSQL and on Spark (local): benchmarks/scale.py; DATABASE_URL must name an
# empty PostgreSQL database, or unset: a throwaway cluster (scripts/bench-scale.sh, docs/scale.md). SCALE=bench for a quick run (2 × 1,000 units);
# THROUGH=2024-12 closes 12 months instead of 2.
SCALE ?= region
THROUGH ?= 2024-02
bench-scale: $(BENCHSET)
	bash scripts/bench-scale.sh --scale $(SCALE) --through $(THROUGH)

# The staff app under load (issue 23): benchmarks/web_load.py starts gunicorn in production mode on the
# PostgreSQL database of DATABASE_URL (the province demo is loaded when it is empty) and runs locust
# (benchmarks/load.py): 50 officers with 3-10 s think time for 5 minutes, then the closed-loop capacity.
# make bench-web BENCH_WEB_ARGS="--scale small --users 10 --time 30s --capacity 5 --capacity-time 20s"
bench-web: $(BENCHSET)
	@test -n "$$DATABASE_URL" || { echo "bench-web: set DATABASE_URL=postgres://user@host:port/db (an empty database or one with a demo)"; exit 2; }
	$(BIN)/python benchmarks/web_load.py $(BENCH_WEB_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache src/*.egg-info
