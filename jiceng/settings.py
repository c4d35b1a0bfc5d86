"""Django settings for jiceng: one module, driven only by JICENG_* environment variables.

The demo defaults are safe for a laptop: SQLite under var/, DEBUG off unless asked for, and
throw-away keys. Production (JICENG_ENV=production) refuses to start with a missing or demo
secret or encryption key, and says how to make one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("JICENG_VAR_DIR", PROJECT_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"JICENG_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


ENVIRONMENT = env("ENV", "demo")  # demo | production
PRODUCTION = ENVIRONMENT == "production"

# Keys. The demo ones are public, so production must refuse them.
DEMO_SECRET_KEY = "demo-secret-key-not-for-production-0000000000000000000000"
# 32 bytes, urlsafe base64; public demo value.
DEMO_FIELD_KEY = "ZGVtby1maWVsZC1rZXktbm90LWZvci1wcm9kdWN0aW8="
SECRET_KEY = env("SECRET_KEY", DEMO_SECRET_KEY)
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", DEMO_FIELD_KEY)

if PRODUCTION:
    _how = (
        'Generate one with: python -c "import secrets,base64;'
        'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'
    )
    if not SECRET_KEY or SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 40:
        raise ImproperlyConfigured(
            "JICENG_SECRET_KEY is missing or is the demo key; production needs its own (40+ characters). "
            + _how
        )
    if not FIELD_ENCRYPTION_KEY or FIELD_ENCRYPTION_KEY == DEMO_FIELD_KEY:
        raise ImproperlyConfigured(
            "JICENG_FIELD_ENCRYPTION_KEY is missing or is the demo key; production needs its own 32-byte key. "
            + _how
        )

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in (env("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver") or "").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "axes",
    "jiceng.core",
    "jiceng.accounts",
    "jiceng.areas",
    "jiceng.units",
    "jiceng.people",
    "jiceng.party",
    "jiceng.cases",
    "jiceng.notify",
    "jiceng.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiceng.accounts.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jiceng.urls"
WSGI_APPLICATION = "jiceng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiceng.web.context.navigation",
            ],
        },
    }
]

# Database: SQLite (WAL) under var/ by default; PostgreSQL through JICENG_DATABASE_URL.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jiceng.sqlite3'}") or "",
        conn_max_age=0 if "pytest" in sys.modules else 60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: the platform's statements are short, and compiling them cost more than running them
    # (the dashboard's rollup freshness check: 0.9-1.6 s with JIT, 1.6 ms without, at 21M cases;
    # docs/PERFORMANCE.md). JICENG_PG_JIT=on gives it back, e.g. for one-off analysis.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c jit={env('PG_JIT', 'off') or 'off'}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if "pytest" in sys.modules and not env_bool("STRONG_HASH_IN_TESTS"):
    # Argon2 on every test login would dominate the suite; tests of hashing opt back in.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "jiceng.accounts.passwords.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

# Lockout after repeated failures (MLPS level 3): 5 failures lock the account for 30 minutes.
AXES_FAILURE_LIMIT = int(env("LOCKOUT_FAILURES", "5") or 5)
AXES_COOLOFF_TIME = float(env("LOCKOUT_MINUTES", "30") or 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
# Lockout is per account on purpose: a whole community office behind one NAT address must not be
# locked out by one colleague's typos, and MLPS asks for the account to lock. Hence axes.W006 off.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

# Sessions: absolute timeout by cookie age, idle timeout by middleware.
SESSION_COOKIE_AGE = int(env("SESSION_ABSOLUTE_SECONDS", str(8 * 3600)) or 8 * 3600)
SESSION_IDLE_SECONDS = int(env("SESSION_IDLE_SECONDS", str(30 * 60)) or 30 * 60)
# Not saved (and so not renewed) on every request; jiceng.accounts.middleware also checks the sign-in
# time kept in the session, so the absolute limit holds even for a cookie that was renewed.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up when it is missing
# Front-end assets come from npm (package-lock.json); served straight from node_modules.
NODE_MODULES = Path(env("NODE_MODULES", str(PROJECT_DIR / "node_modules")) or "")
STATICFILES_DIRS = [
    (name, NODE_MODULES / path)
    for name, path in [("htmx", "htmx.org/dist"), ("leaflet", "leaflet/dist"), ("echarts", "echarts/dist")]
    if (NODE_MODULES / path).exists()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = int(env("MAX_IMPORT_ROWS", "50000") or 50000)
# Error reports (500 mails, debug page) mask anything shaped like a phone or ID number.
DEFAULT_EXCEPTION_REPORTER_FILTER = "jiceng.people.reporting.PersonalDataReporterFilter"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}
    }

# Logs carry no personal values: the people app never passes phone or ID numbers to a logger,
# and the filter below masks any 11-digit or 18-character ID-like run that slips through.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal": {"()": "jiceng.core.logging.MaskPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal"], "formatter": "plain"},
        "file": {
            "class": "logging.FileHandler",
            "filename": str(VAR_DIR / "jiceng.log"),
            "filters": ["mask_personal"],
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console", "file"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
DEMO_PASSWORD = env("DEMO_PASSWORD", "Jiceng@2026demo")
# Map base tiles are optional: empty means the map shows only our GeoJSON layers (works offline).
# Example: "https://tile.example.org/{z}/{x}/{y}.png" (GCJ-02 tiles are shifted; use WGS-84 tiles).
MAP_TILE_URL = env("MAP_TILE_URL", "") or ""
# The residents' channel (docs/RESIDENTS.md): the address residents' phones reach, which the QR
# posters encode (empty: the address of the request that printed them), and the report rate limits.
PUBLIC_URL = env("PUBLIC_URL", "") or ""
RESIDENT_REPORTS_PER_ADDRESS = int(env("RESIDENT_REPORTS_PER_ADDRESS", "20") or 20)
RESIDENT_REPORTS_PER_PHONE = int(env("RESIDENT_REPORTS_PER_PHONE", "5") or 5)

# Notices by email (Django's SMTP backend) and links in outside messages (notify/services.py).
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1") or "127.0.0.1"
EMAIL_PORT = int(env("EMAIL_PORT", "25") or 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "jiceng@localhost")
SITE_URL = env("SITE_URL", "") or ""
NOTIFY_ROBOT_TIMEOUT = float(env("NOTIFY_ROBOT_TIMEOUT", "5") or 5)
