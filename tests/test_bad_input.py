"""Bad input is a 4xx with a reason and changes nothing: one test per class of input the fuzzer
and hand probes once turned into 500s."""

import json

import pytest

TOO_BIG = str(2**63)
PAST_INTEGER = str(2**31)  # ids are INTEGER columns on PostgreSQL
HUGE = "1998824569201793663580202174775296"


def reasons(response) -> str:
    return json.dumps(response.json()["detail"])


@pytest.mark.parametrize(
    "method, url",
    [
        ("GET", f"/api/calls?offset={TOO_BIG}"),
        ("GET", f"/api/calls?limit={TOO_BIG}"),
        ("GET", f"/api/calls/{TOO_BIG}"),
        ("GET", "/api/calls/0"),
        ("POST", f"/api/deals/{PAST_INTEGER}/win"),
        ("POST", f"/api/operators/{PAST_INTEGER}/token"),
        ("POST", f"/api/tasks/{PAST_INTEGER}/done"),
        ("GET", "/api/calls/-5"),
        ("POST", f"/api/offers/{HUGE}/accept"),
        ("GET", f"/api/deals?owner_id={TOO_BIG}"),
        ("GET", f"/api/callbacks?assignee_id={TOO_BIG}"),
        ("GET", f"/api/touches?contact_id={HUGE}"),
    ],
)
async def test_ids_outside_a_bigint_are_422(cf, admin, method, url):
    response = await cf.http.request(method, url, headers=admin["headers"])
    assert response.status_code == 422, response.text


async def test_ids_in_bodies_outside_a_bigint_are_422(cf, admin):
    for url, body in [
        ("/api/deals", {"contact_id": 2**63}),
        ("/api/tasks", {"title": "x", "due_at": "2026-12-03T10:00:00Z", "owner_id": -1}),
        ("/api/touches", {"contact_id": 0, "channel": "note"}),
    ]:
        response = await cf.http.post(url, json=body, headers=admin["headers"])
        assert response.status_code == 422, (url, response.text)
    queue = (await cf.http.post("/api/queues", json={"name": "sales"}, headers=admin["headers"])).json()
    members = [{"operator_id": 1, "position": 2**63}]
    response = await cf.http.put(f"/api/queues/{queue['id']}/members", json=members, headers=admin["headers"])
    assert response.status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/api/calls?since=0001-01-01T00:00:00%2B14:00",
        "/api/calls?until=9999-12-31T23:59:59-14:00",
        "/api/reports/calls?since=0001-01-01T00:00:00%2B14:00",
        "/api/reports/funnel?until=0001-01-01T00:00:00%2B14:00",
        "/api/calls?until=0.5",
        "/api/reports/calls?since=1700000000",
    ],
)
async def test_moments_that_cannot_be_turned_to_utc_or_are_bare_numbers_are_422(cf, admin, url):
    response = await cf.http.get(url, headers=admin["headers"])
    assert response.status_code == 422, response.text
    assert "ISO 8601" in reasons(response) or "years" in reasons(response)


async def test_moments_in_bodies_that_overflow_are_422(cf, admin):
    contact = (await cf.http.post("/api/contacts", json={"phone": "+79001112233"}, headers=admin["headers"])).json()
    overflow = "0001-01-01T00:00:00+14:00"
    for url, body in [
        ("/api/touches", {"contact_id": contact["id"], "channel": "note", "at": overflow}),
        ("/api/tasks", {"title": "call back", "due_at": overflow}),
    ]:
        response = await cf.http.post(url, json=body, headers=admin["headers"])
        assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "patch",
    [
        {"ring_timeout_seconds": -5},
        {"mode": None},
        {"name": None},
        {"strategy": "skill_priority"},
        {"numbers": [" "]},
        {"deal_pipeline_id": 999},
    ],
)
async def test_a_queue_patch_with_an_invalid_value_is_422_and_changes_nothing(cf, admin, patch):
    queue = (await cf.http.post("/api/queues", json={"name": "sales"}, headers=admin["headers"])).json()
    response = await cf.http.patch(f"/api/queues/{queue['id']}", json=patch, headers=admin["headers"])
    assert response.status_code == 422, response.text
    assert (await cf.http.get(f"/api/queues/{queue['id']}", headers=admin["headers"])).json() == queue


async def test_a_queue_with_an_unknown_pipeline_or_a_blank_line_is_refused(cf, admin):
    for body in (
        {"name": "a", "deal_pipeline_id": 999},
        {"name": "b", "numbers": [" "]},
        {"name": "c", "numbers": ["\x1f"]},
    ):
        response = await cf.http.post("/api/queues", json=body, headers=admin["headers"])
        assert response.status_code == 422, response.text
    assert (await cf.http.get("/api/queues", headers=admin["headers"])).json() == []


