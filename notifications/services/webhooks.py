"""Webhooks: endpoints their owners manage, the outbox consumer that records what each must
receive, and the delivery of it, signed per the Standard Webhooks specification.

- An endpoint belongs to the rollout manager or finance person who registered it; its secret
  (`whsec_` + 32 random bytes, base64) is handed over once, when it is created.
- `webhook_deliveries_accept(events)` is named in `settings.OUTBOX_CONSUMERS`: inside the
  dispatcher's transaction it writes one `WebhookDelivery` per (event, endpoint) the event is
  for — the types the endpoint names, events its owner may read, from its creation on — with
  `ON CONFLICT DO NOTHING` (a repeated batch adds nothing), and on commit queues a delivery task
  per endpoint.
- `webhook_endpoint_deliver` claims the endpoint's due deliveries one at a time with a lease
  (services/leases.py), sends each and records the answer. A failure is retried on a growing
  schedule; an endpoint that has answered nothing but failures for `WEBHOOK_DISABLE_AFTER_HOURS`
  is disabled and its owner told (`webhook.disabled`, sent by email).

Each message: `webhook-id` is the event's own id (`evt_<id>`), the same for every attempt and
every redelivery, so a receiver can deduplicate; `webhook-timestamp` is the attempt's time, and
`webhook-signature` is `v1,<HMAC-SHA256>` over `id.timestamp.body` (the `standardwebhooks`
library). The body is `{"type", "timestamp", "data"}`, `data` being the payload as the owner's
role may read it (notifications/audience.py), computed when it is sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import secrets
import time

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from config.api.permissions import has_any_role
from config.errors import BusinessRuleError
from config.middleware import CACHE_AND_BROKER_ERRORS
from config.roles import FINANCE, ROLLOUT_MANAGER
from core.models import Event
from core.outbox import event_emit

from .. import outbound
from ..audience import audience_of
from ..catalog import SUBSCRIBABLE, WEBHOOK_DISABLED
from ..choices import DeliveryStatus
from ..models import WebhookDelivery, WebhookEndpoint
from .leases import deliveries_claim, delivery_settle, retry_at

log = logging.getLogger(__name__)

OWNER_ROLES = (ROLLOUT_MANAGER, FINANCE)
SWEEP_SECONDS = 60  # beat's notifications-sweep (settings.CELERY_BEAT_SCHEDULE)
# After the first attempt fails, retries come after these waits (the schedule Standard Webhooks
# suggests): about 27 hours in all, so an endpoint down for a day is disabled before it ends.
RETRY_SCHEDULE = (
    dt.timedelta(seconds=5),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)


# --- endpoints ---------------------------------------------------------------------------------


def webhook_secret_new() -> str:
    """A fresh signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_url_refusal(url: str) -> str | None:
    """Why `url` may not receive webhooks (checked now, its host resolved), or None."""
    try:
        outbound.url_check(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except outbound.UrlRefused as exc:
        return str(exc)
    return None


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 2000:
        raise BusinessRuleError("url_refused", "The URL is longer than 2,000 characters.")
    refusal = webhook_url_refusal(url)
    if refusal:
        raise BusinessRuleError("url_refused", refusal, url=url)
    return url


def _check_types(event_types) -> list[str]:
    types = sorted(set(event_types or ()))
    unknown = [t for t in types if t not in SUBSCRIBABLE]
    if unknown:
        raise BusinessRuleError(
            "unknown_event_type",
            f"No such event type: {', '.join(unknown)}. Use {', '.join(SUBSCRIBABLE)}.",
            unknown=unknown,
        )
    if not types:
        raise BusinessRuleError("no_event_type", "Name at least one event type to receive.")
    return types


def _check_owner(actor, endpoint: WebhookEndpoint | None = None) -> None:
    if not has_any_role(actor, OWNER_ROLES):
        raise BusinessRuleError(
            "role_required", "Only rollout managers and finance manage webhook endpoints."
        )
    if endpoint is not None and endpoint.owner_id != actor.pk:
        raise BusinessRuleError("not_owner", "This webhook endpoint belongs to someone else.")


@transaction.atomic
def webhook_endpoint_create(
    *, owner, url: str, event_types: list[str], description: str = ""
) -> WebhookEndpoint:
    """Register a URL to receive the named event types, signed with a new secret. The URL must
    be http(s) and resolve to public addresses only (unless `WEBHOOK_ALLOW_PRIVATE`). The
    returned endpoint carries its `secret`: show it to the owner now, it is never shown again."""
    _check_owner(owner)
    return WebhookEndpoint.objects.create(
        owner=owner,
        url=_check_url(url),
        event_types=_check_types(event_types),
        description=(description or "").strip()[:500],
        secret=webhook_secret_new(),
    )


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """The owner changes an endpoint: its URL (checked again), the event types, the
    description, or enables or disables it. Enabling it again clears its failure record and
    makes its waiting deliveries due at once; the types it stops naming are no longer recorded
    for it from now on."""
    endpoint = _locked(endpoint)
    _check_owner(actor, endpoint)
    now = timezone.now()
    if url is not None:
        endpoint.url = _check_url(url)
    if event_types is not None:
        endpoint.event_types = _check_types(event_types)
    if description is not None:
        endpoint.description = description.strip()[:500]
    if is_active is True and not endpoint.is_active:
        endpoint.is_active = True
        endpoint.failing_since = None
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        endpoint.deliveries.filter(status=DeliveryStatus.PENDING).update(next_attempt_at=now)
        transaction.on_commit(lambda: _queue([endpoint.pk]), robust=True)
    elif is_active is False and endpoint.is_active:
        endpoint.is_active = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = f"Disabled by {actor.get_username()}."
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """The owner removes an endpoint, and its delivery record with it."""
    endpoint = _locked(endpoint)
    _check_owner(actor, endpoint)
    endpoint.delete()


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery again (delivered, failed or skipped; or a pending one now rather than at
    its retry time), with the same `webhook-id`: a fresh round of retries. Refused while the
    endpoint is disabled, or while an attempt is in flight."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .get(pk=delivery.pk)
    )
    _check_owner(actor, delivery.endpoint)
    now = timezone.now()
    if not delivery.endpoint.is_active:
        raise BusinessRuleError(
            "endpoint_disabled", "The endpoint is disabled: enable it before redelivering."
        )
    if delivery.lease_until is not None and delivery.lease_until > now:
        raise BusinessRuleError(
            "delivery_in_flight", "This delivery is being sent right now; wait for its outcome."
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.retries = 0
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.delivered_at = None
    delivery.save(
        update_fields=["status", "retries", "next_attempt_at", "lease_until", "delivered_at"]
    )
    transaction.on_commit(lambda: _queue([delivery.endpoint_id]), robust=True)
    return delivery


# --- the outbox consumer -------------------------------------------------------------------------


def webhook_deliveries_accept(events: list[Event]) -> None:
    """The outbox consumer (settings.OUTBOX_CONSUMERS): record one delivery per (event, active
    endpoint) the event is for, inside the dispatcher's transaction, and queue the endpoints'
    delivery tasks on commit. Idempotent: a repeated batch records nothing new."""
    types = {event.type for event in events}
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(is_active=True).select_related("owner")
        if types & set(e.event_types)
    ]
    rows = []
    for endpoint in endpoints:
        audience = audience_of(endpoint.owner)
        wanted = set(endpoint.event_types)
        rows += [
            WebhookDelivery(event=event, endpoint=endpoint, created_at=event.created_at)
            for event in events
            if event.type in wanted
            and event.created_at >= endpoint.created_at
            and audience.may_see(event)
        ]
    if not rows:
        return
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    endpoint_ids = sorted({row.endpoint_id for row in rows})
    transaction.on_commit(lambda: _queue(endpoint_ids), robust=True)


