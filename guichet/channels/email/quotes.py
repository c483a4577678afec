"""Separating what a citizen wrote in a reply from the history their mail client quoted below it
("Le lun. 3 nov. 2026 à 10:12, Mairie <...> a écrit :", "On ... wrote:", Outlook's "De : / Envoyé :"
blocks, "> " lines) and from their signature, with mail-parser-reply (French, English, German).

Nothing is thrown away: the quoted history and the signature are kept beside the new text, and the
desk shows them folded.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

_REPLY_SUBJECT = re.compile(r"^\s*(re|aw|sv|réf|ref)\s*(\[\d+\])?\s*:", re.IGNORECASE)


@lru_cache(maxsize=1)
def _parser() -> EmailReplyParser:
    return EmailReplyParser(languages=["fr", "en", "de"])


def looks_like_reply(
    subject: str, in_reply_to: tuple[str, ...], references: tuple[str, ...]
) -> bool:
    return bool(in_reply_to or references or _REPLY_SUBJECT.match(subject or ""))


def split_reply(text: str) -> tuple[str, str]:
    """(new text, quoted history and signature). When nothing is recognised, the text is returned
    whole and the second part is empty; the two parts always hold all of the original words."""
    if not text.strip():
        return text, ""
    try:
        latest = _parser().read(text=text).latest_reply or ""
    except Exception:
        return text, ""
    latest = latest.strip()
    if not latest or latest == text.strip():
        return text, ""
    position = text.find(latest)
    if position < 0:
        return text, ""
    new_text = text[: position + len(latest)].strip()
    quoted = text[position + len(latest) :].strip()
    return new_text, quoted
