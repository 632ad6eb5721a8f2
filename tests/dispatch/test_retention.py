"""Retention of offers and PBX commands: past OFFER_RETENTION_DAYS the finished ones go, commands
first (they reference offers); a ringing offer, one a pending command still carries, and the
queue entries the calls report reads all stay."""

from datetime import timedelta

from sqlalchemy import select, update

from app.commands.models import CommandStatus, PbxCommand
from app.database import utcnow
from app.dispatch import retention
from app.dispatch.models import Offer, OfferStatus, QueueEntry
from tests.support.desk import Desk


async def test_old_finished_offers_go_after_their_commands_and_the_rest_stays(cf, supervisor):
    desk = Desk(cf, supervisor)
    for extension in ("101", "102", "103"):
        await desk.operator(extension)
    await desk.queue(["101", "102", "103"], strategy="round_robin")
    for call in ("c1", "c2"):
        route = await desk.incoming(call, caller=f"+7900111000{call[-1]}")
        [target] = route["targets"]
        assert (await desk.reject(target["extension"], target["offer_id"])).status_code == 200
        await desk.waiting(call)  # offered on: the next one rings
    offers = await cf.db.read(lambda s: s.execute(select(Offer.id, Offer.status).order_by(Offer.id)).all())
    finished = [offer_id for offer_id, status in offers if status == OfferStatus.rejected]
    ringing = [offer_id for offer_id, status in offers if status == OfferStatus.ringing]
    assert len(finished) == 2 and len(ringing) == 2
    long_ago = utcnow() - timedelta(days=40)

    def age(session) -> None:
        session.execute(update(Offer).values(created_at=long_ago))
        for n, (offer_id, status) in enumerate(((finished[0], "succeeded"), (finished[1], "pending"))):
            session.add(
                PbxCommand(
                    command_id=f"cmd-{n}",
                    vendor="mango",
                    kind="route",
                    status=CommandStatus(status),
                    offer_id=offer_id,
                    target="101",
                    next_attempt_at=long_ago,
                    created_at=long_ago,
                    updated_at=long_ago,
                )
            )

    await cf.db.run(age)
    entries = await cf.db.read(lambda s: s.execute(select(QueueEntry.id)).scalars().all())

    assert await retention.prune(db=cf.db, keep_days=30) == {"commands": 1, "offers": 1}

    left = await cf.db.read(lambda s: set(s.execute(select(Offer.id)).scalars()))
    assert left == {finished[1], *ringing}  # the pending command's offer, and the ringing ones
    commands = await cf.db.read(lambda s: s.execute(select(PbxCommand.command_id)).scalars().all())
    assert commands == ["cmd-1"]
    assert await cf.db.read(lambda s: s.execute(select(QueueEntry.id)).scalars().all()) == entries
    assert await retention.prune(db=cf.db, keep_days=30) == {"commands": 0, "offers": 0}
