"""Reading JSON text from outside: only what every part of callfunnel can hold.

Python's ``json`` takes ``NaN``, ``Infinity``, ``1e400`` (as infinity), lone surrogate escapes
(``"\\ud800"``), NUL characters and any depth; each of those later fails somewhere else (a
response that cannot be rendered, PostgreSQL refusing NUL, a RecursionError).  ``loads`` refuses
them up front with a reason, as ``UnreadableJson``.
"""

import json
import math

MAX_DEPTH = 32


class UnreadableJson(ValueError):
    pass


def _refuse_constant(name: str) -> float:
    raise UnreadableJson(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnreadableJson(f"the number {text[:40]} is too large")
    return value


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> object:
    """The JSON value, or UnreadableJson with the reason."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableJson(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    if text.count("[") + text.count("{") > max_depth and _depth(text) > max_depth:
        raise UnreadableJson(f"nested deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except UnreadableJson:
        raise
    except ValueError as exc:  # JSONDecodeError
        raise UnreadableJson(f"not valid JSON: {exc}") from None
    if "\\u" in text:  # an escape can spell NUL or a lone surrogate: every string is looked at
        check_strings(value)
    else:  # raw NUL json refuses, so only a raw lone surrogate is left (a third of a MANGO webhook's reading)
        _check_text(text)
    return value


def check_strings(value: object) -> None:
    """Every string (keys too) valid Unicode without NUL; UnreadableJson otherwise."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                _check_text(key)
                pending.append(inner)
        elif isinstance(item, list):
            pending.extend(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise UnreadableJson("text may not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnreadableJson("text must be valid Unicode (a lone surrogate was found)") from None


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, outside strings; counted before parsing, since
    the parser itself recurses."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
