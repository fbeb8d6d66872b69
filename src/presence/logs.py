"""Logging set-up with a last line of defence: personal numbers never reach a log line.

Lines are text (`time LEVEL logger: message [request id]`) or, with `PRESENCE_LOG_FORMAT=json`, one JSON object
per line for log shippers: `time`, `level`, `logger`, `message`, `request_id` when written while serving a
request, and the access line's fields (`method`, `path`, `status`, `duration_ms`, `client_id`).
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime

# INSS/NISS and BIS numbers are 11 digits, possibly written 85.07.30-033.28; mask any such run that stands alone.
# A run inside a longer token of letters and digits is part of an identifier (a ticket id, a digest), not a
# personal number: `[^\W_]` is a letter or a digit.
_PERSONAL_NUMBER = re.compile(
    r"(?<![^\W_])\d{2}[.\- ]?\d{2}[.\- ]?\d{2}[.\- ]?\d{3}[.\- ]?\d{2}(?![^\W_])")


def mask_personal_numbers(text: str) -> str:
    return _PERSONAL_NUMBER.sub("***********", text)


class PersonalNumberFilter(logging.Filter):
    """Masks the message (the formatter below also masks tracebacks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# The id of the request being served (set by the HTTP layer, `channels.http.requests`); threads serving it see it too.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Gives each line written while a request is served that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class MaskingFormatter(logging.Formatter):
    """The whole formatted line, traceback included, with personal numbers masked; the request's id last."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if request_id:
            first, newline, rest = line.partition("\n")
            line = f"{first} [request {request_id}]{newline}{rest}"
        return mask_personal_numbers(line)


# The access line's fields (`channels.http.requests`), written as JSON members when present.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "client_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, masked like the text lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for name in ACCESS_FIELDS:
            if getattr(record, name, None) is not None:
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return mask_personal_numbers(json.dumps(entry, ensure_ascii=False))


def configure_logging(level: str = "INFO", format: str = "text") -> None:
    """`format`: `text` or `json` (`PRESENCE_LOG_FORMAT`)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if format == "json" else
                         MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PersonalNumberFilter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic narrates every connection at INFO; only its warnings matter to an operator.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
