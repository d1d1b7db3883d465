"""Settings shared by every environment. Everything that differs between machines comes from the
environment (12-factor): no `DATABASE_URL` means the embedded SQLite file, no `CELERY_BROKER_URL`
means tasks run eagerly in-process, no `REDIS_URL` means a local-memory cache."""

from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="insecure-local-only-key-do-not-use-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "core",
    "agencies",
    "rollout",
    "licensing",
    "identity",
    "notifications",
    "vendor",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # URL, header and API body sizes (config/request_limits.py): 414/431/413 in the error shape.
    "config.request_limits.RequestLimitsMiddleware",
    "config.middleware.ServiceUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Answers 429 when a sign-in is locked (config/login_throttle.py: one counter for every way
    # to sign in, per address and account, in the shared cache).
    "config.login_throttle.LoginThrottleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records the request's user on every employee history row written while it runs.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
                "config.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'seatplan.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a seed or job writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Billing days are calendar days in the contract's time zone (docs/cost-engine.md).
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Everyone signs in on the pages' login (the admin's login admits staff only), and a refused
# form is explained on a page of the site, with its header and logout button (config/pages.py).
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
CSRF_FAILURE_VIEW = "config.pages.csrf_failure"

# Django's password backend with the login throttle in front: a locked sign-in is refused before
# any backend checks the password (config/login_throttle.py); identity's subclass of it also
# keeps PASSWORD_LOGIN=false (only a superuser signs in with a password). The identity
# provider's sign-in (identity/oidc/, when OIDC_ISSUER is set) goes after it, so the throttle
# sees every authenticate() first. docs/identity.md.
AUTHENTICATION_BACKENDS = [
    "identity.backends.PasswordBackend",
    "identity.oidc.backend.OidcBackend",
]
LOGIN_THROTTLE_FAILURES = env.int("LOGIN_THROTTLE_FAILURES", default=5)
LOGIN_THROTTLE_IP_FAILURES = env.int("LOGIN_THROTTLE_IP_FAILURES", default=50)
LOGIN_THROTTLE_WINDOW = env.int("LOGIN_THROTTLE_WINDOW", default=15 * 60)

# --- Cache: the Redis cache coalesces cost recomputations across processes. ---------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="seatplan"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Celery still takes a producer from its pool for an eager task; without a URL kombu would
    # assume amqp://localhost (and log that it did). The in-memory transport is never reached.
    CELERY_BROKER_WRITE_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task that outlives the broker's visibility timeout would be delivered twice; keep every limit
# well below it (the jobs are idempotent anyway, this keeps duplicates rare).
CELERY_BROKER_VISIBILITY_TIMEOUT = 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 900
CELERY_QUEUE_COSTS = "costs"
CELERY_QUEUE_BULK = "bulk"
# Webhook and email deliveries wait on other people's servers: their own queue, so a slow
# receiver never holds up the outbox dispatcher, a cost recompute or a cohort job.
CELERY_QUEUE_NOTIFY = "notify"
# Calls to the vendor's SCIM API wait on another company's servers: their own queue, so a slow or
# rate-limiting vendor never holds up the outbox dispatcher, the costs or a cohort job.
CELERY_QUEUE_VENDOR = "vendor"
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "licensing.tasks.recompute_contract_cost_task": {"queue": CELERY_QUEUE_COSTS},
    "licensing.tasks.recompute_all_contracts_task": {"queue": CELERY_QUEUE_COSTS},
    "licensing.tasks.nightly_snapshot_task": {"queue": CELERY_QUEUE_COSTS},
    # The sweeper goes to the default queue, not behind the long jobs of the bulk queue.
    "rollout.tasks.requeue_stalled_jobs_task": {"queue": CELERY_TASK_DEFAULT_QUEUE},
    "rollout.tasks.*": {"queue": CELERY_QUEUE_BULK},
    "core.tasks.*": {"queue": CELERY_TASK_DEFAULT_QUEUE},
    "agencies.tasks.*": {"queue": CELERY_QUEUE_BULK},
    "notifications.tasks.*": {"queue": CELERY_QUEUE_NOTIFY},
    "vendor.tasks.*": {"queue": CELERY_QUEUE_VENDOR},
}
# The outbox's consumers (core/outbox.py): dotted paths of `accept(events)` callables, each
# recording its own deliveries. Apps that consume events add themselves here.
OUTBOX_CONSUMERS: list[str] = [
    "vendor.consumer.accept",
    "notifications.services.webhooks.webhook_deliveries_accept",
    "notifications.services.email.email_deliveries_accept",
]
# Seconds a cost recompute waits after the first change of a burst, so the burst coalesces.
COST_RECOMPUTE_DELAY = env.int("COST_RECOMPUTE_DELAY", default=2)

