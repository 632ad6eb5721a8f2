"""Dependencies shared by the routers: settings, database sessions, app services.

Every dependency is ``async def``: FastAPI runs plain ``def`` ones in a thread pool, a thread hop
per request that costs more than the work they do.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.database import Database
from app.settings import Settings


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_session(db: Annotated[Database, Depends(get_db)]) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: services flush, this commits before the response goes out."""
    async with db.session() as session:
        yield session


async def get_read_session(db: Annotated[Database, Depends(get_db)]) -> AsyncIterator[AsyncSession]:
    async with db.read_session() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
DbDep = Annotated[Database, Depends(get_db)]
