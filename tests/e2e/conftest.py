"""Fixtures of the browser tests: Debian's Chromium driven by Playwright's Python client against
pytest-django's live server, the demo seeded small, a user per role (and one without a role),
and a page that records every request and console message so a test can assert none left
127.0.0.1 and none was an error. `Visit.review(path, name)` is the check every page gets: it
opens, axe-core finds no violation, nothing is wider than the window, and a screenshot is kept.
Screenshots go to artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from agencies.demo import demo_seed
from agencies.models import Agency, CoordinatorAgency
from config.roles import AGENCY_COORDINATOR, API_READER, FINANCE, ROLLOUT_MANAGER
from licensing.models import Contract
from licensing.services.cost import billing_periods_close, contract_cost_snapshot

CHROMIUM = Path(os.environ.get("SEATPLAN_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "e2e-pass-only-for-tests"

MISSING = None
if not CHROMIUM.exists():
    MISSING = (
        f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install -y chromium) "
        "or run .ci/browser"
    )
elif importlib.util.find_spec("playwright") is None:
    MISSING = "the playwright package is not installed: pip install -r requirements-dev.txt"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per module. Playwright's sync client keeps an event loop in this
    thread, so Django's guard against ORM calls from async code is lifted for these tests."""
    if MISSING:
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Visit:
    """A logged-in browser tab at one viewport size, recording what leaves it."""

    def __init__(self, browser, base_url: str, viewport: dict, label: str):
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.context = browser.new_context(viewport=viewport, locale="en-US")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on(
            "console",
            lambda message: (
                self.errors.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def login(self, username: str) -> None:
        """Sign in through the login page, as a person would."""
        self.open("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")
        assert "/accounts/login/" not in self.page.url, "login failed"

    def open(self, path: str, status: int = 200):
        """Go to `path` and expect `status`. Chromium logs an error page's own status as a
        console error; an expected one is not counted against the page."""
        before = len(self.errors)
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == status, (path, response.status)
        self._forgive(before, status)
        return response

    def submit(self, selector: str, status: int = 200):
        """Click what sends a form and wait for the page it opens (after any redirect),
        expecting `status`: an invalid form answers 400, a refusal 409."""
        before = len(self.errors)
        with self.page.expect_navigation() as navigation:
            self.page.click(selector)
        response = navigation.value
        assert response is not None and response.status == status, (selector, response.status)
        self._forgive(before, status)
        return response

    def reload(self, status: int = 200):
        """Reload the page (a result page must give the same answer, never a 405)."""
        before = len(self.errors)
        response = self.page.reload()
        assert response is not None and response.status == status, (self.page.url, status)
        self._forgive(before, status)
        return response

    def _forgive(self, before: int, status: int) -> None:
        if status >= 400:
            expected = f"the server responded with a status of {status}"
            self.errors[before:] = [e for e in self.errors[before:] if expected not in e]

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def api(self, path: str, method: str = "get", data=None) -> dict:
        """Call the API with the tab's session (and its CSRF token for a POST); a dict `data`
        goes as JSON."""
        if method == "post":
            token = next(c["value"] for c in self.context.cookies() if c["name"] == "csrftoken")
            response = self.page.request.post(
                self.base_url + path,
                data=data,
                headers={"X-CSRFToken": token, "Referer": self.base_url + "/"},
            )
        else:
            response = self.page.request.get(self.base_url + path)
        assert response.ok, (path, response.status, response.text())
        return response.json()

    def status_of(self, path: str) -> int:
        return self.page.request.get(self.base_url + path, max_redirects=0).status

    def assert_accessible(self) -> None:
        """axe-core (the file bundled with axe-playwright-python: nothing is fetched) finds no
        violation of WCAG 2.x A/AA or best practice on the page as it stands."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        found = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:3])
            for v in results.response["violations"]
        ]
        assert not found, f"axe violations on {self.page.url} ({self.label}): {found}"

    def assert_fits(self) -> None:
        """Nothing makes the page wider than the window: what is wide scrolls in its own box."""
        width = self.page.evaluate("document.documentElement.scrollWidth")
        window = self.page.evaluate("window.innerWidth")
        assert width <= window, f"{self.page.url} is {width}px wide in a {window}px window"

    def review(self, path: str, name: str, status: int = 200):
        """The check of every page: open it (expecting `status`), no axe-core violation, no
        sideways scrolling of the whole page, and a full-page screenshot `<name>-<label>.png`."""
        response = self.open(path, status)
        self.assert_accessible()
        self.assert_fits()
        self.shot(name)
        return response

    def figure(self, selector: str) -> str:
        return self.page.get_attribute(selector, "data-value")

    def assert_clean(self) -> None:
        foreign = [u for u in self.requests if urlsplit(u).hostname not in LOCAL_HOSTS]
        assert not foreign, f"requests left the machine: {foreign}"
        assert not self.errors, self.errors

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, live_server):
    """Open tabs with `visit(username, viewport, label)`; each is checked for foreign requests
    and console errors when the test ends."""
    opened: list[Visit] = []

    def open_tab(username: str | None, viewport: dict = DESKTOP, label: str = "desktop") -> Visit:
        """A tab signed in as `username`, or a visitor's tab when it is None."""
        tab = Visit(browser, live_server.url, viewport, label)
        opened.append(tab)
        if username is not None:
            tab.login(username)
        return tab

    yield open_tab
    try:
        for tab in opened:
            tab.assert_clean()
    finally:
        for tab in opened:
            tab.close()


# The demo every browser test runs against: seeded small, as of a pinned day, a user per role.
TODAY = dt.date(2026, 11, 29)
SCALE = float(os.environ.get("SEATPLAN_E2E_SCALE", "0.02"))
USERS = {
    "finance.e2e": FINANCE,
    "manager.e2e": ROLLOUT_MANAGER,
    "coordinator.e2e": AGENCY_COORDINATOR,
    "reader.e2e": API_READER,
}
NO_ROLE_USER = "nobody.e2e"


@pytest.fixture
def demo(transactional_db, monkeypatch):
    """The demo as of TODAY with its cost snapshot and closed billing lines, a user per role
    (the coordinator acts for DOR and EOHHS) and NO_ROLE_USER, signed up but given no role."""
    original = timezone.localdate
    monkeypatch.setattr(
        "django.utils.timezone.localdate",
        lambda value=None, timezone=None: TODAY if value is None else original(value, timezone),
    )
    demo_seed(scale=SCALE, as_of=TODAY)
    contract = Contract.objects.get()
    billing_periods_close(contract=contract)
    contract_cost_snapshot(contract=contract)
    model = get_user_model()
    for username, role in USERS.items():
        user = model.objects.create_user(username=username, password=PASSWORD)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    model.objects.create_user(username=NO_ROLE_USER, password=PASSWORD)
    coordinator = model.objects.get(username="coordinator.e2e")
    for code in ("DOR", "EOHHS"):
        CoordinatorAgency.objects.create(user=coordinator, agency=Agency.objects.get(code=code))
    return contract
