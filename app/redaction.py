"""Secrets never reach a log: the values of ``token``, ``ticket``, ``key`` and ``hash`` (Sipuni's
recording links) query parameters, MANGO's signed recording paths and every recording link
callfunnel requested are replaced in every line callfunnel, uvicorn or httpx writes (access lines
included), whatever logger."""

import logging
import re

from telephony import secret_urls

SECRET_PARAMS = ("token", "ticket", "key", "hash")
_SECRET_VALUE = re.compile(r"(?i)([?&;](?:%s)=)[^&\s\"';#]*" % "|".join(SECRET_PARAMS))
_SIGNED_RECORDING_PATH = re.compile(r"(/queries/recording/link/)[^\s\"'?#]*")
REDACTED = "[redacted]"
# Loggers whose lines can carry a URL: ours, uvicorn's access and websocket lines, httpx's requests.
REDACTED_LOGGERS = ("app", "telephony", "uvicorn", "uvicorn.access", "uvicorn.error", "httpx")


def redact(text: str) -> str:
    text = secret_urls.redact(text, REDACTED)
    return _SIGNED_RECORDING_PATH.sub(r"\1" + REDACTED, _SECRET_VALUE.sub(r"\1" + REDACTED, text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Argument by argument first: formatters such as uvicorn's access formatter read the
        # arguments themselves, so they must stay arguments.
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        if record.name != "uvicorn.access":  # (its arguments are text and numbers: done above)
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:  # a secret inside some other kind of argument
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
