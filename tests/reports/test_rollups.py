"""The calls report from its per-day rollups equals the report computed from raw rows — on random
calls, after late corrections (an outcome corrected, a call flagged unconfirmed and cleared, a
repeat call that makes an earlier day's call unresolved), with some changes applied to the rollups
and some still pending, over periods on day boundaries and off them."""

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from app.auth.models import Role, User
from app.calls.models import Call
from app.database import Database
from app.dispatch.models import EntryStatus, QueueEntry
from app.queues.models import Queue
from app.reports import calls, rollups
from app.reports.models import CallRollup, CallRollupPending

ZONE = "Asia/Vladivostok"  # days end at 14:00 UTC: a UTC day would be the wrong day
SAME_OFFSET = "Etc/GMT-10"  # the same days, but not the zone the rollups were built for: raw rows
FCR_DAYS = 3
NOW = datetime.now(UTC)
NUMBERS = [f"+7900{n:07d}" for n in range(40)] + [None]  # few numbers: many repeat calls; None: hidden


@pytest.fixture
async def db(database_url):
    database = Database(database_url)
    yield database
    await database.dispose()


def add_calls(session, rng: random.Random, count: int, queues: list[int], operators: list[int]) -> None:
    first = (session.scalar(select(Call.id).order_by(Call.id.desc()).limit(1)) or 0) + 1
    calls_, entries = [], []
    for n in range(first, first + count):
        started = NOW - timedelta(seconds=rng.uniform(0, 12 * 86400))
        outcome = rng.choice(["answered", "answered", "missed", "abandoned", None])
        queue = rng.choice([*queues, None])
        calls_.append(
            {
                "id": n,
                "vendor": "generic",
                "external_id": f"r{n}",
                "direction": rng.choice(["inbound", "inbound", "inbound", "outbound"]),
                "outcome": outcome,
                "number": rng.choice(NUMBERS),
                "queue_id": queue,
                "operator_id": rng.choice(operators) if outcome == "answered" else None,
                "unconfirmed": rng.random() < 0.05,
                "started_at": started,
            }
        )
        if queue is not None:
            status = EntryStatus.connected if outcome == "answered" else rng.choice(list(EntryStatus))
            entries.append(
                {
                    "call_id": n,
                    "queue_id": queue,
                    "status": status,
                    "entered_at": started,
                    "deadline_at": started + timedelta(minutes=5),
                    "wait_seconds": rng.randint(0, 60) if status != EntryStatus.waiting else None,
                    "tried": [],
                }
            )
    session.execute(insert(Call), calls_)
    if entries:
        session.execute(insert(QueueEntry), entries)


