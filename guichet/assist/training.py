"""Triage trained on an organization's own history, and the model the pipeline uses.

`train_organization` (the `guichet assist-train` command) learns the topic of past requests from
the first message the citizen wrote: the topic is the request's current one, so agents'
corrections are what is learnt. It measures the model by cross-validation, then saves it under
`GUICHET_DATA_DIR/assist/<organization slug>/` (`triage.pkl` and `triage.json`, its version and
figures). With too little history nothing is saved and the keyword rules go on deciding.

`organization_classifier` is what the pipeline's classify step calls: the organization's trained
model, loaded once per process and loaded again when its file changes (modification time), or the
keyword rules when there is none, when it is switched off, or when it cannot be loaded (then an
error is logged and `model_status` shows it to administrators).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from guichet.assist.classifiers import KeywordClassifier, ModelClassifier, TopicClassifier
from guichet.assist.errors import AssistError, ModelUnavailable
from guichet.assist.models import AssistSettings
from guichet.assist.thresholds import CurvePoint, Threshold, curve_of, threshold_in_use
from guichet.cases.lifecycle import ACTIVE_STATUSES
from guichet.cases.models import Case, EventKind
from guichet.conversations.models import Direction, Message
from guichet.organizations.models import Organization

logger = logging.getLogger(__name__)

MODEL_FILE = "triage.pkl"
META_FILE = "triage.json"
# `--model` names of the command -> models of `guichet.assist.triage`.
TRAINABLE = {"fr-tfidf": "fr-tfidf-logreg", "fr-tfidf-e5": "fr-tfidf-e5"}
DEFAULT_TRAINABLE = "fr-tfidf"
# Below this, a model learns nothing the keyword rules do not know: the cold start goes on.
MIN_EXAMPLES = 10
MIN_PER_TOPIC = 2
MAX_FOLDS = 5


class NotEnoughHistory(AssistError):
    """Too few past requests with a topic to train on."""


def model_dir(organization: Organization) -> Path:
    return Path(settings.DATA_DIR) / "assist" / organization.slug


def settings_of(organization: Organization) -> AssistSettings:
    """The organization's settings, or the defaults (not saved) when it has none."""
    found = AssistSettings.objects.filter(organization=organization).first()
    return found or AssistSettings(organization=organization)


# --- training ----------------------------------------------------------------------------------


def training_rows(organization: Organization) -> list[dict[str, Any]]:
    """One row per past request whose topic an agent stood behind: the request was resolved or
    closed, or an agent set its topic. `text` is the subject and text of the first message the
    citizen wrote (as the pipeline reads it), `label` the topic's short name."""
    first = Message.objects.filter(case=OuterRef("pk"), direction=Direction.INBOUND).order_by(
        "created_at", "pk"
    )
    corrected = Case.objects.filter(
        organization=organization, events__kind=EventKind.TOPIC_CHANGED
    ).values("pk")
    cases = (
        Case.objects.filter(organization=organization, topic__isnull=False)
        .filter(~Q(status__in=ACTIVE_STATUSES) | Q(pk__in=corrected))
        .annotate(
            first_subject=Subquery(first.values("subject")[:1]),
            first_text=Subquery(first.values("text")[:1]),
        )
        .values_list("topic__slug", "first_subject", "first_text")
        .order_by("pk")
    )
    rows = []
    for slug, subject, text in cases:
        if subject is None and text is None:
            continue  # (no message from the citizen: nothing to learn from)
        body = text or ""
        rows.append({"text": f"{subject}\n{body}" if subject else body, "label": slug})
    return rows


def _usable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    kept = [row for row in rows if counts[row["label"]] >= MIN_PER_TOPIC]
    if len(kept) < MIN_EXAMPLES or len({row["label"] for row in kept}) < 2:
        raise NotEnoughHistory(
            f"{len(kept)} past requests on topics with at least {MIN_PER_TOPIC} of them "
            f"(at least {MIN_EXAMPLES} on two topics are needed): the keyword rules stay"
        )
    return kept


