"""The processor takes what the intake already read, and reads a row again when it has to."""

from urllib.parse import urlencode

from app.auth.models import Role
from app.database import Database
from app.inbox.readings import Readings
from app.inbox.writer import InboxWriter
from telephony.mango import webhooks as mango
from telephony.mango.vendor import Mango
from tests.support.app import running, signed_mango
from tests.support.calls import T, missed, play


def counting_reads(monkeypatch) -> list[str]:
    reads: list[str] = []
    real = Mango.read

    def read(self, webhook, *, received_at):
        reads.append(webhook.path)
        return real(self, webhook, received_at=received_at)

    monkeypatch.setattr(Mango, "read", read)
    return reads


async def test_a_webhook_is_read_once_by_the_intake_and_not_again_by_the_processor(cf, supervisor, monkeypatch):
    reads = counting_reads(monkeypatch)
    script = missed("once", T)
    await play(cf, script)
    assert len(reads) == len(script)
    [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert (call["external_id"], call["outcome"]) == ("once", "missed")


async def test_rows_this_process_did_not_read_are_read_from_their_raw_body(settings, monkeypatch):
    db = Database(settings.database_url)
    writer = InboxWriter(db)  # stored by a process that died before processing
    script = missed("stored", T)
    for path, payload in script:
        body = urlencode(signed_mango(path, payload)["body"])
        await writer.store(
            vendor=mango.VENDOR,
            path=path,
            dedup_key=mango.dedup_key(path, payload),
            body=body,
            headers={},
            remote_addr=None,
        )
    await db.dispose()
    reads = counting_reads(monkeypatch)
    async with running(settings) as cf:
        supervisor = await cf.user("sam", Role.supervisor)
        await cf.settle()
        [call] = (await cf.http.get("/api/calls", headers=supervisor["headers"])).json()["items"]
    assert len(reads) == len(script)  # each read once, by the processor
    assert (call["external_id"], call["outcome"]) == ("stored", "missed")


def test_only_the_newest_readings_are_kept():
    readings = Readings(keep=3)
    for n in range(5):
        readings.keep(("mango", f"k{n}"), [n])
    assert [readings.take(("mango", f"k{n}")) for n in range(5)] == [None, None, [2], [3], [4]]
    assert readings.take(("mango", "k4")) is None  # taken once
