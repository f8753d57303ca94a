"""Settings for the recommendation tracker, read from the environment only.

Local defaults need no servers (SQLite, Celery's filesystem broker and e-mails as files under var/).
Production sets DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and SITE_URL.
Every variable is listed in docs/configuration.md.
"""

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TRACKER_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def local_secret_key() -> str:
    """A random key kept under var/ for local use; production sets DJANGO_SECRET_KEY."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# --- Core ----------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#core-settings

DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if urlsplit(SITE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, not {SITE_URL!r}")
# The site runs on this machine only (the local default): a key kept under var/ is then enough.
SITE_IS_LOCAL = urlsplit(SITE_URL).hostname in {"127.0.0.1", "localhost", "::1"}
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not SITE_IS_LOCAL:
        # Each machine would make its own key: sessions, reset links and opt-out links made on
        # one would fail on the others, and nobody would notice until they did.
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY: with DJANGO_DEBUG off and SITE_URL "
            f"{SITE_URL} (not this machine), every machine must share one secret key."
        )
    SECRET_KEY = local_secret_key()
SITE_NAME = env_str("SITE_NAME", "Inquiry recommendations tracker")

INSTALLED_APPS = [
    # Django's admin, with the site that asks staff who have a TOTP device for its code.
    "tracker.apps.TrackerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "import_export",
    "django_tables2",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "tracker",
]

MIDDLEWARE = [
    # First, so its one line per request times and sees every response (tracker/ops/request_log.py).
    "tracker.ops.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the query: a NUL byte gets a 400, not a database error.
    "tracker.ops.bad_input.RefuseNulMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tracker.public.page_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "tracker.public.context_processors.site",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast while PostgreSQL is down or restarting (a quick error, not a hung worker); the
    # health check above replaces a broken connection on the next request, so no restart is needed.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
    _statement_timeout_ms = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 0)
    if _statement_timeout_ms:
        DATABASES["default"]["OPTIONS"]["options"] = f"-c statement_timeout={_statement_timeout_ms}"
    # PostgreSQL's JIT compiler spends seconds compiling the pages' many-subquery reads, far more
    # than they take to run (docs/benchmarks.md); short web queries are faster without it.
    if not env_bool("DATABASE_JIT", False):
        _options = DATABASES["default"]["OPTIONS"].get("options", "")
        DATABASES["default"]["OPTIONS"]["options"] = f"{_options} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/topics/cache/

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # django-redis treats a Redis error as a cache miss (logged), with short socket timeouts, so
    # pages and the admin keep working while Redis is down. https://github.com/jazzband/django-redis
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tracker",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # Rate limits count in the same Redis but see its errors, so that they can count in each
    # process's memory while it is down (tracker/ops/rate_limits.py).
    CACHES["rate_limits"] = {
        **CACHES["default"],
        "KEY_PREFIX": "tracker-limits",
        "OPTIONS": {**CACHES["default"]["OPTIONS"], "IGNORE_EXCEPTIONS": False},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "rate_limits": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "rate-limits",
        },
    }
# Whole public pages cached for anonymous readers for this many seconds (0: off). Turn it on only
# with a cache every process shares (REDIS_URL): see tracker/public/page_cache.py.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 0)
# How long the shared cache's copy of the data version (kept in the database) is trusted: a change
# made while Redis was unreachable shows within this many seconds of its return.
PAGE_CACHE_VERSION_SECONDS = env_int("PAGE_CACHE_VERSION_SECONDS", 5)

# --- Authentication ------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Only staff (editors, owners' contacts) have sessions: they last a working day, not two weeks,
# and end when the browser closes.
STAFF_SESSION_HOURS = env_int("STAFF_SESSION_HOURS", 8)
if not 1 <= STAFF_SESSION_HOURS <= 24:
    raise ImproperlyConfigured("STAFF_SESSION_HOURS must be a whole number from 1 to 24")
SESSION_COOKIE_AGE = STAFF_SESSION_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Password reset e-mails: per client address per hour, and per account per day.
PASSWORD_RESET_RATE_PER_HOUR = env_int("PASSWORD_RESET_RATE_PER_HOUR", 5)
PASSWORD_RESETS_PER_ACCOUNT_PER_DAY = env_int("PASSWORD_RESETS_PER_ACCOUNT_PER_DAY", 3)

# Login lockout (django-axes, https://django-axes.readthedocs.io/): after AXES_FAILURE_LIMIT wrong
# passwords for one user name (from one address, or from anywhere), it is refused for
# AXES_COOLOFF_MINUTES;
# a successful login resets the count. The lockout backend comes first, as axes requires.
AUTHENTICATION_BACKENDS = [
    "tracker.admin.login_security.LockoutBackend",
    "tracker.admin.login_security.CaseInsensitiveModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be 1 or more")
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
# Per user name and address, and per account (user name) alone: guessing one account's password
# from many addresses locks it too.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tracker.admin.login_security.lockout_response"
AXES_USERNAME_CALLABLE = "tracker.admin.login_security.lockout_username"
# Behind N trusted proxies the client's address is the Nth from the right of X-Forwarded-For;
# with none (the default) it is the connection's address, which a client cannot forge.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
AXES_CLIENT_IP_CALLABLE = "tracker.ops.client_address.client_address"
# Two-factor log-in is optional (django-otp): staff who add a TOTP device must give its code.
OTP_TOTP_ISSUER = SITE_NAME

# --- Internationalisation ------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------------
# https://whitenoise.readthedocs.io/

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "tracker" / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True

# --- Security ------------------------------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/

SECURE_HTTPS = env_bool("DJANGO_SECURE_HTTPS", not DEBUG and SITE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS
# Load balancers probe /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# A strict Content-Security-Policy (django-csp): no inline script or style anywhere, nothing from
# other sites. https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []

# --- E-mail --------------------------------------------------------------------------------------
# Django's own setting names. Without EMAIL_HOST, e-mails are written as files under var/mail/.

EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tracker@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Static site ---------------------------------------------------------------------------------
# `manage.py build_site` writes the public pages as files; PUBLISH_DIR is a symbolic link to the
# latest build (a web server's root points at it). The jobs rebuild it once it has been built by
# hand. (The TRACKER_PUBLISH_* names predate the command's rename and are kept for deployments.)

PUBLISH_DIR = Path(env_str("TRACKER_PUBLISH_DIR", str(VAR_DIR / "site")))
PUBLISH_DEBOUNCE_SECONDS = env_int("TRACKER_PUBLISH_DEBOUNCE_SECONDS", 30)
PUBLISH_MAX_WAIT_SECONDS = env_int("TRACKER_PUBLISH_MAX_WAIT_SECONDS", 300)
PUBLISH_JOBS = env_int("TRACKER_PUBLISH_JOBS", os.cpu_count() or 1)  # processes a build uses
# Below this many pages for each process, forking costs more than it saves.
PUBLISH_MIN_PAGES_PER_PROCESS = env_int("TRACKER_PUBLISH_MIN_PAGES_PER_PROCESS", 200)

# --- Celery --------------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery" / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        "polling_interval": 0.2,
        # Broadcast messages (worker control) too, or kombu writes them to ./control/.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1


def env_crontab(name: str, default: str) -> crontab:
    """Cron's five fields (minute hour day-of-month month day-of-week), in London time."""
    raw = os.environ.get(name) or default
    fields = raw.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(f"{name} must have five cron fields, not {raw!r}")
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(minute, hour, day_of_week, day_of_month, month_of_year)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not a valid cron schedule: {error}") from None


