"""Email, received by a real SMTP server (aiosmtpd) on 127.0.0.1: each person's choices, at once
or in the daily digest; a coordinator only their agencies' events and never contract figures;
a refused send retried; what a message says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from config.errors import BusinessRuleError
from config.roles import ROLLOUT_MANAGER
from core.outbox import event_emit
from licensing.services.cost import contract_cost_snapshot
from licensing.services.seats import seat_activate, seat_request
from notifications.models import EmailDelivery
from notifications.services.email import (
    email_deliveries_sweep,
    email_digests_send,
    email_subscriptions_set,
    email_types_for,
)
from rollout.services import wave_pause
from tests.factories import AgencyFactory, EmployeeFactory
from tests.rollout.builders import contract_with_room, running_cohort

from .conftest import person

pytestmark = pytest.mark.django_db(transaction=True)


def text(mail) -> str:
    return mail.get_content()


def test_threshold_crossed__finance_subscribed_immediately__one_mail_with_the_figures(
    finance, smtp, settings
):
    # Given finance receives threshold crossings at once
    settings.SITE_URL = "https://seatplan.example.gov"
    email_subscriptions_set(user=finance, choices={"cost.threshold_crossed": "immediate"})
    contract = contract_with_room(10)
    cohort = running_cohort(contract=contract, seat_quota=10)

    # When 8 seats are active and the cost job writes its snapshot
    for _ in range(8):
        employee = EmployeeFactory(agency=cohort.agency)
        seat_activate(seat=seat_request(employee=employee, contract=contract))
    contract_cost_snapshot(contract=contract)

    # Then one mail reached the SMTP server, saying what crossed and where to look
    (mail,) = smtp.wait_for(1)
    assert mail["To"] == finance.email
    assert mail["Subject"] == "Seatplan: Cost threshold crossed"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"].startswith("<notify.")
    body = text(mail)
    assert "the projected total $80.00 has reached 80% of the $100.00 ceiling" in body
    assert f"https://seatplan.example.gov/contracts/{contract.pk}/" in body
    assert "https://seatplan.example.gov/notifications/" in body
    assert EmailDelivery.objects.get().status == "delivered"


def test_digest__two_wave_changes__nothing_at_once_then_one_mail(manager, smtp):
    # Given a manager who takes wave changes in the daily digest
    email_subscriptions_set(user=manager, choices={"wave.status_changed": "digest"})
    first, second = running_cohort(), running_cohort()

    # When two waves are paused
    wave_pause(wave=first.wave, actor=manager)
    wave_pause(wave=second.wave, actor=manager)
    email_deliveries_sweep()

    # Then nothing is sent until the digest runs, which sends one mail with both
    assert smtp.messages == []
    assert email_digests_send() == 1
    (mail,) = smtp.wait_for(1)
    assert mail["Subject"] == "Seatplan: your daily digest (2 notification(s))"
    assert text(mail).count("is now paused (was in progress)") == 2
    assert email_digests_send() == 0


def test_coordinator__subscribed_to_wave_changes__only_their_agencies(coordinator_of, smtp):
    # Given a coordinator of A who receives wave changes at once
    agency_a = AgencyFactory(code="DPH")
    coordinator = coordinator_of(agency_a)
    email_subscriptions_set(user=coordinator, choices={"wave.status_changed": "immediate"})
    boss = person("boss", ROLLOUT_MANAGER)
    mine, other = running_cohort(agency=agency_a), running_cohort()

    # When A's wave and another agency's wave are paused
    wave_pause(wave=other.wave, actor=boss)
    wave_pause(wave=mine.wave, actor=boss)

    # Then only A's reached them
    (mail,) = smtp.wait_for(1)
    assert f"Wave {mine.wave.number} ({mine.wave.name})" in text(mail)
    assert EmailDelivery.objects.filter(user=coordinator).count() == 1


def test_coordinator__contract_figures__not_offered_and_refused(coordinator_of):
    coordinator = coordinator_of(AgencyFactory())

    assert "cost.threshold_crossed" not in email_types_for(coordinator)
    assert "wave.status_changed" in email_types_for(coordinator)
    with pytest.raises(BusinessRuleError) as refused:
        email_subscriptions_set(user=coordinator, choices={"cost.threshold_crossed": "immediate"})
    assert refused.value.code == "not_for_your_role"


def test_coordinator__contract_wide_event_with_an_old_subscription__not_sent(coordinator_of, smtp):
    # Given a subscription written before the person became a coordinator
    from notifications.models import EmailSubscription

    coordinator = coordinator_of(AgencyFactory())
    EmailSubscription.objects.create(
        user=coordinator, event_type="cost.threshold_crossed", mode="immediate"
    )

    with transaction.atomic():
        event_emit(type="cost.threshold_crossed", subject="contract:1", payload={"contract": 1})

    assert not EmailDelivery.objects.exists()
    assert smtp.messages == []


def test_smtp_refuses__retried_later__then_sent_once(finance, smtp):
    # Given a mail server that refuses for now
    email_subscriptions_set(user=finance, choices={"job.finished": "immediate"})
    smtp.refuse = True
    with transaction.atomic():
        event_emit(type="job.finished", subject="job:1", payload={"job": 1, "status": "failed"})

    # Then the delivery waits for a retry, saying why
    delivery = EmailDelivery.objects.get()
    assert (delivery.status, delivery.retries) == ("pending", 1)
    assert "451" in delivery.last_error

    # When the server is back and the retry is due, the sweep sends it, once
    smtp.refuse = False
    EmailDelivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    email_deliveries_sweep()
    email_deliveries_sweep()
    (mail,) = smtp.wait_for(1)
    assert "Cohort activation" not in text(mail) and "#1 failed" in text(mail)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_unsubscribed_or_without_email__nothing_sent(finance, smtp):
    email_subscriptions_set(user=finance, choices={"job.finished": "immediate"})
    email_subscriptions_set(user=finance, choices={"job.finished": "off"})
    nobody = person("no-mail", ROLLOUT_MANAGER, email="")

    with pytest.raises(BusinessRuleError) as refused:
        email_subscriptions_set(user=nobody, choices={"job.finished": "immediate"})
    with transaction.atomic():
        event_emit(type="job.finished", subject="job:1", payload={"job": 1})

    assert refused.value.code == "email_missing"
    assert smtp.messages == []
