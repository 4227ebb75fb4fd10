"""One settings module, driven by the environment.

SQLite file by default (nothing to start); ``DATABASE_URL=postgres://…`` switches
to PostgreSQL, the production engine.
"""
from __future__ import annotations

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("SICOLLECT_VAR", Path.cwd() / "var"))

DEBUG = os.environ.get("SICOLLECT_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("SICOLLECT_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SICOLLECT_SECRET_KEY must be set when SICOLLECT_DEBUG=0")
    SECRET_KEY = "insecure-development-key-not-for-production"  # noqa: S105 (dev only)
ALLOWED_HOSTS = [h for h in os.environ.get("SICOLLECT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "sicollect.web.admin_apps.AuditedAdminConfig",  # django.contrib.admin, its edits in the audit trail
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sicollect.core",
    "sicollect.registry",
    "sicollect.rules",
    "sicollect.staff",  # staff profiles, roles and what each may see (staff.policy)
    "sicollect.contributions",
    "sicollect.plans",
    "sicollect.close",
    "sicollect.reports",
    "sicollect.exchange",
    "sicollect.coverage",
    "sicollect.arrears",
    "sicollect.api",
    "ninja",  # Swagger UI served from the package, not a CDN
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "sicollect.demo",
    "sicollect.web",
    "sicollect.ops",  # scheduled jobs (`sicollect job …`), /health/, JSON-lines logs (docs/deploy.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sicollect.web.middleware.RefuseNulMiddleware",  # NUL in path, query or body: 400 before any view
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files from the app server, DEBUG or not
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sicollect.web.middleware.VietnameseFirstMiddleware",  # the browser's language does not override vi
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the session passed the code
    "django.contrib.messages.middleware.MessageMiddleware",
    "sicollect.web.otp.ManagerOTPMiddleware",  # a user with a device reaches pages only once verified
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns locked-out logins into a clear page
]

# --- login and browser hardening -----------------------------------------------------------------
# Failed logins: 5 for one username from one address lock that pair out for 15 minutes (django-axes).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("SICOLLECT_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "sicollect.ops.proxy.client_ip"  # the client's address behind nginx (deploy/)
# Content-Security-Policy (django-csp): scripts only from our own static files, no inline handlers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],  # style attributes for chart sizes
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Second factor (django-otp, TOTP): managers may enrol an authenticator app (/account/otp/); once they
# have, every login asks for its code. SICOLLECT_OTP_REQUIRED_FOR_MANAGERS=1 makes it mandatory for them.
SICOLLECT_OTP_REQUIRED_FOR_MANAGERS = os.environ.get("SICOLLECT_OTP_REQUIRED_FOR_MANAGERS", "0") == "1"
OTP_TOTP_ISSUER = os.environ.get("SICOLLECT_OTP_ISSUER", "sicollect")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:  # production: HTTPS only (behind a proxy that sets X-Forwarded-Proto)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SICOLLECT_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # a monitor on the server itself asks over plain HTTP
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

ROOT_URLCONF = "sicollect.urls"
WSGI_APPLICATION = "sicollect.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sicollect.web.otp.context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sicollect.sqlite3'}",
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Imports and the close write in bulk; wait for a lock rather than fail at once. WAL: readers (the web
    # app) never wait for a writer; writers take turns through core.locks.writer_lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=30, init_command="PRAGMA journal_mode=WAL;")
    # A transaction takes the write lock when it begins, not at its first write: a writer that reads
    # before it writes (posting reads the ledger, then appends its differences) cannot be overtaken by
    # another one between the two, and waits for it instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves STATIC_ROOT (filled by `sicollect collectstatic`, with gzip copies: ops/static.py)
# from the app itself, so pages look the same with SICOLLECT_DEBUG=0 behind any proxy (docs/deploy.md).
# (Before `collectstatic` has run, e.g. in the tests, WhiteNoise finds no STATIC_ROOT: not worth a warning.)
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "sicollect.ops.static.GzipStaticFilesStorage"},
}
# uploaded files (arrears case attachments); served only through views that check the office scope
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# API rate limit per token (django-ninja throttling): N/s, N/min, N/h or N/d.
SICOLLECT_API_RATE = os.environ.get("SICOLLECT_API_RATE", "600/min")

# Caches. "default": per process (figures of the dashboard, recomputed when missing). "shared": Django's
# database cache in the table sicollect_cache (created by the migration api/0002), the same for every
# server process: the API rate limit counts there, so N processes still allow SICOLLECT_API_RATE in all.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sicollect_cache",
               "OPTIONS": {"MAX_ENTRIES": 100_000}},
}

# No personal data in logs: every handler masks national IDs and phone numbers (core.privacy).
# SICOLLECT_LOG_FORMAT=json (the default with SICOLLECT_DEBUG=0): one JSON object a line (ops.logs),
# masked as a whole; text: Django's plain lines.
LOG_FORMAT = os.environ.get("SICOLLECT_LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "sicollect.core.privacy.MaskPersonalData"}},
    "formatters": {"json": {"()": "sicollect.ops.logs.JsonLines"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"],
                             **({"formatter": "json"} if LOG_FORMAT == "json" else {})}},
    "root": {"handlers": ["console"], "level": os.environ.get("SICOLLECT_LOG_LEVEL", "WARNING")},
    # Django's default config gives the "django" logger its own console handler, and its records also
    # reach the root's: each line (e.g. runserver's "Watching for file changes") was printed twice. The
    # root's handler alone prints them, through the masking filter.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# Notices by e-mail, SMS and Zalo (arrears.delivery). By default nothing leaves the machine: the mail is
# written as files into SICOLLECT_VAR/mail (SICOLLECT_EMAIL_BACKEND=console prints it instead), SMS and
# Zalo ZNS are written as the providers' bulk-upload files into SICOLLECT_VAR/outbox. Production sets
# SICOLLECT_EMAIL_HOST (then SMTP) and the others below (docs/deploy.md).
_EMAIL_BACKENDS = {"file": "filebased", "console": "console", "smtp": "smtp", "locmem": "locmem"}
EMAIL_BACKEND = "django.core.mail.backends.{}.EmailBackend".format(_EMAIL_BACKENDS.get(
    os.environ.get("SICOLLECT_EMAIL_BACKEND", "smtp" if os.environ.get("SICOLLECT_EMAIL_HOST") else "file"),
    "filebased"))
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = os.environ.get("SICOLLECT_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("SICOLLECT_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("SICOLLECT_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SICOLLECT_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("SICOLLECT_EMAIL_TLS", "1") == "1" and os.environ.get("SICOLLECT_EMAIL_SSL") != "1"
EMAIL_USE_SSL = os.environ.get("SICOLLECT_EMAIL_SSL", "0") == "1"
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("SICOLLECT_EMAIL_FROM", "BHXH <thongbao@localhost>")
SICOLLECT_OUTBOX = Path(os.environ.get("SICOLLECT_OUTBOX", VAR_DIR / "outbox"))
SICOLLECT_SMS_BRANDNAME = os.environ.get("SICOLLECT_SMS_BRANDNAME", "BHXH")
SICOLLECT_ZALO_TEMPLATE_ID = os.environ.get("SICOLLECT_ZALO_TEMPLATE_ID", "")
