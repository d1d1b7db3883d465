"""Email: what each person chose to receive, the outbox consumer that records it, and sending.

- `email_subscriptions_set` records a person's choices: per event type, at once, in the daily
  digest, or not at all. A coordinator may choose only the types their agencies' events come
  in (the contract-wide ones, cost figures above all, are never theirs).
- `email_deliveries_accept(events)` is named in `settings.OUTBOX_CONSUMERS`: one
  `EmailDelivery` per (event, subscriber) the event is for (audience.py: a coordinator only
  their agencies' events), `ON CONFLICT DO NOTHING`; and `webhook.disabled` to the endpoint's
  owner whatever they chose. Immediate ones are queued per person on commit.
- `email_user_send` claims a person's due deliveries with a lease (services/leases.py) and sends
  them in one message: the immediate ones as soon as the worker runs (several that arrive
  together share a message), the digest ones once a day (beat, `NOTIFY_DIGEST_HOUR`). A refused
  send is retried on a schedule, then given up.

Mail goes through Django's email backend (`EMAIL_URL`). Each message has a stable
`Message-ID` built from its deliveries, so a message sent twice (a worker died after the server
accepted it) is one message to mail clients that deduplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from config.errors import BusinessRuleError
from config.middleware import CACHE_AND_BROKER_ERRORS
from core.models import Event

from ..audience import Audience, audience_of
from ..catalog import EVENT_TYPES, SUBSCRIBABLE, WEBHOOK_DISABLED, event_type
from ..choices import DeliveryStatus, EmailMode
from ..messages import event_lines
from ..models import EmailDelivery, EmailSubscription
from .leases import deliveries_claim, delivery_settle, retry_at

log = logging.getLogger(__name__)

OFF = "off"
RETRY_SCHEDULE = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
)
EMAIL_LEASE = dt.timedelta(minutes=5)
BATCH = 200  # events in one message at most; more wait for the next one


# --- choices -----------------------------------------------------------------------------------


def email_types_for(user) -> list[str]:
    """The event types a person may choose: every subscribable type for those who read every
    agency; for a coordinator, the types that are not contract-wide."""
    audience = audience_of(user)
    if audience.scope.is_all:
        return list(SUBSCRIBABLE)
    if audience.scope.agency_ids:
        return [t for t in SUBSCRIBABLE if not EVENT_TYPES[t].contract_wide]
    return []


@transaction.atomic
def email_subscriptions_set(*, user, choices: dict[str, str]) -> list[EmailSubscription]:
    """Record a person's choices, `{event type: "immediate" | "digest" | "off"}`; types not
    named keep their current choice. Refuses a type the person may not receive and a person
    with no email address. Returns the person's subscriptions after the change."""
    allowed = set(email_types_for(user))
    for kind, mode in choices.items():
        if kind not in SUBSCRIBABLE:
            raise BusinessRuleError(
                "unknown_event_type", f"No such event type: {kind}.", event_type=kind
            )
        if mode not in (*EmailMode.values, OFF):
            raise BusinessRuleError(
                "invalid_mode", f"'{mode}' is not immediate, digest or off.", mode=mode
            )
        if mode != OFF and kind not in allowed:
            raise BusinessRuleError(
                "not_for_your_role",
                f"{EVENT_TYPES[kind].label} events carry contract-wide figures, which your role "
                "does not receive.",
                event_type=kind,
            )
    if any(mode != OFF for mode in choices.values()) and not (user.email or "").strip():
        raise BusinessRuleError(
            "email_missing", "Your account has no email address to send notifications to."
        )
    for kind, mode in choices.items():
        if mode == OFF:
            EmailSubscription.objects.filter(user=user, event_type=kind).delete()
        else:
            EmailSubscription.objects.update_or_create(
                user=user, event_type=kind, defaults={"mode": mode}
            )
    return list(EmailSubscription.objects.filter(user=user).order_by("event_type"))


# --- the outbox consumer -------------------------------------------------------------------------


def email_deliveries_accept(events: list[Event]) -> None:
    """The outbox consumer (settings.OUTBOX_CONSUMERS): one delivery per (event, subscriber)
    the event is for, and every `webhook.disabled` to its endpoint's owner; recorded inside
    the dispatcher's transaction, queued on commit. Idempotent."""
    types = {event.type for event in events}
    subscriptions = (
        EmailSubscription.objects.filter(event_type__in=types, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
    )
    by_type: dict[str, list[EmailSubscription]] = {}
    for subscription in subscriptions:
        by_type.setdefault(subscription.event_type, []).append(subscription)
    audiences: dict[int, Audience] = {}
    rows = []
    for event in events:
        if event.type == WEBHOOK_DISABLED and isinstance(event.payload.get("owner"), int):
            rows.append(_row(event, event.payload["owner"], EmailMode.IMMEDIATE))
        for subscription in by_type.get(event.type, ()):
            user = subscription.user
            if user.pk not in audiences:
                audiences[user.pk] = audience_of(user)
            if audiences[user.pk].may_see(event):
                rows.append(_row(event, user.pk, subscription.mode))
    if not rows:
        return
    EmailDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    users = sorted({row.user_id for row in rows if row.mode == EmailMode.IMMEDIATE})
    if users:
        transaction.on_commit(lambda: _queue(users), robust=True)


def _row(event: Event, user_id: int, mode: str) -> EmailDelivery:
    return EmailDelivery(event=event, user_id=user_id, mode=mode, created_at=event.created_at)


def _queue(user_ids: list[int]) -> None:
    from ..tasks import email_user_send_task

    for user_id in user_ids:
        try:
            email_user_send_task.delay(user_id)
        except CACHE_AND_BROKER_ERRORS:
            log.warning("email for user %s not queued; the sweep will", user_id)
            return


def email_users_due() -> list[int]:
    """People with immediate mail due, or a digest whose sending failed and is due again."""
    now = timezone.now()
    return sorted(
        set(
            EmailDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(mode=EmailMode.IMMEDIATE) | Q(retries__gt=0))
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
            .values_list("user_id", flat=True)
            .distinct()
        )
    )


