"""Logging filters that keep secrets and personal data out of log files."""

from __future__ import annotations

import logging
import re

# A citizen's private tracking link is a bearer secret: access logs must not keep it.
_TRACKING = re.compile(r"(/suivi/)[A-Za-z0-9_-]+")


def redact(text: str) -> str:
    return _TRACKING.sub(r"\1…", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
