"""Personal data in French free text: detection and masking.

Two kinds of recognisers, in the manner of Microsoft Presidio (same idea, French-specific, no
network access at run time):
- patterns with a validator, for identifiers: e-mail addresses, phone numbers (Google's
  `phonenumbers`, French and international), NIR (social security number; its key is
  97 - (number mod 97), Corsica's 2A/2B handled), IBAN (ISO 13616 mod-97), payment cards (Luhn and
  an issuer prefix), French passport numbers, identity card numbers (old 12-digit and 2021
  9-character formats, only next to words that name them), tax numbers (numéro fiscal / SPI with
  its mod-511 key, SIREN/SIRET with Luhn next to their name, intra-EU VAT numbers) and postal
  addresses (number + street type + name, optional postcode and town). Checksums are computed by
  `python-stdnum`.
- names of people, places and organisations found by spaCy's French pipeline `fr_core_news_sm`
  (its NER, trained on WikiNER), plus a rule for civilities ("M. Aliker", "Madame Denis").

`detect(text)` returns the entities; `mask(text)` replaces the personal ones with `[TYPE]` for logs
and exports and never raises (without spaCy it masks the patterns and logs a warning once).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from stdnum import iban, luhn
from stdnum.fr import nif, nir, siren, siret, tva

from guichet.assist.errors import ModelUnavailable

logger = logging.getLogger(__name__)

PERSON = "PERSON"
ADDRESS = "ADDRESS"
LOCATION = "LOCATION"
ORGANIZATION = "ORGANIZATION"
EMAIL = "EMAIL"
PHONE = "PHONE"
NIR = "NIR"
IBAN = "IBAN"
CARD = "CARD"
PASSPORT = "PASSPORT"
ID_CARD = "ID_CARD"
TAX_ID = "TAX_ID"

# Types that identify a person and are masked; places and organisations alone are not.
PERSONAL_TYPES = frozenset(
    {PERSON, ADDRESS, EMAIL, PHONE, NIR, IBAN, CARD, PASSPORT, ID_CARD, TAX_ID}
)

# Longest text masked; beyond it the text is cut and marked, so nothing unmasked slips through.
MAX_MASK_CHARS = 1_000_000
# spaCy reads a text in pieces of this size (its memory grows with the length of a piece).
NER_PIECE_CHARS = 10_000


@dataclass(frozen=True)
class Entity:
    type: str
    start: int
    end: int
    text: str
    score: float
    source: str


_SEP = r"[ \u00a0.-]?"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}(?![\w-])")
_NIR = re.compile(
    r"(?<!\w)[1-478]"
    + _SEP
    + r"\d{2}"
    + _SEP
    + r"\d{2}"
    + _SEP
    + r"(?:\d{2}|2[ABab])"
    + _SEP
    + r"\d{3}"
    + _SEP
    + r"\d{3}"
    + _SEP
    + r"\d{2}(?!\w)"
)
_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?!\w)")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_PASSPORT = re.compile(r"(?<!\w)\d{2}[A-Z]{2}\d{5}(?!\w)")
_ID_CARD = re.compile(r"(?<!\w)(?:\d{12}|(?=[A-Z0-9]{9}(?!\w))(?=[A-Z0-9]*\d)[A-Z0-9]{9})(?!\w)")
_ID_CARD_CONTEXT = re.compile(
    r"(?:carte\s+(?:nationale\s+)?d['\u2019\s]?identit[ée]|\bCNI\b|pi[èe]ce\s+d['\u2019\s]?identit[ée])",
    re.IGNORECASE,
)
_PASSPORT_CONTEXT = re.compile(r"passeport|passport", re.IGNORECASE)
_TAX_NUMBER = re.compile(r"(?<!\w)[0-3]\d(?:[ ]?\d){11}(?!\w)")
_SIREN = re.compile(r"(?<!\w)\d{3}[ ]?\d{3}[ ]?\d{3}(?:[ ]?\d{5})?(?!\w)")
_SIREN_CONTEXT = re.compile(r"\bSIRE[NT]\b", re.IGNORECASE)
_VAT = re.compile(r"(?<!\w)FR[ ]?[0-9A-HJ-NP-Z]{2}[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}(?!\w)")

_STREET_TYPES = (
    r"rue|avenue|av\.|bd|boulevard|place|pl\.|impasse|all[ée]e|chemin|route|rte|quai|cours|"
    r"square|passage|lotissement|r[ée]sidence|voie|rond-point|sentier|hameau|lieu-dit|"
    r"faubourg|fbg|parvis|promenade|esplanade|cit[ée]|villa|mont[ée]e|chauss[ée]e|traverse|"
    r"quartier|domaine|clos|ruelle|venelle|sq\."
)
# Words that end a street name: "12 rue Victor Hugo à Lyon", "3 rue des Lilas et je ...".
_AFTER_STREET = (
    r"(?:à|a|et|ou|je|j|nous|vous|il|elle|on|qui|que|qu|est|sont|pour|dans|depuis|avec|mais|"
    r"donc|car|vers|près|pres|ce|cette|mon|ma|mes|notre|votre|devant|derrière|derriere|y|en|"
    r"chez|tel|tél|téléphone|telephone|mail|email|courriel)"
)
_STREET_WORD = rf"(?!{_AFTER_STREET}\b)[\w'\u2019-]+"
_TOWN_WORD = rf"(?!{_AFTER_STREET}\b)[A-ZÀ-Ý][\w'\u2019-]*"
_ADDRESS = re.compile(
    r"(?<!\w)\d{1,4}(?:\s?(?:bis|ter|quater|[a-d])\b)?,?\s+"
    rf"(?:{_STREET_TYPES})\s+{_STREET_WORD}(?:[ ]{_STREET_WORD}){{0,5}}"
    rf"(?:,?\s*\d{{5}}[ ]+(?-i:{_TOWN_WORD})(?:[ -](?-i:{_TOWN_WORD})){{0,3}})?",
    re.IGNORECASE,
)
_POSTAL_BOX = re.compile(r"(?<!\w)(?:BP|CS|TSA)\s?\d{1,6}(?!\w)")
_CIVILITY = re.compile(
    r"(?<![\w])(?:M\.|Mme|Mlle|Me|Dr|Pr|Monsieur|Madame|Mademoiselle|Ma[îi]tre)\s+"
    # A name: capitalised words or initials; a particle (de, du, d', van, von, le, la) only
    # before another capitalised word ("M. Aliker de" stops at "Aliker").
    r"((?:[A-ZÀ-Ý][\w'\u2019-]+|[A-ZÀ-Ý]\.)"
    r"(?:\s+(?:(?:de|du|van|von|le|la)\s+|d['\u2019]\s?)?(?:[A-ZÀ-Ý][\w'\u2019-]+|[A-ZÀ-Ý]\.)){0,3})"
)
# Words spaCy sometimes takes for names at the start of a message or a line.
_NOT_NAMES = frozenset(
    {
        "bonjour",
        "bonsoir",
        "madame",
        "monsieur",
        "mademoiselle",
        "cordialement",
        "merci",
        "salut",
        "objet",
    }
)
# "M. le Maire", "Madame la Présidente": a function, not a name.
_TITLES = frozenset(
    {
        "le",
        "la",
        "les",
        "maire",
        "président",
        "présidente",
        "directeur",
        "directrice",
        "préfet",
        "ministre",
        "juge",
        "adjoint",
        "adjointe",
        "conseiller",
        "conseillère",
        "rapporteur",
    }
)
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6(?:011|5))")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _near(context: re.Pattern[str], text: str, start: int, end: int, window: int = 60) -> bool:
    return bool(context.search(text, max(0, start - window), min(len(text), end + 20)))


def _is_nir(candidate: str) -> bool:
    return bool(nir.is_valid(re.sub(r"[ \u00a0.-]", "", candidate).upper()))


def _is_card(candidate: str) -> bool:
    number = _digits(candidate)
    return 13 <= len(number) <= 19 and bool(_CARD_PREFIX.match(number)) and luhn.is_valid(number)


def find_emails(text: str) -> Iterable[Entity]:
    for match in _EMAIL.finditer(text):
        yield Entity(EMAIL, match.start(), match.end(), match.group(), 1.0, "pattern")


def find_phones(text: str) -> Iterable[Entity]:
    matcher = phonenumbers.PhoneNumberMatcher(text, "FR", leniency=phonenumbers.Leniency.VALID)
    for match in matcher:
        yield Entity(PHONE, match.start, match.end, match.raw_string, 0.9, "phonenumbers")


def find_nirs(text: str) -> Iterable[Entity]:
    for match in _NIR.finditer(text):
        if _is_nir(match.group()):
            yield Entity(NIR, match.start(), match.end(), match.group(), 1.0, "pattern+key")


def find_ibans(text: str) -> Iterable[Entity]:
    for match in _IBAN.finditer(text):
        value = match.group()
        # The pattern may run into the next word group: keep the longest valid prefix.
        for end in range(len(value), 14, -1):
            if value[end - 1] != " " and iban.is_valid(value[:end]):
                yield Entity(
                    IBAN, match.start(), match.start() + end, value[:end], 1.0, "pattern+mod97"
                )
                break


def find_cards(text: str) -> Iterable[Entity]:
    for match in _CARD.finditer(text):
        if _is_card(match.group()):
            yield Entity(CARD, match.start(), match.end(), match.group(), 1.0, "pattern+luhn")


def find_passports(text: str) -> Iterable[Entity]:
    for match in _PASSPORT.finditer(text):
        near = _near(_PASSPORT_CONTEXT, text, match.start(), match.end())
        yield Entity(
            PASSPORT, match.start(), match.end(), match.group(), 0.9 if near else 0.6, "pattern"
        )


def find_id_cards(text: str) -> Iterable[Entity]:
    for match in _ID_CARD.finditer(text):
        if _near(_ID_CARD_CONTEXT, text, match.start(), match.end()):
            yield Entity(ID_CARD, match.start(), match.end(), match.group(), 0.8, "pattern+context")


def find_tax_numbers(text: str) -> Iterable[Entity]:
    for match in _TAX_NUMBER.finditer(text):
        if nif.is_valid(_digits(match.group())):
            yield Entity(TAX_ID, match.start(), match.end(), match.group(), 1.0, "pattern+key")
    for match in _VAT.finditer(text):
        if tva.is_valid(match.group().replace(" ", "")):
            yield Entity(TAX_ID, match.start(), match.end(), match.group(), 1.0, "pattern+key")
    for match in _SIREN.finditer(text):
        number = _digits(match.group())
        valid = siret.is_valid(number) if len(number) == 14 else siren.is_valid(number)
        if valid and _near(_SIREN_CONTEXT, text, match.start(), match.end()):
            yield Entity(TAX_ID, match.start(), match.end(), match.group(), 0.9, "pattern+luhn")


def find_addresses(text: str) -> Iterable[Entity]:
    for match in _ADDRESS.finditer(text):
        value = match.group().rstrip(" ,'\u2019-")
        yield Entity(ADDRESS, match.start(), match.start() + len(value), value, 0.8, "pattern")
    for match in _POSTAL_BOX.finditer(text):
        yield Entity(ADDRESS, match.start(), match.end(), match.group(), 0.7, "pattern")


def find_civilities(text: str) -> Iterable[Entity]:
    for match in _CIVILITY.finditer(text):
        first = match.group(1).split()[0].lower()
        if first in _NOT_NAMES or first in _TITLES:
            continue
        yield Entity(PERSON, match.start(1), match.end(1), match.group(1), 0.85, "civility")


PATTERN_RECOGNISERS: tuple[Callable[[str], Iterable[Entity]], ...] = (
    find_emails,
    find_nirs,
    find_ibans,
    find_cards,
    find_tax_numbers,
    find_passports,
    find_id_cards,
    find_phones,
    find_addresses,
)


_NER_TYPES = {"PER": PERSON, "LOC": LOCATION, "ORG": ORGANIZATION}


class SpacyNames:
    """Names from spaCy's `fr_core_news_sm` (tagger, parser and lemmatizer left out: only the
    token vectors and the entity recogniser run)."""

    model = "fr_core_news_sm"

    def __init__(self) -> None:
        self._nlp: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        with self._lock:
            if self._nlp is None:
                try:
                    import spacy

                    self._nlp = spacy.load(
                        self.model,
                        exclude=["parser", "lemmatizer", "morphologizer", "attribute_ruler"],
                    )
                except (ImportError, OSError, ValueError) as exc:
                    raise ModelUnavailable(
                        f"the French spaCy pipeline {self.model!r} cannot be loaded: {exc}"
                    ) from exc
        return self._nlp

    def find(self, texts: Sequence[str]) -> list[list[Entity]]:
        """Entities of several texts at once (spaCy batches them)."""
        nlp = self.load()
        pieces: list[tuple[int, int, str]] = []
        for number, text in enumerate(texts):
            for offset in range(0, len(text), NER_PIECE_CHARS):
                pieces.append((number, offset, text[offset : offset + NER_PIECE_CHARS]))
        found: list[list[Entity]] = [[] for _ in texts]
        docs = nlp.pipe((piece for _, _, piece in pieces), batch_size=64)
        for (number, offset, _), doc in zip(pieces, docs, strict=True):
            for ent in doc.ents:
                kind = _NER_TYPES.get(ent.label_)
                if kind is None or (kind == PERSON and not _plausible_name(ent.text)):
                    continue
                start, end = offset + ent.start_char, offset + ent.end_char
                found[number].append(Entity(kind, start, end, ent.text, 0.7, "spacy"))
        return found


_CIVILITY_WORDS = frozenset({"m", "mme", "mlle", "me", "dr", "pr"})


def _plausible_name(value: str) -> bool:
    """Not a greeting, not a lone civility ("M."), not letters spaced out ("D E C I D E")."""
    stripped = value.strip()
    parts = stripped.replace(".", " ").split()
    return (
        any(ch.isupper() for ch in stripped)
        and len(stripped) > 1
        and stripped.lower() not in _NOT_NAMES
        and bool(parts)
        and not all(p.lower() in _CIVILITY_WORDS for p in parts)
        and not (len(parts) > 2 and all(len(p) == 1 for p in parts))
    )


def _resolve(entities: Iterable[Entity]) -> list[Entity]:
    """Overlapping entities: the most reliable wins (validated identifiers over addresses over
    names over places), then the longest; the result is sorted by position."""
    chosen: list[Entity] = []
    ranked = sorted(entities, key=lambda e: (-e.score, -(e.end - e.start), e.start))
    for entity in ranked:
        if all(entity.end <= other.start or entity.start >= other.end for other in chosen):
            chosen.append(entity)
    return sorted(chosen, key=lambda e: e.start)


class PiiDetector:
    """`patterns` (always) and `names` (spaCy NER and civilities) when `use_ner`."""

    def __init__(self, *, use_ner: bool = True, use_patterns: bool = True) -> None:
        self.use_ner = use_ner
        self.use_patterns = use_patterns
        self.names = SpacyNames() if use_ner else None

    @property
    def name(self) -> str:
        if self.use_ner and self.use_patterns:
            return "guichet-pii"
        return "baseline-spacy" if self.use_ner else "patterns"

    def detect_many(self, texts: Sequence[str]) -> list[list[Entity]]:
        results: list[list[Entity]] = [[] for _ in texts]
        if self.use_patterns:
            for number, text in enumerate(texts):
                for recogniser in PATTERN_RECOGNISERS:
                    results[number].extend(recogniser(text))
                if self.use_ner:
                    results[number].extend(find_civilities(text))
        if self.names is not None:
            for number, found in enumerate(self.names.find(texts)):
                results[number].extend(found)
        return [_resolve(found) for found in results]

    def detect(self, text: str) -> list[Entity]:
        return self.detect_many([text])[0]


def detect(text: str) -> list[Entity]:
    """Every entity in `text` with the full detector (raises `ModelUnavailable` without spaCy)."""
    return _full_detector().detect(text)


@lru_cache(maxsize=1)
def _full_detector() -> PiiDetector:
    return PiiDetector()


@lru_cache(maxsize=1)
def _patterns_detector() -> PiiDetector:
    return PiiDetector(use_ner=False)


_fallback_warned = False


def mask(text: str, types: frozenset[str] = PERSONAL_TYPES) -> str:
    """`text` with each personal entity replaced by `[TYPE]` ("Écrire à [EMAIL]"). Never raises:
    without the spaCy pipeline, names are left and the identifiers are still masked."""
    global _fallback_warned
    if not text:
        return ""
    suffix = ""
    if len(text) > MAX_MASK_CHARS:
        text, suffix = text[:MAX_MASK_CHARS], " [TRUNCATED]"
    try:
        entities = _full_detector().detect(text)
    except ModelUnavailable as exc:
        if not _fallback_warned:
            logger.warning("personal-data masking without names: %s", exc)
            _fallback_warned = True
        entities = _patterns_detector().detect(text)
    return replace_entities(text, entities, types) + suffix


def replace_entities(text: str, entities: Iterable[Entity], types: Collection[str]) -> str:
    """`text` with each of `entities` (in order, not overlapping) whose type is in `types`
    replaced by `[TYPE]`."""
    parts: list[str] = []
    position = 0
    for entity in entities:
        if entity.type not in types:
            continue
        parts.append(text[position : entity.start])
        parts.append(f"[{entity.type}]")
        position = entity.end
    parts.append(text[position:])
    return "".join(parts)
