"""``LOG_FORMAT=json``: one JSON object per line — time, level, logger, message, and the ids that
tie a line to what it is about (``call_id``, ``inbox_id``, ``vendor``, ``operator_id`` given as
``extra``; ``request_id`` of the request being served) — for a log collector; ``text`` (the
default) for a terminal.  Secrets are redacted before any formatter sees a record."""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from app import redaction

CONTEXT_FIELDS = ("call_id", "inbox_id", "vendor", "operator_id")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The request being served (``request_ids.RequestIds`` sets it), for every line logged meanwhile.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if (current := request_id.get()) is not None:
            entry["request_id"] = current
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JsonLines() if log_format == "json" else logging.Formatter(TEXT)


def configure_logging(level: str, log_format: str) -> None:
    """Our loggers (``app.*``, ``telephony.*``) to stderr beside uvicorn's, once, in ``LOG_FORMAT``;
    secrets redacted in all.  JSON: every line is an object — ours, uvicorn's (access lines
    included) and any library's (the scheduler's, say) through one handler on the root logger."""
    for name in ("app", "telephony"):
        logging.getLogger(name).setLevel(level.upper())
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    handler.addFilter(redaction.RedactSecrets())
    if log_format == "json":
        root = logging.getLogger()
        if not any(isinstance(each.formatter, JsonLines) for each in root.handlers):
            root.addHandler(handler)
        for name in ("uvicorn", "uvicorn.access"):
            for each in logging.getLogger(name).handlers:
                each.setFormatter(formatter(log_format))
    else:
        for name in ("app", "telephony"):
            if not logging.getLogger(name).handlers:
                logging.getLogger(name).addHandler(handler)
    redaction.install()