# Flag first, snapshot after; the digest goes out on Monday morning (all Europe/London).
CELERY_BEAT_SCHEDULE = {
    "flag-overdue": {
        "task": "tracker.flag_overdue",
        "schedule": env_crontab("FLAG_OVERDUE_CRON", "30 5 * * *"),
    },
    "take-snapshot": {
        "task": "tracker.take_snapshot",
        "schedule": env_crontab("TAKE_SNAPSHOT_CRON", "45 5 * * *"),
    },
    "send-weekly-digests": {
        "task": "tracker.send_weekly_digests",
        "schedule": env_crontab("WEEKLY_DIGEST_CRON", "0 8 * * 1"),
    },
    # Official feeds watched for leads, every six hours by default (tracker/jobs/watch.py).
    "watch-sources": {
        "task": "tracker.watch_sources",
        "schedule": env_crontab("WATCH_SOURCES_CRON", "20 */6 * * *"),
    },
    # Notices whose queueing failed while the broker was down (see tracker/jobs/notices.py).
    "send-pending-notices": {
        "task": "tracker.send_pending_notices",
        "schedule": env_crontab("SEND_PENDING_NOTICES_CRON", "*/5 * * * *"),
    },
}
# Watching feeds for leads: limits on each fetch, and the backoff after failures (doubling from
# the base up to the maximum).
WATCH_FETCH_TIMEOUT_SECONDS = env_int("WATCH_FETCH_TIMEOUT_SECONDS", 20)
WATCH_MAX_FEED_BYTES = env_int("WATCH_MAX_FEED_BYTES", 5_000_000)
WATCH_MAX_REDIRECTS = env_int("WATCH_MAX_REDIRECTS", 5)
WATCH_BACKOFF_BASE_MINUTES = env_int("WATCH_BACKOFF_BASE_MINUTES", 60)
WATCH_BACKOFF_MAX_HOURS = env_int("WATCH_BACKOFF_MAX_HOURS", 48)
# Beat's own record of when it last ran each job (local, disposable); `--schedule` overrides it.
(VAR_DIR / "celery").mkdir(exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")

# --- Logging -------------------------------------------------------------------------------------

LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO")
# "plain" lines for people, or "json": one JSON object a line (python-json-logger) for a log store;
# requests add request_id, method, path, status and duration_ms (tracker/ops/request_log.py).
LOG_FORMAT = env_str("DJANGO_LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # 4xx lines would repeat the request line with the raw path, tokens included; errors stay.
        "django.request": {"level": "ERROR"},
    },
}

