from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")

MAX_PAGE = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int  # counted up to 10,000 rows; past that 10,001 and total_exact is false
    total_exact: bool = True
    limit: int
    offset: int
