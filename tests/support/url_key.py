"""Requests from PBXs that carry their secret in the URL (Sipuni, UIS), shaped like the sample files:
a GET's fields in ``query``, a POST's in ``body`` (a form, or JSON for UIS notifications)."""

import httpx

from tests.support.app import SIPUNI_SECRET, UIS_SECRET

SECRETS = {"/pbx/sipuni": SIPUNI_SECRET, "/pbx/uis/events": UIS_SECRET, "/pbx/uis/route": UIS_SECRET}


async def send(cf, item: dict, *, key: str | None = None) -> httpx.Response:
    """Sends one sample item with the test secret (or ``key``) in ``?key=``."""
    params = {"key": key if key is not None else SECRETS[item["path"]], **item.get("query", {})}
    if item.get("method", "POST") == "GET":
        return await cf.http.get(item["path"], params=params)
    if item.get("content_type") == "application/json":
        return await cf.http.post(item["path"], params=params, json=item["body"])
    return await cf.http.post(item["path"], params=params, data=item["body"])


async def play(cf, items: list[dict]) -> list[httpx.Response]:
    responses = [await send(cf, item) for item in items]
    await cf.settle()
    return responses
