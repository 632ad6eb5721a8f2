"""LOG_FORMAT=json: every line the server writes is one JSON object; a processed webhook's lines
carry its call's id, a request's lines (the access line too) its request id, which comes from
X-Request-ID or is made and returned; and no secret from a URL reaches any of them."""

import json

from app.auth.models import Role
from tests.live_server import server
from tests.support.desk import LINE
from tests.support.floor import Floor


async def test_json_lines_carry_the_call_and_request_ids_and_no_secret(database_url, tmp_path):
    async with server(database_url, tmp_path, log_format="json", log_level="INFO") as live:
        floor = Floor(live.url, database_url)
        try:
            await floor.person("boss", Role.admin)
            await floor.pbx("incoming", "c-1", **{"from": "+79001234567", "to": LINE})
            await floor.pbx("ended", "c-1", reason="queue_timeout")
            call = await floor.call_of("c-1")
            asked = await floor.http.get(
                "/api/calls", params={"token": "a-secret-token"}, headers={"X-Request-ID": "req-42"}
            )
            assert asked.status_code == 401 and asked.headers["x-request-id"] == "req-42"
            made = await floor.http.get("/health")
            assert len(made.headers["x-request-id"]) == 32  # none given: one is made
        finally:
            await floor.close()
    lines = [line for line in (tmp_path / "server.log").read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line parses
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    opened = [e for e in entries if e["logger"] == "app.callbacks.tracking" and "created" in e["message"]]
    assert [e["call_id"] for e in opened] == [call["id"]]
    [access] = [e for e in entries if e["logger"] == "uvicorn.access" and e.get("request_id") == "req-42"]
    assert "GET /api/calls?token=[redacted]" in access["message"] and '" 401' in access["message"]
    assert "a-secret-token" not in "\n".join(lines)
