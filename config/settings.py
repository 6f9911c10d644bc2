"""Waypost settings, read from environment variables (django-environ).

Every external service has an embedded default so a fresh machine runs with no setup:
SQLite under ``var/``, kombu's filesystem broker under ``var/broker``, sandbox providers.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


def env_pairs(name: str, *, cast=str, default: dict | None = None) -> dict:
    """``key=value`` pairs separated by ``,`` or ``;`` (``email=10,sms=4`` and ``email=10;sms=4``
    alike: keys and values here never hold either), each value through ``cast``."""
    raw = env.str(name, default="")
    if not raw.strip():
        return dict(default or {})
    pairs = {}
    for part in filter(None, (p.strip() for p in raw.replace(";", ",").split(","))):
        key, sep, value = part.partition("=")
        try:
            if not sep or not key.strip():
                raise ValueError("not key=value")
            pairs[key.strip()] = cast(value.strip())
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{name}: '{part}' is not key=value (value: {cast.__name__}) (write e.g. {name}=a=1,b=2): {exc}"
            ) from None
    return pairs


environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DATA_DIR = Path(env.str("WAYPOST_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

# --- Core -------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET_KEY = "django-insecure-waypost-development-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
if not DEBUG and (
    SECRET_KEY == _DEV_SECRET_KEY
    or SECRET_KEY.startswith("django-insecure")
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "SECRET_KEY is insecure: with DEBUG=false set SECRET_KEY to a random string of at least "
        "50 characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]

INSTALLED_APPS = [
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "core",
    "customers",
    "partners",
    "orders",
    "returns",
    "inventory",
    "intake",
    "catalogue",
    "preferences",
    "channels",
    "notifications",
    "console",
    "insights",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.guard.RequestGuardMiddleware",  # size, JSON depth and width, NUL bytes: 4xx before any view
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The request guard's limits (core/guard.py); each refusal is a 4xx naming the limit.
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=2 * 1024 * 1024)
REQUEST_JSON_MAX_DEPTH = env.int("REQUEST_JSON_MAX_DEPTH", default=20)
REQUEST_JSON_MAX_ITEMS = env.int("REQUEST_JSON_MAX_ITEMS", default=5000)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'waypost.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: wait for locks instead of failing, and take the
    # write lock at BEGIN so two writers never deadlock on lock upgrades.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, rate limits) ----------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://waypost")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Unreachable Redis: answer as an empty cache (throttles and cooldowns let the request
    # through, with a warning) within half a second instead of failing the request.
    CACHES["default"]["BACKEND"] = "core.cache.FailOpenRedisCache"
    for _option in ("socket_connect_timeout", "socket_timeout"):
        CACHES["default"].setdefault("OPTIONS", {}).setdefault(_option, 0.5)

# --- Static -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Security when not in debug ---------------------------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Celery -----------------------------------------------------------------------------------
BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
    # The filesystem transport has no fanout exchange: no remote control / events.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # A broker that is down or unreachable answers within these (Redis transport options).
        "socket_connect_timeout": env.float("BROKER_CONNECT_TIMEOUT", default=0.5),
        "socket_timeout": env.float("BROKER_SOCKET_TIMEOUT", default=2.0),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_PREFETCH_MULTIPLIER", default=4)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Broker outages. Workers and beat wait for the broker forever, at start-up too. A publish (the
# on-commit hooks of the outbox, the sweepers) tries for about a second, then
# core.publishing.publish logs and counts it and the beat sweepers queue the work again later.
# Redis restarts: config/redis_transport.py works around a crash of the worker in kombu's Redis
# transport ("'NoneType' object has no attribute 'hostname'" restoring unacked messages: kombu's
# channel close meets the connection close added by celery#10242; kombu#582 is the same failure)
# for redis:// and rediss:// broker URLs. Worked around, not pinned: no fixed release exists
# (celery 5.7.0 and kombu 5.7.0 are the newest, and celery 5.7 needs kombu 5.7).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.4, "interval_max": 0.6}
# Tasks recycle their database connections after this many tasks, otherwise as CONN_MAX_AGE
# says (config/celery.py); unset, Celery would open a new connection for every task.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)

# --- REST API ---------------------------------------------------------------------------------
# Lines an order (and a return or a shipment) may have, on the API and from every order source.
ORDER_MAX_LINES = env.int("ORDER_MAX_LINES", default=500)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["partners.auth.PartnerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["partners.auth.IsPartner"],
    "DEFAULT_THROTTLE_CLASSES": ["partners.auth.PartnerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"partner": env.str("API_THROTTLE_RATE", default="600/minute")},
    # The partner API speaks JSON (a marketplace report may also be a CSV upload): an HTML form's
    # blank-means-absent rules never apply to it.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.GuardedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Waypost partner API",
    "DESCRIPTION": "Customers, orders, shipments, returns and stock for Waypost's notifications.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The 4xx answers every operation can give, with the one error shape (core/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api.schema.document_errors"],
    # Several models have a ``status``: give each its own enum name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "ShipmentStatusEnum": "orders.models.Shipment.Status",
        "ReturnStatusEnum": "returns.models.ReturnRequest.Status",
        "ChannelEnum": "preferences.serializers.CHANNEL_CHOICES",
    },
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Translations of templates (django-modeltranslation) ---------------------------------------
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "es", "fr", "de")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

# --- Notification pipeline --------------------------------------------------------------------
WAYPOST_PROVIDERS = {
    "email": env.str("EMAIL_PROVIDER", default="sandbox"),
    "sms": env.str("SMS_PROVIDER", default="sandbox"),
    "whatsapp": env.str("WHATSAPP_PROVIDER", default="sandbox"),
    "push": env.str("PUSH_PROVIDER", default="sandbox"),
}
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=8)
DELIVERY_BACKOFF_BASE_SECONDS = env.float("DELIVERY_BACKOFF_BASE_SECONDS", default=5.0)
DELIVERY_BACKOFF_MAX_SECONDS = env.float("DELIVERY_BACKOFF_MAX_SECONDS", default=900.0)
EVENT_SWEEP_GRACE_SECONDS = env.int("EVENT_SWEEP_GRACE_SECONDS", default=30)
# A send in flight holds a lease: the longest its provider call can take (connect + read
# timeouts, times the rounds of its batch on the send threads) plus this margin. A lease that
# runs out (the worker died) makes the attempt's outcome unknown: it is reconciled, not resent.
DELIVERY_LEASE_MARGIN_SECONDS = env.float("DELIVERY_LEASE_MARGIN_SECONDS", default=10.0)
# Results of a batch's provider calls are recorded as they come back, at most this long apart.
SEND_RECORD_EVERY_SECONDS = env.float("SEND_RECORD_EVERY_SECONDS", default=0.5)
# Reconciling a send whose outcome is unknown: a look-up that finds nothing is conclusive only
# this long after the call ended (the provider's indexing lag; for providers without a look-up,
# the wait for a delivery receipt carrying our reference). Per provider, seconds.
RECONCILE_SETTLE_SECONDS = {
    "sandbox": 0.0,
    "console": 0.0,
    "smtp": 0.0,
    "webpush": 0.0,
    "postmark": 120.0,
    "mailgun": 600.0,
    "twilio": 60.0,
    "vonage": 600.0,
    **env_pairs("RECONCILE_SETTLE_SECONDS", cast=float),
}
RECONCILE_SETTLE_DEFAULT = env.float("RECONCILE_SETTLE_DEFAULT", default=300.0)  # other ESPs: their webhooks
RECONCILE_FIRST_LOOKUP_SECONDS = env.float("RECONCILE_FIRST_LOOKUP_SECONDS", default=5.0)
# A delivery whose provider cannot be asked for this long goes to the dead letters for an agent.
RECONCILE_GIVE_UP_SECONDS = env.float("RECONCILE_GIVE_UP_SECONDS", default=6 * 3600.0)
# Batching: a worker plans up to EVENT_BATCH_SIZE waiting events in one transaction, and the
# planner queues sends in messages of up to SEND_BATCH_SIZE deliveries per channel; a send task
# calls HTTP providers from SEND_THREADS threads (1: one call after another).
EVENT_BATCH_SIZE = env.int("EVENT_BATCH_SIZE", default=50)
SEND_BATCH_SIZE = env.int("SEND_BATCH_SIZE", default=50)
SEND_THREADS = env.int("SEND_THREADS", default=8)
CELERY_TASK_ROUTES = {
    "notifications.tasks.process_event": {"queue": "events"},
    "notifications.tasks.process_events": {"queue": "events"},
}
CELERY_TASK_DEFAULT_QUEUE = "celery"
WAYPOST_QUEUES = "events,email,sms,whatsapp,push,celery"
CELERY_BEAT_SCHEDULE = {
    "sweep-events": {
        "task": "notifications.tasks.sweep_events",
        "schedule": env.float("SWEEP_EVENTS_EVERY", default=15.0),
    },
    "dispatch-due": {
        "task": "notifications.tasks.dispatch_due",
        "schedule": env.float("DISPATCH_DUE_EVERY", default=5.0),
    },
}
PREFERENCE_LINK_MAX_AGE_DAYS = env.int("PREFERENCE_LINK_MAX_AGE_DAYS", default=30)

# --- The sandbox provider -----------------------------------------------------------------------
# The sandbox provider (every channel's default): a share of sends refused (not sent, retried), a
# share recorded but answered as if the connection dropped (outcome unknown, reconciled), a delay
# per send, and whether a repeated attempt key is recognised (an idempotent provider) or recorded
# as a second message (like most real providers; the default, so the figures can see repeats).
SANDBOX_FAIL_RATE = env.float("SANDBOX_FAIL_RATE", default=0.0)
SANDBOX_UNKNOWN_RATE = env.float("SANDBOX_UNKNOWN_RATE", default=0.0)
SANDBOX_LATENCY_MS = env.int("SANDBOX_LATENCY_MS", default=0)
SANDBOX_IDEMPOTENT = env.bool("SANDBOX_IDEMPOTENT", default=False)

# --- SMS and WhatsApp (Vonage, Twilio) ----------------------------------------------------------
# Ordered SMS providers per destination country, e.g. "US,CA=twilio,vonage;*=vonage,twilio".
# Unset: SMS_PROVIDER (the sandbox by default). A route naming an unconfigured provider stops startup.
SMS_ROUTES = env.str("SMS_ROUTES", default="")
VONAGE_API_KEY = env.str("VONAGE_API_KEY", default="")
VONAGE_API_SECRET = env.str("VONAGE_API_SECRET", default="")
VONAGE_SIGNATURE_SECRET = env.str("VONAGE_SIGNATURE_SECRET", default="")
VONAGE_SIGNATURE_METHOD = env.str("VONAGE_SIGNATURE_METHOD", default="md5hash")  # md5hash, md5, sha1, sha256, sha512
VONAGE_REST_HOST = env.str("VONAGE_REST_HOST", default="rest.nexmo.com")
VONAGE_API_HOST = env.str("VONAGE_API_HOST", default="api.nexmo.com")
VONAGE_CA_BUNDLE = env.str("VONAGE_CA_BUNDLE", default="")
VONAGE_TIMEOUT_SECONDS = env.int("VONAGE_TIMEOUT_SECONDS", default=10)
VONAGE_WHATSAPP_NUMBER = env.str("VONAGE_WHATSAPP_NUMBER", default="")
WEBHOOK_MAX_AGE_SECONDS = env.int("WEBHOOK_MAX_AGE_SECONDS", default=300)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="")  # e.g. http://127.0.0.1:8025 for a fake server
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)
# Numbers to send from where alphanumeric sender ids are not allowed: "US=+12025550100,CA=+12025550100".
SMS_SENDER_NUMBERS = env_pairs("SMS_SENDER_NUMBERS")
# Where only numbers may send (sources in customers/sms_senders.py); a brand texting one needs a number there.
SMS_NUMERIC_SENDER_COUNTRIES = env.list(
    "SMS_NUMERIC_SENDER_COUNTRIES", default=["US", "CA", "PR", "VI", "GU", "AS", "MP"]
)
SMS_STOP_FOOTER_COUNTRIES = env.list("SMS_STOP_FOOTER_COUNTRIES", default=["US", "CA", "FR"])
SMS_PRICES = env.str("SMS_PRICES", default="vonage:US=0.00809,vonage:*=0.0650,twilio:US=0.0083,twilio:*=0.0700")
SMS_MAX_SEGMENTS = env.int("SMS_MAX_SEGMENTS", default=3)
SMS_PROHIBITED_PATTERNS = env.list("SMS_PROHIBITED_PATTERNS", default=[])  # regexes; empty: the defaults
SMS_RATE_LIMITS = {"vonage": 30.0, "twilio": 30.0, **env_pairs("SMS_RATE_LIMITS", cast=float)}
SMS_CUSTOMER_CAP_PER_HOUR = env.int("SMS_CUSTOMER_CAP_PER_HOUR", default=3)
REDIS_URL = env.str("REDIS_URL", default="")
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")  # /metrics answers only with this bearer token; empty: 404

# --- Email ------------------------------------------------------------------------------------
# EMAIL_PROVIDER (WAYPOST_PROVIDERS["email"] above): sandbox (the database outbox), console, smtp
# (EMAIL_URL, e.g. smtp+tls://user:pass@smtp.example.com:587) or any anymail ESP name (postmark,
# mailgun, sendgrid, amazon_ses, brevo, resend, ...). Every ANYMAIL_<SETTING> environment variable
# becomes ANYMAIL["<SETTING>"] (ANYMAIL_POSTMARK_SERVER_TOKEN, ANYMAIL_WEBHOOK_SECRET, ...).
import os as _os  # noqa: E402

EMAIL_PROVIDER = WAYPOST_PROVIDERS["email"]
INSTALLED_APPS += ["anymail"]


def _anymail_value(name: str, value: str):
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if name == "REQUESTS_TIMEOUT":
        return float(value)
    return value


ANYMAIL = {
    key[len("ANYMAIL_") :]: _anymail_value(key[len("ANYMAIL_") :], value)
    for key, value in _os.environ.items()
    if key.startswith("ANYMAIL_") and len(key) > len("ANYMAIL_")
}
ANYMAIL.setdefault("REQUESTS_TIMEOUT", 15.0)  # seconds; a timeout is a transient failure we retry
if EMAIL_PROVIDER in ("sandbox", "console"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif EMAIL_PROVIDER == "smtp":
    vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
    EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
else:
    EMAIL_BACKEND = f"anymail.backends.{EMAIL_PROVIDER}.EmailBackend"
# ESPs whose tracking webhooks are answered besides EMAIL_PROVIDER's (e.g. the one being left);
# every other /anymail/<esp>/tracking/ URL is a 404.
EMAIL_WEBHOOK_PROVIDERS = env.list("EMAIL_WEBHOOK_PROVIDERS", default=[])
# The mailto half of List-Unsubscribe; empty: the brand's support address.
EMAIL_UNSUBSCRIBE_MAILTO = env.str("EMAIL_UNSUBSCRIBE_MAILTO", default="")

# --- Preference center: push, quiet hours, digests, caps (issue 6) ---------------------------------
# Push counts as an active channel when the customer has a live Web Push subscription or the
# merchant's app reported the device within this many days (POST .../app-presence/).
PUSH_APP_ACTIVE_DAYS = env.int("PUSH_APP_ACTIVE_DAYS", default=30)
# VAPID keys for Web Push (base64url raw keys). Empty: generated once into WAYPOST_DATA_DIR/vapid.json.
WEBPUSH_VAPID_PUBLIC_KEY = env.str("WEBPUSH_VAPID_PUBLIC_KEY", default="")
WEBPUSH_VAPID_PRIVATE_KEY = env.str("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env.str("WEBPUSH_VAPID_SUBJECT", default="mailto:push@waypost.example")
WEBPUSH_TIMEOUT_SECONDS = env.float("WEBPUSH_TIMEOUT_SECONDS", default=10.0)
WEBPUSH_TTL_SECONDS = env.int("WEBPUSH_TTL_SECONDS", default=86400)
# Non-critical messages per customer per channel within the window; the excess waits for the next digest.
FREQUENCY_CAPS = env_pairs("FREQUENCY_CAPS", cast=int, default={"email": 10, "sms": 4, "whatsapp": 4, "push": 6})
FREQUENCY_CAP_WINDOW_HOURS = env.int("FREQUENCY_CAP_WINDOW_HOURS", default=24)
CELERY_BEAT_SCHEDULE["build-digests"] = {
    "task": "notifications.tasks.build_digests",
    "schedule": env.float("BUILD_DIGESTS_EVERY", default=60.0),
}

# --- Intake: order sources and carrier tracking (issue 7) ---------------------------------------
INTAKE_ADAPTER_MODULES = env.list(
    "INTAKE_ADAPTER_MODULES",
    default=[
        "intake.sources.shopify",
        "intake.sources.woocommerce",
        "intake.sources.marketplace",
        "intake.sources.partner",
        "intake.sources.carrier",
    ],
)
CARRIER_ADAPTER_MODULES = env.list(
    "CARRIER_ADAPTER_MODULES", default=["intake.carriers.generic", "intake.carriers.aftership", "intake.carriers.dhl"]
)
INTAKE_RATE_LIMIT = env.str("INTAKE_RATE_LIMIT", default="200/s")  # per worker process (Celery rate_limit)
INTAKE_SWEEP_GRACE_SECONDS = env.int("INTAKE_SWEEP_GRACE_SECONDS", default=30)
INTAKE_SWEEP_BATCH = env.int("INTAKE_SWEEP_BATCH", default=500)
INTAKE_MAX_ATTEMPTS = env.int("INTAKE_MAX_ATTEMPTS", default=5)
INTAKE_LAG_DEGRADED_SECONDS = env.int("INTAKE_LAG_DEGRADED_SECONDS", default=300)
INTAKE_ERROR_RATE_DEGRADED = env.float("INTAKE_ERROR_RATE_DEGRADED", default=0.2)
INTAKE_ERROR_RATE_MIN_RECORDS = env.int("INTAKE_ERROR_RATE_MIN_RECORDS", default=10)
ETA_SLIP_THRESHOLD_HOURS = env.float("ETA_SLIP_THRESHOLD_HOURS", default=24.0)
CELERY_BEAT_SCHEDULE["sweep-intake"] = {
    "task": "intake.tasks.sweep_intake",
    "schedule": env.float("SWEEP_INTAKE_EVERY", default=30.0),
}
# Each carrier's own interval (CarrierAccount.poll_interval_minutes, default 15) is checked every tick.
CELERY_BEAT_SCHEDULE["poll-carriers"] = {
    "task": "intake.tasks.poll_carriers",
    "schedule": env.float("POLL_CARRIERS_TICK", default=60.0),
}
# Quiet hours for customers who never chose ("HH:MM-HH:MM" local time; empty: none) and the
# channels they hold (email is not held by default).
QUIET_HOURS_DEFAULT = env.str("QUIET_HOURS_DEFAULT", default="21:00-08:00")
QUIET_HOURS_DEFAULT_CHANNELS = env.list("QUIET_HOURS_DEFAULT_CHANNELS", default=["sms", "whatsapp", "push"])
