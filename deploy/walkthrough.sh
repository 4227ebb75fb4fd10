#!/usr/bin/env bash
# docs/deploy.md followed on a machine without systemd (the project's VM), everything under one folder:
# a fresh PostgreSQL cluster, the environment file, migrate, collectstatic, check --deploy, the first admin
# and offices, gunicorn with deploy/gunicorn.conf.py, nginx with deploy/nginx/sicollect.conf on loopback
# (self-signed TLS), the four jobs run as their timers would, and the timers' calendars. Stops it all on exit.
#
#   bash deploy/walkthrough.sh [WORKDIR]      (root: PostgreSQL runs as the postgres user; needs nginx, openssl)
#
# Equivalents (no systemd here): /etc/sicollect/sicollect.env → $W/sicollect.env; /var/lib/sicollect → $W/var;
# `systemctl start sicollect` → gunicorn started in the background with the unit's command line;
# `systemctl list-timers` → `systemd-analyze calendar` of each timer's OnCalendar and the job run by hand
# with the unit's command line; ports 80/443 → free loopback ports.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$(mktemp -d /tmp/sicollect-deploy.XXXXXX)}
mkdir -p "$W"; chmod 755 "$W"
VENV=${VENV:-$ROOT/.venv}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port); APPPORT=$(free_port); HTTPPORT=$(free_port); HTTPSPORT=$(free_port)
step() { printf '\n== %s\n' "$*"; }
cleanup() {
  [ -f "$W/gunicorn.pid" ] && kill "$(cat "$W/gunicorn.pid")" 2>/dev/null || true
  [ -f "$W/nginx/nginx.pid" ] && nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -s stop 2>/dev/null || true
  su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $W/pg -m fast stop" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "2. PostgreSQL: a fresh cluster (Debian's package does this at install), role and database"
install -d -o postgres "$W/pg"
su postgres -s /bin/sh -c "$PGBIN/initdb -D $W/pg --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8" >/dev/null
su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $W/pg -l $W/pg/log -o '-p $PGPORT -k $W/pg -c listen_addresses=127.0.0.1' -w start" >/dev/null
DBPASS=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
su postgres -s /bin/sh -c "$PGBIN/psql -h $W/pg -p $PGPORT -q -c \"CREATE ROLE sicollect LOGIN PASSWORD '$DBPASS'\""
su postgres -s /bin/sh -c "$PGBIN/createdb -h $W/pg -p $PGPORT --owner sicollect --encoding UTF8 --locale C.UTF-8 --template template0 sicollect"
echo "cluster on 127.0.0.1:$PGPORT, role sicollect, database sicollect"

step "3. secret key, hosts: the environment file"
sed -e "s|^SICOLLECT_SECRET_KEY=.*|SICOLLECT_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(60))')|" \
    -e "s|^SICOLLECT_ALLOWED_HOSTS=.*|SICOLLECT_ALLOWED_HOSTS=localhost,127.0.0.1|" \
    -e "s|^DATABASE_URL=.*|DATABASE_URL=postgres://sicollect:$DBPASS@127.0.0.1:$PGPORT/sicollect|" \
    -e "s|/var/lib/sicollect|$W/var|g; s|/var/backups/sicollect|$W/backups|" \
    "$ROOT/deploy/sicollect.env.example" > "$W/sicollect.env"
echo "SICOLLECT_BIND=127.0.0.1:$APPPORT" >> "$W/sicollect.env"
echo "SICOLLECT_WORKERS=3" >> "$W/sicollect.env"
chmod 640 "$W/sicollect.env"
mkdir -p "$W/var/bankdrop" "$W/backups"
set -a; . "$W/sicollect.env"; set +a
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
sic() { "$VENV/bin/python" -m sicollect.cli "$@"; }

step "4. migrate, collectstatic, check --deploy"
t0=$(date +%s); sic migrate -v0; echo "migrate: $(( $(date +%s) - t0 )) s"
t0=$(date +%s); sic collectstatic --noinput -v0; echo "collectstatic: $(( $(date +%s) - t0 )) s, $(find "$W/var/static" -type f | wc -l) files"
sic check --deploy

step "5. first admin and offices"
ADMINPASS=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')
DJANGO_SUPERUSER_PASSWORD=$ADMINPASS sic createsuperuser --noinput --username admin --email it@example.invalid
mkdir -p "$W/setup"
printf 'office_code,name,parent_code\nZZ,BHXH tỉnh Thử nghiệm,\nZZ1,BHXH huyện Thử nghiệm 1,ZZ\nZZ2,BHXH huyện Thử nghiệm 2,ZZ\n' > "$W/setup/offices.csv"
sic import "$W/setup"
# data to serve: the small demo province beside them (a real office imports units, persons, … the same way)
t0=$(date +%s); sic demo --scale small >/dev/null; echo "demo (small): $(( $(date +%s) - t0 )) s"

step "6. the app (gunicorn, as sicollect.service runs it) and nginx in front (TLS on loopback)"
(cd "$ROOT" && "$VENV/bin/python" -m gunicorn -c "$ROOT/deploy/gunicorn.conf.py" --pid "$W/gunicorn.pid" \
   >"$W/gunicorn.log" 2>&1 &)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$APPPORT/health/" >/dev/null 2>&1 && break; sleep 0.2; done
curl -s "http://127.0.0.1:$APPPORT/health/"; echo
mkdir -p "$W/nginx/ssl" "$W/nginx/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -keyout "$W/nginx/ssl/privkey.pem" -out "$W/nginx/ssl/fullchain.pem" 2>/dev/null
sed -e "s|server 127.0.0.1:8000|server 127.0.0.1:$APPPORT|; s|sicollect.example.gov.vn|localhost|g" \
    -e "s|listen 80;|listen 127.0.0.1:$HTTPPORT;|; s|listen 443 ssl http2;|listen 127.0.0.1:$HTTPSPORT ssl http2;|" \
    -e "/listen \[::\]/d; s|/etc/ssl/sicollect|$W/nginx/ssl|; s|/var/log/nginx|$W/nginx/logs|" \
    "$ROOT/deploy/nginx/sicollect.conf" > "$W/nginx/sicollect.conf"
cat > "$W/nginx/nginx.conf" <<EOF
pid $W/nginx/nginx.pid;
error_log $W/nginx/logs/error.log;
worker_processes 1;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log $W/nginx/logs/access.log;
  client_body_temp_path $W/nginx/tmp; proxy_temp_path $W/nginx/tmp;
  include $W/nginx/sicollect.conf;
}
EOF
mkdir -p "$W/nginx/tmp"
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" -t 2>&1 | tail -1
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf"
H="https://localhost:$HTTPSPORT"
echo "http://localhost:$HTTPPORT/login/   → $(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$HTTPPORT/login/")"
echo "http://localhost:$HTTPPORT/health/  → $(curl -s "http://localhost:$HTTPPORT/health/")"
echo "$H/login/ →"; curl -sk -D - -o /dev/null "$H/login/" | grep -iE '^(HTTP|strict-transport|content-security|x-frame|x-content-type|referrer-policy|set-cookie)'
echo "$H/static/web/app.css → $(curl -sk -H 'Accept-Encoding: gzip' -o /dev/null -w '%{http_code} %{content_type} %{size_download} bytes' -D "$W/h" "$H/static/web/app.css"), $(grep -i '^content-encoding' "$W/h" | tr -d '\r')"
# log in through nginx and load the dashboard and a PDF
JAR=$W/cookies; rm -f "$JAR"
TOKEN=$(curl -sk -c "$JAR" "$H/login/" | sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' | head -1)
echo "login → $(curl -sk -b "$JAR" -c "$JAR" -e "$H/login/" -o /dev/null -w '%{http_code} %{redirect_url}' \
  --data-urlencode "csrfmiddlewaretoken=$TOKEN" --data-urlencode username=admin --data-urlencode "password=$ADMINPASS" "$H/login/")"
for p in / /worklist/ /units/ /arrears/ /plans/ /audit/ /admin/; do
  echo "$p → $(curl -sk -b "$JAR" -o /dev/null -w '%{http_code} %{time_total}s' "$H$p")"
done
echo "/kpi.pdf → $(curl -sk -b "$JAR" -o "$W/kpi.pdf" -w '%{http_code} %{content_type}' "$H/kpi.pdf?as_of=2025-12-31") $(head -c 5 "$W/kpi.pdf")"
head -c $((26 * 1024 * 1024)) /dev/zero > "$W/big"
echo "26 MB upload → $(curl -sk -b "$JAR" -o /dev/null -w '%{http_code}' -F "file=@$W/big" "$H/suspense/") (nginx client_max_body_size 25m)"

step "7. the jobs, as their timers run them (sicollect-job@NAME.service: sicollect job NAME)"
for t in backup close bankdrop arrears; do
  printf '%-9s %s\n' "$t" "$(grep '^OnCalendar' "$ROOT/deploy/systemd/sicollect-$t.timer")"
  systemd-analyze calendar "$(sed -n 's/^OnCalendar=//p' "$ROOT/deploy/systemd/sicollect-$t.timer")" 2>/dev/null | grep -E 'Next elapse' || true
done
sic job backup || true
sic job close || true
sic job close || true     # the next day's timer: nothing to do
(cd "$ROOT" && "$VENV/bin/python" -c 'import sys; from tests.exchange.helpers import camt053
open(sys.argv[1], "w").write(camt053("VCB-20251201", "1234567890123", [{"ref": "E1", "amount": 450000,
  "booked": "2025-12-01", "message": "BHXH T11/2025", "name": "CONG TY TNHH A"}]))' "$W/var/bankdrop/vcb-20251201.xml")
echo "not a statement" > "$W/var/bankdrop/garbage.txt"
sic job bankdrop || true
ls "$W/var/bankdrop/done" "$W/var/bankdrop/failed" 2>/dev/null || true
sic job arrears || true
curl -s "http://127.0.0.1:$APPPORT/health/"; echo
echo "failed-jobs card on the dashboard: $(curl -sk -b "$JAR" "$H/" | grep -c 'id="failed-jobs"')"

step "8. upgrade: backup → migrate → restart"
sic job backup
sic migrate -v1 | tail -1
kill -HUP "$(cat "$W/gunicorn.pid")"   # = systemctl reload sicollect (graceful restart of the workers)
sleep 2
curl -s "http://127.0.0.1:$APPPORT/health/" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("health after restart:", d["status"], {k: v["ok"] for k, v in d["checks"].items()})'
echo; echo "gunicorn's log (first JSON lines):"; grep '^{' "$W/gunicorn.log" | head -3
echo "done: $W"
