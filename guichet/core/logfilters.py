"""Logging filters that keep secrets and personal data out of log files."""

from __future__ import annotations

import logging
import re

from guichet.assist.masking import mask_text

# A citizen's private tracking link is a bearer secret: access logs must not keep it.
_TRACKING = re.compile(r"(/suivi/)[A-Za-z0-9_-]+")

_formatter = logging.Formatter()


def redact(text: str) -> str:
    return _TRACKING.sub(r"\1…", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


class MaskPersonalData(logging.Filter):
    """Masks personal data (e-mail addresses, phones, NIR, IBAN, cards, identity documents, tax
    numbers, postal addresses) in the formatted message and the exception text of every record,
    with the fast pattern recognisers of `guichet.assist.masking` (no spaCy model per log line).

    The message is formatted once (`msg % args`); when something was masked the record carries
    the masked text and no args, so no formatter can put the original back. A record whose
    message cannot be formatted is left to the handler, and masking never loses a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # logging itself reports a message that cannot be formatted
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
