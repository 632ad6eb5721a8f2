"""The zone to call a client in: their own, their number's area's when it has exactly one, else
TIMEZONE marked guessed; settable by hand and by CSV."""

import pytest

from app.auth.models import Role
from app.contacts.local_time import zone_of


@pytest.mark.parametrize(
    ("phone", "zone", "guessed"),
    [
        ("+74951234567", "Europe/Moscow", False),
        ("+74232123456", "Asia/Vladivostok", False),
        ("+74012123456", "Europe/Kaliningrad", False),  # phonenumbers says Europe/Bucharest
        ("+79001234567", "Asia/Yekaterinburg", True),  # a mobile: sixteen zones
        ("+78001234567", "Asia/Yekaterinburg", True),  # 8-800: the whole country
        ("+14155550100", "America/Los_Angeles", False),
    ],
)
def test_the_number_s_zone(phone, zone, guessed):
    assert zone_of(phone=phone, own=None, fallback="Asia/Yekaterinburg") == (zone, guessed)


async def test_a_contact_s_own_zone_wins_and_is_kept_by_csv(cf, supervisor):
    headers = supervisor["headers"]
    contact = (await cf.http.post("/api/contacts", json={"phone": "+79001234567"}, headers=headers)).json()
    detail = (await cf.http.get(f"/api/contacts/{contact['id']}", headers=headers)).json()
    assert (detail["local_timezone"], detail["timezone_guessed"]) == ("Europe/Moscow", True)  # TIMEZONE
    wrong = await cf.http.patch(f"/api/contacts/{contact['id']}", json={"timezone": "Mars/Olympus"}, headers=headers)
    assert wrong.status_code == 422
    set_ = await cf.http.patch(f"/api/contacts/{contact['id']}", json={"timezone": "Asia/Novosibirsk"}, headers=headers)
    assert set_.json()["timezone"] == "Asia/Novosibirsk"
    detail = (await cf.http.get(f"/api/contacts/{contact['id']}", headers=headers)).json()
    assert (detail["local_timezone"], detail["timezone_guessed"]) == ("Asia/Novosibirsk", False)
    other = await cf.user("ivan", Role.operator)
    owner = await cf.user("olga", Role.operator)
    await cf.http.patch(f"/api/contacts/{contact['id']}", json={"owner_id": owner["id"]}, headers=headers)
    refused = await cf.http.patch(
        f"/api/contacts/{contact['id']}", json={"timezone": "Asia/Omsk"}, headers=other["headers"]
    )
    assert refused.status_code == 403  # another manager's client

    text = "phone,name,timezone\n+79120000001,Anna,Asia/Vladivostok\n"
    imported = await cf.http.post(
        "/api/contacts/import", content=text.encode(), headers={**headers, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    bad = "phone,timezone\n+79120000002,Moscow\n"
    rejected = await cf.http.post(
        "/api/contacts/import", content=bad.encode(), headers={**headers, "Content-Type": "text/csv"}
    )
    assert rejected.status_code == 422 and "not a time zone" in rejected.json()["errors"][0]["error"]
    exported = (await cf.http.get("/api/contacts/export", headers=headers)).text.splitlines()
    assert exported[0] == "id,phone,name,company,owner,vip,timezone,collected_by,created_at"
    assert any(",+79120000001,Anna,,,False,Asia/Vladivostok,," in line for line in exported)
