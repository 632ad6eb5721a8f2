"""What grows with history is read through indexes: a call's processing, the console's lists and
the calls report must cost the same with a year of calls and a long callback list as on the first
day (SQLite's plans, read with ``EXPLAIN QUERY PLAN`` for every statement the app ran)."""

import re
import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.support.app import POSTGRES_URL
from tests.support.desk import Desk

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's query plans")

GROWING = (
    *("call", "call_leg", "call_transition", "callback", "callback_action"),
    *("contact", "deal", "inbox_item", "offer", "queue_entry"),
)


class Statements:
    """Every statement the app runs (the first parameters each was run with), and their plans."""

    def __init__(self, cf) -> None:
        self.seen: dict[str, tuple] = {}
        self._database = cf.app.state.settings.database_url.split("///", 1)[1]
        engines = [engine for engine in vars(cf.db).values() if isinstance(engine, Engine)]
        assert engines
        for engine in engines:
            event.listen(engine, "before_cursor_execute", self._remember)

    def _remember(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not executemany and statement.split()[0] in ("SELECT", "UPDATE", "DELETE"):
            self.seen.setdefault(statement, parameters)

    def scanning(self) -> dict[str, list[str]]:
        """The statements that read a growing table whole (a count capped at a page limit aside),
        or look for a number's open callback among every open callback."""
        database = sqlite3.connect(self._database)
        found = {}
        for statement, parameters in self.seen.items():
            plan = [row[3] for row in database.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            capped_count = statement.startswith("SELECT count(*)") and "LIMIT" in statement
            whole = [s for s in plan if (m := re.fullmatch(r"SCAN (\w+)", s)) and m.group(1) in GROWING]
            every_open = [s for s in plan if "callback.phone = ?" in statement and "ix_callback_status_due_at" in s]
            every_callback_call = [s for s in plan if "(callback_id>?)" in s]  # the first calls of all callbacks
            if (whole and not capped_count) or every_open or every_callback_call:
                found[" ".join(statement.split())[:200]] = whole + every_open + every_callback_call
        database.close()
        return found


async def calls_answered_missed_and_repeated(cf, supervisor) -> None:
    desk = Desk(cf, supervisor)
    for extension in ("101", "102"):
        await desk.operator(extension)
    await desk.queue(["101", "102"], strategy="round_robin", sticky=True)
    for n in range(6):  # the same numbers again: callbacks opened, missed again, closed
        call_id, caller = f"c{n}", f"+7900111000{n % 3}"
        route = await desk.incoming(call_id, caller=caller)
        if n % 2 == 0:
            await desk.answer(call_id, route["targets"][0]["extension"])
            await desk.hang_up(call_id)
        else:
            await desk.hang_up(call_id, reason="caller_hung_up")
    # A line with no queue: its routing webhook is answered from a read (``plan_without_queue``).
    await desk.pbx("incoming", "c-free", **{"from": "+79001110000", "to": "+74957654321"})
    await desk.hang_up("c-free", reason="caller_hung_up")


async def test_calls_are_processed_without_scanning_a_growing_table(cf, supervisor):
    statements = Statements(cf)
    await calls_answered_missed_and_repeated(cf, supervisor)
    assert len(statements.seen) > 50, "fewer statements than a call's path runs: nothing was looked at"
    assert statements.scanning() == {}


async def test_the_lists_and_the_calls_report_read_through_indexes(cf, supervisor):
    await calls_answered_missed_and_repeated(cf, supervisor)
    statements = Statements(cf)
    for path, params in (
        ("/api/callbacks", {}),  # every status, by due time
        ("/api/callbacks", {"status": "open"}),
        ("/api/deals", {}),
        ("/api/reports/calls", {"by": "queue"}),  # with the callbacks created in the period
        ("/api/reports/calls", {"by": "operator"}),
    ):
        response = await cf.http.get(path, params=params, headers=supervisor["headers"])
        assert response.status_code == 200, (path, response.text)
    assert any("FROM callback" in statement for statement in statements.seen)
    assert statements.scanning() == {}
