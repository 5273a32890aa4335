"""Settings shared by every environment. Values that differ per deployment come from the
environment through django-environ; every variable is listed in README.md."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "django_celery_beat",
    "csp",
    # The floor first; each app imports only those listed before it (see docs/architecture.md).
    "accounts",
    "notices",
    "security",
    "terms",
    "contracts",
    "cameras",
    # The project itself: settings, the request policy, seed_demo.
    "ctsportal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (see below).
    "ctsportal.headers.ContentSecurityPolicyMiddleware",
    "ctsportal.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, reading the person with their membership and company in one query.
    "accounts.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A page answered 405 without a body gets one (ctsportal.errors).
    "ctsportal.errors.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Absolute and idle session limits, and a session's bookkeeping once a minute (last seen,
    # allauth.usersessions' list, the company's activity); allauth's UserSessionsMiddleware,
    # which writes on every request, is replaced by it.
    "accounts.middleware.SessionLimitsMiddleware",
    # The activity of API token users (Art. 12(1)(5)), noted after the view, throttled.
    "accounts.middleware.ActivityMiddleware",
    # The one request policy for pages (company state, terms, two-factor, re-authentication);
    # the API applies the same policy in ctsportal.policy.PolicyPermission.
    "ctsportal.policy.PolicyMiddleware",
    # Last, so that it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ctsportal.urls"
WSGI_APPLICATION = "ctsportal.wsgi.application"
ASGI_APPLICATION = "ctsportal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.membership",
                "contracts.context_processors.lifecycle_banners",
            ],
        },
    },
]

# Read-only pages and API answers kept in the cache until the data changes
# (ctsportal.pagecache, accounts.freshness).
PAGE_CACHE = env.bool("PAGE_CACHE", default=True)

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default=env("REDIS_URL", default="locmemcache://"))}
# Django's Redis backend with its client reused across operations (see ctsportal.cache).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "ctsportal.cache.RedisCache"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes locks out repeated failures on the staff admin login.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Argon2 first: new hashes are Argon2id; older hashes still verify and are upgraded at login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# OWASP ASVS 2.1: at least 12 characters, long passphrases welcome, common and
# context-derived passwords refused, no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CTS ポータル <portal@cts.example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where customers' reports and staff alerts go (Art. 6(3), Art. 16).
PROVIDER_EMAIL = env("PROVIDER_EMAIL", default="support@cts.example.jp")
# Art. 15: days between publishing a version that needs acceptance and its effective date;
# a shorter notice needs a recorded reason for the urgent change.
TERMS_NOTICE_DAYS = env.int("TERMS_NOTICE_DAYS", default=30)

# Sessions are read from the cache (Redis) and written through to the database: a signed-in
# request costs no session query on a warm cache. Ending a session deletes both.
# accounts.sessions is Django's cached_db that also reads, in the same round trip, the facts
# nearly every signed-in request needs (the terms in force, the current interruptions).
SESSION_ENGINE = "accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
# A session lasts at most SESSION_MAX_AGE_HOURS after sign-in, and ends after
# SESSION_IDLE_MINUTES without a request (accounts.middleware.SessionLimitsMiddleware).
SESSION_COOKIE_AGE = env.int("SESSION_MAX_AGE_HOURS", default=12) * 3600
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=60)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp), the same locally, in tests and in production: no
# inline script or style attribute anywhere (templates keep them in ctsportal/static), no
# framing, forms post only here. Images may be data: URIs (allauth's TOTP QR code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features the portal never uses (ctsportal.headers.PermissionsPolicyMiddleware);
# an empty list switches a feature off for every origin. Security keys (WebAuthn) stay on.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "usb": [],
    "publickey-credentials-get": ["self"],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "account_login"

# --- Client address behind the TLS proxy -------------------------------------------------------
# How many proxies in front of gunicorn append to X-Forwarded-For (1 behind one TLS proxy).
# 0: the header is ignored and REMOTE_ADDR is the client. One setting for the audit log,
# allauth's rate limits and sessions, axes and the credential-sharing signal
# (accounts.audit.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
AXES_CLIENT_IP_CALLABLE = "accounts.audit.client_ip"

# --- django-allauth -------------------------------------------------------------------------
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# 氏名 and フリガナ at sign-up (accounts.forms.SignupNamesForm.signup stores them).
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupNamesForm"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# The portal's mail templates carry the mark themselves (【CTS】 / [CTS]).
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_ADAPTER = "security.adapters.AccountAdapter"
# allauth's limits need a cache shared by every process (Redis in production and tests).
# Failed sign-ins are limited per account tried ("key"), never per address: a construction
# firm's whole office shares one address, and failures against one account must not lock
# out its colleagues or other customers behind it. The per-address limit on all sign-in
# attempts is far above what an office produces and stops only mass guessing.
ACCOUNT_RATE_LIMITS = {
    "login": env("LOGIN_RATE_LIMIT_PER_IP", default="300/m/ip"),
    "login_failed": "5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = "CTS Portal"
USERSESSIONS_TRACK_ACTIVITY = True

# --- Members and security (Art. 6) ------------------------------------------------------------
INVITATION_TTL_DAYS = env.int("INVITATION_TTL_DAYS", default=7)
# Art. 6(1): a login seen from more than this many networks (/24, /48) within the window
# raises a credential-sharing flag for staff.
SHARING_MAX_NETWORKS = env.int("SHARING_MAX_NETWORKS", default=3)
SHARING_WINDOW_MINUTES = env.int("SHARING_WINDOW_MINUTES", default=30)
SIGHTING_RETENTION_DAYS = env.int("SIGHTING_RETENTION_DAYS", default=180)
# How long the "this wasn't me" link of security e-mails works (Art. 6(3)).
COMPROMISE_LINK_MAX_AGE_DAYS = env.int("COMPROMISE_LINK_MAX_AGE_DAYS", default=30)

# Art. 11: the personal data of a cancelled or revoked customer is kept this long after the
# registration ended (books and their evidence: 7 years under the Corporation Tax Act), then
# removed by the "contracts-personal-data-erase" job.
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=2555)

# --- django-axes: lockout of staff logins -----------------------------------------------------
# The admin's own login form is replaced by allauth's (so staff pass two-factor
# authentication), hence axes watches every sign-in, but only attempts on staff accounts
# count: customers are covered by allauth's rate limits (ACCOUNT_RATE_LIMITS), which expire,
# whereas a staff account is locked for AXES_COOLOFF_MINUTES whatever the cache holds.
AXES_ONLY_ADMIN_SITE = False
AXES_WHITELIST_CALLABLE = "accounts.adapters.axes_is_not_staff_attempt"
AXES_USERNAME_CALLABLE = "accounts.adapters.axes_username"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_USERNAME_FORM_FIELD = "username"

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # The request policy (signed in, company state, terms, two-factor, re-authentication);
    # views declare exemptions with ctsportal.access, never their own permission classes.
    "DEFAULT_PERMISSION_CLASSES": ["ctsportal.policy.PolicyPermission"],
    "DEFAULT_PAGINATION_CLASS": "ctsportal.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "ctsportal.schema.PolicyAutoSchema",
    "EXCEPTION_HANDLER": "ctsportal.api.exception_handler",
    "DEFAULT_METADATA_CLASS": "ctsportal.metadata.Metadata",
    # DRF's anonymous and per-user rates, counted in one round trip (ctsportal.throttling).
    "DEFAULT_THROTTLE_CLASSES": [
        "ctsportal.throttling.AnonThrottle",
        "ctsportal.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # A JSON API: request bodies are JSON only (a form post's empty field would read as
    # "absent" and take the default; a form is also what a cross-site page can send).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}
# API tokens: at most API_TOKEN_LIMIT_PER_USER live tokens per person, each valid at most
# API_TOKEN_MAX_DAYS (accounts.services.api_token_create enforces both).
API_TOKEN_LIMIT_PER_USER = env.int("API_TOKEN_LIMIT_PER_USER", default=20)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=90)),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": API_TOKEN_LIMIT_PER_USER,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CTS Portal API",
    "DESCRIPTION": "Customer API of the CTS camera rental portal. Every object is scoped "
    "to the caller's company; another company's object is a 404. Authenticate with "
    "`Authorization: Token <secret>`: a person creates a token in the portal under Account, "
    "API tokens (after confirming the password). Messages follow `Accept-Language` (ja, en).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Every operation documents the shared error responses (ctsportal.api.ERROR_RESPONSES).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ctsportal.api.add_error_responses",
    ],
    # Several models have a "state"; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "NoticeStateEnum": "notices.models.Notice.State",
        "ApplicationStateEnum": "contracts.models.RegistrationApplication.State",
        "IncidentStateEnum": "accounts.models.Incident.State",
        "RentalStateEnum": "contracts.models.Rental.State",
        # Where recordings live (cloud / SD card / NAS): the same values on products,
        # rentals and deletion records.
        "RecordingEnum": "cameras.models.Product.Recording",
    },
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A task's message is acknowledged only when it finished, so a killed worker's task is
# delivered again; tasks are written to be run twice safely.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged message after this many seconds; no countdown or ETA
# in the project may exceed it (see notices.tasks).
CELERY_BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}

# --- Notices outbox (Art. 16; see notices.tasks) ----------------------------------------------
# Delivery attempts per notice before it ends in "failed" (staff may retry it from the admin).
NOTICE_MAX_ATTEMPTS = env.int("NOTICE_MAX_ATTEMPTS", default=6)
# First retry after this many seconds, doubling each time, never beyond the visibility timeout.
NOTICE_RETRY_BACKOFF = env.int("NOTICE_RETRY_BACKOFF", default=30)
# A notice claimed longer ago than this (seconds) is treated as lost by a dead worker and may
# be claimed again. Longer than CELERY_TASK_TIME_LIMIT so a live, slow send is never reclaimed.
NOTICE_SENDING_LEASE = env.int("NOTICE_SENDING_LEASE", default=600)
# The sweep re-queues a pending notice whose task was queued longer ago than this (seconds).
NOTICE_SWEEP_GRACE = env.int("NOTICE_SWEEP_GRACE", default=120)
# Seconds an SMTP connection may block before the attempt counts as a transient failure.
NOTICE_SMTP_TIMEOUT = env.int("NOTICE_SMTP_TIMEOUT", default=30)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Every periodic job, in one place. Times are Asia/Tokyo.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Safety net of the outbox: re-queue notices left pending or stuck in sending by a lost
    # message or a killed worker (Art. 16).
    "notices-sweep": {
        "task": "notices.tasks.notices_sweep",
        "schedule": timedelta(minutes=1),
    },
    # Drops expired API tokens so the table stays small.
    "accounts-purge-expired-tokens": {
        "task": "accounts.tasks.tokens_purge_expired",
        "schedule": crontab(hour=3, minute=30),
    },
    # Lifecycle jobs (Art. 8, 12). Each does everything due up to the moment it runs, so a
    # missed run is caught up by the next one; running twice changes and sends nothing more.
    # Every 5 minutes: an emergency interruption scheduled ahead is notified as it starts
    # (Art. 8(1) proviso); planned ones are notified when scheduled.
    "lifecycle-interruption-notices": {
        "task": "contracts.tasks.interruptions_notify_due",
        "schedule": timedelta(minutes=5),
    },
    # Hourly: service-end notices to customers affected since the announcement, and the
    # reminder once 30 days remain (Art. 8(2)).
    "lifecycle-service-end-notices": {
        "task": "contracts.tasks.service_end_notices_send_due",
        "schedule": crontab(minute=5),
    },
    # Hourly: the reminder 7 days before a cancellation takes effect (Art. 12(3)).
    "lifecycle-cancellation-reminders": {
        "task": "contracts.tasks.cancellation_reminders_send_due",
        "schedule": crontab(minute=10),
    },
    # Every 15 minutes: cancellations whose effective moment has passed are applied
    # (Art. 12(3), 10(6), 12(5)); a notice takes effect within a quarter hour of its moment.
    "lifecycle-apply-cancellations": {
        "task": "contracts.tasks.cancellations_apply_due",
        "schedule": crontab(minute="*/15"),
    },
    # Just after midnight: service ends whose date has come end the affected rentals.
    "lifecycle-apply-service-ends": {
        "task": "contracts.tasks.service_ends_apply_due",
        "schedule": crontab(hour=0, minute=5),
    },
    # Daily at 09:00 (business hours, so a contact is read): flag and contact customers
    # without use for three calendar months (Art. 12(1)(5)).
    "lifecycle-flag-inactive": {
        "task": "contracts.tasks.customers_flag_inactive",
        "schedule": crontab(hour=9, minute=0),
    },
    # Daily at 09:30: unanswered inactivity contacts go on staff's revocation queue.
    "lifecycle-escalate-inactive": {
        "task": "contracts.tasks.inactivity_escalate_unanswered",
        "schedule": crontab(hour=9, minute=30),
    },
    # Art. 5: last month's fee of every rental, charged in arrears. Daily rather than on the
    # 1st only, so that a delivery or end recorded late is still charged; idempotent.
    "contracts-charges-create": {
        "task": "contracts.tasks.charges_create",
        "schedule": crontab(hour=6, minute=10),
    },
    # Rentals whose scheduled end is today end late in the evening, so that the end day is
    # the last day charged; their cloud video data deletion is recorded (Art. 10(6)).
    "contracts-rentals-end-scheduled": {
        "task": "contracts.tasks.rentals_end_scheduled",
        "schedule": crontab(hour=23, minute=55),
    },
    # Art. 11: removes the personal data of ended customers past the retention period.
    # Nightly, when nobody works; idempotent (one erasure record per customer).
    "contracts-personal-data-erase": {
        "task": "contracts.tasks.personal_data_erase",
        "schedule": crontab(hour=4, minute=20),
    },
}
# Art. 12(1)(5): days a customer contacted for inactivity has to answer before staff see it
# on the revocation queue.
INACTIVITY_REPLY_DAYS = env.int("INACTIVITY_REPLY_DAYS", default=30)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
