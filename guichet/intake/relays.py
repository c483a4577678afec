"""Who really wrote a message relayed by a web-form service or an SMS-to-email gateway.

The relay's own address is not the citizen: the real sender is the Reply-To the relay set, or the
address or phone number the message names on a labelled line ("Courriel : ...", "Tél : ...",
"De : +33 6..."), with the name on a "Nom : ..." line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from guichet.citizens.identity import InvalidContactPoint, normalise_contact

_LABELLED = re.compile(
    r"^\s*(?P<label>e-?mail|courriel|adresse (?:e-?mail|électronique|electronique)|mail|"
    r"t[ée]l[ée]phone|t[ée]l|tel|mobile|portable|phone|de|from|exp[ée]diteur|sender|"
    r"nom(?: et pr[ée]nom| complet)?|pr[ée]nom et nom|name)\s*:\s*(?P<value>.+?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_NAME_LABELS = re.compile(r"^(nom|pr[ée]nom et nom|name)", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d .()-]{7,18}\d")


@dataclass(frozen=True)
class RealSender:
    address: str
    name: str
    found_in: str  # "reply-to" or "text"


def find_real_sender(
    reply_to: tuple[str, ...], subject: str, text: str, is_relay: Callable[[str], bool]
) -> RealSender | None:
    """The person behind a relayed message, or None if the message does not say."""
    name = ""
    for match in _LABELLED.finditer(text[:5000]):
        if _NAME_LABELS.match(match.group("label")) and not name:
            name = match.group("value")[:200]
    for address in reply_to:
        if not is_relay(address):
            return RealSender(address, name, "reply-to")
    candidates: list[str] = []
    for match in _LABELLED.finditer(text[:5000]):
        if _NAME_LABELS.match(match.group("label")):
            continue
        value = match.group("value")
        candidates += _EMAIL.findall(value) + _PHONE.findall(value)
    candidates += _PHONE.findall(subject)
    for candidate in candidates:
        if is_relay(candidate):
            continue
        try:
            normalise_contact(candidate)
        except InvalidContactPoint:
            continue
        return RealSender(candidate, name, "text")
    return None
