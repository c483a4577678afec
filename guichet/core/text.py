"""Small text helpers shared by contexts (normalisation for matching, truncation)."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation turned into single spaces: 'Déchèterie !' ->
    'dechetterie'-style matching keys ("l'état-civil" -> "l etat civil")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped).strip()
