"""The processor takes what the intake already read, and reads a row again when it has to."""

from app.auth.models import Role
from app.inbox.readings import Readings
from telephony.mango.vendor import Mango
from tests.support.app import running
from tests.support.calls import T, missed, play
from tests.support.inbox import stored_before_a_crash


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
    script = missed("stored", T)
    await stored_before_a_crash(settings.database_url, script)
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
