"""CodeMentorHub settings: every value comes from the environment (docs/PRODUCT.md §6.3)."""

import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from config.env import (
    env_bool,
    env_choice,
    env_database,
    env_email,
    env_email_address,
    env_https_host,
    env_int,
    env_int_item,
    env_list,
    env_networks,
    env_optional_choice,
    env_required,
    env_str,
    env_text,
    env_time_zone,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

DEBUG = env_bool("DJANGO_DEBUG", False)
_INSECURE_DEV_KEY = "insecure-dev-key-only-for-local-use-never-in-production"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _INSECURE_DEV_KEY if (DEBUG or TESTING) else None)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "config.apps.DataRepairAdminConfig",  # django.contrib.admin, with our site (config/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "ninja",  # django-ninja's Swagger UI files (static/ninja/), for /api/v1/docs
    "api",
    "accounts",
    "bookings",
    "mentors",
    "availability",
    "payments",
    "notifications",
    "webhooks",
    "ops",
]

MIDDLEWARE = [
    # First, so its duration covers every other middleware and it sees the final status.
    "ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the user is known; static files (WhiteNoise, above) never reach it.
    "config.middleware.PrivateToTheLoggedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "api.middleware.ApiResponsesMiddleware",
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
                "django.template.context_processors.csp",
                "config.context_processors.support",
            ],
        },
    },
]

_default_db = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
DATABASES = {"default": env_database("DATABASE_URL", _default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so two concurrent
    # state changes serialise on SQLite (which ignores SELECT ... FOR UPDATE).
    # Write-ahead log: readers (pages) and the writer (a request or the worker) no longer
    # block each other, and a commit appends to the log instead of syncing the journal and
    # the database (synchronous=NORMAL: a committed change survives a crash of the process;
    # only a power cut may lose the last commits, never corrupt the file).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if TESTING:
    # One test database per run (a file for SQLite, so a worker process can share it), so
    # that test runs started side by side never drop each other's database.
    _name = DATABASES["default"]["NAME"]
    DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")
        if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        else f"test_{_name}_{os.getpid()}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email -----------------------------------------------------------------------------
# Conventional variable names, mapped onto Django 6.1's MAILERS.
DEFAULT_FROM_EMAIL = env_email("DEFAULT_FROM_EMAIL", "CodeMentorHub <no-reply@codementorhub.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where people write with questions: every "contact us" on the pages, every email's footer
# and the calendar invites' organiser (docs/PRODUCT.md §6.3). Unset: the sender's address.
SUPPORT_EMAIL = env_email_address("SUPPORT_EMAIL", DEFAULT_FROM_EMAIL)
_email_file_path = env_str("EMAIL_FILE_PATH", "")
_email_timeout = env_int("EMAIL_TIMEOUT", 20, minimum=1, maximum=600)
# Production delivery through a provider's HTTP API (django-anymail) instead of SMTP:
# EMAIL_PROVIDER → (backend, {OPTIONS key: required variable}, {OPTIONS key: optional
# variable}). Only providers that need no package beyond django-anymail itself (Amazon SES
# would add boto3) and take our calendar invite as it is (anymail refuses it for Resend);
# the backends are anymail's, see notifications/mail_providers.py.
EMAIL_PROVIDERS: dict[str, tuple[str, dict[str, str], dict[str, str]]] = {
    "postmark": (
        "notifications.mail_providers.PostmarkBackend",
        {"server_token": "POSTMARK_SERVER_TOKEN"},
        {"message_stream": "POSTMARK_MESSAGE_STREAM"},
    ),
    "mailgun": (
        "notifications.mail_providers.MailgunBackend",
        {"api_key": "MAILGUN_API_KEY", "sender_domain": "MAILGUN_SENDER_DOMAIN"},
        {"api_url": "MAILGUN_API_URL"},  # EU region: https://api.eu.mailgun.net/v3
    ),
    "brevo": ("notifications.mail_providers.BrevoBackend", {"api_key": "BREVO_API_KEY"}, {}),
}
EMAIL_PROVIDER = env_choice("EMAIL_PROVIDER", "smtp", ["smtp", *EMAIL_PROVIDERS])
if _email_file_path and EMAIL_PROVIDER != "smtp":
    raise ImproperlyConfigured(
        f"EMAIL_FILE_PATH (write emails to files) and EMAIL_PROVIDER={EMAIL_PROVIDER} "
        "(send them through a provider) exclude each other; unset one."
    )
if _email_file_path:
    # The demo writes each email to a file a person can open.
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": _email_file_path},
        }
    }
elif EMAIL_PROVIDER != "smtp":
    _backend, _required, _optional = EMAIL_PROVIDERS[EMAIL_PROVIDER]
    _because = f"when EMAIL_PROVIDER={EMAIL_PROVIDER}"
    MAILERS = {
        "default": {
            "BACKEND": _backend,
            "OPTIONS": {
                **{key: env_required(name, _because) for key, name in _required.items()},
                **{key: value for key, name in _optional.items() if (value := env_str(name, ""))},
                # Seconds anymail waits for the provider's API (its default is 30).
                "timeout": _email_timeout,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25, minimum=1, maximum=65535),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": _email_timeout,
            },
        }
    }

