"""Every webhook delivered three times, shuffled within each call: the same final state as a clean run."""

import json
import random
import re

from app.auth.models import Role
from telephony import generic
from telephony.mango.script import InboundCall
from tests.resilience.conftest import all_pages
from tests.support.app import GENERIC_SECRET, running, settings_for, signed_mango
from tests.support.generic import call_events

T0 = 1764000000
EXTENSIONS = ("101", "102", "103")


def mango_calls(rng: random.Random) -> list[list[dict]]:
    calls = []
    for n in range(24):
        call = InboundCall(entry_id=f"E{n}", caller=f"7900111{n % 9:04d}", start=T0 + 100 * n)
        kind = n % 4
        if kind == 0:
            script = call.answered(extension=rng.choice(EXTENSIONS), talk=rng.randint(10, 90))
        elif kind == 1:
            script = call.answered(missed_by=("101",), extension="102")
        elif kind == 2:
            script = call.missed(rung=("101", "103"), code=1110, wait=45)  # the caller gave up
        else:
            script = call.missed(rung=("102",), code=1163)  # the queue timed out
        calls.append([signed_mango(path, payload) for path, payload in script])
    return calls


def generic_calls() -> list[list[dict]]:
    return [
        [
            _signed_generic(event)
            for event in call_events(f"g{n}", f"+7900222{n % 5:04d}", "101" if n % 3 else None, t=T0 + 5000 + 100 * n)
        ]  # fmt: skip
        for n in range(12)
    ]


def _signed_generic(event: dict) -> dict:
    body = json.dumps(event)
    headers = {
        generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body.encode()),
        "content-type": "application/json",
    }
    return {"path": "/pbx/generic/events", "body": body, "headers": headers}


async def final_state(settings, calls: list[list[dict]], *, copies: int, rng: random.Random | None) -> dict:
    async with running(settings) as cf:
        for extension in EXTENSIONS:
            await cf.user(f"op{extension}", Role.operator, extension=extension)
        boss = await cf.user("boss", Role.supervisor)
        for notifications in calls:
            delivered = [item for item in notifications for _ in range(copies)]
            if rng is not None:
                rng.shuffle(delivered)
            for item in delivered:
                response = await cf.post_pbx(item)
                assert response.status_code == 200, response.text
            await cf.settle()
        cf.http.headers.update(boss["headers"])
        recorded = {
            call["external_id"]: {
                key: call[key]
                for key in (
                    "outcome",
                    "direction",
                    "number",
                    "operator_extension",
                    "started_at",
                    "answered_at",
                    "ended_at",
                    "end_reason",
                )  # fmt: skip
            }
            | {"operator": call["operator_id"] is not None}
            for call in await all_pages(cf.http, "/api/calls")
        }
        callbacks = sorted(
            # A call whose end overtook its answer is missed until the answer arrives: that callback is
            # canceled ("not missed after all"), kept for the record but never on the list.  Results name
            # calls by id, which differ between the runs (PostgreSQL spends sequence numbers on conflicts).
            ((cb["phone"], cb["status"], cb["missed_count"], cb["reason"], re.sub(r"\d+", "#", cb["result"] or ""))
             for cb in await all_pages(cf.http, "/api/callbacks") if cb["status"] != "canceled"),
            key=repr,
        )  # fmt: skip
        contacts = sorted(contact["phone"] for contact in await all_pages(cf.http, "/api/contacts"))
        return {"calls": recorded, "callbacks": callbacks, "contacts": contacts}


async def test_triple_shuffled_delivery_ends_in_the_clean_runs_state(new_database):
    rng = random.Random(3)
    calls = mango_calls(rng) + generic_calls()
    clean = await final_state(settings_for(await new_database()), calls, copies=1, rng=None)
    messy = await final_state(settings_for(await new_database()), calls, copies=3, rng=random.Random(11))

    assert len(clean["calls"]) == len(calls)
    assert {c["outcome"] for c in clean["calls"].values()} == {"answered", "missed", "abandoned"}
    assert messy == clean
