"""The weekly calls report through the API."""

import csv
import io

from app.auth.models import Role
from tests.support.desk import Desk


async def test_calls_report_per_queue_and_operator(cf, supervisor):
    desk = Desk(cf, supervisor)
    await desk.operator("101")
    await desk.queue(["101"], name="sales")
    await desk.incoming("a1", caller="+79001110001")
    await desk.answer("a1", "101")
    await desk.hang_up("a1")
    await desk.incoming("a2", caller="+79001110002")
    await desk.hang_up("a2", reason="caller_hung_up")  # abandoned while its offer rang
    await desk.set_state("101", "offline")
    await desk.incoming("a3", caller="+79001110003")  # nobody logged in: missed
    await desk.hang_up("a3")

    response = await cf.http.get("/api/reports/calls", params={"by": "queue"}, headers=supervisor["headers"])
    assert response.status_code == 200, response.text
    report = response.json()
    [sales] = report["groups"]
    assert sales["name"] == "sales"
    assert (sales["offered"], sales["answered"], sales["missed"], sales["abandoned"]) == (3, 1, 1, 1)
    assert sales["service_level"] == 33.3  # 1 answered within 20 s of 3 that entered and left the queue
    assert sales["abandonment_rate"] == 33.3 and sales["average_speed_of_answer"] <= 1  # (whole seconds)
    assert report["time_resolution_seconds"] == 1 and "service_level" in report["definitions"]
    assert report["callbacks"]["created"] == 2 and report["callbacks"]["done"] == 0

    by_operator = (
        await cf.http.get("/api/reports/calls", params={"by": "operator"}, headers=supervisor["headers"])
    ).json()
    assert {g["name"]: g["answered"] for g in by_operator["groups"]}["op101"] == 1
    by_day = (await cf.http.get("/api/reports/calls", params={"by": "day"}, headers=supervisor["headers"])).json()
    assert sum(g["offered"] for g in by_day["groups"]) == 3

    as_csv = await cf.http.get(
        "/api/reports/calls", params={"by": "queue", "format": "csv"}, headers=supervisor["headers"]
    )
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0][:3] == ["queue", "name", "offered"] and rows[1][1:6] == ["sales", "3", "1", "1", "1"]


async def test_reports_are_for_supervisors(cf):
    operator = await cf.user("olga", Role.operator)
    for path in ("/api/reports/calls", "/api/reports/funnel"):
        assert (await cf.http.get(path, headers=operator["headers"])).status_code == 403
