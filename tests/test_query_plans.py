"""The write path reads the tables that grow through indexes: a call's processing must cost the
same with a year of calls and a long callback list as on the first day (SQLite's plans, read
with ``EXPLAIN QUERY PLAN`` for every statement the app ran while calls were answered, missed
and called again)."""

import re
import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.support.app import POSTGRES_URL
from tests.support.desk import Desk

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's query plans")

GROWING = ("call", "call_leg", "call_transition", "callback", "callback_action", "contact", "inbox_item", "offer")


async def test_calls_are_processed_without_scanning_a_growing_table(cf, supervisor):
    statements: dict[str, tuple] = {}

    def remember(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.split()[0] in ("SELECT", "UPDATE", "DELETE"):
            statements.setdefault(statement, parameters)

    engines = [engine for engine in vars(cf.db).values() if isinstance(engine, Engine)]
    assert engines
    for engine in engines:
        event.listen(engine, "before_cursor_execute", remember)

    desk = Desk(cf, supervisor)
    for extension in ("101", "102"):
        await desk.operator(extension)
    await desk.queue(["101", "102"], strategy="round_robin", sticky=True)
    for n in range(6):  # answered and missed, the same numbers again: callbacks opened, missed again, closed
        call_id, caller = f"c{n}", f"+7900111000{n % 3}"
        route = await desk.incoming(call_id, caller=caller)
        if n % 2 == 0:
            await desk.answer(call_id, route["targets"][0]["extension"])
            await desk.hang_up(call_id)
        else:
            await desk.hang_up(call_id, reason="caller_hung_up")

    database = sqlite3.connect(cf.app.state.settings.database_url.split("///", 1)[1])
    scans = {}
    for statement, parameters in statements.items():
        plan = [row[3] for row in database.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        full = [step for step in plan if (m := re.fullmatch(r"SCAN (\w+)", step)) and m.group(1) in GROWING]
        # an open callback by number: through the partial index, not among every open callback
        by_status = [step for step in plan if "callback.phone" in statement and "ix_callback_status_due_at" in step]
        if full or by_status:
            scans[" ".join(statement.split())[:200]] = full + by_status
    assert len(statements) > 50, "the app ran fewer statements than a call's path has: nothing was looked at"
    assert scans == {}
