import pytest

from tests.support.app import running
from tests.support.pbx_api import ZADARMA_KEY
from tests.support.recording_api import FakeRecordingStore


@pytest.fixture
def store() -> FakeRecordingStore:
    return FakeRecordingStore()


@pytest.fixture
def recording_settings(settings):
    return settings.model_copy(
        update={
            "mango_api_url": "http://mango.fake/vpbx/",
            "zadarma_api_url": "http://zadarma.fake",
            "zadarma_api_key": ZADARMA_KEY,
            "generic_recording_hosts": ["rec.example"],
            "pbx_request_timeout_seconds": 1.0,
        }
    )


@pytest.fixture
async def cf(recording_settings, store):
    """The app with every vendor's recordings coming from the fake store."""
    async with running(recording_settings, pbx_transport=store) as instance:
        yield instance
