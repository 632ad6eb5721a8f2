"""What the database holds, table by table: rows, and bytes with the table's indexes
(``callfunnel db stats``) — to see what retention keeps in check and what grows."""

from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session


def table_sizes(session: Session) -> list[tuple[str, int, int | None]]:
    """``(table, rows, bytes or None)``, the largest first; bytes are None where SQLite lacks ``dbstat``."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    sizes = []
    for table in inspect(connection).get_table_names():
        rows = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
        size = _postgres_bytes(connection, table) if postgres else _sqlite_bytes(connection, table)
        sizes.append((table, rows, size))
    return sorted(sizes, key=lambda row: (-(row[2] or 0), -row[1], row[0]))


def _postgres_bytes(connection, table: str) -> int:
    return connection.execute(
        text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": f'"{table}"'}
    ).scalar_one()


def _sqlite_bytes(connection, table: str) -> int | None:
    try:
        return connection.execute(
            text(
                "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = :t "
                "OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t)"
            ),
            {"t": table},
        ).scalar_one()
    except OperationalError:  # built without the dbstat virtual table
        return None
