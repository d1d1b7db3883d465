"""The SSRF defence of webhook delivery (notifications/outbound.py): only http(s), only public
addresses, checked on the resolved address when saved and again at delivery, and the connection
made to the very address checked, so a DNS answer that changes (rebinding) cannot redirect it.
Host names are resolved by a stand-in resolver here: no test asks a real DNS server."""

from __future__ import annotations

import ipaddress

import pytest
from django.db import transaction

from config.errors import BusinessRuleError
from core.outbox import event_emit
from notifications import outbound
from notifications.models import WebhookDelivery
from notifications.services.webhooks import webhook_endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "64:ff9b::a01:203",
    "100.100.100.200",
    "168.63.129.16",
]


@pytest.mark.parametrize("address", REFUSED)
def test_address_refusal__not_public__refused(address):
    assert outbound.address_refusal(ipaddress.ip_address(address), allow_private=False)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "8.8.8.8"])
def test_address_refusal__public__allowed(address):
    assert outbound.address_refusal(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "100.100.100.200"]
)
def test_address_refusal__cloud_metadata__refused_even_when_private_allowed(address):
    refusal = outbound.address_refusal(ipaddress.ip_address(address), allow_private=True)
    assert "metadata" in refusal


@pytest.fixture
def dns(monkeypatch):
    """A stand-in resolver: host name → the addresses it answers, changeable mid-test."""
    answers: dict[str, list[str]] = {}

    def resolve(host, port):
        if host in answers:
            return [ipaddress.ip_address(a) for a in answers[host]]
        return [ipaddress.ip_address(host)]

    monkeypatch.setattr(outbound, "resolve", resolve)
    return answers


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://intranet.example.test/hook", "10.0.0.7 is a private address"),
        ("https://both.example.test/hook", "127.0.0.1 is a loopback address"),
        ("http://[::1]:8080/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("gopher://example.test/", "Only http:// and https://"),
        ("http:///nohost", "no host name"),
    ],
)
def test_webhook_endpoint_create__refused_url__refused_when_saved(manager, dns, url, why):
    # Given names that resolve to an internal address (one of two answers is enough)
    dns["intranet.example.test"] = ["10.0.0.7"]
    dns["both.example.test"] = ["93.184.216.34", "127.0.0.1"]

    with pytest.raises(BusinessRuleError) as refused:
        webhook_endpoint_create(owner=manager, url=url, event_types=["job.finished"])

    assert refused.value.code == "url_refused"
    assert why in refused.value.detail


def test_localhost__resolved_by_the_system__refused(manager):
    with pytest.raises(BusinessRuleError) as refused:
        webhook_endpoint_create(
            owner=manager, url="http://localhost:5432/", event_types=["job.finished"]
        )
    assert "loopback" in refused.value.detail


def test_dns_rebinding__public_when_saved_private_at_delivery__refused_and_nothing_sent(
    manager, receiver, dns, settings
):
    # Given an endpoint whose name resolved to a public address when it was saved
    settings.WEBHOOK_ALLOW_PRIVATE = False
    dns["hooks.example.test"] = ["93.184.216.34"]
    webhook_endpoint_create(
        owner=manager,
        url=f"http://hooks.example.test:{receiver.port}/hook",
        event_types=["job.finished"],
    )

    # When the name answers 127.0.0.1 by the time an event is delivered
    dns["hooks.example.test"] = ["127.0.0.1"]
    with transaction.atomic():
        event_emit(type="job.finished", subject="job:1", payload={"job": 1})

    # Then the delivery is refused at delivery time and the local receiver got nothing
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error.startswith("Refused: hooks.example.test resolves to 127.0.0.1")
    assert receiver.requests == []


def test_delivery__connects_to_the_checked_address_with_the_host_name_in_host(
    manager, receiver, dns
):
    # Given a name only the checked resolution knows (httpx could not resolve it itself)
    dns["hooks.example.test"] = ["127.0.0.1"]
    endpoint = webhook_endpoint_create(
        owner=manager,
        url=f"http://hooks.example.test:{receiver.port}/in?token=abc",
        event_types=["job.finished"],
    )
    receiver.secret = endpoint.secret

    with transaction.atomic():
        event_emit(type="job.finished", subject="job:1", payload={"job": 1})

    # Then the request reached the checked address, asking for the URL's host and path
    (request,) = receiver.requests
    assert request.verified
    assert request.host == f"hooks.example.test:{receiver.port}"
    assert WebhookDelivery.objects.get().status == "delivered"


def test_delivery__redirect__not_followed_and_failed(manager, receiver):
    receiver.status = 302
    endpoint = webhook_endpoint_create(
        owner=manager, url=receiver.url, event_types=["job.finished"]
    )
    receiver.secret = endpoint.secret

    with transaction.atomic():
        event_emit(type="job.finished", subject="job:1", payload={"job": 1})

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_delivery__receiver_too_slow__timeout_recorded(manager, receiver, settings):
    settings.WEBHOOK_TIMEOUT = 0.5
    receiver.hold = lambda number: True
    webhook_endpoint_create(owner=manager, url=receiver.url, event_types=["job.finished"])

    with transaction.atomic():
        event_emit(type="job.finished", subject="job:1", payload={"job": 1})
    receiver.release.set()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.last_error == "No answer within 0.5 s."
