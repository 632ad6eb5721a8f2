"""Call lists for the dialer's tests: calling all day, the next contact, a result."""

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


async def next_of(cf, call_list, operator):
    response = await cf.http.post(f"/api/lists/{call_list['id']}/next", headers=operator["headers"])
    assert response.status_code in (200, 204), response.text
    return response.json() if response.status_code == 200 else None


async def result(cf, attempt, operator, outcome: str, **fields):
    response = await cf.http.post(
        f"/api/attempts/{attempt['attempt_id']}/result", json={"result": outcome, **fields}, headers=operator["headers"]
    )
    assert response.status_code == 200, response.text
    return response.json()
