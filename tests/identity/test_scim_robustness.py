"""Whatever a client sends to /scim/v2/, the answer is a SCIM answer: malformed bodies,
filters, paths and paging parameters are refused in the SCIM error shape, never with a 500
(property-based: hypothesis generates the inputs)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ENTERPRISE, ScimClient, patch_body, provisioned

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
NAMES = [
    "schemas",
    "userName",
    "name",
    "givenName",
    "emails",
    "value",
    "type",
    "primary",
    "active",
    "externalId",
    "members",
    "displayName",
    "meta",
    "id",
    "title",
    ENTERPRISE,
    "employeeNumber",
    "manager",
    "Operations",
    "op",
    "path",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["work", "Replace", "add", "remove", "False", "urn:x", 'emails[type eq "w"]']),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=20,
)
FILTER_PARTS = st.sampled_from(
    [
        "userName",
        "emails",
        "[",
        "]",
        "type",
        "eq",
        "ne",
        "co",
        "gt",
        "pr",
        "and",
        "or",
        "not",
        "(",
        ")",
        '"work"',
        '"x"',
        "true",
        "42",
        ".value",
        "meta.lastModified",
        f"{ENTERPRISE}:employeeNumber",
        "members.value",
    ]
)
FILTERS = st.one_of(
    st.lists(FILTER_PARTS, min_size=1, max_size=8).map(" ".join), st.text(max_size=30)
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_scim_answer(response):
    assert response.status_code != 500, response.content
    if response.status_code >= 400:
        assert response.json()["schemas"] == [ERROR]


@pytest.fixture
def user_id(scim, dor):
    return provisioned(scim)["id"]


@FUZZ
@given(body=JSON)
def test_create__any_json__scim_answer(scim, dor, body):
    assert_scim_answer(scim.post("/Users", body))


@FUZZ
@given(raw=st.binary(max_size=60))
def test_create__any_bytes__scim_answer(scim, dor, raw):
    assert_scim_answer(scim.post("/Users", raw))


@FUZZ
@given(operations=st.lists(JSON, max_size=3))
def test_patch__any_operations__scim_answer(scim, user_id, operations):
    assert_scim_answer(scim.patch(f"/Users/{user_id}", patch_body(*operations)))


@FUZZ
@given(body=JSON)
def test_group_create_and_search__any_json__scim_answer(scim, dor, body):
    assert_scim_answer(scim.post("/Groups", body))
    assert_scim_answer(scim.post("/Users/.search", body))


@FUZZ
@given(expression=FILTERS, start=st.text(max_size=6), count=st.text(max_size=6))
def test_search__any_filter_and_paging__scim_answer(scim, user_id, expression, start, count):
    assert_scim_answer(scim.get("/Users", filter=expression, startIndex=start, count=count))
    assert_scim_answer(scim.get("/Groups", filter=expression))


@FUZZ
@given(
    attributes=st.text(max_size=30),
    tag=st.text(max_size=12),
    path=st.text(alphabet="/.%?abcUsersGroup-0123", max_size=20),
)
def test_read__any_attributes_etag_and_path__scim_answer(scim, user_id, attributes, tag, path):
    assert_scim_answer(
        scim.get(f"/Users/{user_id}", attributes=attributes, headers={"If-None-Match": tag})
    )
    assert_scim_answer(
        scim.patch(f"/Users/{user_id}", patch_body(), headers={"If-Match": tag or "*"})
    )
    assert_scim_answer(scim.get("/" + path))


def test_put__payload_too_deep__scim_answer(scim, user_id):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a"}
    nested: dict = {}
    node = nested
    for _ in range(300):
        node["x"] = {}
        node = node["x"]
    body["name"] = nested
    assert_scim_answer(scim.put(f"/Users/{user_id}", json.dumps(body)))


def test_bad_token_and_wrong_method__scim_answer(db):
    assert_scim_answer(ScimClient("nonsense").post("/Users", {"userName": "a"}))
