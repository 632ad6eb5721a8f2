"""Contacts through the API: the CSV import and the list."""


async def import_contacts(cf, headers: dict, text: str):
    return await cf.http.post(
        "/api/contacts/import", content=text.encode(), headers={**headers, "Content-Type": "text/csv"}
    )


async def list_contacts(cf, headers: dict) -> list[dict]:
    return (await cf.http.get("/api/contacts", headers=headers)).json()["items"]
