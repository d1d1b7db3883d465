"""What the browser is sent by every console page of people, seats, uploads and billing marks: no
script or inline style (the CSP allows neither), nothing from outside the server, a label for
every field, unique ids, and each form posting with its CSRF token."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config.roles import AGENCY_COORDINATOR, FINANCE, ROLLOUT_MANAGER
from core.models import Job
from licensing.models import Seat
from licensing.services.cost import billing_period_mark
from tests.imports.conftest import roster


@pytest.fixture
def console_pages(login, world, users):
    """(url, html) of each console page as its role sees it, forms and confirmations included."""
    pages = []

    def get(client, url):
        pages.append((url, client.get(url).content.decode()))

    def post(client, url, data):
        pages.append((url, client.post(url, data).content.decode()))

    manager = login(ROLLOUT_MANAGER)
    seat = Seat.objects.get(employee=world["staff_a"][0])
    held = Seat.objects.get(employee=world["staff_a"][5])
    get(manager, reverse("web:person", kwargs={"pk": world["staff_a"][0].pk}))
    get(manager, reverse("web:person", kwargs={"pk": world["staff_a"][5].pk}))
    get(manager, reverse("web:seat-suspend", kwargs={"pk": seat.pk}))
    post(manager, reverse("web:seat-suspend", kwargs={"pk": seat.pk}), {"reason": "x"})
    post(manager, reverse("web:seat-suspend", kwargs={"pk": seat.pk}), {"reason": ""})
    post(manager, reverse("web:seat-override", kwargs={"pk": held.pk}), {"reason": "x"})
    get(manager, reverse("web:seat-request", kwargs={"pk": world["staff_a"][30].pk}))
    get(manager, reverse("web:imports"))
    get(manager, reverse("web:import-roster"))
    get(manager, reverse("web:import-usage"))
    bad = roster("N1,bad,A,B,NOPE,,,active,,").encode()
    manager.post(reverse("web:import-roster"), {"file": SimpleUploadedFile("r.csv", bad)})
    get(manager, reverse("web:import-job", kwargs={"pk": Job.objects.latest("id").pk}))
    coordinator = login(AGENCY_COORDINATOR)
    get(coordinator, reverse("web:agency", kwargs={"code": "AGA"}))
    bulk = reverse("web:agency-request-seats", kwargs={"code": "AGA"})
    post(coordinator, bulk, {"employee": [world["staff_a"][40].pk], "reason": "x"})
    post(coordinator, bulk, {"employee": [world["staff_a"][40].pk], "reason": ""})
    finance = login(FINANCE)
    line = world["line"]
    billing_period_mark(line=line, status="paid", actor=users[FINANCE])
    kwargs = {"pk": world["contract"].pk, "line_id": line.pk}
    get(finance, reverse("web:contract", kwargs={"pk": world["contract"].pk}))
    get(finance, reverse("web:billing-undo", kwargs=kwargs))
    post(finance, reverse("web:billing-undo", kwargs=kwargs), {"reason": "x"})
    return pages


def test_console_markup__no_script_no_inline_style_no_foreign_url(console_pages):
    for url, html in console_pages:
        assert "<script" not in html, url
        assert " style=" not in html and "<style" not in html, url
        for link in re.findall(r'(?:src|href|action)="([^"]*)"', html):
            assert not re.match(r"^(https?:)?//", link), (url, link)


def test_console_markup__labels_unique_ids_and_csrf(console_pages):
    for url, html in console_pages:
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, (url, field_id)
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (url, sorted({i for i in ids if ids.count(i) > 1}))
        for form in re.findall(r'<form method="post".*?</form>', html, re.S):
            assert 'name="csrfmiddlewaretoken"' in form, url
