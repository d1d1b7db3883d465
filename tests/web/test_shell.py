"""What every signed-in user meets whatever their role, through Django's test client: the logout
button on every page and its confirmation page, the no-role page, the error pages in the site's
layout, the login address everything redirects to, and the admin's door closed to non-staff.
(The same pages under every settings module: test_error_pages.py; in a browser:
tests/e2e/test_shell_in_browser.py.)"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from tests.factories import UserFactory

ALL_ROLES = (ROLLOUT_MANAGER, FINANCE, AGENCY_COORDINATOR, API_READER)
LOGOUT_FORM = re.compile(
    r'<form method="post" action="/accounts/logout/"[^>]*>\s*'
    r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">'
)


def page_urls(world) -> dict[str, str]:
    contract = world["contract"].pk
    return {
        "dashboard": reverse("web:contract", kwargs={"pk": contract}),
        "whatif": reverse("web:contract-whatif", kwargs={"pk": contract})
        + f"?cancel_wave={world['wave2'].pk}",
        "timeline": reverse("web:timeline"),
        "seats": reverse("web:seats"),
        "agency": reverse("web:agency", kwargs={"code": "AGA"}),
        "logout": reverse("web:logout"),
        "not_found": "/no-such-page/",
    }


# --- the logout button on every page ---------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_page__each_role__header_has_logout_form_with_csrf(login, world, role):
    # Given a user of the role, when they open every page (the ones their role may not open too)
    client = login(role)
    for name, url in page_urls(world).items():
        response = client.get(url)

        # Then each answer, 200, 403 or 404 alike, carries the logout form with its token
        assert response.status_code in (200, 403, 404), (name, response.status_code)
        assert LOGOUT_FORM.search(response.content.decode()), (role, name)


def test_logout__get__confirmation_page_posting_with_csrf(login, world):
    # Given a signed-in user, when they open the logout address (typed or bookmarked)
    response = login(FINANCE).get(reverse("web:logout"))

    # Then a page asks them to confirm with the logout button, not a blank 405
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Log out</h1>" in html
    assert len(LOGOUT_FORM.findall(html)) == 2  # the header's button and the page's
    assert f'href="{reverse("web:home")}"' in html  # "Stay signed in"


def test_logout__get_as_visitor__sent_to_login(client):
    response = client.get(reverse("web:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")


def test_logout__post__ends_session_and_login_page_says_so(login, world):
    # Given a signed-in user
    client = login(ROLLOUT_MANAGER)

    # When they press the logout button
    response = client.post(reverse("web:logout"), follow=True)

    # Then they are on the login page, told they logged out, and pages ask them to sign in
    assert response.redirect_chain == [(reverse("web:login"), 302)]
    assert "You have logged out." in response.content.decode()
    assert client.get(reverse("web:seats"))["Location"].startswith(reverse("web:login"))


def test_logout__stale_form_without_csrf__styled_403_with_a_fresh_logout_button(users, world):
    # Given a signed-in user whose page is out of date (its CSRF token no longer matches)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[FINANCE])

    # When they press its logout button
    response = client.post(reverse("web:logout"))

    # Then the site's page explains, and its own header offers a logout that works
    assert response.status_code == 403
    html = response.content.decode()
    assert "The form had expired" in html
    assert LOGOUT_FORM.search(html)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    again = client.post(reverse("web:logout"), {"csrfmiddlewaretoken": token})
    assert again.status_code == 302
    assert "_auth_user_id" not in client.session


# --- the no-role page ------------------------------------------------------------------------


def test_no_role__start_page__explains_and_offers_logout(login, world):
    # Given an account without a role, when it signs in and lands on the start page
    client = login("no_role")
    response = client.get(reverse("web:home"), follow=True)

    # Then it reaches the no-role page: why nothing opens, who can change it, how to leave
    assert response.redirect_chain == [(reverse("web:no-role"), 302)]
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your account has no role yet" in html
    assert "An administrator must grant your account a role" in html
    assert len(LOGOUT_FORM.findall(html)) == 2
    assert 'aria-label="Main"' not in html  # no menu of pages it cannot open


@pytest.mark.parametrize("name", ["web:seats", "web:timeline", "web:finance"])
def test_no_role__any_page__403_explains_and_offers_logout(login, world, name):
    response = login("no_role").get(reverse(name))
    assert response.status_code == 403
    html = response.content.decode()
    assert "An administrator must grant your account a role" in html
    assert LOGOUT_FORM.search(html)


def test_no_role_page__account_with_a_role__sent_to_its_start_page(login, world):
    response = login(FINANCE).get(reverse("web:no-role"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")


def test_no_role_page__visitor__sent_to_login(client):
    response = client.get(reverse("web:no-role"))
    assert response["Location"].startswith(reverse("web:login"))


# --- where a visitor is sent to sign in ------------------------------------------------------


def test_login_url__pages_login_not_the_admins():
    assert reverse(settings.LOGIN_URL) == reverse("web:login") == "/accounts/login/"


def test_calendar__visitor_without_link__sent_to_pages_login(client, world):
    # The calendar is the one view that asks Django where to sign in (redirect_to_login).
    response = client.get(reverse("rollout:calendar"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_admin__signed_in_non_staff_manager__403_page_not_the_admin_login(login, world):
    # Given a rollout manager who is not staff, when they open the admin
    client = login(ROLLOUT_MANAGER)
    response = client.get("/admin/", follow=True)

    # Then they are told the admin is not for them, with their menu and logout, no login form
    assert response.status_code == 403
    html = response.content.decode()
    assert "The admin is for administrators" in html
    assert 'name="password"' not in html
    assert LOGOUT_FORM.search(html)
    assert 'href="/rollout/timeline/"' in html


def test_admin__staff__admin_login_unchanged(client, db):
    staff = UserFactory(username="admin.staff", is_staff=True, is_superuser=True)
    assert client.get("/admin/login/").status_code == 200  # a visitor sees the admin's form
    client.force_login(staff)
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


# --- error pages in the site's layout --------------------------------------------------------


def test_not_found__signed_in__site_page_with_menu(login, world):
    response = login(FINANCE).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert 'rel="stylesheet" href="/static/seatplan/site.css"' in html
    assert 'href="/finance/"' in html and LOGOUT_FORM.search(html)


def test_forbidden__coordinator_on_dashboard__403_names_the_reason(login, world):
    response = login(AGENCY_COORDINATOR).get(page_urls(world)["dashboard"])
    assert response.status_code == 403
    html = response.content.decode()
    assert "You cannot open this page" in html
    assert "This page is not open to your account&#x27;s role." in html
    assert 'href="/seats/"' in html and LOGOUT_FORM.search(html)


def test_method_not_allowed__page_asked_wrongly__styled_405_with_allow(login, world):
    # Given a page that only shows (the dashboard), when something posts to it
    response = login(FINANCE).post(page_urls(world)["dashboard"])

    # Then a page says so, with the way back, instead of an empty body
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    html = response.content.decode()
    assert "Nothing was changed." in html and LOGOUT_FORM.search(html)


def test_server_error__template_fails__plain_500_still_answers(client, monkeypatch, settings):
    # Given a 500 page that cannot be rendered (a broken template or static manifest)
    from config import pages

    def broken(name):
        raise ValueError("Missing staticfiles manifest entry")

    monkeypatch.setattr(pages.loader, "get_template", broken)
    settings.ROOT_URLCONF = "tests.web.failing_urls"
    client.raise_request_exception = False

    # When a page fails
    response = client.get("/boom/")

    # Then the plain 500 page answers, not a second failure
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


# --- results that can be reloaded ------------------------------------------------------------


def test_whatif__result_address__reloads_the_same_result(login, world):
    # Given a what-if result's address (what the GET form produced)
    client = login(FINANCE)
    url = page_urls(world)["whatif"]

    # When it is opened twice (a reload, or a bookmark)
    first, second = client.get(url), client.get(url)

    # Then both are the result, never a 405
    assert first.status_code == second.status_code == 200
    marker = 'data-figure="whatif_projected_total"'
    assert marker in first.content.decode() and marker in second.content.decode()


def test_whatif__address_without_fields__goes_to_the_dashboards_form(login, world):
    url = reverse("web:contract-whatif", kwargs={"pk": world["contract"].pk})
    response = login(FINANCE).get(url)
    assert response.status_code == 302
    assert response["Location"] == page_urls(world)["dashboard"] + "#whatif"


def test_whatif__post_from_an_old_page__sent_on_as_a_get(login, world):
    url = reverse("web:contract-whatif", kwargs={"pk": world["contract"].pk})
    response = login(FINANCE).post(url, {"cancel_wave": world["wave2"].pk, "other": "x"})
    assert response.status_code == 303
    assert response["Location"] == f"{url}?cancel_wave={world['wave2'].pk}"


def test_whatif__invalid__400_summary_at_the_result_anchor_links_each_field(login, world):
    # Given a shift without its days, sent by the form (which targets #whatif-result)
    url = reverse("web:contract-whatif", kwargs={"pk": world["contract"].pk})
    response = login(FINANCE).get(url, {"shift_wave": world["wave2"].pk, "shift_days": ""})

    # Then the page answers 400 with the summary where the result would be, linking the field
    assert response.status_code == 400
    html = response.content.decode()
    assert 'action="' + url + '#whatif-result"' in html
    summary = html[html.index('id="whatif-result"') :]
    assert summary.index('href="#id_shift_days"') < summary.index("</div>")
    assert 'aria-invalid="true" aria-describedby="id_shift_days-error"' in html


def test_login__wrong_password__error_summary_before_the_form(client, users):
    response = client.post(reverse("web:login"), {"username": "finance", "password": "nope"})
    html = response.content.decode()
    assert html.index('class="error-summary"') < html.index("<form")
    assert 'aria-invalid="true"' in html


def test_shell_pages__markup__no_script_no_inline_style_landmarks_and_skip_link(
    login, world, users
):
    # Given every page of the shell (the CSP allows no inline script or style)
    client = login("no_role")
    answers = [client.get(reverse("web:no-role")), client.get(reverse("web:seats"))]
    client = login(FINANCE)
    answers += [client.get(reverse("web:logout")), client.get("/no-such-page/")]
    answers.append(client.post(page_urls(world)["dashboard"]))
    stale = Client(enforce_csrf_checks=True)
    stale.force_login(users[FINANCE])
    answers.append(stale.post(reverse("web:logout")))

    # Then none has a script or a style attribute, and each has the landmarks and skip link
    for response in answers:
        html = response.content.decode()
        assert "<script" not in html and " style=" not in html and "<style" not in html
        assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
        assert "<header" in html and "<footer" in html


def test_page_ids__not_written_canonically__404_not_the_object(login, world):
    # Given a page addressed by an object's id, which opens
    client = login(FINANCE)
    pk = world["contract"].pk
    assert client.get(f"/contracts/{pk}/").status_code == 200

    # Then a leading zero, or an id longer than any database key, names no page
    assert client.get(f"/contracts/0{pk}/").status_code == 404
    assert client.get("/contracts/99999999999999999999/").status_code == 404
