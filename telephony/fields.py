"""Reading untrusted webhook payloads: every problem is a PayloadError naming the field."""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from pydantic import ValidationError

from schemas import json_text
from telephony import PayloadError

MAX_INT = 2**63 - 1  # what a BIGINT column holds
MAX_SEQ = 2**31 - 1  # a leg's ``seq`` is kept in an INTEGER column


def json_object(raw: str | bytes, *, what: str) -> dict[str, Any]:
    """Parses ``raw`` as JSON that must be an object (``what`` names it in errors); only JSON
    callfunnel can store (``schemas.json_text``)."""
    try:
        payload = json_text.loads(raw)
    except json_text.UnreadableJson as exc:
        raise PayloadError(f"{what}: {exc}") from None
    if not isinstance(payload, dict):
        raise PayloadError(f"{what} must be a JSON object")
    return payload


def form_fields(body: str, *, max_fields: int) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict; a malformed or repeated field is refused."""
    return dict(_form_pairs(body, max_fields))


@lru_cache(maxsize=2)
def _form_pairs(body: str, max_fields: int) -> tuple[tuple[str, str], ...]:
    """Parsed once: the intake verifies a form and reads it right after, nothing awaited between,
    so the last body is the one asked for again (two kept: bodies may be up to a megabyte)."""
    try:
        pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body), max_num_fields=max_fields)
    except ValueError as exc:
        raise PayloadError(f"body is not a form (application/x-www-form-urlencoded): {exc}") from None
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        raise PayloadError(f"form field {repeated} is repeated")
    return tuple(pairs)


def text(payload: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string field; vendors send numbers as strings or integers, so both are read as text."""
    value = payload.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError(f"missing {key}")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PayloadError(f"{key} must be a string")
    return str(value)


def content_hash(payload: dict[str, Any]) -> str:
    """Identifies a notification by its content when the vendor gives it no id."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@contextmanager
def model_errors_as_payload_errors() -> Iterator[None]:
    """A value the normalized event refuses (an id too long, say) is the payload's fault, not ours."""
    try:
        yield
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PayloadError(problems) from None
