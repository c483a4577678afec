"""Fast masking of personal data for logs and exports, and the personal data an agent is warned
about before a reply goes out on an insecure channel.

`mask_text(text)` replaces identifiers with `[TYPE]` ("écrire à [EMAIL]") using only the
pattern recognisers of `guichet.assist.pii` (e-mail addresses, phone numbers, NIR with its key,
IBAN, payment cards, passport and identity card numbers, tax numbers, postal addresses): no spaCy
model, so it is cheap enough for every log line and every row of an export. Names are left (use
`guichet.assist.pii.mask` where a slower, more thorough masking is affordable). It never raises.

`sensitive_kinds(text)` lists the kinds of identifiers found in an agent's reply that should not
go out on an insecure channel: NIR, IBAN, payment card, passport, identity card, tax number. The
citizen's own name, e-mail address or phone number are not among them (the citizen gave them).
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from guichet.assist import pii

# Kinds masked by `mask_text` (names need spaCy: left to `guichet.assist.pii.mask`).
MASKED_TYPES = frozenset(pii.PERSONAL_TYPES - {pii.PERSON})

# Kinds an agent is warned about before sending them on an insecure channel.
SENSITIVE_TYPES = (pii.NIR, pii.IBAN, pii.CARD, pii.PASSPORT, pii.ID_CARD, pii.TAX_ID)

SENSITIVE_LABELS = {
    pii.NIR: _("social security number"),
    pii.IBAN: _("bank account number (IBAN)"),
    pii.CARD: _("payment card number"),
    pii.PASSPORT: _("passport number"),
    pii.ID_CARD: _("identity card number"),
    pii.TAX_ID: _("tax number"),
}

# Every identifier the patterns find contains a digit, except e-mail addresses.
_MAYBE_PERSONAL = re.compile(r"[\d@]")
_CUT_WORD = re.compile(r"\S*$")


@lru_cache(maxsize=1)
def _detector() -> pii.PiiDetector:
    return pii.PiiDetector(use_ner=False)


def _entities(text: str) -> list[pii.Entity]:
    if not text or not _MAYBE_PERSONAL.search(text):
        return []
    return _detector().detect(text[: pii.MAX_MASK_CHARS])


def mask_text(text: str) -> str:
    """`text` with every identifier replaced by `[TYPE]`; text past `pii.MAX_MASK_CHARS` is cut
    (with the word cut through, which could be part of an identifier) and marked `[TRUNCATED]`,
    so that nothing unmasked slips through. For log lines and exports."""
    if not text:
        return ""
    suffix = ""
    if len(text) > pii.MAX_MASK_CHARS:
        text, suffix = _CUT_WORD.sub("", text[: pii.MAX_MASK_CHARS]), "[TRUNCATED]"
    return pii.replace_entities(text, _entities(text), MASKED_TYPES) + suffix


def sensitive_kinds(text: str) -> list[str]:
    """The sensitive kinds found in `text`, in the order of `SENSITIVE_TYPES`, each once."""
    found = {entity.type for entity in _entities(text)}
    return [kind for kind in SENSITIVE_TYPES if kind in found]


def sensitive_labels(kinds: list[str]) -> list[str]:
    return [str(SENSITIVE_LABELS[kind]) for kind in kinds]


def is_insecure_channel(channel: str) -> bool:
    """Whether replies on `channel` warn about personal data (`GUICHET_INSECURE_CHANNELS`)."""
    return channel in settings.GUICHET_INSECURE_CHANNELS


def reply_confirmation_token(text: str, channel: str) -> str:
    """What an agent's confirmation carries: this text on this channel, and nothing else."""
    return salted_hmac("guichet.reply-personal-data", f"{channel}\n{text}").hexdigest()