def _queue(endpoint_ids: list[int], countdown: float = 0) -> None:
    """Ask the workers to deliver to these endpoints (after `countdown` seconds). A broker
    outage loses nothing: the rows wait in the database for beat's sweep."""
    from ..tasks import webhook_endpoint_deliver_task

    for endpoint_id in endpoint_ids:
        try:
            webhook_endpoint_deliver_task.apply_async((endpoint_id,), countdown=countdown)
        except CACHE_AND_BROKER_ERRORS:
            log.warning("webhook delivery for endpoint %s not queued; the sweep will", endpoint_id)
            return


def webhook_endpoints_due() -> list[int]:
    """Endpoints with a delivery due now (its retry time come, or its lease run out)."""
    now = timezone.now()
    return sorted(
        set(
            WebhookDelivery.objects.filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
            )
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .values_list("endpoint_id", flat=True)
            .distinct()
        )
    )


def webhook_deliveries_sweep() -> list[int]:
    """Beat's sweep: queue a delivery task for every endpoint with something due. Returns the
    endpoints queued."""
    due = webhook_endpoints_due()
    _queue(due)
    return due


# --- delivery ------------------------------------------------------------------------------------


def webhook_id(event: Event) -> str:
    """The message id a receiver deduplicates on: one per event, stable across attempts."""
    return f"evt_{event.pk}"


