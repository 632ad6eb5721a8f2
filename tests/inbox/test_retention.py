"""Retention of webhooks: handled ones past INBOX_RETENTION_DAYS go, failed and pending ones stay;
a redelivery of a pruned webhook is refused by its date, a kept one is still a duplicate; a
configuration whose dedup keys would outlive their refusal window does not start."""

import json
import time
from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select, update

from app.database import utcnow
from app.inbox import retention
from app.inbox.models import InboxItem
from app.settings import Settings
from telephony import generic
from tests.support.app import GENERIC_SECRET, POSTGRES_URL, running

DAY = 86400


def signed(event_id: str, age_days: float) -> dict:
    body = json.dumps(
        {
            "event": "incoming",
            "call_id": f"call-{event_id}",
            "event_id": event_id,
            "from": "+79001234567",
            "to": "+74951234567",
            "timestamp": time.time() - age_days * DAY,
        }
    ).encode()
    headers = {generic.SIGNATURE_HEADER: generic.sign(GENERIC_SECRET, body), "content-type": "application/json"}
    return {"content": body, "headers": headers}


async def test_old_handled_webhooks_are_pruned_and_their_redelivery_is_refused_by_date(cf, settings):
    webhooks = {name: signed(name, age) for name, age in (("old", 100), ("recent", 10), ("broken", 100))}
    for request in webhooks.values():
        assert (await cf.http.post("/pbx/generic/events", **request)).status_code == 200
    await cf.settle()
    old, recent, broken = await cf.db.read(
        lambda s: s.execute(select(InboxItem.id).order_by(InboxItem.id)).scalars().all()
    )

    def age(session) -> None:  # as received when their dates say; one of the old ones failed
        for item_id, days in ((old, 100), (recent, 10), (broken, 100)):
            session.execute(
                update(InboxItem).where(InboxItem.id == item_id).values(received_at=utcnow() - timedelta(days=days))
            )
        session.execute(update(InboxItem).where(InboxItem.id == broken).values(error="could not be read"))

    await cf.db.run(age)
    assert await retention.prune(db=cf.db, keep_days=90) == 1
    kept = set(await cf.db.read(lambda s: s.execute(select(InboxItem.id)).scalars().all()))
    assert kept == {recent, broken}

    strict = settings.model_copy(update={"webhook_max_age_days": 30, "inbox_retention_days": 90})
    async with running(strict) as production:
        refused = await production.http.post("/pbx/generic/events", **webhooks["old"])
        assert refused.status_code == 409  # too old to be a delivery: its dedup key is gone, its date is not
        again = await production.http.post("/pbx/generic/events", **webhooks["recent"])
        assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert set(await cf.db.read(lambda s: s.execute(select(InboxItem.id)).scalars().all())) == kept


def test_dedup_keys_must_outlive_the_window_in_which_a_redelivery_is_accepted():
    with pytest.raises(ValidationError, match="at least one day shorter than INBOX_RETENTION_DAYS"):
        Settings(_env_file=None, webhook_max_age_days=30, inbox_retention_days=30.5)
    assert Settings(_env_file=None, webhook_max_age_days=30, inbox_retention_days=31).inbox_retention_days == 31


@pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite's count of the steps a statement takes")
async def test_a_run_with_nothing_to_prune_reads_no_more_with_a_larger_inbox(cf):
    """The last batch of every hourly run finds nothing left to prune: it must not read the whole
    inbox to find that out (it did, holding the one writer), nor read more as the inbox grows."""

    def add_recent(session, count: int, tag: str) -> None:
        now = utcnow()
        session.execute(
            insert(InboxItem),
            [
                {"vendor": "generic", "path": "/pbx/generic/events", "dedup_key": f"{tag}{n}", "body": "{}"}
                | {"headers": {}, "received_at": now, "handled_at": now, "attempts": 1}
                for n in range(count)
            ],
        )

    def steps_to_prune(session) -> tuple[int, int]:
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        connection = session.connection().connection.dbapi_connection
        connection.set_progress_handler(count, 100)
        try:
            pruned = retention.prune_handled(session, before=utcnow() - timedelta(days=90))
        finally:
            connection.set_progress_handler(None, 100)
        return pruned, steps[0]

    await cf.db.run(lambda s: add_recent(s, 200, "a"))
    small = await cf.db.run(steps_to_prune)
    await cf.db.run(lambda s: add_recent(s, 20_000, "b"))
    large = await cf.db.run(steps_to_prune)
    assert small[0] == large[0] == 0
    assert large[1] <= 2 * small[1] + 10, (small, large)  # (reading every row: ~100 times more)