# Outbox delivery: attempts before an email is marked failed, first retry delay (doubles,
# capped at 6 h). 12 attempts from 30 s ride out an SMTP outage of roughly 9–17 hours.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 12, minimum=1, maximum=50)
EMAIL_RETRY_BASE_SECONDS = env_int("EMAIL_RETRY_BASE_SECONDS", 30, minimum=1, maximum=3600)
# How long a worker may hold an email it is sending before another may take it over; keep
# it well above EMAIL_TIMEOUT (a system check warns otherwise), or a slow live send is
# taken over and the email goes out twice.
EMAIL_SEND_TIMEOUT = _email_timeout
EMAIL_LEASE_SECONDS = env_int("EMAIL_LEASE_SECONDS", 300, minimum=5, maximum=86400)

# New deliveries (emails, webhooks) the worker's relay hands over per task: 1 = a task per
# row; more = one claim for several rows, sent over DELIVERY_CONNECTIONS connections at once
# (each a thread of the worker, with its own connection to the mail server or endpoint and
# to the database). All rows of a task are leased at once: a system check warns unless the
# lease outlasts twice the send timeout × the rows one connection sends per task.
DELIVERY_TASK_BATCH = env_int("DELIVERY_TASK_BATCH", 20, minimum=1, maximum=100)
DELIVERY_CONNECTIONS = env_int("DELIVERY_CONNECTIONS", 4, minimum=1, maximum=32)

# --- Webhooks (docs/PRODUCT.md §12.7) --------------------------------------------------
# Endpoints on private, loopback, link-local or reserved addresses, and plain http, are
# refused unless this is true (a receiver on this machine in tests and demos; an intranet).
WEBHOOK_ALLOW_PRIVATE_HOSTS = env_bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", False)
# Seconds to connect, and between bytes of the answer, before an attempt counts as failed.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
# Attempts before a delivery is failed, the first retry's delay (doubling, capped at 6 h):
# 15 attempts from 30 s span about a day, when a still-failing endpoint is disabled.
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 15, minimum=1, maximum=50)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30, minimum=1, maximum=3600)
# How long a worker may hold a delivery it is sending before another takes it over: well
# above the timeout (a system check warns otherwise).
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 120, minimum=5, maximum=86400)
# An endpoint whose deliveries have failed without a success for this long is disabled.
WEBHOOK_DISABLE_AFTER_HOURS = 24

# Reminders before a confirmed session, in hours before its start (comma-separated).
SESSION_REMINDER_HOURS = sorted(
    {
        env_int_item("SESSION_REMINDER_HOURS", item)
        for item in env_list("SESSION_REMINDER_HOURS", ["24", "1"])
    },
    reverse=True,
)

# --- Meeting links ---------------------------------------------------------------------
# Providers accepted besides Google Meet (opt-in): zoom, teams, jitsi, whereby.
MEETING_LINK_EXTRA_PROVIDERS = env_list("MEETING_LINK_EXTRA_PROVIDERS", [])
# The provider that creates meeting rooms (docs/PRODUCT.md §3, "Created links"): empty =
# admins paste links; `jitsi` = rooms with unguessable names on JITSI_BASE_URL.
MEETING_LINK_AUTO_PROVIDER = env_optional_choice(
    "MEETING_LINK_AUTO_PROVIDER", ["jitsi"], blank="admins paste every meeting link"
)
JITSI_BASE_URL = env_https_host("JITSI_BASE_URL", "https://meet.jit.si")

