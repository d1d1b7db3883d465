"""The identity provider's OpenID configuration (OpenID Connect Discovery 1.0) and its signing
keys, fetched from the configured issuer and kept in the shared cache.

This is the one place Seatplan's own code reaches another server: only the issuer the
environment names (`OIDC_ISSUER`), and the endpoints its discovery document gives, which must
name that same issuer (Discovery §4.3), over the configured timeout. A client of Seatplan
chooses none of these URLs."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache

from config.middleware import CACHE_AND_BROKER_ERRORS

log = logging.getLogger(__name__)

REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
# What a failed exchange with the provider raises (mozilla-django-oidc uses requests too).
FETCH_ERRORS = (requests.RequestException,)


class DiscoveryError(Exception):
    """The provider's configuration or keys cannot be had (unreachable, malformed, or naming
    another issuer)."""


def issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def _key(kind: str) -> str:
    return f"identity:oidc:{kind}:{hashlib.sha256(issuer().encode()).hexdigest()[:24]}"


def _timeout() -> int:
    return int(getattr(settings, "OIDC_TIMEOUT", 5))


def _ttl() -> int:
    return int(getattr(settings, "OIDC_DISCOVERY_TTL", 3600))


def _fetch_json(url: str) -> Any:
    try:
        response = requests.get(url, timeout=_timeout(), headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DiscoveryError(f"{url} could not be read: {exc.__class__.__name__}") from exc


def _cached(kind: str, load, *, refresh: bool = False):
    key = _key(kind)
    if not refresh:
        try:
            found = cache.get(key)
        except CACHE_AND_BROKER_ERRORS:
            found = None
        if found is not None:
            return found
    value = load()
    try:
        cache.set(key, value, timeout=_ttl())
    except CACHE_AND_BROKER_ERRORS:
        log.warning("oidc: cache unreachable, the provider's configuration is not kept")
    return value


def _load_configuration() -> dict[str, Any]:
    document = _fetch_json(f"{issuer()}/.well-known/openid-configuration")
    if not isinstance(document, dict):
        raise DiscoveryError("The discovery document is not a JSON object.")
    missing = [name for name in REQUIRED if not isinstance(document.get(name), str)]
    if missing:
        raise DiscoveryError(f"The discovery document lacks {', '.join(missing)}.")
    if document["issuer"].rstrip("/") != issuer():
        raise DiscoveryError(
            "The discovery document names another issuer than OIDC_ISSUER; refusing it."
        )
    return document


def configuration(*, refresh: bool = False) -> dict[str, Any]:
    """The provider's discovery document (cached `OIDC_DISCOVERY_TTL` seconds)."""
    return _cached("configuration", _load_configuration, refresh=refresh)


def _load_keys() -> dict[str, Any]:
    keys = _fetch_json(configuration()["jwks_uri"])
    if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
        raise DiscoveryError("The provider's key set is not a JWKS.")
    return keys


def signing_keys(*, refresh: bool = False) -> dict[str, Any]:
    """The provider's JSON Web Key Set (cached like the configuration; `refresh` after a key
    rotation, when a token names a key the cached set lacks)."""
    return _cached("jwks", _load_keys, refresh=refresh)
