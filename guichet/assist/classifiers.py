"""Topic classification behind one interface; keyword rules today, a trained model tomorrow.

A classifier receives the organization's topics as plain data and a message's subject and text, and
returns a `Classification` with its confidence and reasons. It never touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from guichet.core.text import fold


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
    """

    name = "keywords-v1"
    subject_weight = 2.0

    def classify(self, topics: Sequence[TopicProfile], subject: str, text: str) -> Classification:
        folded_subject = f" {fold(subject)} "
        folded_text = f" {fold(text[:20000])} "
        scored: list[tuple[float, int, list[str]]] = []
        for topic in topics:
            score = 0.0
            matched: list[str] = []
            for phrase in (*topic.keywords, topic.name):
                key = fold(phrase)
                if not key:
                    continue
                pattern = re.compile(rf"(?<= ){re.escape(key)}(?= )")
                hits = len(pattern.findall(folded_subject)) * self.subject_weight + len(
                    pattern.findall(folded_text)
                )
                if hits:
                    # Longer phrases are more specific than single words.
                    score += min(hits, 3) * (1 + key.count(" "))
                    matched.append(phrase)
            if score:
                scored.append((score, topic.topic_id, matched))
        if not scored:
            return Classification(None, 0.0, self.name, ("no topic keyword found",))
        scored.sort(key=lambda item: (-item[0], item[1]))
        best_score, best_topic, matched = scored[0]
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        confidence = round(best_score / (best_score + runner_up), 3)
        return Classification(
            best_topic, confidence, self.name, tuple(f"keyword: {m}" for m in matched[:5])
        )


def default_classifier() -> TopicClassifier:
    return KeywordClassifier()
