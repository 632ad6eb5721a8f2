"""callfunnel: the FastAPI application (settings, database, domains, scheduler)."""

from app import path_ids  # noqa: F401  (registers the ``{name:id}`` path convertor before any route is made)
