"""Default factories for table models, with their signatures stated.

Pydantic asks a ``default_factory`` for its signature at every object it builds (does the factory
take the validated data?), and works it out anew each time: about 40 µs for a function on the
project's machine, and about 0.4 ms for ``list``, whose signature is parsed from its text — a
queue entry took half a millisecond to build, on the path of every routing decision.  A stated
``__signature__`` is read as it is.
"""

import inspect
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def without_arguments(factory: Callable[[], T]) -> Callable[[], T]:
    """``factory`` (which takes no arguments) with that said in its ``__signature__``."""
    if inspect.isfunction(factory):
        factory.__signature__ = inspect.Signature()
        return factory

    def made() -> T:
        return factory()

    made.__signature__ = inspect.Signature()
    return made


EMPTY_LIST = without_arguments(list)
EMPTY_DICT = without_arguments(dict)