def correct(session, rng: random.Random, count: int) -> None:
    """Late corrections, through the ORM and through bulk updates (as reconciliation writes)."""
    ids = list(session.execute(select(Call.id)).scalars())
    for call in session.execute(select(Call).where(Call.id.in_(rng.sample(ids, count)))).scalars():
        call.outcome = rng.choice(["answered", "missed", "abandoned"])
    flagged = rng.sample(ids, count)
    session.execute(update(Call).where(Call.id.in_(flagged[: count // 2])).values(unconfirmed=True))
    session.execute(update(Call).where(Call.id.in_(flagged[count // 2 :])).values(unconfirmed=False))
    for entry in session.execute(select(QueueEntry).limit(count)).scalars():
        entry.status, entry.wait_seconds = EntryStatus.connected, rng.randint(0, 40)


def periods(rng: random.Random) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(ZONE)
    today = datetime.combine(NOW.astimezone(zone).date(), time(), zone).astimezone(UTC)
    aligned = [(today - timedelta(days=d), today - timedelta(days=d - w)) for d, w in ((10, 7), (7, 7), (5, 2))]
    aligned.append((today - timedelta(days=6), today + timedelta(days=1)))  # to the end of today
    unaligned = []
    for _ in range(6):
        since = NOW - timedelta(seconds=rng.uniform(0, 12 * 86400))
        unaligned.append(
            (since, min(NOW + timedelta(hours=1), since + timedelta(seconds=rng.uniform(3600, 9 * 86400))))
        )
    return aligned + unaligned


async def both_reports(db: Database, since: datetime, until: datetime, by: str) -> tuple[dict, dict]:
    def report(timezone: str):
        return lambda s: calls.report(session=s, since=since, until=until, by=by, timezone=timezone, fcr_days=FCR_DAYS)

    from_rollups, from_rows = await db.read(report(ZONE)), await db.read(report(SAME_OFFSET))
    return from_rollups, from_rows


async def test_the_report_from_rollups_equals_the_report_from_raw_rows(db):
    rng = random.Random(16)

    def set_up(session):
        session.execute(insert(User), [{"name": f"op{n}", "role": Role.operator} for n in range(4)])
        session.execute(insert(Queue), [{"name": f"q{n}", "numbers": [f"+7495000000{n}"]} for n in range(3)])
        operators, queues = list(session.scalars(select(User.id))), list(session.scalars(select(Queue.id)))
        rollups.rebuild(session, timezone=ZONE, fcr_days=FCR_DAYS)
        add_calls(session, rng, 600, queues, operators)
        return queues, operators

    queues, operators = await db.run(set_up)
    apply = lambda s: rollups.apply_pending(s, timezone=ZONE, fcr_days=FCR_DAYS)  # noqa: E731
    while await db.run(apply):
        pass
    assert await db.read(lambda s: s.scalar(select(CallRollupPending.id).limit(1))) is None

    await db.run(lambda s: correct(s, rng, 40))
    await db.run(lambda s: add_calls(s, rng, 150, queues, operators))  # repeat calls among them
    await db.run(apply)  # applied ...
    await db.run(lambda s: correct(s, rng, 30))
    await db.run(lambda s: add_calls(s, rng, 100, queues, operators))  # ... and still pending
    assert await db.read(lambda s: s.scalar(select(CallRollupPending.id).limit(1))) is not None

    for since, until in periods(rng):
        for by in ("day", "queue", "operator"):
            from_rollups, from_rows = await both_reports(db, since, until, by)
            assert from_rollups["groups"] == from_rows["groups"], (since, until, by)
    # and the figures are not all zero: the comparison compares something
    week = await db.read(
        lambda s: calls.report(
            session=s, since=NOW - timedelta(days=12), until=NOW, by="queue", timezone=ZONE, fcr_days=FCR_DAYS
        )
    )
    totals = {name: sum(g[name] for g in week["groups"]) for name in ("offered", "unconfirmed", "fcr_eligible")}
    assert min(totals.values()) > 0 and sum(g["repeat_calls"] for g in week["groups"]) > 0, totals


async def test_a_rebuild_for_another_timezone_moves_the_days(db):
    def set_up(session):
        at = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)  # 18:30 in Moscow, 01:30 the next day in Vladivostok
        session.execute(
            insert(Call), [{"vendor": "generic", "external_id": "late", "started_at": at, "outcome": "missed"}]
        )
        rollups.rebuild(session, timezone="Europe/Moscow", fcr_days=FCR_DAYS)

    await db.run(set_up)
    assert await day_keys(db, "Europe/Moscow") == ["2026-11-20"]
    count = await db.run(lambda s: rollups.rebuild(s, timezone="Asia/Vladivostok", fcr_days=FCR_DAYS))
    assert count == 1
    assert await db.read(lambda s: rollups.is_current(s, timezone="Asia/Vladivostok", fcr_days=FCR_DAYS))
    assert await db.read(lambda s: list(s.scalars(select(CallRollup.day)))) == ["2026-11-21"]
    assert await day_keys(db, "Asia/Vladivostok") == ["2026-11-21"]


async def day_keys(db: Database, timezone: str) -> list[str]:
    since, until = datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    report = await db.read(
        lambda s: calls.report(session=s, since=since, until=until, by="day", timezone=timezone, fcr_days=FCR_DAYS)
    )
    return [group["key"] for group in report["groups"]]


async def test_a_period_of_centuries_is_answered_like_a_short_one(db):
    """(A query per day would take hours: the period is cut into a few pieces, whatever its length.)"""

    def set_up(session):
        rollups.rebuild(session, timezone=ZONE, fcr_days=FCR_DAYS)
        at = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
        session.execute(
            insert(Call), [{"vendor": "generic", "external_id": "old", "started_at": at, "outcome": "missed"}]
        )

    await db.run(set_up)
    since, until = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)
    for timezone in (ZONE, SAME_OFFSET):  # from the rollups, and from raw rows
        report = await db.read(
            lambda s, tz=timezone: calls.report(
                session=s, since=since, until=until, by="day", timezone=tz, fcr_days=FCR_DAYS
            )
        )
        assert [(g["key"], g["missed"]) for g in report["groups"]] == [("2026-11-21", 1)]


async def test_a_call_changed_many_times_is_applied_once_with_all_its_notes(db):
    """A call is noted at each change; one pass takes every note of the calls it applies (the next
    pass does not compute the same call again), and the rollup counts the call once."""
    started = NOW - timedelta(hours=1)

    def set_up(session):
        rollups.rebuild(session, timezone=ZONE, fcr_days=FCR_DAYS)
        session.execute(insert(Call), [{"vendor": "generic", "external_id": "busy", "started_at": started}])
        for n in range(rollups.BATCH + 10):  # more changes than one pass takes notes
            outcome = "answered" if n % 2 else "missed"
            session.execute(update(Call).where(Call.external_id == "busy").values(outcome=outcome))

    await db.run(set_up)
    taken = await db.run(lambda s: rollups.apply_pending(s, timezone=ZONE, fcr_days=FCR_DAYS))
    assert taken == rollups.BATCH + 11  # the insert's note and each update's
    assert await db.read(lambda s: s.scalar(select(CallRollupPending.id).limit(1))) is None
    rows = await db.read(lambda s: s.execute(select(CallRollup.offered, CallRollup.missed, CallRollup.answered)).all())
    assert [tuple(row) for row in rows] == [(1, 0, 1)]  # the last change: answered
