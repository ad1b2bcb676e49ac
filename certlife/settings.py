"""certlife settings, read from the environment only (see README "Settings").

The embedded default needs nothing set: SQLite and a SQLite-backed Celery broker in
CERTLIFE_DATA_DIR, with a Django secret key and a secret-encryption key created there
on first start. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY,
CERTLIFE_SECRET_KEYS and CERTLIFE_HTTPS.
"""

import json
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from certlife.local_keys import load_or_create_key_file

BASE_DIR = Path(__file__).resolve().parent.parent

# FileAwareEnv: every variable may also be given as NAME_FILE (a path), for secrets.
env = environ.FileAwareEnv()

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    value = env.str(name, default=str(default)).strip().lower()
    if value not in TRUE_WORDS | FALSE_WORDS:
        raise ImproperlyConfigured(f"{name}: expected true or false, got {value!r}")
    return value in TRUE_WORDS


def env_int(name: str, *, default: int) -> int:
    value = env.str(name, default=str(default)).strip()
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {value!r}") from None


def env_url_map(name: str) -> dict[str, str]:
    """A JSON object of names to URLs, e.g. {"cloudflare": "https://..."}; {} if unset."""
    value = env.str(name, default="").strip()
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(
        isinstance(key, str) and isinstance(url, str) for key, url in parsed.items()
    ):
        raise ImproperlyConfigured(f"{name}: expected a JSON object of names to URLs")
    return parsed


DATA_DIR = Path(env.str("CERTLIFE_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or load_or_create_key_file(
    DATA_DIR / "django-secret-key", kind="django"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Secret encryption keys: the first encrypts, all decrypt (certlife.encryption).
CERTLIFE_SECRET_KEYS = env.list("CERTLIFE_SECRET_KEYS", default=[]) or [
    load_or_create_key_file(DATA_DIR / "secret-keys", kind="fernet")
]

# Served behind TLS: secure cookies, HSTS, HTTPS redirect (`check --deploy` is clean).
CERTLIFE_HTTPS = env_bool("CERTLIFE_HTTPS", default=False)
if CERTLIFE_HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # The CA fetches HTTP-01 tokens over plain HTTP on port 80.
    SECURE_REDIRECT_EXEMPT = [r"^\.well-known/acme-challenge/"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if env_bool("CERTLIFE_BEHIND_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=8 * 3600)
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "certlife",
    "accounts",
    "acme_orders",
    "dns_providers",
    "agents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "certlife.middleware.RefuseNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "certlife.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "certlife.audit.AuditSourceMiddleware",
]

ROOT_URLCONF = "certlife.urls"
WSGI_APPLICATION = "certlife.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

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
                "certlife.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'certlife.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: WAL and immediate
    # transactions keep them from failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so a Celery worker started by the tests sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-certlife.sqlite3")}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "collected-static"
STATIC_ROOT.mkdir(exist_ok=True)
# Served by WhiteNoise from the app folders directly: no collectstatic step, no CDN.
WHITENOISE_USE_FINDERS = True

# Email (SMTP). Without EMAIL_HOST, mail is written to files in DATA_DIR/outbox.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", default=30)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="certlife@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Outbound proxy for every call to a CA or a DNS provider API (spec A8). `requests`
# also reads HTTPS_PROXY and REQUESTS_CA_BUNDLE from the environment by itself.
CERTLIFE_HTTPS_PROXY = env.str("HTTPS_PROXY", default="") or env.str("https_proxy", default="")
REQUESTS_CA_BUNDLE = env.str("REQUESTS_CA_BUNDLE", default="")
if REQUESTS_CA_BUNDLE and not Path(REQUESTS_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"REQUESTS_CA_BUNDLE: no such file: {REQUESTS_CA_BUNDLE}")

# Our own DNS look-ups (pre-flight checks, propagation): "host:port" of a recursive
# resolver, or empty for the system's. Authoritative servers are asked on port
# CERTLIFE_DNS_AUTHORITATIVE_PORT (53; tests point both at a local BIND).
CERTLIFE_DNS_RESOLVER = env.str("CERTLIFE_DNS_RESOLVER", default="")
CERTLIFE_DNS_AUTHORITATIVE_PORT = env_int("CERTLIFE_DNS_AUTHORITATIVE_PORT", default=53)
# How long a DNS-01 request waits for its TXT records to be served by every
# authoritative nameserver before it fails (spec V9).
CERTLIFE_DNS_PROPAGATION_TIMEOUT_SECONDS = env_int(
    "CERTLIFE_DNS_PROPAGATION_TIMEOUT_SECONDS", default=600
)
# Other base URLs for DNS provider APIs, by key (cloudflare, godaddy, cloudns, route53,
# sts, azure_authority, azure_management): sovereign clouds, or the tests' fakes.
CERTLIFE_DNS_API_ENDPOINTS = env_url_map("CERTLIFE_DNS_API_ENDPOINTS")
# The port the CA fetches HTTP-01 tokens from (always 80 in production).
CERTLIFE_HTTP01_PORT = env_int("CERTLIFE_HTTP01_PORT", default=80)
# How long a worker holds a certificate request while it runs one step; a worker that
# dies frees the request after this, and the stalled-request sweep resumes it.
CERTLIFE_REQUEST_LEASE_SECONDS = env_int("CERTLIFE_REQUEST_LEASE_SECONDS", default=90)

# Celery: an embedded SQLite broker by default, Redis (or any broker URL) in production.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}"
)
CELERY_TASK_DEFAULT_QUEUE = env.str("CERTLIFE_CELERY_QUEUE", default="certlife")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["certlife.api.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "certlife.api.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "certlife.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
    "EXCEPTION_HANDLER": "certlife.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "certlife API",
    "DESCRIPTION": "Certificate lifecycle management over ACME (spec section API).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {"ChallengeTypeEnum": "acme_orders.choices.ChallengeType"},
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "certlife.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # The acme library logs whole request bodies at DEBUG (CSRs, EAB MACs).
        "acme": {"level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL},
    },
}
