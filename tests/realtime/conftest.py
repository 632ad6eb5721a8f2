import pytest

from app.auth.models import Role
from tests.realtime.live import serving
from tests.support.desk import Desk


@pytest.fixture
async def live(settings):
    """The app under uvicorn on a loopback port."""
    async with serving(settings) as instance:
        yield instance


@pytest.fixture
async def desk(live) -> Desk:
    return Desk(live.cf, await live.cf.user("sam", Role.supervisor))
