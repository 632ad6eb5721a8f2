"""Contacts, pipelines and deals for funnel tests."""

from itertools import count

phones = count(1000)


async def new_contact(cf, headers: dict, name: str = "Client") -> int:
    response = await cf.http.post(
        "/api/contacts", json={"phone": f"+7495000{next(phones):04d}", "name": name}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def pipeline_named(cf, headers: dict, name: str | None = None) -> dict:
    pipelines = (await cf.http.get("/api/pipelines", headers=headers)).json()
    return next(p for p in pipelines if p["name"] == (name or "sales"))


async def play_manager(cf, manager: dict, pipeline: dict, counts: list[int]) -> None:
    """``counts[0]`` deals on the list, ``counts[k]`` of them reaching stage k, entered through the API."""
    stages = [s["id"] for s in pipeline["stages"]]
    for n in range(counts[0]):
        contact_id = await new_contact(cf, manager["headers"])
        response = await cf.http.post(
            "/api/deals", json={"contact_id": contact_id, "pipeline_id": pipeline["id"]}, headers=manager["headers"]
        )
        assert response.status_code == 201, response.text
        deal_id = response.json()["id"]
        for stage_index, reached in enumerate(counts[1:]):
            if n >= reached:
                break
            moved = await cf.http.post(
                f"/api/deals/{deal_id}/stage", json={"stage_id": stages[stage_index]}, headers=manager["headers"]
            )
            assert moved.status_code == 200, moved.text