# --- Booking rules ---------------------------------------------------------------------
BOOKING_MIN_NOTICE_HOURS = env_int("BOOKING_MIN_NOTICE_HOURS", 12, minimum=0, maximum=24 * 30)
BOOKING_HORIZON_DAYS = env_int("BOOKING_HORIZON_DAYS", 60, minimum=1, maximum=366)
BOOKING_SLOT_STEP_MINUTES = env_int("BOOKING_SLOT_STEP_MINUTES", 30, minimum=5, maximum=120)
MENTEE_CANCEL_CUTOFF_HOURS = env_int("MENTEE_CANCEL_CUTOFF_HOURS", 24, minimum=0, maximum=24 * 14)
# How many times a mentee may move one session to another time (docs/PRODUCT.md, Rescheduling).
# 0 = mentees cannot reschedule; mentors and staff are not counted against it.
MENTEE_RESCHEDULE_LIMIT = env_int("MENTEE_RESCHEDULE_LIMIT", 2, minimum=0, maximum=100)
# A pending session still unconfirmed this long before its start is cancelled automatically.
PENDING_EXPIRY_LEAD_HOURS = env_int("PENDING_EXPIRY_LEAD_HOURS", 2, minimum=0, maximum=24 * 7)
# Admins are reminded of pending sessions starting within this many hours.
PENDING_REMINDER_WINDOW_HOURS = env_int(
    "PENDING_REMINDER_WINDOW_HOURS", 24, minimum=1, maximum=24 * 7
)
# Requests one mentee may have waiting for confirmation (pending, not started): with one
# mentor, and with all mentors together (docs/PRODUCT.md §7.2). One account cannot take a
# mentor's calendar, or the admins' attention, with requests nobody has agreed to.
MENTEE_PENDING_LIMIT = env_int("MENTEE_PENDING_LIMIT", 3, minimum=1, maximum=1000)
MENTEE_PENDING_LIMIT_TOTAL = env_int("MENTEE_PENDING_LIMIT_TOTAL", 5, minimum=1, maximum=1000)
if MENTEE_PENDING_LIMIT > MENTEE_PENDING_LIMIT_TOTAL:
    raise ImproperlyConfigured(
        f"MENTEE_PENDING_LIMIT ({MENTEE_PENDING_LIMIT}, with one mentor) must not be more than "
        f"MENTEE_PENDING_LIMIT_TOTAL ({MENTEE_PENDING_LIMIT_TOTAL}, with all mentors together)."
    )
# Booking attempts (POSTs of the booking form) per account within any window of this many
# minutes (bookings.services.count_booking_attempt, ops/ratelimit.py).
BOOKING_MAX_ATTEMPTS = 10
BOOKING_THROTTLE_MINUTES = 10
# Requests one API token may make within any minute (docs/PRODUCT.md §11), counted in the
# database for every web process (ops/ratelimit.py); beyond it 429 with Retry-After.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120, minimum=1, maximum=100_000)
CURRENCY = env_str("CURRENCY", "USD")
# Payment provider for new bookings: a registered name ("offline") or a dotted class path.
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "offline")
# How a mentee pays while payments are offline (plain text, shown to the mentee with a
# pending payment; docs/PRODUCT.md §7.4).
PAYMENT_INSTRUCTIONS = env_text("PAYMENT_INSTRUCTIONS")

# --- Background work -------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The worker's periodic jobs (manage.py run_worker), in the order each round runs them:
# expiry before the admins' reminder, so nobody is reminded of a session being cancelled.
# Each job is owned by its app and safe to run in several workers at once.
WORKER_PERIODIC_JOBS = [
    ("outbox sweep", "notifications.delivery.sweep"),
    ("expire pending sessions", "bookings.jobs.expire_pending_sessions"),
    ("remind admins of pending sessions", "bookings.jobs.remind_admins_of_pending"),
    ("session reminders", "bookings.reminders.send_due_reminders"),
    ("planner statistics", "ops.jobs.refresh_planner_statistics"),
]

