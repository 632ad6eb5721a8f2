"""Secrets never reach a log: the values of ``token``, ``ticket`` and ``key`` query parameters are
replaced in every line callfunnel or uvicorn writes (access lines included), whatever logger."""

import logging
import re

SECRET_PARAMS = ("token", "ticket", "key")
_SECRET_VALUE = re.compile(r"(?i)([?&;](?:%s)=)[^&\s\"';#]*" % "|".join(SECRET_PARAMS))
REDACTED = "[redacted]"
# Loggers whose lines can carry a URL: ours, and uvicorn's access and websocket lines.
REDACTED_LOGGERS = ("app", "telephony", "uvicorn", "uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    return _SECRET_VALUE.sub(r"\1" + REDACTED, text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """On the loggers themselves (records are filtered where they are made) and on their handlers
    (records that propagate from child loggers), once."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactSecrets) for f in target.filters):
                target.addFilter(RedactSecrets())
