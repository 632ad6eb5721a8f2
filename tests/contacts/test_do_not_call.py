"""The do-not-call register: listed by hand, from a file and by an operator's disposition;
click-to-call refuses a listed number (409 with the reason); supervisors take numbers off."""

from app.auth.models import Role
from telephony.mango.script import InboundCall
from tests.support.calls import T, call_id, callbacks, play


async def register(cf, headers, **params) -> list[dict]:
    response = await cf.http.get("/api/do-not-call", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_listed_by_hand_and_from_a_file(cf, supervisor):
    headers = supervisor["headers"]
    operator = await cf.user("olga", Role.operator, extension="101")
    added = await cf.http.post(
        "/api/do-not-call",
        json={"phone": "8 (900) 123-45-67", "source": "asked on the phone"},
        headers=operator["headers"],
    )
    assert added.status_code == 201, added.text
    assert (added.json()["phone"], added.json()["added_by"]) == ("+79001234567", operator["id"])
    again = await cf.http.post("/api/do-not-call", json={"phone": "+79001234567", "source": "x"}, headers=headers)
    assert again.status_code == 409
    bad = await cf.http.post("/api/do-not-call", json={"phone": "not a number", "source": "x"}, headers=headers)
    assert bad.status_code == 422

    text = "phone,source,date\n+79001234567,register,2026-11-01\n8 912 000-00-01,register,2026-11-02\n+79120000002,,\n"
    imported = await cf.http.post(
        "/api/do-not-call/import", content=text.encode(), headers={**headers, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"rows": 3, "added": 2, "already_listed": 1}
    rows = {row["phone"]: row for row in await register(cf, headers)}
    assert rows["+79001234567"]["source"] == "asked on the phone"  # the first listing stays
    assert (rows["+79120000001"]["source"], rows["+79120000001"]["listed_on"]) == ("register", "2026-11-02")
    assert rows["+79120000002"]["source"] == "import"
    broken = "phone,date\n+79120000003,2026-13-01\nnonsense,\n"
    rejected = await cf.http.post(
        "/api/do-not-call/import", content=broken.encode(), headers={**headers, "Content-Type": "text/csv"}
    )
    assert rejected.status_code == 422 and [e["line"] for e in rejected.json()["errors"]] == [2, 3]
    assert len(await register(cf, headers)) == 3  # nothing of the rejected file
    operator_import = await cf.http.post(
        "/api/do-not-call/import", content=text.encode(), headers={**operator["headers"], "Content-Type": "text/csv"}
    )
    assert operator_import.status_code == 403

    [found] = await register(cf, headers, phone="8 912 000 00 01")
    assert (await cf.http.delete(f"/api/do-not-call/{found['id']}", headers=operator["headers"])).status_code == 403
    assert (await cf.http.delete(f"/api/do-not-call/{found['id']}", headers=headers)).status_code == 204
    assert await register(cf, headers, phone="+79120000001") == []


async def test_click_to_call_refuses_a_listed_number(mango_cf, fake_pbx):
    cf = mango_cf
    boss = await cf.user("boss", Role.supervisor)
    operator = await cf.user("olga", Role.operator, extension="101")
    await play(cf, InboundCall("dnc-1", "79001234567", T).missed(rung=()))
    [callback] = await callbacks(cf, boss["headers"])
    await cf.http.post(
        "/api/do-not-call", json={"phone": "+79001234567", "source": "the client asked"}, headers=boss["headers"]
    )
    refused = await cf.http.post(f"/api/callbacks/{callback['id']}/dial", headers=operator["headers"])
    assert refused.status_code == 409
    assert "do-not-call register (the client asked," in refused.json()["detail"]
    await cf.app.state.command_sender.send_due()
    assert fake_pbx.mango_commands == []  # nothing reached the PBX


async def test_a_disposition_lists_the_callers_number(cf, supervisor):
    operator = await cf.user("olga", Role.operator, extension="101")
    await play(cf, InboundCall("dnc-2", "79001234567", T).answered(extension="101"))
    call = await call_id(cf, supervisor["headers"], "dnc-2")
    response = await cf.http.post(
        f"/api/calls/{call}/disposition",
        json={"note": "asked us never to call", "do_not_call": True},
        headers=operator["headers"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["do_not_call"] is True
    [entry] = await register(cf, supervisor["headers"])
    assert (entry["phone"], entry["source"], entry["added_by"]) == ("+79001234567", "disposition", operator["id"])
    again = await cf.http.post(
        f"/api/calls/{call}/disposition", json={"do_not_call": True}, headers=operator["headers"]
    )
    assert again.status_code == 201  # listed already: no error
