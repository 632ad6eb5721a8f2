"""callfunnel against a simulated PBX's call history, and reconciliation through the API."""

from contextlib import asynccontextmanager

import httpx

from telephony.simulator.history import PbxHistory
from telephony.simulator.pbx_api import PbxApi
from tests.support.app import MANGO_KEY, MANGO_SALT, ZADARMA_SECRET, running

ZADARMA_KEY = "test-zadarma-key"
LINE = "74951234567"


@asynccontextmanager
async def with_history(settings, history: PbxHistory, vendor: str, **overrides):
    """callfunnel with its PBX API clients pointed at a simulated PBX serving ``history``."""
    api = PbxApi(
        vendor=vendor,
        history=history,
        mango_key=MANGO_KEY,
        mango_salt=MANGO_SALT,
        zadarma_key=ZADARMA_KEY,
        zadarma_secret=ZADARMA_SECRET,
    )
    settings = settings.model_copy(
        update={
            "mango_api_url": "http://pbx.test/vpbx/",
            "zadarma_api_url": "http://pbx.test",
            "zadarma_api_key": ZADARMA_KEY,
            **overrides,
        }
    )
    async with running(settings, pbx_transport=httpx.ASGITransport(app=api.app)) as instance:
        yield instance


async def calls_by_key(cf, headers) -> dict[str, dict]:
    items = (await cf.http.get("/api/calls", params={"limit": 200}, headers=headers)).json()["items"]
    return {call["external_id"]: call for call in items}


async def reconcile(cf, headers, vendor: str) -> dict:
    response = await cf.http.post("/api/reconciliation/run", params={"vendor": vendor}, headers=headers)
    assert response.status_code == 200, response.text
    [result] = response.json()
    return result