# --- Operations ------------------------------------------------------------------------
# /healthz answers 503 when no worker has beaten for this long (the worker beats every
# --sweep-every seconds, 60 by default).
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env_int(
    "WORKER_HEARTBEAT_MAX_AGE_SECONDS", 180, minimum=1, maximum=86400
)
# Login throttling (ops/throttle.py; docs/PRODUCT.md §1.3). So many failures for one
# account from one client address, or from one address for any accounts, within
# LOGIN_THROTTLE_MINUTES lock that pair (that address) for as long. A stranger typing a
# person's email thus locks out only themself; so that many strangers cannot guess either,
# failures for one account from anywhere within LOGIN_ACCOUNT_THROTTLE_HOURS lock the
# account for as long, until a password reset.
LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = env_int(
    "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS", 5, minimum=1, maximum=100
)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int(
    "LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1, maximum=10000
)
LOGIN_THROTTLE_MINUTES = env_int("LOGIN_THROTTLE_MINUTES", 15, minimum=1, maximum=24 * 60)
LOGIN_MAX_FAILURES_PER_ACCOUNT = env_int(
    "LOGIN_MAX_FAILURES_PER_ACCOUNT", 50, minimum=1, maximum=100000
)
LOGIN_ACCOUNT_THROTTLE_HOURS = env_int("LOGIN_ACCOUNT_THROTTLE_HOURS", 24, minimum=1, maximum=720)
if LOGIN_MAX_FAILURES_PER_ACCOUNT <= LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS:
    raise ImproperlyConfigured(
        f"LOGIN_MAX_FAILURES_PER_ACCOUNT ({LOGIN_MAX_FAILURES_PER_ACCOUNT}) must be more than "
        f"LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS ({LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS})"
        ": otherwise anyone who types a person's email locks them out from everywhere."
    )
if LOGIN_ACCOUNT_THROTTLE_HOURS * 60 < LOGIN_THROTTLE_MINUTES:
    raise ImproperlyConfigured(
        f"LOGIN_ACCOUNT_THROTTLE_HOURS ({LOGIN_ACCOUNT_THROTTLE_HOURS} h) must be at least "
        f"LOGIN_THROTTLE_MINUTES ({LOGIN_THROTTLE_MINUTES} min): the account-wide limit is "
        "the slower one."
    )
# Sign-ups and password reset requests an hour, from one client address and for one email
# address; and at most one reset email to an address within the interval (docs/PRODUCT.md
# §1.3). A sign-up tells whether an email has an account; a reset sends an email. Counted
# per key by accounts.forms.LimitedForm with ops/ratelimit.py.
SIGNUP_LIMIT_PER_HOUR = env_int("SIGNUP_LIMIT_PER_HOUR", 5, minimum=1, maximum=1000)
PASSWORD_RESET_LIMIT_PER_HOUR = env_int("PASSWORD_RESET_LIMIT_PER_HOUR", 5, minimum=1, maximum=1000)
PASSWORD_RESET_EMAIL_INTERVAL_MINUTES = env_int(
    "PASSWORD_RESET_EMAIL_INTERVAL_MINUTES", 5, minimum=1, maximum=60
)

# --- Security --------------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG and not TESTING
CSRF_COOKIE_SECURE = not DEBUG and not TESTING
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Load balancers probe /healthz over plain HTTP inside the network; never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# No SECURE_PROXY_SSL_HEADER: Django would believe X-Forwarded-Proto from anyone. gunicorn
# believes it from TRUSTED_PROXIES only (gunicorn.conf.py) and hands Django the scheme.
# Reverse proxies (addresses, networks) whose X-Forwarded-For names the client the throttles
# count by (ops.throttle.client_address); gunicorn.conf.py trusts the same list. Empty: every
# request's client is its peer (REMOTE_ADDR), and X-Forwarded-For is ignored.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django.tasks": {"level": "INFO"},
        "django_tasks_db": {"level": "INFO"},
        "notifications": {"level": "INFO"},
        "bookings": {"level": "INFO"},
        # One line per request (ops/middleware.py) and the health check's failures.
        "codementorhub": {"level": "INFO"},
    },
}
