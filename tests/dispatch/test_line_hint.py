"""What a process remembers of which lines have a queue (to skip a read on a queue's line) never
changes the answer a PBX gets: a line given a queue, or taken from one, routes its next call
accordingly at once."""

from app.auth.models import Role
from tests.support.app import running
from tests.support.desk import Desk, rung


async def test_a_line_given_a_queue_routes_its_next_call_to_the_queue_at_once(settings):
    async with running(settings) as cf:
        desk = Desk(cf, await cf.user("sup", Role.supervisor))
        await desk.operator("101")
        assert (await desk.incoming("before-1"))["action"] == "proceed"  # no queue yet: the PBX's own plan
        await desk.queue(["101"])
        assert rung(await desk.incoming("after-1", caller="+79001112299")) == ["101"]


async def test_a_line_taken_from_its_queue_leaves_its_next_call_to_the_pbx_at_once(settings):
    async with running(settings) as cf:
        desk = Desk(cf, await cf.user("sup", Role.supervisor))
        await desk.operator("101")
        await desk.operator("102")
        queue = await desk.queue(["101", "102"])
        assert rung(await desk.incoming("before-1")) in (["101"], ["102"])
        taken = await cf.http.patch(f"/api/queues/{queue['id']}", json={"numbers": []}, headers=desk.sup["headers"])
        assert taken.status_code == 200, taken.text
        assert (await desk.incoming("after-1", caller="+79001112299"))["action"] == "proceed"
