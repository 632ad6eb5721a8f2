"""``limit``/``offset`` pages with a total, the same on every list endpoint.

The total is counted up to ``COUNT_LIMIT`` rows: past that (a call history of millions) counting
every row would cost each page a scan, so ``total`` is ``COUNT_LIMIT + 1`` and ``total_exact`` false.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from schemas.common import MAX_OFFSET, MAX_PAGE

COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_OFFSET, description=f"page size; more than {MAX_PAGE} is cut to {MAX_PAGE}")
    ] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PageParams:
    return PageParams(limit=min(limit, MAX_PAGE), offset=offset)


def paginate(session: Session, query: Select, params: PageParams) -> dict:
    counted = query.order_by(None).limit(COUNT_LIMIT + 1).subquery()
    total = (session.execute(select(func.count()).select_from(counted))).scalar_one()
    items = list((session.execute(query.limit(params.limit).offset(params.offset))).scalars())
    return {
        "items": items,
        "total": total,
        "total_exact": total <= COUNT_LIMIT,
        "limit": params.limit,
        "offset": params.offset,
    }


PageDep = Annotated[PageParams, Depends(page_params)]