# --- REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    # The API key class comes first: its `WWW-Authenticate` makes a request without credentials
    # answer 401 rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.api.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.PageNumberPagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON bounded in size and nesting (config/api/parsers.py): never a RecursionError.
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.BoundedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.throttling.ApiKeyThrottle",
        "config.api.throttling.UserThrottle",
        "config.api.throttling.AnonThrottle",
        "config.api.throttling.ScopedThrottle",
    ],
    # OPTIONS answers 405 like any other method an endpoint does not document.
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "config.api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Seatplan API",
    "DESCRIPTION": "Phased rollout and seat licensing for the executive branch's AI assistant. "
    "Authenticate with `Authorization: Api-Key <key>` (keys from `manage.py create_api_user`) "
    "or a session. Errors share one shape: `{code, detail, fields}`. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Separate request and response components, so read-only fields never appear in a body.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "WaveStatusEnum": "rollout.choices.WaveStatus",
        "CohortStatusEnum": "rollout.choices.CohortStatus",
        "GateKindEnum": "rollout.choices.GateKind",
        "SignedGateKindEnum": "rollout.api.serializers.SIGNED_GATE_CHOICES",
        "PeriodKindEnum": "licensing.api.serializers.PERIOD_KIND_CHOICES",
        "JobKindEnum": "core.choices.JobKind",
        "JobStatusEnum": "core.choices.JobStatus",
        "SeatStatusEnum": "licensing.choices.SeatStatus",
        "BillingLineStatusEnum": "licensing.choices.BillingLineStatus",
        "TierModeEnum": "licensing.choices.TierMode",
        "BillingBasisEnum": "licensing.choices.BillingBasis",
        "BargainingStatusEnum": "agencies.choices.BargainingStatus",
        "EmploymentStatusEnum": "agencies.choices.EmploymentStatus",
        "EventTypeEnum": "notifications.catalog.SUBSCRIBABLE_CHOICES",
        "DeliveryStatusEnum": "notifications.choices.DeliveryStatus",
        "EmailModeEnum": "notifications.choices.EmailMode",
        "EmailChoiceEnum": "notifications.api.serializers.EMAIL_CHOICE_CHOICES",
        "ProvisioningStateEnum": "vendor.choices.ProvisioningState",
        "ProvisioningOperationEnum": "vendor.choices.Operation",
    },
}