def webhook_body(event: Event, data: dict) -> bytes:
    """The message body per the Standard Webhooks payload structure."""
    stamp = event.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    document = {"type": event.type, "timestamp": stamp, "data": data}
    return json.dumps(
        document, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":")
    ).encode()


def webhook_headers(endpoint: WebhookEndpoint, event: Event, body: bytes, now) -> dict[str, str]:
    msg_id = webhook_id(event)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(msg_id, now, body),
    }


def deliver_budget() -> float:
    """How long one delivery task sends before it hands over to a successor: a third of the
    lease, so the task ends well inside its time limit, itself inside the lease (tasks.py)."""
    return settings.WEBHOOK_LEASE_SECONDS / 3


def webhook_endpoint_deliver(*, endpoint_id: int) -> int:
    """Send the endpoint's due deliveries, one claimed at a time, until none is due or the
    time budget is spent (then the caller queues a successor). Returns how many were tried.
    Call it outside a transaction: each claim and each outcome commits on its own."""
    lease = dt.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    budget = deliver_budget()
    started = time.monotonic()
    tried = 0
    while time.monotonic() - started < budget:
        endpoint = (
            WebhookEndpoint.objects.select_related("owner")
            .filter(pk=endpoint_id, is_active=True)
            .first()
        )
        if endpoint is None:
            break
        claimed = deliveries_claim(
            WebhookDelivery, where=Q(endpoint_id=endpoint_id), limit=1, lease=lease
        )
        if not claimed:
            break
        _attempt(endpoint, claimed[0])
        tried += 1
    return tried


def _attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    event = Event.objects.get(pk=delivery.event_id)
    audience = audience_of(endpoint.owner)
    if not audience.may_see(event):
        delivery_settle(
            delivery,
            status=DeliveryStatus.SKIPPED,
            last_error="The endpoint's owner may no longer read this event.",
        )
        return
    body = webhook_body(event, audience.payload(event))
    now = timezone.now()
    result = outbound.webhook_post(
        endpoint.url,
        body=body,
        headers=webhook_headers(endpoint, event, body, now),
        timeout=settings.WEBHOOK_TIMEOUT,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
    )
    if result.ok:
        _settle_delivered(endpoint, delivery, result)
    else:
        _settle_failed(endpoint, delivery, result)


@transaction.atomic
def _settle_delivered(endpoint, delivery, result: outbound.PostResult) -> None:
    now = timezone.now()
    written = delivery_settle(
        delivery,
        status=DeliveryStatus.DELIVERED,
        delivered_at=now,
        last_status_code=result.status_code,
        last_error="",
    )
    if written:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=None, last_success_at=now
        )


@transaction.atomic
def _settle_failed(endpoint, delivery, result: outbound.PostResult) -> None:
    now = timezone.now()
    retries = delivery.retries + 1
    due = retry_at(now, RETRY_SCHEDULE, retries)
    written = delivery_settle(
        delivery,
        status=DeliveryStatus.PENDING if due else DeliveryStatus.FAILED,
        retries=retries,
        next_attempt_at=due or now,
        last_status_code=result.status_code,
        last_error=result.error,
    )
    if written:
        _endpoint_failed(endpoint.pk, result, now)
        wait = (due - now).total_seconds() if due else None
        if wait is not None and wait < SWEEP_SECONDS:
            # Sooner than beat's next sweep: ask for the retry now, to run when it is due.
            transaction.on_commit(lambda: _queue([endpoint.pk], countdown=wait), robust=True)


def _endpoint_failed(endpoint_id: int, result: outbound.PostResult, now) -> None:
    """Count a failure against the endpoint: the first of a run starts `failing_since`; a run
    that has lasted `WEBHOOK_DISABLE_AFTER_HOURS` disables the endpoint and tells its owner."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since", "updated_at"])
        return
    limit = dt.timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    if not endpoint.is_active or now - endpoint.failing_since < limit:
        return
    endpoint.is_active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = (
        f"Every delivery failed since {timezone.localtime(endpoint.failing_since):%Y-%m-%d %H:%M}"
        f" ({settings.WEBHOOK_DISABLE_AFTER_HOURS} hours or more); last: {result.error}"
    )
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    log.warning("webhook endpoint %s disabled after failing for a day", endpoint.pk)
    event_emit(
        type=WEBHOOK_DISABLED,
        subject=f"webhook:{endpoint.pk}",
        payload={
            "endpoint": endpoint.pk,
            "owner": endpoint.owner_id,
            "failing_since": endpoint.failing_since.isoformat(),
            "last_status_code": result.status_code,
            "last_error": result.error,
        },
    )
