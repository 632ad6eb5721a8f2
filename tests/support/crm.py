"""Contacts and deals for funnel tests."""

from itertools import count

phones = count(1000)


async def new_contact(cf, headers: dict, name: str = "Client") -> int:
    response = await cf.http.post(
        "/api/contacts", json={"phone": f"+7495000{next(phones):04d}", "name": name}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]