IMPORT_EXPORT_USE_TRANSACTIONS = True
# Employee history (who, when, which file): the change reason names the import and its job,
# and a file name can be long, so the reason is a text column.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# Logs: API keys, Authorization headers and email addresses are redacted before any handler
# writes them, in every environment. Celery keeps Django's logging (instead of installing its own
# root handler), so the worker's and beat's logs go through the same filter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "config.logging_filters.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # httpx logs every request's URL at INFO; a SCIM filter carries a work email.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Beat: a safety net that heals costs after lost messages, and the nightly close and snapshot.
CELERY_BEAT_SCHEDULE = {
    "recompute-all-contracts": {
        "task": "licensing.tasks.recompute_all_contracts_task",
        "schedule": 15 * 60,
    },
    "nightly-snapshot": {
        "task": "licensing.tasks.nightly_snapshot_task",
        "schedule": crontab(hour=0, minute=30),
    },
    "reclaim-idle-seats": {
        "task": "rollout.tasks.reclaim_idle_seats_task",
        "schedule": crontab(hour=2, minute=15),
    },
    # The outbox: events whose dispatch message was lost (Redis keeps nothing on disk).
    "dispatch-events": {
        "task": "core.tasks.dispatch_events_task",
        "schedule": 60,
    },
    # Vendor provisioning: resume what waits (backoff over, circuit cooled down, a lost message).
    "provision-seats": {
        "task": "vendor.tasks.provision_seats_task",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # The vendor's member list against Seatplan's seats, every night.
    "reconcile-vendor": {
        "task": "vendor.tasks.reconcile_all_task",
        "schedule": crontab(hour=1, minute=45),
    },
    # Cohort activations the broker lost (Redis keeps nothing on disk) or a dead worker left
    # (its heartbeat stopped): often, so a stranded job is handed on within seconds. One small
    # indexed query when there is nothing to do.
    "requeue-stalled-jobs": {
        "task": "rollout.tasks.requeue_stalled_jobs_task",
        "schedule": 15,
        "options": {"expires": 15},
    },
}

# --- Vendor provisioning (SCIM 2.0 client; docs/vendor.md) --------------------------------------
# The environment's connection serves every contract that has no connection of its own in the
# admin; unset, provisioning is off. The token is a secret: from the environment only, never logged.
VENDOR_SCIM_URL = env("VENDOR_SCIM_URL", default="")
VENDOR_SCIM_TOKEN = env("VENDOR_SCIM_TOKEN", default="")
# What a revoked seat does to its vendor user: `delete` it, or `deactivate` it (active: false).
VENDOR_SCIM_REVOKE_ACTION = env("VENDOR_SCIM_REVOKE_ACTION", default="delete")
# Seconds a SCIM call may take (connect, read) before it counts as the vendor being down.
VENDOR_SCIM_TIMEOUT = env.float("VENDOR_SCIM_TIMEOUT", default=10.0)
# Calls a provisioning run keeps in flight at once (each seat's own calls stay in order).
VENDOR_SCIM_CONCURRENCY = env.int("VENDOR_SCIM_CONCURRENCY", default=4)
# Retries: a seat's nth failed try waits base × 2^(n-1) seconds (capped). A seat is `failed` when
# the vendor refuses it (a 4xx with its message) or after VENDOR_MAX_ATTEMPTS failed tries while
# the vendor otherwise answers; while the vendor is down it stays `pending`, never failed.
VENDOR_RETRY_BASE_SECONDS = env.float("VENDOR_RETRY_BASE_SECONDS", default=2.0)
VENDOR_RETRY_MAX_SECONDS = env.float("VENDOR_RETRY_MAX_SECONDS", default=900.0)
VENDOR_MAX_ATTEMPTS = env.int("VENDOR_MAX_ATTEMPTS", default=8)
# The circuit: this many failures in a row (unreachable, timeout, 5xx, token refused) open it;
# it stays open for the cooldown, doubled at each opening in a row up to the maximum.
VENDOR_CIRCUIT_THRESHOLD = env.int("VENDOR_CIRCUIT_THRESHOLD", default=3)
VENDOR_CIRCUIT_COOLDOWN_SECONDS = env.float("VENDOR_CIRCUIT_COOLDOWN_SECONDS", default=30.0)
VENDOR_CIRCUIT_COOLDOWN_MAX_SECONDS = env.float(
    "VENDOR_CIRCUIT_COOLDOWN_MAX_SECONDS", default=600.0
)

# --- Request size limits (config/request_limits.py, config/api/parsers.py) -----------------------
# Set below gunicorn's own (which answer in HTML), so Django answers in the error shape.
REQUEST_MAX_URL_BYTES = env.int("REQUEST_MAX_URL_BYTES", default=4000)
REQUEST_MAX_HEADER_BYTES = env.int("REQUEST_MAX_HEADER_BYTES", default=8190)
REQUEST_MAX_HEADERS_BYTES = env.int("REQUEST_MAX_HEADERS_BYTES", default=32 * 1024)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)

# --- API keys and rate limits ---------------------------------------------------------------------
# Clients send `Authorization: Api-Key <key>`. Set a META name (e.g. `HTTP_X_API_KEY`) to read the
# key from that header instead.
API_KEY_CUSTOM_HEADER = env("API_KEY_CUSTOM_HEADER", default=None)
# Rates as "<n>/<s|min|hour|day>": per API key, per user (session and keys together), per client
# address without credentials, and tighter scopes for the expensive endpoints.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "api_key": env("API_THROTTLE_API_KEY", default="1000/min"),
    "user": env("API_THROTTLE_USER", default="2000/min"),
    "anon": env("API_THROTTLE_ANON", default="60/min"),
    "seat_counts": env("API_THROTTLE_SEAT_COUNTS", default="600/min"),
    "forecast": env("API_THROTTLE_FORECAST", default="60/min"),
    "cohort_activation": env("API_THROTTLE_COHORT_ACTIVATION", default="30/min"),
}

# --- Web pages: CSP and security headers ---------------------------------------------------------
# The pages load nothing from outside the server: styles and the favicon are local static files
# (WhiteNoise), charts are inline SVG drawn on the server, and there is no script at all. So the
# policy allows 'self' only, forbids inline script and inline style, plugins, framing and foreign
# form targets. The Swagger UI (drf-spectacular's template) needs an inline script and style, so
# /api/docs/ is left out of the policy; everything else, the admin and the API included, gets it.
from csp.constants import NONE, SELF  # noqa: E402

