"""Django settings for Yishi.

Every setting an operator may change is read from an environment variable; the README lists them.
Nothing here needs editing to deploy.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


VAR_DIR = Path(env("YISHI_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """YISHI_SECRET_KEY, else a key kept in var/secret_key so sessions survive restarts."""
    key = env("YISHI_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("YISHI_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in env("YISHI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("YISHI_CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "ninja",
    "core",
    "org",
    "plans",
    "ledger",
    "risks",
    "risks.meetings",
    "opinion",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.AuditContextMiddleware",
    "core.middleware.SessionPolicyMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "yishi.urls"
WSGI_APPLICATION = "yishi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.shell",
            ],
            "builtins": ["core.templatetags.url_memo"],
        },
    },
]

# Widgets rendered in Python (same HTML as Django's templates, a fraction of the time): core/renderers.py
FORM_RENDERER = "core.renderers.FastRenderer"

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'yishi.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("YISHI_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Connections are kept between requests as on PostgreSQL (YISHI_DB_CONN_MAX_AGE): opening one
    # costs its PRAGMAs and Django's function registrations, ~2.5 ms of a request's CPU.
    # WAL lets readers run beside the one writer; IMMEDIATE transactions take the write lock up
    # front so two writers queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "core.passwords.CharacterClassValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("YISHI_FAST_PASSWORD_HASHER"):
    # Tests and benchmarks log in thousands of times; PBKDF2's deliberate slowness would dominate.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
YISHI_LOCKOUT_ATTEMPTS = env_int("YISHI_LOCKOUT_ATTEMPTS", 5)
YISHI_LOCKOUT_MINUTES = env_int("YISHI_LOCKOUT_MINUTES", 15)
# Idle sessions end after this many seconds; every request renews the clock.
SESSION_COOKIE_AGE = env_int("YISHI_SESSION_IDLE_SECONDS", 2 * 3600)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
YISHI_SESSION_RENEW_SECONDS = 60

# --- Security -------------------------------------------------------------------------------------
YISHI_HTTPS = env_bool("YISHI_HTTPS", False)
SESSION_COOKIE_SECURE = YISHI_HTTPS
CSRF_COOKIE_SECURE = YISHI_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "core.views.errors.csrf_failure"
if YISHI_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("YISHI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("YISHI_HSTS_SECONDS", 31536000)
YISHI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)

# --- Uploads --------------------------------------------------------------------------------------
MEDIA_ROOT = Path(env("YISHI_MEDIA_ROOT", str(VAR_DIR / "media")))
YISHI_UPLOAD_MAX_BYTES = env_int("YISHI_UPLOAD_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = YISHI_UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- I18N -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Tabler, ECharts and htmx come from the npm registry (package.json) into node_modules at setup.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/tabler", NODE_MODULES / "@tabler" / "core" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Background work ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL") or "redis://127.0.0.1:6379/0"
YISHI_TASK_BACKEND = env("YISHI_TASK_BACKEND", "database")
TASK_QUEUES = ["default", "notifications"]
if YISHI_TASK_BACKEND == "redis":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
elif YISHI_TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": TASK_QUEUES}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in TASK_QUEUES}

# --- Cache ----------------------------------------------------------------------------------------
# Per-process memory by default; set YISHI_CACHE_URL (e.g. redis://127.0.0.1:6379/1) to share one
# cache between web processes and machines.
YISHI_CACHE_URL = env("YISHI_CACHE_URL")
if YISHI_CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": YISHI_CACHE_URL}}
else:
    # Room for the reused pages of a few hundred active users (core.caching; a list page's fragments
    # are ~10–40 KB); past it the oldest third is dropped, which costs a recompute, never a stale page.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "yishi",
                          "OPTIONS": {"MAX_ENTRIES": 3000}}}
# How long the leader overview's figures may be reused (seconds); writes to tasks refresh them sooner
# in the process that made them.
YISHI_OVERVIEW_CACHE_SECONDS = env_int("YISHI_OVERVIEW_CACHE_SECONDS", 60)

# --- E-mail ---------------------------------------------------------------------------------------
EMAIL_HOST = env("YISHI_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("YISHI_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("YISHI_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("YISHI_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("YISHI_EMAIL_TLS", False)
EMAIL_USE_SSL = env_bool("YISHI_EMAIL_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("YISHI_EMAIL_FROM", "yishi@localhost")
EMAIL_BACKEND = env("YISHI_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# --- Notifications --------------------------------------------------------------------------------
YISHI_NOTIFY_MAX_ATTEMPTS = env_int("YISHI_NOTIFY_MAX_ATTEMPTS", 4)
YISHI_NOTIFY_RETRY_SECONDS = env_int("YISHI_NOTIFY_RETRY_SECONDS", 30)
YISHI_SITE_URL = env("YISHI_SITE_URL", "http://127.0.0.1:8000")

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("YISHI_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Every task start/finish is logged at INFO; the heartbeat alone would fill the console.
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
