"""Fixtures of the notification tests: the real SMTP server and webhook receiver (peers.py),
Django pointed at them, and people in each role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from agencies.models import CoordinatorAgency
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLES, ROLLOUT_MANAGER
from tests.factories import UserFactory

from .peers import SmtpServer, WebhookReceiver


@pytest.fixture
def smtp(settings):
    """A real SMTP server, and Django's SMTP backend sending to it."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


@pytest.fixture
def receiver(settings):
    """A real webhook receiver on 127.0.0.1, which Seatplan may reach only because private
    addresses are allowed here (as in development)."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = WebhookReceiver().start()
    yield server
    server.stop()


def person(username: str, *roles: str, agencies=(), email: str | None = None):
    """A user holding `roles` (Django groups), coordinating `agencies`."""
    user = UserFactory(username=username)
    if email is not None:
        user.email = email
        user.save(update_fields=["email"])
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    for agency in agencies:
        CoordinatorAgency.objects.create(user=user, agency=agency)
    return user


@pytest.fixture
def roles(db):
    for role in ROLES:
        Group.objects.get_or_create(name=role)


@pytest.fixture
def manager(roles):
    return person("rm", ROLLOUT_MANAGER)


@pytest.fixture
def finance(roles):
    return person("fin", FINANCE)


@pytest.fixture
def reader(roles):
    return person("reader", API_READER)


@pytest.fixture
def coordinator_of(roles):
    def make(*agencies, username="coord"):
        return person(username, AGENCY_COORDINATOR, agencies=agencies)

    return make
