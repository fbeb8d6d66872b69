"""Logging set-up with a last line of defence: personal numbers never reach a log line."""

from __future__ import annotations

import logging
import re

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


class MaskingFormatter(logging.Formatter):
    """The whole formatted line, traceback included, with personal numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_personal_numbers(super().format(record))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PersonalNumberFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic narrates every connection at INFO; only its warnings matter to an operator.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