def email_deliveries_sweep() -> list[int]:
    """Beat's sweep: queue sending for every person with mail due. Returns them."""
    due = email_users_due()
    _queue(due)
    return due


def email_digests_send() -> int:
    """Beat, once a day: send each person their digest. Returns the number of messages."""
    users = (
        EmailDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            mode=EmailMode.DIGEST,
            next_attempt_at__lte=timezone.now(),
        )
        .values_list("user_id", flat=True)
        .distinct()
    )
    return sum(1 for user_id in sorted(set(users)) if email_user_send(user_id=user_id, digest=True))


# --- sending -------------------------------------------------------------------------------------


def email_user_send(*, user_id: int, digest: bool = False) -> int:
    """Send one person the deliveries that are due: the immediate ones (and digests whose
    sending failed earlier), or with `digest`, the day's digest. Returns the number of events
    the message carried (0: nothing was due, or it could not be sent and waits for a retry).
    Call it outside a transaction: the claim and the outcome commit on their own."""
    where = Q(user_id=user_id) & (
        Q(mode=EmailMode.DIGEST) if digest else (Q(mode=EmailMode.IMMEDIATE) | Q(retries__gt=0))
    )
    claimed = deliveries_claim(EmailDelivery, where=where, limit=BATCH, lease=EMAIL_LEASE)
    if not claimed:
        return 0
    user = get_user_model().objects.filter(pk=user_id).first()
    events = {e.pk: e for e in Event.objects.filter(pk__in=[d.event_id for d in claimed])}
    audience = audience_of(user)
    send, skip = [], []
    for delivery in claimed:
        event = events[delivery.event_id]
        owner_notice = event.type == WEBHOOK_DISABLED and event.payload.get("owner") == user_id
        visible = owner_notice or audience.may_see(event)
        (send if visible and user is not None and user.email else skip).append(delivery)
    for delivery in skip:
        delivery_settle(
            delivery,
            status=DeliveryStatus.SKIPPED,
            last_error="The recipient may no longer receive this event.",
        )
    if not send:
        return 0
    ordered = sorted((events[d.event_id] for d in send), key=lambda e: e.pk)
    payloads = {
        e.pk: (
            event_type(e.type).view(e.payload, personal=False)
            if e.type == WEBHOOK_DISABLED
            else audience.payload(e)
        )
        for e in ordered
    }
    try:
        _message(user, ordered, payloads, send, digest=digest).send(fail_silently=False)
    except Exception as exc:  # SMTP refusals, network errors, a bug: retried, then given up
        log.warning("email to user %s not sent: %s", user_id, type(exc).__name__)
        _settle_failed(send, f"{type(exc).__name__}: {exc}"[:500])
        return 0
    now = timezone.now()
    for delivery in send:
        delivery_settle(delivery, status=DeliveryStatus.DELIVERED, sent_at=now, last_error="")
    return len(send)


def _settle_failed(deliveries: list[EmailDelivery], error: str) -> None:
    now = timezone.now()
    for delivery in deliveries:
        retries = delivery.retries + 1
        due = retry_at(now, RETRY_SCHEDULE, retries)
        delivery_settle(
            delivery,
            status=DeliveryStatus.PENDING if due else DeliveryStatus.FAILED,
            retries=retries,
            next_attempt_at=due or now,
            last_error=error,
        )


def _message(user, events, payloads, deliveries, *, digest: bool) -> EmailMessage:
    lines = event_lines(events, payloads)
    if digest:
        subject = f"Seatplan: your daily digest ({len(lines)} notification(s))"
    elif len(lines) == 1:
        subject = f"Seatplan: {EVENT_TYPES[lines[0].type].label}"
    else:
        subject = f"Seatplan: {len(lines)} notifications"
    body = render_to_string(
        "notifications/email/notifications.txt",
        {
            "user": user,
            "lines": lines,
            "digest": digest,
            "preferences_url": settings.SITE_URL + "/notifications/",
        },
    )
    ids = ",".join(str(d.pk) for d in sorted(deliveries, key=lambda d: d.pk))
    digest_id = hashlib.sha256(ids.encode()).hexdigest()[:24]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "seatplan"
    return EmailMessage(
        subject=subject,
        body=body,
        to=[user.email],
        headers={
            "Message-ID": f"<notify.{user.pk}.{digest_id}@{domain}>",
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
