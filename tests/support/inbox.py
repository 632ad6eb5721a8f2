"""What the inbox and the calls table hold after a webhook."""

from urllib.parse import urlencode

from sqlalchemy import func, select

from app.calls.models import Call
from app.database import Database
from app.inbox.models import InboxItem
from app.inbox.writer import InboxWriter
from telephony.mango import webhooks as mango
from tests.support.app import signed_mango


async def inbox_rows(cf) -> list[InboxItem]:
    return await cf.db.read(lambda s: list(s.execute(select(InboxItem).order_by(InboxItem.id)).scalars()))


async def call_count(cf) -> int:
    return await cf.db.read(lambda s: s.execute(select(func.count()).select_from(Call)).scalar_one())


async def assert_nothing_changed(cf) -> None:
    await cf.settle()
    assert await inbox_rows(cf) == []
    assert await call_count(cf) == 0


async def stored_before_a_crash(database_url: str, script) -> None:
    """A MANGO script's webhooks stored as the intake stores them, by a process that then died
    before processing them."""
    db = Database(database_url)
    writer = InboxWriter(db)
    for path, payload in script:
        await writer.store(
            vendor=mango.VENDOR,
            path=path,
            dedup_key=mango.dedup_key(path, payload),
            body=urlencode(signed_mango(path, payload)["body"]),
            headers={},
            remote_addr=None,
        )
    await db.dispose()
