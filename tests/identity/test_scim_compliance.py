"""The SCIM endpoint against the scim2-tester compliance suite (python-scim's checker, the one
`scim2 test` runs), over real HTTP to a live server on 127.0.0.1, with a token issued the way
an administrator issues one."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

pytestmark = pytest.mark.django_db(transaction=True)


def _issue_token() -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_scim_token", "--name", "compliance", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_scim_compliance__scim2_tester_suite__no_error_and_nothing_skipped(live_server):
    # Given a token from create_scim_token and the server's /scim/v2/ base URL
    token = _issue_token()
    http = Client(
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {token}"},
    )
    client = SyncSCIMClient(http)
    client.check_response_status_codes = True
    client.check_response_content_type = True

    # When the whole compliance suite runs (discovery, CRUD, attributes, PATCH add/replace/remove)
    with http:
        results = check_server(client)

    # Then every check succeeds: none fails, none is skipped
    failed = [
        f"{r.status.name} {r.title}: {r.reason}" for r in results if r.status != Status.SUCCESS
    ]
    assert results and not failed, "\n".join(failed)
