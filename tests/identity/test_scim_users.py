"""SCIM users at /scim/v2/Users: what an identity provider provisions becomes the roster's
employee, findable by the filters providers send, versioned, and refused in the SCIM error
shape when it cannot be taken."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from agencies.models import Employee
from identity.models import ScimUser
from tests.factories import AgencyFactory, EmployeeFactory

from .conftest import ENTERPRISE, patch_body, provisioned, user_body

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_error(response, status: int, scim_type: str | None = None):
    body = response.json()
    assert response.status_code == status, body
    assert response["Content-Type"].startswith("application/scim+json")
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body


# --- the roster ------------------------------------------------------------------------------


def test_create__employee_on_the_roster_by_number__linked_not_duplicated(scim, dor):
    # Given an employee the CSV roster brought in
    employee = EmployeeFactory(employee_number="1001", email="ann.lee@mass.example.gov", agency=dor)

    # When the identity provider provisions them
    resource = provisioned(scim)

    # Then the SCIM user stands for that employee; no second employee appears
    assert Employee.objects.count() == 1
    assert ScimUser.objects.get(pk=resource["id"]).employee == employee


def test_create__new_person_with_number_address_and_agency__employee_added_with_history(scim, dor):
    # When a person the roster does not know yet is provisioned
    resource = provisioned(scim, "new.hire@mass.example.gov", number="2002", title="Analyst")

    # Then they are on the roster, and the history names the token
    employee = Employee.objects.get(employee_number="2002")
    assert ScimUser.objects.get(pk=resource["id"]).employee == employee
    assert (employee.email, employee.first_name, employee.last_name) == (
        "new.hire@mass.example.gov",
        "Ann",
        "Lee",
    )
    assert (employee.agency, employee.job_title, employee.employment_status) == (
        dor,
        "Analyst",
        "active",
    )
    record = employee.history.get()
    assert record.history_user.username == "scim.entra"
    assert record.history_change_reason == "SCIM create by token 'entra'"


def test_create__agency_given_by_name__matched(scim, dor):
    provisioned(scim, "x@mass.example.gov", number="3003", department="department of revenue")
    assert Employee.objects.get(employee_number="3003").agency == dor


def test_create__unknown_agency__stored_not_on_the_roster_and_said_why(scim, dor):
    # When a user arrives whose department names no agency Seatplan knows
    resource = provisioned(scim, "x@mass.example.gov", number="4004", department="Parks")

    # Then the provider's write is kept, no employee is invented, and the admin can see why
    assert scim.get(f"/Users/{resource['id']}").status_code == 200
    assert not Employee.objects.filter(employee_number="4004").exists()
    note = ScimUser.objects.get(pk=resource["id"]).roster_note
    assert "Not on the roster" in note and "Parks" in note


def test_create__agency_from_mapped_group__employee_placed(scim, dor, settings):
    # Given SCIM_GROUP_MAP placing the members of a group in DOR, and a user with no department
    settings.SCIM_GROUP_MAP = "agency:DOR=Staff-DOR"
    resource = provisioned(scim, "y@mass.example.gov", number="5005", department="")
    assert ScimUser.objects.get(pk=resource["id"]).employee is None

    # When the provider adds them to that group
    group = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Staff-DOR",
        "members": [{"value": resource["id"]}],
    }
    assert scim.post("/Groups", group).status_code == 201

    # Then the employee is on the roster, in DOR
    assert Employee.objects.get(employee_number="5005").agency == dor


def test_patch__attributes_changed__employee_follows_with_history(scim, seated):
    employee, _ = seated
    resource = provisioned(scim)

    # When the provider changes the title, the family name and the agency
    AgencyFactory(code="EOTSS", name="Executive Office of Technology Services and Security")
    response = scim.patch(
        f"/Users/{resource['id']}",
        patch_body(
            {"op": "Replace", "path": "title", "value": "Senior Analyst"},
            {"op": "Replace", "path": "name.familyName", "value": "Lee-Park"},
            {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "EOTSS"},
        ),
    )

    # Then the employee follows, and the history names the token
    assert response.status_code == 200
    employee.refresh_from_db()
    assert (employee.job_title, employee.last_name, employee.agency.code) == (
        "Senior Analyst",
        "Lee-Park",
        "EOTSS",
    )
    latest = employee.history.latest()
    assert latest.history_user.username == "scim.entra"
    assert latest.history_change_reason == "SCIM patch by token 'entra'"


def test_patch__address_of_another_employee__kept_and_noted(scim, seated, dor):
    EmployeeFactory(employee_number="9", email="taken@mass.example.gov", agency=dor)
    resource = provisioned(scim)
    scim.patch(
        f"/Users/{resource['id']}",
        patch_body(
            {
                "op": "replace",
                "path": 'emails[type eq "work"].value',
                "value": "taken@mass.example.gov",
            }
        ),
    )
    employee, _ = seated
    employee.refresh_from_db()
    assert employee.email == "ann.lee@mass.example.gov"
    assert "belongs to another employee" in ScimUser.objects.get(pk=resource["id"]).roster_note


# --- filters, paging, attributes ---------------------------------------------------------------


@pytest.fixture
def three(scim, dor):
    return [
        provisioned(scim, f"user{n}@mass.example.gov", number=str(100 + n), externalId=f"ext{n}")
        for n in range(3)
    ]


@pytest.mark.parametrize(
    "expression",
    [
        'userName eq "USER1@mass.example.gov"',
        'externalId eq "ext1"',
        'emails[type eq "work"].value eq "user1@mass.example.gov"',
        'emails[type eq "work" and value eq "User1@Mass.Example.Gov"]',
        'name.familyName eq "Lee" and userName sw "user1"',
        f'{ENTERPRISE}:employeeNumber eq "101"',
    ],
)
def test_filter__the_forms_providers_send__find_exactly_the_user(scim, three, expression):
    response = scim.get("/Users", filter=expression)
    body = response.json()
    assert response.status_code == 200, body
    assert body["totalResults"] == 1
    assert [r["id"] for r in body["Resources"]] == [three[1]["id"]]


def test_filter__no_match__empty_list_with_resources_key(scim, three):
    body = scim.get("/Users", filter='userName eq "nobody@mass.example.gov"').json()
    assert body["totalResults"] == 0
    assert body["Resources"] == []


@pytest.mark.parametrize(
    "expression", ["userName eq", 'nope eq "x"', 'userName xx "a"', "((userName pr"]
)
def test_filter__invalid__400_invalid_filter(scim, three, expression):
    assert_error(scim.get("/Users", filter=expression), 400, "invalidFilter")


def test_list__start_index_and_count__page_of_the_newest_first(scim, three):
    body = scim.get("/Users", startIndex=2, count=1).json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (3, 2, 1)
    assert [r["id"] for r in body["Resources"]] == [three[1]["id"]]


def test_list__count_over_the_maximum__capped(scim, three, settings):
    settings.SCIM_MAX_PAGE_SIZE = 2
    body = scim.get("/Users", count=50).json()
    assert body["itemsPerPage"] == 2 and body["totalResults"] == 3


def test_get__attributes_and_excluded_attributes__honoured(scim, three):
    user_id = three[0]["id"]
    only = scim.get(f"/Users/{user_id}", attributes="emails").json()
    assert "emails" in only and "name" not in only and only["id"] == user_id
    without = scim.get(f"/Users/{user_id}", excludedAttributes="emails").json()
    assert "emails" not in without and without["userName"] == "user0@mass.example.gov"


def test_search_post__filter_and_attributes__like_get(scim, three):
    body = scim.post(
        "/Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'externalId eq "ext2"',
            "attributes": ["userName"],
        },
    ).json()
    assert body["totalResults"] == 1
    assert set(body["Resources"][0]) == {"schemas", "id", "userName"}


# --- versions ------------------------------------------------------------------------------


def test_etag__if_none_match_current__304_and_if_match_stale__412(scim, dor):
    resource = provisioned(scim)
    path = f"/Users/{resource['id']}"
    tag = scim.get(path)["ETag"]
    assert tag == 'W/"1"' == resource["meta"]["version"]

    assert scim.get(path, headers={"If-None-Match": tag}).status_code == 304
    changed = scim.patch(
        path,
        patch_body({"op": "replace", "path": "title", "value": "A"}),
        headers={"If-Match": tag},
    )
    assert changed.status_code == 200 and changed["ETag"] == 'W/"2"'
    stale = scim.patch(
        path,
        patch_body({"op": "replace", "path": "title", "value": "B"}),
        headers={"If-Match": tag},
    )
    assert_error(stale, 412)
    assert scim.get(path).json()["title"] == "A"


def test_patch__changes_nothing__same_version(scim, dor):
    resource = provisioned(scim)
    response = scim.patch(
        f"/Users/{resource['id']}", patch_body({"op": "replace", "path": "active", "value": True})
    )
    assert response["ETag"] == 'W/"1"'


def test_put__replaces_the_user__readonly_kept(scim, dor):
    resource = provisioned(scim)
    replacement = user_body(
        "ann.lee@mass.example.gov", displayName="Ann Lee", id="forged", meta={"version": "x"}
    )
    response = scim.put(f"/Users/{resource['id']}", replacement)
    body = response.json()
    assert response.status_code == 200, body
    assert body["id"] == resource["id"] and body["displayName"] == "Ann Lee"
    assert "emails" not in body and body["meta"]["version"] == 'W/"2"'


# --- refusals, in the SCIM error shape, never a 500 ----------------------------------------------


def test_create__user_name_taken_in_another_case__409_uniqueness(scim, dor):
    provisioned(scim)
    assert_error(scim.post("/Users", user_body("ANN.LEE@mass.example.gov")), 409, "uniqueness")


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ("{not json", "invalidSyntax"),
        ("[]", "invalidSyntax"),
        ({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}, "invalidValue"),
        (user_body("a@b.example", emails="not-a-list"), "invalidValue"),
        (user_body("a@b.example", active="maybe"), "invalidValue"),
    ],
)
def test_create__bad_body__400_in_the_error_shape(scim, db, body, scim_type):
    response = scim.post("/Users", body)
    assert response.status_code == 400, response.content
    assert response.json()["schemas"] == [ERROR]


def test_create__not_json_media_type__415(scim, db):
    assert_error(scim.post("/Users", "userName=x", content_type="text/plain"), 415)


def test_create__body_over_the_limit__413(scim, db, settings):
    settings.SCIM_MAX_BODY_BYTES = 200
    body = user_body("a@b.example", displayName="x" * 400)
    assert_error(scim.post("/Users", body), 413)


@pytest.mark.parametrize("user_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_get__unknown_or_malformed_id__404(scim, db, user_id):
    assert_error(scim.get(f"/Users/{user_id}"), 404)


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": 'emails[type eq "work"'},
        {"op": "replace", "path": "userName", "value": None},
        {"op": "jump", "path": "title", "value": "x"},
        {"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"},
    ],
    ids=["bad-path", "required-removed", "unknown-op", "read-only"],
)
def test_patch__operation_that_cannot_apply__400_and_user_unchanged(scim, dor, operation):
    resource = provisioned(scim)
    response = scim.patch(f"/Users/{resource['id']}", patch_body(operation))
    assert response.status_code == 400, response.content
    assert response.json()["schemas"] == [ERROR]
    assert scim.get(f"/Users/{resource['id']}")["ETag"] == resource["meta"]["version"]


def test_sort__not_offered__501(scim, db):
    assert_error(scim.get("/Users", sortBy="userName"), 501)


def test_bulk_and_me__501(scim, db):
    assert_error(scim.post("/Bulk", {}), 501)
    assert_error(scim.get("/Me"), 501)


def test_method_not_allowed__405_with_allow(scim, db):
    response = scim.delete("/Users")
    assert_error(response, 405)
    assert "POST" in response["Allow"]


def test_unknown_path__404_in_the_error_shape(scim, db):
    assert_error(scim.get("/Pets"), 404)


def test_discovery__filter__403(scim, db):
    assert_error(scim.get("/Schemas", filter='id eq "x"'), 403)


# --- deprovisioning ---------------------------------------------------------------------------


def test_delete__user_gone_employee_kept_separated(scim, seated):
    employee, _ = seated
    resource = provisioned(scim)

    assert scim.delete(f"/Users/{resource['id']}").status_code == 204

    assert_error(scim.get(f"/Users/{resource['id']}"), 404)
    employee.refresh_from_db()
    assert employee.employment_status == "separated"
    assert employee.history.latest().history_change_reason == "SCIM delete by token 'entra'"


def test_active_false__person_signing_in_with_that_address__can_no_longer(scim, seated):
    # Given the employee also signs in through the identity provider
    from django.utils import timezone

    from identity.models import OidcAccount

    person = get_user_model().objects.create_user("ann", "ann.lee@mass.example.gov")
    now = timezone.now()
    OidcAccount.objects.create(
        user=person, issuer="i", subject="s", first_signed_in_at=now, last_signed_in_at=now
    )
    resource = provisioned(scim)

    # When the provider deactivates them
    scim.patch(
        f"/Users/{resource['id']}",
        patch_body({"op": "Replace", "path": "active", "value": "False"}),
    )

    # Then their Seatplan account is disabled too; re-activation enables it again
    person.refresh_from_db()
    assert not person.is_active
    scim.patch(
        f"/Users/{resource['id']}", patch_body({"op": "Replace", "path": "active", "value": True})
    )
    person.refresh_from_db()
    assert person.is_active


def test_create__body_over_djangos_own_limit__413(scim, db, settings):
    # SCIM_MAX_BODY_BYTES set above Django's DATA_UPLOAD_MAX_MEMORY_SIZE: Django's limit, met
    # while the body is read, answers in the SCIM shape too.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.SCIM_MAX_BODY_BYTES = 10_000
    body = user_body("a@b.example", displayName="x" * 400)
    assert_error(scim.post("/Users", body), 413)


def test_request_limits__url_too_long__414_in_the_scim_shape(scim, db):
    response = scim.get("/Users", filter='userName eq "' + "x" * 5000 + '"')
    assert_error(response, 414)
