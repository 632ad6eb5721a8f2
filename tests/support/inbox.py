"""What the inbox and the calls table hold after a webhook."""

from sqlalchemy import func, select

from app.calls.models import Call
from app.inbox.models import InboxItem


async def inbox_rows(cf) -> list[InboxItem]:
    return await cf.db.read(lambda s: list(s.execute(select(InboxItem).order_by(InboxItem.id)).scalars()))


async def call_count(cf) -> int:
    return await cf.db.read(lambda s: s.execute(select(func.count()).select_from(Call)).scalar_one())


async def assert_nothing_changed(cf) -> None:
    await cf.settle()
    assert await inbox_rows(cf) == []
    assert await call_count(cf) == 0
