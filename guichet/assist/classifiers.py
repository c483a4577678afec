"""Topic classification behind one interface; keyword rules today, a trained model tomorrow.

A classifier receives the organization's topics as plain data and a message's subject and text, and
returns a `Classification` with its confidence and reasons. It never touches the database.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from guichet.core.text import fold

if TYPE_CHECKING:
    from guichet.assist.triage import TextClassifier

logger = logging.getLogger(__name__)

_NON_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class TopicProfile:
    topic_id: int
    slug: str
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    topic_id: int | None
    confidence: float
    method: str
    reasons: tuple[str, ...] = field(default_factory=tuple)


class TopicClassifier(Protocol):
    name: str

    def classify(
        self, topics: Sequence[TopicProfile], subject: str, text: str
    ) -> Classification: ...


class KeywordClassifier:
    """Scores each topic by its keywords (and its name) found as whole words in the message.

    A match in the subject counts double. Confidence is the winner's share of the two best scores,
    so a message that matches two topics equally gets 0.5 and one clear match gets 1.0.

    The topics' keys are folded and compiled once per set of topics (`_compiled`), and the message
    is folded once and counted by word: a one-word key is looked up in that count, a phrase is
    searched only when all its words are there. Same scores as matching every key's pattern.
    """

    name = "keywords-v1"
    subject_weight = 2.0

    def classify(self, topics: Sequence[TopicProfile], subject: str, text: str) -> Classification:
        folded_subject = fold_fast(subject)
        folded_text = fold_fast(text[:20000])
        subject_words = Counter(folded_subject.split(" "))
        text_words = Counter(folded_text.split(" "))
        padded_subject = f" {folded_subject} "
        padded_text = f" {folded_text} "
        scored: list[tuple[float, int, list[str]]] = []
        for topic_id, keys in _compiled(tuple(topics)):
            score = 0.0
            matched: list[str] = []
            for phrase, key, words, pattern in keys:
                if pattern is None:
                    hits = subject_words[key] * self.subject_weight + text_words[key]
                else:
                    in_subject = all(word in subject_words for word in words)
                    in_text = all(word in text_words for word in words)
                    if not (in_subject or in_text):
                        continue
                    hits = (
                        len(pattern.findall(padded_subject)) * self.subject_weight
                        if in_subject
                        else 0.0
                    ) + (len(pattern.findall(padded_text)) if in_text else 0)
                if hits:
                    # Longer phrases are more specific than single words.
                    score += min(hits, 3) * (1 + key.count(" "))
                    matched.append(phrase)
            if score:
                scored.append((score, topic_id, matched))
        if not scored:
            return Classification(None, 0.0, self.name, ("no topic keyword found",))
        scored.sort(key=lambda item: (-item[0], item[1]))
        best_score, best_topic, matched = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        confidence = round(best_score / (best_score + runner_up), 3)
        return Classification(
            best_topic, confidence, self.name, tuple(f"keyword: {m}" for m in matched[:5])
        )


# (phrase as written, folded key, its words, pattern for a phrase of several words or None)
_Key = tuple[str, str, tuple[str, ...], "re.Pattern[str] | None"]


@lru_cache(maxsize=64)
def _compiled(topics: tuple[TopicProfile, ...]) -> tuple[tuple[int, tuple[_Key, ...]], ...]:
    """Each topic's keys, folded and compiled once. Keyed by the topics themselves (frozen
    dataclasses): an edited topic is a new key, so nothing stale is ever used."""
    compiled = []
    for topic in topics:
        keys: list[_Key] = []
        for phrase in (*topic.keywords, topic.name):
            key = fold(phrase)
            if not key:
                continue
            words = tuple(key.split(" "))
            pattern = re.compile(rf"(?<= ){re.escape(key)}(?= )") if len(words) > 1 else None
            keys.append((phrase, key, words, pattern))
        compiled.append((topic.topic_id, tuple(keys)))
    return tuple(compiled)


def fold_fast(text: str) -> str:
    """Exactly `guichet.core.text.fold(text)`, faster on long texts: ASCII needs no Unicode
    decomposition, and the combining marks are removed with one `str.translate` over the few
    distinct characters a text holds instead of a generator over every character."""
    lowered = text.lower()
    if lowered.isascii():
        return _NON_WORD.sub(" ", lowered).strip()
    decomposed = unicodedata.normalize("NFKD", lowered)
    marks = {ord(ch): None for ch in set(decomposed) if unicodedata.combining(ch)}
    return _NON_WORD.sub(" ", decomposed.translate(marks) if marks else decomposed).strip()


class ModelClassifier:
    """A trained triage model (`guichet.assist.triage`, trained on topic slugs) behind the
    `TopicClassifier` interface, with the keyword rules as a safety net: when the model file
    cannot be loaded (missing, damaged, a package absent) the rules answer and an error is
    logged once (administrators see it in the logs); a message is never lost. A prediction
    whose slug is not among the organization's topics also falls back to the rules."""

    def __init__(self, model_path: Path | str, fallback: TopicClassifier | None = None) -> None:
        self.model_path = Path(model_path)
        self.fallback = fallback or KeywordClassifier()
        self._model: TextClassifier | None = None
        self._failed = False
        self.name = f"model:{self.model_path.name}"

    def _loaded(self) -> TextClassifier | None:
        if self._model is None and not self._failed:
            from guichet.assist.errors import ModelUnavailable
            from guichet.assist.triage import load_model

            try:
                self._model = load_model(self.model_path)
            except ModelUnavailable as exc:
                self._failed = True
                logger.error("triage falls back to keyword rules: %s", exc)
        return self._model

    def classify(self, topics: Sequence[TopicProfile], subject: str, text: str) -> Classification:
        model = self._loaded()
        if model is None:
            return self.fallback.classify(topics, subject, text)
        from guichet.assist.errors import AssistError
        from guichet.assist.triage import predict

        try:
            prediction = predict(model, f"{subject}\n{text}" if subject else text)
        except AssistError as exc:
            logger.error("triage model failed, keyword rules used: %s", exc)
            return self.fallback.classify(topics, subject, text)
        by_slug = {topic.slug: topic.topic_id for topic in topics}
        if prediction.label is None or prediction.label not in by_slug:
            return self.fallback.classify(topics, subject, text)
        reasons = tuple(f"model: {label} {p:.2f}" for label, p in prediction.alternatives)
        return Classification(
            by_slug[prediction.label], prediction.confidence, prediction.model, reasons
        )


def default_classifier() -> TopicClassifier:
    return KeywordClassifier()