async def test_tasks_with_unknown_references_and_duplicate_reason_names_are_refused(cf, admin):
    for body in (
        {"title": "x", "due_at": "2026-12-03T10:00:00Z", "deal_id": 999},
        {"title": "x", "due_at": "2026-12-03T10:00:00Z", "contact_id": 999},
    ):
        assert (await cf.http.post("/api/tasks", json=body, headers=admin["headers"])).status_code == 422
    body = {"title": "x", "due_at": "2026-12-03T10:00:00Z", "owner_id": 999}
    assert (await cf.http.post("/api/tasks", json=body, headers=admin["headers"])).status_code == 404
    assert (await cf.http.get("/api/tasks", headers=admin["headers"])).json()["items"] == []
    first = (await cf.http.post("/api/refusal-reasons", json={"name": "reason alpha"}, headers=admin["headers"])).json()
    second = (await cf.http.post("/api/refusal-reasons", json={"name": "reason beta"}, headers=admin["headers"])).json()
    renamed = await cf.http.put(
        f"/api/refusal-reasons/{second['id']}", json={"name": "reason alpha"}, headers=admin["headers"]
    )
    assert renamed.status_code == 409
    names = [r["name"] for r in (await cf.http.get("/api/refusal-reasons", headers=admin["headers"])).json()]
    assert names.count("reason alpha") == 1 and "reason beta" in names and first["name"] == "reason alpha"


@pytest.mark.parametrize(
    "raw",
    [
        '{"phone": "+79001112233", "name": NaN}',
        '{"phone": "+79001112233", "name": Infinity}',
        '{"phone": "+79001112233", "name": 1e400}',
        '{"phone": "+79001112233", "name": "\\ud800"}',
        '{"phone": "+79001112233", "name": "Iv\\u0000an"}',
        '{"phone": "+79001112233", "company": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
)
async def test_json_no_database_can_hold_is_422_on_both_databases(cf, admin, raw):
    headers = admin["headers"] | {"Content-Type": "application/json"}
    response = await cf.http.post("/api/contacts", content=raw.encode(), headers=headers)
    assert response.status_code == 422, response.text
    assert (await cf.http.get("/api/contacts", headers=admin["headers"])).json()["items"] == []


async def test_a_deal_amount_must_be_finite(cf, admin):
    contact = (await cf.http.post("/api/contacts", json={"phone": "+79001112233"}, headers=admin["headers"])).json()
    headers = admin["headers"] | {"Content-Type": "application/json"}
    body = '{"contact_id": %d, "amount": NaN}' % contact["id"]
    assert (await cf.http.post("/api/deals", content=body, headers=headers)).status_code == 422


async def test_nul_in_a_query_is_422(cf, admin):
    assert (await cf.http.get("/api/contacts?phone=%00", headers=admin["headers"])).status_code == 422


@pytest.mark.parametrize("url", ["/api/deals?status=bogus", "/api/offers?status=bogus"])
async def test_unknown_enum_values_are_422(cf, admin, url):
    assert (await cf.http.get(url, headers=admin["headers"])).status_code == 422


async def test_a_method_a_path_does_not_serve_is_405_naming_every_one_it_does(cf, admin):
    response = await cf.http.request("OPTIONS", "/api/contacts", headers=admin["headers"])
    assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")
    response = await cf.http.patch("/api/contacts/export", json={}, headers=admin["headers"])
    assert (response.status_code, response.headers["allow"]) == (405, "GET")
    response = await cf.http.put("/pbx/zadarma")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")


async def test_every_response_carries_the_security_headers(cf):
    response = await cf.http.get("/pbx/zadarma", params={"zd_echo": "<script>alert(1)</script>"})
    assert response.text == "<script>alert(1)</script>" and response.headers["content-type"].startswith("text/plain")
    for answer in (response, await cf.http.get("/health"), await cf.http.get("/api/calls")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"


async def test_the_openapi_document_declares_the_errors_and_csv(cf):
    document = (await cf.http.get("/openapi.json")).json()
    listing = document["paths"]["/api/calls"]["get"]["responses"]
    assert {"200", "401", "403", "404", "409", "422", "503"} <= set(listing)
    detail = document["components"]["schemas"]["HTTPValidationError"]["properties"]["detail"]
    assert {"type": "string"} in detail["anyOf"]
    assert "text/csv" in document["paths"]["/api/contacts/export"]["get"]["responses"]["200"]["content"]
    assert "post" in document["paths"]["/pbx/zadarma"]


async def test_a_json_body_past_a_mebibyte_is_413(cf, admin):
    body = json.dumps({"phone": "+79001112233", "name": "x" * (1024 * 1024)})
    response = await cf.http.post(
        "/api/contacts", content=body, headers=admin["headers"] | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert (await cf.http.get("/api/contacts", headers=admin["headers"])).json()["items"] == []
