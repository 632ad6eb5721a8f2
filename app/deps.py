"""Dependencies shared by the routers: the settings and the database.  Endpoints write through
``db.run`` (a synchronous unit of work: retried on a PostgreSQL deadlock, live events sent after
the commit) and read through ``db.read``; there is no request-wide session.

Every dependency is ``async def``: FastAPI runs plain ``def`` ones in a thread pool, a thread hop
per request that costs more than the work they do.
"""

from typing import Annotated

from fastapi import Depends, Request

from app.database import Database
from app.settings import Settings


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> Database:
    return request.app.state.db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
