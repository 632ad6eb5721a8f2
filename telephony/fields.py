"""Reading untrusted webhook payloads: every problem is a PayloadError naming the field."""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

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
    so the last body is the one asked for again (two kept: bodies may be up to a megabyte).
    What ``parse_qsl(body, keep_blank_values=True, strict_parsing=True)`` gives, faster."""
    if not body:
        return ()
    fields = body.split("&")
    if len(fields) > max_fields:
        raise PayloadError(f"body is not a form (application/x-www-form-urlencoded): over {max_fields} fields")
    pairs = []
    for field in fields:
        name, equals, value = field.partition("=")
        if not equals:
            raise PayloadError(f"body is not a form (application/x-www-form-urlencoded): bad field {field[:40]!r}")
        pairs.append((form_unquote(name), form_unquote(value)))
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        repeated = next(name for name in names if names.count(name) > 1)
        raise PayloadError(f"form field {repeated} is repeated")
    return tuple(pairs)


_HEX = "0123456789abcdefABCDEF"
_ASCII_ESCAPES = {a + b: chr(int(a + b, 16)) for a in _HEX for b in _HEX if int(a + b, 16) < 0x80}


def form_unquote(text: str) -> str:
    """A form field's name or value decoded as ``urllib.parse.unquote`` decodes it (``+`` a space),
    in a few string replacements when every ``%`` starts an ASCII escape: a MANGO notification's
    JSON has some 80 escapes of a dozen kinds, which the standard library decodes one by one, at
    about a twentieth of a webhook's intake (and again in a separate processor)."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    kinds = {piece[:2] for piece in text.split("%")[1:]}
    if not kinds <= _ASCII_ESCAPES.keys():  # UTF-8 sequences, or a stray %: the standard decoding
        return unquote(text)
    for kind in kinds - {"25"}:  # (every % starts an escape: no replacement makes another)
        text = text.replace("%" + kind, _ASCII_ESCAPES[kind])
    return text.replace("%25", "%")  # last: the % it gives back must not start another escape


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