INSTALLED_APPS += ["csp"]
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves the static files whatever DEBUG says, straight from the source tree (the
# finders) so a run with DEBUG off, the test suite's included, styles its pages without a
# `collectstatic`. Production serves only the collected, hashed files (production.py).
WHITENOISE_USE_FINDERS = True
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Notifications: email, webhooks, cost thresholds (docs/notifications.md) ----------------------
# Mail goes through Django's email backend, configured by one URL (django-environ): the default
# prints each message on the console; an smtp+tls URL with the relay's credentials and port 587
# sends for real (docs/notifications.md).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Seatplan <seatplan@localhost>")
# The address people open Seatplan at, for the links in mails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Webhooks go to public addresses only; `true` lets loopback and private ones through, for
# development and tests on one machine (cloud metadata addresses stay refused).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# How long a worker holds a delivery it is sending; past it, another worker may send it again
# (with the same webhook-id). Well above the timeout and the task's time limit.
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=120)
WEBHOOK_DISABLE_AFTER_HOURS = env.int("WEBHOOK_DISABLE_AFTER_HOURS", default=24)
# Shares of the ceiling (percent) the projected total is watched against, and the margin (in
# percentage points) a figure must fall back below a threshold before it can page again.
# Read as decimals here, so a mistyped value stops the start rather than a cost job.
COST_ALERT_THRESHOLDS = [
    Decimal(p) for p in env.list("COST_ALERT_THRESHOLDS", default=["80", "90", "100"])
]
COST_ALERT_HYSTERESIS = Decimal(env("COST_ALERT_HYSTERESIS", default="2"))
# httpx logs every request's URL at INFO, and a webhook URL may carry its receiver's token.
LOGGING["loggers"].update({"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}})
# Local hour the daily digest of email notifications is sent.
NOTIFY_DIGEST_HOUR = env.int("NOTIFY_DIGEST_HOUR", default=7)
CELERY_BEAT_SCHEDULE.update(
    {
        # Deliveries whose retry is due, and those a dead worker left leased.
        "notifications-sweep": {
            "task": "notifications.tasks.deliveries_sweep_task",
            "schedule": 60,
        },
        "email-digests": {
            "task": "notifications.tasks.email_digests_task",
            "schedule": crontab(hour=NOTIFY_DIGEST_HOUR, minute=0),
        },
        # Gates moved by what no service announces (admin edits, identity updates).
        "cohort-gates": {
            "task": "notifications.tasks.cohort_gates_task",
            "schedule": 15 * 60,
        },
    }
)

# --- Identity: sign-in through the state's identity provider, SCIM 2.0 provisioning -------------
# docs/identity.md. All off on the embedded default: no issuer, no sign-in through it.
OIDC_ISSUER = env("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
# The name on the login page's button: "Sign in with <OIDC_PROVIDER_NAME>".
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="")
OIDC_SCOPES = env("OIDC_SCOPES", default="openid email profile")
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", default="groups")
# Which groups give which role: "rollout_manager=SG-AI-Rollout,agency_coordinator:DOR=SG-AI-DOR".
OIDC_ROLE_MAP = env("OIDC_ROLE_MAP", default="")
OIDC_SIGN_ALGO = env("OIDC_SIGN_ALGO", default="RS256")
# Seconds the issuer's discovery document and keys are kept in the cache.
OIDC_DISCOVERY_TTL = env.int("OIDC_DISCOVERY_TTL", default=3600)
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=5)
# Off: only a superuser signs in with a password (break-glass); everyone else through the IdP.
PASSWORD_LOGIN = env.bool("PASSWORD_LOGIN", default=True)

# SCIM 2.0 at /scim/v2/: agency placements by group, the attribute naming a user's agency,
# rate limits like the API's, and the largest body accepted.
SCIM_GROUP_MAP = env("SCIM_GROUP_MAP", default="")
SCIM_AGENCY_ATTRIBUTE = env("SCIM_AGENCY_ATTRIBUTE", default="department")
SCIM_THROTTLE_TOKEN = env("SCIM_THROTTLE_TOKEN", default="1000/min")
SCIM_THROTTLE_ANON = env("SCIM_THROTTLE_ANON", default="60/min")
SCIM_MAX_BODY_BYTES = env.int("SCIM_MAX_BODY_BYTES", default=1024 * 1024)
SCIM_PAGE_SIZE = env.int("SCIM_PAGE_SIZE", default=100)
SCIM_MAX_PAGE_SIZE = env.int("SCIM_MAX_PAGE_SIZE", default=1000)
