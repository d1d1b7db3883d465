"""Production: refuses to start without a real secret, and passes `check --deploy` cleanly.

Everything secret or machine-specific comes from the environment (docs/operations.md lists it);
this file only hardens: HTTPS everywhere (with the health check reachable over plain HTTP for a
load balancer), strict cookies, and short database connect timeouts so an outage answers 503 at
once. (The log redaction of config/logging_filters.py and the login throttle are in base.py, for
every environment.)"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY.startswith("insecure") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in the environment to a random string of 50+ characters."
    )
# Keys retired by a rotation keep signed sessions and reset links valid until they expire
# (docs/operations.md, "Rotate SECRET_KEY"): comma-separated, newest first.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
# Where `collectstatic` writes; a container or a test stack may point it outside the code tree.
STATIC_ROOT = env.path("STATIC_ROOT", default=str(STATIC_ROOT))  # noqa: F405
# Only the collected files, under their hashed names with a year's caching.
WHITENOISE_USE_FINDERS = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe health over plain HTTP inside the network; it shows no data.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A staff session lasts a working day, not Django's two weeks.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# An unreachable database must fail a request in seconds (503), not hang a web worker.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int(  # noqa: F405
        "DATABASE_CONNECT_TIMEOUT", default=5
    )

# Beat's safety net (recompute every contract) runs this often; a test stack shortens it.
CELERY_BEAT_SCHEDULE["recompute-all-contracts"]["schedule"] = env.int(  # noqa: F405
    "COST_SAFETY_NET_SECONDS", default=15 * 60
)