def train_organization(
    organization: Organization, model: str = DEFAULT_TRAINABLE, *, progress: bool = False
) -> dict[str, Any]:
    """Train, measure (stratified cross-validation) and save; returns the figures written to
    `triage.json`. Raises `NotEnoughHistory` (nothing saved) or `AssistError`."""
    from guichet.assist.evaluation import evaluate_classification
    from guichet.assist.triage import make_classifier, save_model

    if model not in TRAINABLE:
        raise AssistError(f"unknown model {model!r} (known: {', '.join(TRAINABLE)})")
    rows = _usable(training_rows(organization))
    smallest = min(
        sum(1 for r in rows if r["label"] == label) for label in {r["label"] for r in rows}
    )
    folds = max(2, min(MAX_FOLDS, smallest))
    quality = evaluate_classification(rows, None, TRAINABLE[model], cv=folds, progress=progress)
    classifier = make_classifier(TRAINABLE[model])
    classifier.fit([r["text"] for r in rows], [r["label"] for r in rows])
    version = timezone.now().strftime("%Y%m%d-%H%M%S")
    target = model_dir(organization)
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f"{MODEL_FILE}.partial"
    save_model(classifier, partial)
    meta = {
        "organization": organization.slug,
        "model": model,
        "version": version,
        "trained_at": timezone.now().isoformat(),
        "examples": len(rows),
        "topics": len({r["label"] for r in rows}),
        "quality": quality,
    }
    assist_settings = settings_of(organization)
    in_use = threshold_in_use(
        assist_settings.confidence_threshold, assist_settings.target_accuracy, curve_of(meta)
    )
    # What applied when the model was trained (the settings may change later: the pipeline and
    # the admin compute the threshold in use each time, `threshold_for`).
    meta["threshold_at_training"] = {
        "value": in_use.value,
        "source": in_use.source,
        "target_accuracy": assist_settings.target_accuracy,
    }
    (target / f"{META_FILE}.partial").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    # The figures first: a process that sees the new model file (its cache key) must find them.
    os.replace(target / f"{META_FILE}.partial", target / META_FILE)
    os.replace(partial, target / MODEL_FILE)
    return meta


# --- the model the pipeline uses ---------------------------------------------------------------


@dataclass(frozen=True)
class ModelStatus:
    """What the organization's triage runs on. `error`: a trained model that cannot be used."""

    name: str
    version: str = ""
    trained: bool = False
    error: str = ""
    # What each confidence threshold did in the training's cross-validation (`thresholds`).
    curve: tuple[CurvePoint, ...] = ()


@dataclass(frozen=True)
class _Loaded:
    classifier: TopicClassifier
    status: ModelStatus


class _Preloaded(ModelClassifier):
    """`ModelClassifier` around a model already loaded (the keyword rules stay its fallback)."""

    def __init__(self, model_path: Path, model: Any, version: str) -> None:
        super().__init__(model_path)
        self._model = model
        self.version = version


_RULES = KeywordClassifier()
_CACHE: dict[str, tuple[tuple[int, int], _Loaded]] = {}
_LOCK = threading.Lock()


def _read_meta(folder: Path) -> dict[str, Any]:
    try:
        content = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def _load(organization: Organization) -> _Loaded:
    folder = model_dir(organization)
    path = folder / MODEL_FILE
    try:
        stat = path.stat()
    except OSError:
        return _Loaded(_RULES, ModelStatus(_RULES.name))
    key = (stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        cached = _CACHE.get(str(path))
        if cached is not None and cached[0] == key:
            return cached[1]
        from guichet.assist.triage import load_model

        meta = _read_meta(folder)
        version = str(meta.get("version") or "")
        try:
            model = load_model(path)
        except ModelUnavailable as exc:
            logger.error("triage of %s falls back to keyword rules: %s", organization.slug, exc)
            loaded = _Loaded(_RULES, ModelStatus(_RULES.name, version, True, str(exc)))
        else:
            classifier = _Preloaded(path, model, version)
            loaded = _Loaded(
                classifier,
                ModelStatus(str(meta.get("model") or ""), version, True, curve=curve_of(meta)),
            )
        _CACHE[str(path)] = (key, loaded)
        return loaded


def organization_classifier(
    organization: Organization, assist_settings: AssistSettings | None = None
) -> tuple[TopicClassifier, ModelStatus]:
    """The classifier for the organization's new requests and what it is (see module doc)."""
    if assist_settings is not None and not assist_settings.model_enabled:
        return _RULES, ModelStatus(_RULES.name)
    loaded = _load(organization)
    return loaded.classifier, loaded.status


def model_status(organization: Organization) -> ModelStatus:
    return _load(organization).status


def threshold_for(assist_settings: AssistSettings, status: ModelStatus) -> Threshold:
    """The confidence threshold the pipeline applies (`guichet.assist.thresholds`)."""
    return threshold_in_use(
        assist_settings.confidence_threshold, assist_settings.target_accuracy, status.curve
    )


def threshold_applies(assist_settings: AssistSettings, status: ModelStatus) -> bool:
    """Whether a confidence threshold applies at all: only to a trained model that is switched
    on and loads (otherwise the keyword rules decide, as `organization_classifier` answers)."""
    return assist_settings.model_enabled and status.trained and not status.error


def trained_meta(organization: Organization) -> dict[str, Any]:
    """`triage.json` of the organization's model ({} when none)."""
    return _read_meta(model_dir(organization))


def forget_loaded_models() -> None:
    """Drop the models loaded in this process (tests)."""
    with _LOCK:
        _CACHE.clear()
