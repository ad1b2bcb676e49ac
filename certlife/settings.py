"""certlife settings, read from the environment only (see README "Settings").

The embedded default needs nothing set: SQLite and a SQLite-backed Celery broker in
CERTLIFE_DATA_DIR, with a Django secret key and a secret-encryption key created there
on first start. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY,
CERTLIFE_SECRET_KEYS and CERTLIFE_HTTPS.
"""

import ipaddress
import json
import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from certlife.data_folder import create_files_owner_only, make_owner_only
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


def env_rate(name: str, *, default: str) -> str:
    """A request rate as DRF reads it: a number, a slash, second, minute, hour or day."""
    value = env.str(name, default=default).strip()
    if not re.fullmatch(r"\d+/(second|minute|hour|day|[smhd])", value):
        raise ImproperlyConfigured(f"{name}: expected e.g. 600/minute, got {value!r}")
    return value


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


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated networks in CIDR form (a bare address is one host); () if unset."""
    networks = []
    for item in env.str(name, default="").split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ImproperlyConfigured(
                    f"{name}: {item.strip()!r} is not a network in CIDR form, e.g. 127.0.0.0/8"
                ) from None
    return tuple(networks)


DATA_DIR = Path(env.str("CERTLIFE_DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
# Web, worker, beat and manage.py all load these settings before they write a file.
create_files_owner_only()

# What certlife keeps in the data folder, made owner-only (files 0600, folders 0700) at
# every start, also when an older version or a copy left it looser (certlife.data_folder).
make_owner_only(
    DATA_DIR,
    [
        "certlife.sqlite3*",  # with its -wal and -shm files
        "celery-broker.sqlite3*",
        "celerybeat-schedule*",  # dbm may add a suffix
        "django-secret-key",
        "secret-keys",
        "outbox",
        "collected-static",
        "cache",
    ],
)

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

# Behind a reverse proxy: trust its X-Forwarded-Proto (with CERTLIFE_HTTPS) and the
# client address it appends to X-Forwarded-For (throttling).
CERTLIFE_BEHIND_PROXY = env_bool("CERTLIFE_BEHIND_PROXY", default=False)

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
    if CERTLIFE_BEHIND_PROXY:
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
    "axes",
    "drf_spectacular",
    "certlife",
    "accounts",
    "acme_orders",
    "dns_providers",
    "agents",
    "alerts",
]

MIDDLEWARE = [
    "acme_orders.middleware.AcmeChallengeResponderMiddleware",  # first: any Host (module doc)
    "certlife.middleware.RequestSizeLimitMiddleware",
    "certlife.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "certlife.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "certlife.audit.AuditSourceMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Request limits: the largest legitimate body (100 names, an imported 4096-bit key and
# an account key) is well under 256 KiB. A larger body is refused from its
# Content-Length before it is read (certlife.middleware.RequestSizeLimitMiddleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("CERTLIFE_MAX_REQUEST_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500

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
# Connections kept between requests and tasks (a new one per task cost a connect and
# log-in each step), checked before reuse after an idle spell.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Throttling (certlife.throttling): failed log-ins lock the user name and, separately,
# the client address (the login page and the admin's, django-axes; attempts are kept in
# the database); bad API tokens lock the address alike; API calls are rate-limited per
# user. Counts other than the log-in attempts live in the cache shared by every process.
CERTLIFE_LOGIN_FAILURE_LIMIT = env_int("CERTLIFE_LOGIN_FAILURE_LIMIT", default=5)
CERTLIFE_LOGIN_LOCKOUT = timedelta(minutes=env_int("CERTLIFE_LOGIN_LOCKOUT_MINUTES", default=15))
CERTLIFE_API_RATE = env_rate("CERTLIFE_API_RATE", default="600/minute")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = CERTLIFE_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = CERTLIFE_LOGIN_LOCKOUT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "certlife.throttling.client_address"
AXES_LOCKOUT_CALLABLE = "certlife.throttling.login_locked_out"
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{DATA_DIR / 'cache'}")}

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


def env_positive_numbers(name: str, *, default: str, whole: bool) -> tuple[float, ...]:
    """Comma-separated positive numbers (whole ones if `whole`), largest first."""
    numbers = []
    for item in env.str(name, default=default).split(","):
        try:
            number = int(item) if whole else float(item)
        except ValueError:
            number = 0
        if not number > 0 or (not whole and number >= 1):
            rule = "whole numbers of days, e.g. 15,7,1" if whole else "fractions, e.g. 0.3"
            raise ImproperlyConfigured(f"{name}: expected {rule}, got {item.strip()!r}")
        numbers.append(number)
    return tuple(sorted(set(numbers), reverse=True))


# Alerts (spec N4, N7; alerts/). Expiry alerts go out this many days before expiry, once
# per certificate version and threshold; certificates that live under 10 days are alerted
# when this fraction of their lifetime is left instead. Extra recipients get every alert.
CERTLIFE_EXPIRY_ALERT_DAYS = env_positive_numbers(
    "CERTLIFE_EXPIRY_ALERT_DAYS", default="15", whole=True
)
CERTLIFE_EXPIRY_ALERT_LIFETIME_FRACTIONS = env_positive_numbers(
    "CERTLIFE_EXPIRY_ALERT_LIFETIME_FRACTIONS", default="0.3", whole=False
)
CERTLIFE_ALERT_RECIPIENTS = env.list("CERTLIFE_ALERT_RECIPIENTS", default=[])

# Outbound proxy for every call to a CA or a DNS provider API (spec A8). `requests`
# also reads HTTPS_PROXY and REQUESTS_CA_BUNDLE from the environment by itself.
CERTLIFE_HTTPS_PROXY = env.str("HTTPS_PROXY", default="") or env.str("https_proxy", default="")
REQUESTS_CA_BUNDLE = env.str("REQUESTS_CA_BUNDLE", default="")
if REQUESTS_CA_BUNDLE and not Path(REQUESTS_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"REQUESTS_CA_BUNDLE: no such file: {REQUESTS_CA_BUNDLE}")

# Networks that certlife may connect to although they are not public (certlife.outbound),
# e.g. 127.0.0.0/8 for a step-ca on this machine. Empty: public addresses only.
CERTLIFE_ALLOWED_PRIVATE_NETWORKS = env_networks("CERTLIFE_ALLOWED_PRIVATE_NETWORKS")

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
# certlife's address as users and pull agents reach it (https://...): alerts link to it
# and the agent package carries it. Empty: alerts link to http://localhost:8000 and the
# package takes the address its download request came to.
CERTLIFE_BASE_URL = env.str("CERTLIFE_BASE_URL", default="").rstrip("/")
# How long a worker holds a certificate request while it runs one step; a worker that
# dies frees the request after this, and the stalled-request sweep resumes it.
CERTLIFE_REQUEST_LEASE_SECONDS = env_int("CERTLIFE_REQUEST_LEASE_SECONDS", default=90)

# Automatic renewal (spec N3) where the CA offers no ARI window: at two thirds of the
# lifetime (one half under 10 days) unless one of these says otherwise; either is
# bounded so a short certificate never expires first. 0 = unset.
CERTLIFE_RENEW_AFTER_DAYS = env_int("CERTLIFE_RENEW_AFTER_DAYS", default=0)
CERTLIFE_RENEW_AT_FRACTION = env.float("CERTLIFE_RENEW_AT_FRACTION", default=0.0)
if not 0 <= CERTLIFE_RENEW_AT_FRACTION < 1 or CERTLIFE_RENEW_AFTER_DAYS < 0:
    raise ImproperlyConfigured(
        "CERTLIFE_RENEW_AT_FRACTION: expected a fraction between 0 and 1 (e.g. 0.8); "
        "CERTLIFE_RENEW_AFTER_DAYS: expected a number of days (e.g. 75)"
    )

# Celery: an embedded SQLite broker by default, Redis (or any broker URL) in production.
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}"
)
# How often the embedded (sqla+) broker is polled when its queue is empty (certlife.broker).
CERTLIFE_BROKER_POLLING_INTERVAL = env.float("CERTLIFE_BROKER_POLLING_INTERVAL", default=0.05)
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
        "certlife.throttling.ThrottledTokenAuthentication",
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
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": CERTLIFE_API_RATE, "anon": CERTLIFE_API_RATE},
    # DRF takes the client address from X-Forwarded-For unless told how many proxies
    # to trust; the same rule as certlife.throttling.client_address.
    "NUM_PROXIES": 1 if CERTLIFE_BEHIND_PROXY else 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "certlife API",
    "DESCRIPTION": "Certificate lifecycle management over ACME (spec section API).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "ChallengeTypeEnum": "acme_orders.choices.ChallengeType",
        "RevocationReasonEnum": "acme_orders.choices.RevocationReason",
    },
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
        # Django's own console handler (DEBUG only) would print request tracebacks
        # unredacted; "django" records go to the root handler instead.
        "django": {"handlers": [], "propagate": True},
        # The acme library logs whole request bodies at DEBUG (CSRs, EAB MACs).
        "acme": {"level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL},
    },
}
