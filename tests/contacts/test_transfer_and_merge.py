"""Contacts in and out as CSV, and merging two contacts that are one client."""

import csv
import io

from app.auth.models import Role
from tests.support.contacts import import_contacts, list_contacts
from tests.support.desk import Desk


async def test_an_import_with_bad_rows_names_them_and_imports_nothing(cf, supervisor):
    await cf.user("olga", Role.operator)
    bad = (
        "phone,name,company,owner\n+7 900 111-22-33,Ivan,Stroy,olga\nnot a phone,Petr,,\n8 900 444 55 66,Anna,,nobody\n"
    )
    response = await import_contacts(cf, supervisor["headers"], bad)
    assert response.status_code == 422
    assert [(e["line"], "phone" in e["error"] or "operator" in e["error"]) for e in response.json()["errors"]] == [
        (3, True),
        (4, True),
    ]
    assert await list_contacts(cf, supervisor["headers"]) == []

    good = (
        "Phone,Name,Company,Owner\n+7 900 111-22-33,Ivan,Stroy,olga\n"
        "8 (900) 111 22 33,,Stroy LLC,\n89004445566,Anna,,\n"
    )
    response = await import_contacts(cf, supervisor["headers"], good)
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}  # one number twice: once
    again = await import_contacts(cf, supervisor["headers"], "phone,company\n+79004445566,Anna's firm\n")
    assert again.json() == {"rows": 1, "created": 0, "updated": 1, "unchanged": 0}

    exported = await cf.http.get("/api/contacts/export", headers=supervisor["headers"])
    rows = {row["phone"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert rows["+79001112233"]["name"] == "Ivan" and rows["+79001112233"]["owner"] == "olga"
    assert rows["+79004445566"]["company"] == "Anna's firm"


async def test_importing_is_for_supervisors(cf):
    operator = await cf.user("olga", Role.operator)
    assert (await import_contacts(cf, operator["headers"], "phone\n+79001112233\n")).status_code == 403


async def test_merging_keeps_every_call_deal_and_callback(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101", state="offline")
    await desk.queue(["101"])
    await desk.incoming("m1", caller="+79001112233")
    await desk.hang_up("m1", reason="caller_hung_up")
    await desk.incoming("m2", caller="+79005556677")
    await desk.hang_up("m2", reason="caller_hung_up")
    contacts = {c["phone"]: c["id"] for c in await list_contacts(cf, supervisor["headers"])}
    survivor, other = contacts["+79001112233"], contacts["+79005556677"]
    deal = await cf.http.post(
        "/api/deals", json={"contact_id": other, "owner_id": desk.operators["101"]["id"]}, headers=supervisor["headers"]
    )
    assert deal.status_code == 201, deal.text

    merged = await cf.http.post(
        f"/api/contacts/{survivor}/merge", json={"other_id": other}, headers=supervisor["headers"]
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["moved"]["call"] == 1 and merged.json()["moved"]["deal"] == 1
    detail = (await cf.http.get(f"/api/contacts/{survivor}", headers=supervisor["headers"])).json()
    assert sorted(c["external_id"] for c in detail["calls"]) == ["m1", "m2"]
    assert (await cf.http.get(f"/api/contacts/{other}", headers=supervisor["headers"])).status_code == 404
    deals = (await cf.http.get("/api/deals", params={"contact_id": survivor}, headers=supervisor["headers"])).json()
    assert [d["id"] for d in deals["items"]] == [deal.json()["id"]]
    callbacks = (await cf.http.get("/api/callbacks", params={"status": "open"}, headers=supervisor["headers"])).json()
    assert {cb["contact_id"] for cb in callbacks["items"]} == {survivor}
    assert (
        await cf.http.post(
            f"/api/contacts/{survivor}/merge", json={"other_id": survivor}, headers=supervisor["headers"]
        )
    ).status_code == 422
