"""Urgency, distress and tone of a message: pure functions over word lists, no model.

`urgency(text)` finds signals that must raise a message's priority and reach a human quickly:
- `self_harm`: a citizen who speaks of ending their life ("en finir", "me suicider");
- `threat`: a threat against staff or a building ("je vais vous tuer", "bombe");
- `violence`: violence suffered or seen ("violences conjugales", "il me frappe");
- `emergency`: a danger now ("fuite de gaz", "incendie", "expulsé demain", "urgent").
The level is `critical` for the first three (someone may be in danger) and `high` for an
emergency alone.

`tone(text)` flags an aggressive message for the agent (insults, threats, shouting in capitals,
runs of exclamation marks), with the reasons.

The lists are French first, with the common English, Spanish, Portuguese, Italian and German
phrasings (messages in other languages reach town halls too). Matching is done on folded text
(lower case, no accents, apostrophes and punctuation as spaces) and on whole words, so
"Suicidé", "suicide" and "SUICIDE" meet and "tuerie" is not "tuer". The lists are
deliberately short and high-precision: a false alarm costs an agent a glance, a missed one is
worse, so borderline words ("mourir de faim"?) are left to the agent. They are not fitted to any
data set; extend them per organization if needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from guichet.assist.text import clean_text, fold

SELF_HARM = "self_harm"
THREAT = "threat"
VIOLENCE = "violence"
EMERGENCY = "emergency"

Level = Literal["normal", "high", "critical"]

# Phrases as written (folded when compiled). "*" ends a word prefix: "suicid*" matches
# "suicide", "suicider", "suicidaire".
_PHRASES: dict[str, tuple[str, ...]] = {
    SELF_HARM: (
        "suicid*",
        "me tuer",
        "me suicider",
        "en finir",
        "en finir avec la vie",
        "mettre fin a mes jours",
        "mettre fin a ma vie",
        "plus envie de vivre",
        "pas envie de vivre",
        "me foutre en l air",
        "me jeter sous",
        "me jeter par la fenetre",
        "me pendre",
        "me faire du mal",
        "je veux mourir",
        "envie de mourir",
        "kill myself",
        "end my life",
        "want to die",
        "self harm",
        "quitarme la vida",
        "matarme",
        "suicidio",
        "me matar",
        "uccidermi",
        "mich umbringen",
        "selbstmord",
    ),
    THREAT: (
        "je vais vous tuer",
        "je vais te tuer",
        "je vais le tuer",
        "je vais la tuer",
        "vous tuer",
        "je vais tout casser",
        "tout faire sauter",
        "faire sauter la mairie",
        "bombe",
        "explosif*",
        "je vais venir avec une arme",
        "mon fusil",
        "ma carabine",
        "vous allez le regretter",
        "vous allez le payer",
        "vous allez me le payer",
        "je sais ou vous habitez",
        "je sais ou tu habites",
        "regler mes comptes",
        "kill you",
        "bomb",
        "te voy a matar",
        "os voy a matar",
        "vou te matar",
        "ti ammazzo",
        "ich bringe dich um",
    ),
    VIOLENCE: (
        "violence*",
        "violent",
        "violente*",
        "abused",
        "il me frappe",
        "elle me frappe",
        "me frappe",
        "m a frappe*",
        "frappe par",
        "battu*",
        "bat mes enfants",
        "agresse*",
        "agression*",
        "viol",
        "viole*",
        "harcelement",
        "harcele*",
        "maltraitance*",
        "maltraite*",
        "menace de mort",
        "menaces de mort",
        "il me menace",
        "elle me menace",
        "domestic violence",
        "assaulted",
        "beaten",
        "violencia",
        "maltrato",
        "gewalt",
    ),
    EMERGENCY: (
        "urgent*",
        "urgence*",
        "en danger",
        "danger",
        "dangereu*",
        "incendie",
        "au feu",
        "en feu",
        "fuite de gaz",
        "odeur de gaz",
        "inondation",
        "inonde*",
        "effondre*",
        "effondrement",
        "menace de s effondrer",
        "electrocut*",
        "blesse*",
        "a la rue",
        "sans abri",
        "sans logement ce soir",
        "expulse* demain",
        "expulsion demain",
        "expulsion ce",
        "plus de chauffage",
        "plus d eau",
        "plus d electricite",
        "emergency",
        "urgently",
        "fire",
        "gas leak",
        "urgencia",
        "incendio",
        "notfall",
        "dringend",
    ),
}

_CRITICAL = (SELF_HARM, THREAT, VIOLENCE)

# Insults and contempt words (folded): a message holding one is flagged as aggressive.
_INSULTS = (
    "connard*",
    "connasse*",
    "salaud*",
    "salope*",
    "encule*",
    "enfoire*",
    "batard*",
    "abruti*",
    "cretin*",
    "debile*",
    "imbecile*",
    "idiot*",
    "incapable*",
    "incompetent*",
    "minable*",
    "nuls",
    "nullard*",
    "bande de",
    "ripou*",
    "merde*",
    "putain",
    "bordel",
    "foutage de gueule",
    "vous vous foutez",
    "fous de ma gueule",
    "ta gueule",
    "fermez la",
    "fdp",
    "ntm",
    "honte a vous",
    "stupid",
    "fuck*",
    "shit",
    "asshole",
    "idiota",
    "imbecil",
    "cabron",
    "arschloch",
)

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SHOUT_WORD = re.compile(r"\b[^\W\d_]{3,}\b")
_EXCLAIM_RUN = re.compile(r"[!?]{3,}")


def _normalise(text: str) -> str:
    """Folded words separated by single spaces, padded with a space on each side; an
    apostrophe separates words ("m'a frappée" -> " m a frappee ")."""
    folded = fold(text.lower())
    return f" {_NON_WORD.sub(' ', folded).strip()} "


def _pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """One pattern for a list of phrases, on whole folded words; a word ending with "*" is a
    prefix. The longest phrases are tried first."""
    alternatives = []
    for phrase in phrases:
        parts: list[str] = []
        for token in phrase.split():
            words = _normalise(token.rstrip("*")).split()
            if not words:
                continue
            escaped = [re.escape(w) for w in words]
            if token.endswith("*"):
                escaped[-1] += "[a-z0-9]*"
            parts.extend(escaped)
        if parts:
            alternatives.append(" ".join(parts))
    alternatives.sort(key=len, reverse=True)
    return re.compile(r"(?<= )(?:" + "|".join(alternatives) + r")(?= )")


@lru_cache(maxsize=1)
def _compiled() -> dict[str, re.Pattern[str]]:
    patterns = {kind: _pattern(phrases) for kind, phrases in _PHRASES.items()}
    patterns["insult"] = _pattern(_INSULTS)
    return patterns


@dataclass(frozen=True)
class Urgency:
    level: Level
    # Kinds found (self_harm, threat, violence, emergency), in that order.
    kinds: tuple[str, ...] = ()
    # The phrases found, folded, at most five per kind.
    matches: tuple[str, ...] = field(default_factory=tuple)

    @property
    def raises_priority(self) -> bool:
        return self.level != "normal"


@dataclass(frozen=True)
class Tone:
    aggressive: bool
    reasons: tuple[str, ...] = ()


# Texts are read up to this length (signals sit in the first pages of a message).
MAX_CHARS = 20_000


def urgency(text: str | bytes | None) -> Urgency:
    """The urgency signals of a message (see the module docstring). Never raises."""
    normalised = _normalise(clean_text(text, MAX_CHARS))
    patterns = _compiled()
    kinds: list[str] = []
    matches: list[str] = []
    for kind in (SELF_HARM, THREAT, VIOLENCE, EMERGENCY):
        found = list(dict.fromkeys(m.group() for m in patterns[kind].finditer(normalised)))
        if found:
            kinds.append(kind)
            matches.extend(found[:5])
    if any(kind in _CRITICAL for kind in kinds):
        level: Level = "critical"
    elif kinds:
        level = "high"
    else:
        level = "normal"
    return Urgency(level, tuple(kinds), tuple(matches))


def tone(text: str | bytes | None) -> Tone:
    """Whether a message reads as aggressive, and why: an insult or contempt word, a threat,
    most words shouted in capitals (at least five of them), or runs of three "!" or "?"."""
    cleaned = clean_text(text, MAX_CHARS)
    reasons: list[str] = []
    normalised = _normalise(cleaned)
    patterns = _compiled()
    insults = list(dict.fromkeys(m.group() for m in patterns["insult"].finditer(normalised)))
    if insults:
        reasons.append("insult: " + ", ".join(insults[:3]))
    if patterns[THREAT].search(normalised):
        reasons.append("threat")
    words = _SHOUT_WORD.findall(cleaned)
    shouted = [w for w in words if w.isupper()]
    if len(shouted) >= 5 and len(shouted) >= 0.6 * len(words):
        reasons.append("capitals")
    if len(_EXCLAIM_RUN.findall(cleaned)) >= 2:
        reasons.append("exclamation marks")
    return Tone(bool(reasons), tuple(reasons))
