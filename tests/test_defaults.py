"""Table models' default factories state their signatures (``app/defaults.py``): pydantic asks for
it at every object built, and working it out again cost up to half a millisecond an object."""

import inspect

from sqlmodel import SQLModel

import app.main  # noqa: F401  (every table model registered)
from app.database import utcnow
from app.defaults import EMPTY_DICT, EMPTY_LIST
from app.dispatch.models import QueueEntry


def test_every_default_factory_of_a_table_model_states_its_signature():
    models = {mapper.class_ for mapper in SQLModel._sa_registry.mappers}
    factories = {
        f"{model.__name__}.{name}": field.default_factory
        for model in models
        for name, field in model.model_fields.items()
        if field.default_factory is not None
    }
    assert factories, "no default factory found: the test looks at nothing"
    unstated = [name for name, factory in factories.items() if "__signature__" not in vars(factory)]
    assert unstated == []


def test_the_factories_make_a_new_value_each_time():
    assert EMPTY_LIST() == [] and EMPTY_LIST() is not EMPTY_LIST()
    assert EMPTY_DICT() == {} and EMPTY_DICT() is not EMPTY_DICT()
    first, second = (QueueEntry(call_id=n, queue_id=1, entered_at=utcnow(), deadline_at=utcnow()) for n in (1, 2))
    first.tried.append(7)
    assert second.tried == []
    assert inspect.signature(utcnow) == inspect.Signature() and utcnow().tzinfo is not None
