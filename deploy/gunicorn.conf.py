"""gunicorn settings for sicollect (``gunicorn -c deploy/gunicorn.conf.py``); docs/deploy.md.

Every value can be overridden from the environment (the systemd unit reads /etc/sicollect/sicollect.env):
SICOLLECT_BIND, SICOLLECT_WORKERS, SICOLLECT_THREADS, SICOLLECT_TIMEOUT, SICOLLECT_ACCESS_LOG.
"""
import multiprocessing
import os

wsgi_app = "sicollect.wsgi:application"
bind = os.environ.get("SICOLLECT_BIND", "127.0.0.1:8000")  # nginx in front; never exposed directly
# Workers from the cores: (2 × cores) + 1, the usual start for a mostly-waiting (database) Django app.
# Each is a Python process of ~100–150 MiB; SICOLLECT_WORKERS overrides.
workers = int(os.environ.get("SICOLLECT_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("SICOLLECT_THREADS", "1"))
# The statement and notice PDFs and the xlsx exports take seconds on a province; 120 s before a worker
# stuck on one is killed and replaced (nginx waits as long: proxy_read_timeout in deploy/nginx).
timeout = int(os.environ.get("SICOLLECT_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after ~1,000 requests (jittered), so no slow leak grows for weeks.
max_requests = 1000
max_requests_jitter = 100
# nginx on the same machine sets X-Forwarded-For/-Proto; only trust it from there.
forwarded_allow_ips = "127.0.0.1,::1"
# Access log on stderr (the journal), one JSON line a request through sicollect.ops.logs.JsonLines,
# which masks national IDs and phone numbers in the whole line (paths, referers included); SICOLLECT_ACCESS_LOG=- keeps it, "" turns it off.
accesslog = os.environ.get("SICOLLECT_ACCESS_LOG", "-") or None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "sicollect.ops.logs.JsonLines"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                            "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
# The request line and timing in the access record's atoms (D: microseconds); JsonLines picks them out.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)s'
proc_name = "sicollect"