# --- The read-only JSON API ---------------------------------------------------------------------
# https://www.django-rest-framework.org/api-guide/settings/ and https://drf-spectacular.readthedocs.io/
# JSON only (no browsable API, so no inline script or style to allow), no input parsed, no
# authentication: everyone sees the same public data, and editors' sessions grant nothing here.

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "tracker.api.pagination.AsOfPageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Requests per client address (see TRUSTED_PROXY_COUNT); API_RATE="" turns the limit off.
    "DEFAULT_THROTTLE_CLASSES": ["tracker.api.throttling.ApiRateThrottle"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
API_RATE = env_str("API_RATE", "120/minute").strip() or None
if API_RATE and not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", API_RATE):
    raise ImproperlyConfigured(
        f"API_RATE must read like 120/minute (or be empty), not {API_RATE!r}"
    )

# --- Bulk import and export in the admin ---------------------------------------------------------
# https://django-import-export.readthedocs.io/en/stable/installation.html#settings
# Importing needs the model's "add" permission, exporting its "view" permission; each import runs
# in one transaction, so a file with a bad row writes nothing. Formulae are neutralised by
# tracker/intake/resources.py itself (the library's own option only strips a leading "=").

IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True

SPECTACULAR_SETTINGS = {
    "TITLE": "Inquiry recommendations tracker API",
    "DESCRIPTION": "Read-only open data: reports, recommendations with their status, response and "
    "timeliness, owners, deadlines and published status updates. Every response carries the day "
    "its data is as of; every object carries the URL of its public page. Version 1.1 added, "
    "without changing any field: recommendations' plain_summary, due_date, deadline_state and "
    "days_late, and reports' alternative_names. Version 1.2 added recommendations' is_late, "
    "response_late_since and deadlines_missed, and deadlines' is_missed, missed_on and "
    "timeliness.",
    "VERSION": "1.2",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

# --- The tracker ---------------------------------------------------------------------------------

# Overdue items with no published update for this many days are listed as "silent".
SILENCE_DAYS = env_int("SILENCE_DAYS", 90)
# Where a report gives no date for the government's response, one is expected this many days after
# publication (this tracker's rule, stated on /methodology/; not a legal deadline).
RESPONSE_DUE_DAYS = env_int("RESPONSE_DUE_DAYS", 183)
# An open deadline due within this many days is "due soon".
DUE_SOON_DAYS = env_int("DUE_SOON_DAYS", 90)
# Recommendations not checked for new developments for this many days are listed to editors.
CHECK_EVERY_DAYS = env_int("CHECK_EVERY_DAYS", 30)
# What the weekly digest lists as coming due.
DIGEST_LOOKAHEAD_DAYS = env_int("DIGEST_LOOKAHEAD_DAYS", 30)
# Subscription requests allowed per client address per hour (the form answers alike either way).
SUBSCRIBE_RATE_PER_HOUR = env_int("SUBSCRIBE_RATE_PER_HOUR", 10)
# Confirmation e-mails to one mailbox a day, whatever the subject ("name+tag@" counts as "name@").
CONFIRMATIONS_PER_ADDRESS_PER_DAY = env_int("CONFIRMATIONS_PER_ADDRESS_PER_DAY", 3)
# Where contacts' replies to the weekly digest go (Reply-To); empty: DEFAULT_FROM_EMAIL.
TRACKER_EDITORS_EMAIL = env_str("TRACKER_EDITORS_EMAIL")

# Where the "Leave this site" link goes: a neutral page that reveals nothing about this one.
LEAVE_SITE_URL = env_str("LEAVE_SITE_URL", "https://www.bbc.co.uk/weather")


def env_support_services(name: str, default: list[dict[str, str]]) -> list[dict[str, str]]:
    """Services given as `Name|https://url[|phone[|hours]];…`; raises on anything malformed."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    services = []
    for item in raw.split(";"):
        parts = [part.strip() for part in item.split("|")]
        if (
            not 2 <= len(parts) <= 4
            or not parts[0]
            or urlsplit(parts[1]).scheme
            not in {
                "http",
                "https",
            }
        ):
            raise ImproperlyConfigured(
                f"{name} must read “Name|https://address|phone|hours;…” (phone and hours "
                f"optional), not {raw!r}"
            )
        parts += [""] * (4 - len(parts))
        services.append(dict(zip(["name", "url", "phone", "hours"], parts, strict=True)))
    return services


# Where the public reports an error in the data (shown on the methodology page).
CORRECTIONS_EMAIL = env_str("TRACKER_CORRECTIONS_EMAIL", DEFAULT_FROM_EMAIL)

# National support services for survivors of child sexual abuse, signposted in every page footer.
# A phone number or opening hours are given only where the service's own page states them (the
# page is cited beside each); otherwise the footer links to the service's site alone.
SUPPORT_SERVICES = env_support_services(
    "TRACKER_SUPPORT_SERVICES",
    [
        {
            "name": "NAPAC (National Association for People Abused in Childhood)",
            "url": "https://napac.org.uk",
        },
        {
            # Phone: https://www.nspcc.org.uk/what-you-can-do/report-abuse/ ("call us on
            # 0808 800 5000"; free from landlines and most mobiles). Its stated hours differ
            # between the NSPCC's own pages, so none are given here.
            "name": "NSPCC helpline, for adults worried about a child",
            "url": "https://www.nspcc.org.uk/what-you-can-do/report-abuse/",
            "phone": "0808 800 5000",
        },
        {
            # Hours: https://247sexualabusesupport.org.uk/faqs/ ("open 24 hours a day, every day
            # of the year"; run by Rape Crisis England & Wales, for anyone aged 16 or over in
            # England and Wales).
            "name": "Rape Crisis 24/7 Support Line (aged 16 and over, England and Wales)",
            "url": "https://247sexualabusesupport.org.uk",
            "hours": "24 hours a day, every day of the year",
        },
        {"name": "The Survivors Trust", "url": "https://www.thesurvivorstrust.org"},
    ],
)
