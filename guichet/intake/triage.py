"""The classify step's use of `guichet.assist` (docs/assist.md, "Triage in the pipeline").

- `classifier_of(run)`: the organization's trained model (or the keyword rules), with its
  settings, read once per batch (a lone message is its own batch);
- `read_signals(run)`: urgency raises the request's priority, an aggressive tone is flagged to
  the agent, each with a timeline event; every message is read, new request or not;
- `triage(run, classification)`: a trained model's answer under the organization's confidence
  threshold sends the request to the triage queue (no topic: the reception department sorts
  it), and the prediction is stored (`guichet.assist.models.Prediction`), in the batch's memory
  when the message is processed in one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from guichet.assist.classifiers import Classification, KeywordClassifier, TopicClassifier
from guichet.assist.errors import AssistError
from guichet.assist.models import AssistSettings, Prediction
from guichet.assist.signals import Tone, Urgency, tone, urgency
from guichet.assist.text import detect_language
from guichet.assist.training import (
    ModelStatus,
    organization_classifier,
    settings_of,
    threshold_for,
)
from guichet.cases.actions import new_event
from guichet.cases.models import EventKind, Priority
from guichet.intake.runs import _Batch, _Run

logger = logging.getLogger(__name__)

AGGRESSIVE_TONE_EVENT = "assist.aggressive_tone"
# Classifications the confidence threshold does not apply to: the keyword rules (the cold
# start, as before any model) and the topic the citizen chose on a form.
_NOT_A_MODEL = frozenset({KeywordClassifier.name, "citizen-choice"})


@dataclass(frozen=True)
class _Triage:
    settings: AssistSettings
    classifier: TopicClassifier
    status: ModelStatus


_PER_BATCH: WeakKeyDictionary[_Batch, dict[int, _Triage]] = WeakKeyDictionary()


def _triage_of(run: _Run) -> _Triage:
    run.setup  # noqa: B018 — makes sure the run has its batch
    assert run.batch is not None  # noqa: S101 — set by `setup`
    per_organization = _PER_BATCH.setdefault(run.batch, {})
    found = per_organization.get(run.organization.pk)
    if found is None:
        assist_settings = settings_of(run.organization)
        classifier, status = organization_classifier(run.organization, assist_settings)
        found = per_organization[run.organization.pk] = _Triage(assist_settings, classifier, status)
    return found


def classifier_of(run: _Run) -> TopicClassifier:
    return _triage_of(run).classifier


@dataclass(frozen=True)
class Signals:
    urgency: Urgency
    tone: Tone

    def note(self) -> dict[str, Any]:
        detail: dict[str, Any] = {}
        if self.urgency.raises_priority:
            detail["urgency"] = self.urgency.level
            detail["urgency_signals"] = list(self.urgency.matches)
        if self.tone.aggressive:
            detail["aggressive"] = list(self.tone.reasons)
        return detail


_PRIORITY_OF = {"critical": Priority.URGENT, "high": Priority.HIGH}


def read_signals(run: _Run) -> Signals:
    """Urgency and tone of the message; raise the request's priority (never lower it) and flag
    an aggressive tone, each with its timeline event."""
    case = run.case
    assert case is not None  # noqa: S101 — set by thread
    text = f"{run.inbound.subject}\n{run.inbound.text}"
    found = Signals(urgency(text), tone(text))
    target = _PRIORITY_OF.get(found.urgency.level)
    if target is not None and case.priority < target:
        before = case.priority
        case.priority = target
        run.store.update_case(case, ["priority"])
        if not run.created_case:  # (a new request's routing item is made with its priority)
            from guichet.routing.case_sync import sync_case_on_commit

            sync_case_on_commit(case)
        run.events.append(
            new_event(
                case,
                EventKind.PRIORITY_CHANGED,
                message=run.message,
                data={
                    "from": before,
                    "to": int(target),
                    "reason": "urgency {level} ({kinds}: {matches})".format(
                        level=found.urgency.level,
                        kinds=", ".join(found.urgency.kinds),
                        matches=", ".join(found.urgency.matches[:3]),
                    ),
                },
            )
        )
    if found.tone.aggressive:
        run.events.append(
            new_event(
                case,
                AGGRESSIVE_TONE_EVENT,
                message=run.message,
                data={"reasons": list(found.tone.reasons)},
            )
        )
    return found


def triage(run: _Run, raw: Classification, signals: Signals) -> Classification:
    """The classification routing uses, and the prediction stored (see the module doc)."""
    case = run.case
    assert case is not None  # noqa: S101 — set by thread
    found = _triage_of(run)
    used = raw
    threshold = threshold_for(found.settings, found.status).value
    if raw.method not in _NOT_A_MODEL and raw.topic_id is not None and raw.confidence < threshold:
        reason = f"uncertain classification (confidence {raw.confidence:.2f} < {threshold:g})"
        used = Classification(None, raw.confidence, raw.method, (*raw.reasons, reason))
    topic = run.setup.topics.get(raw.topic_id) if raw.topic_id is not None else None
    try:
        language = detect_language(f"{run.inbound.subject}\n{run.inbound.text}").language
    except AssistError as exc:
        logger.warning("language not detected: %s", exc)
        language = ""
    prediction = Prediction(
        organization=run.organization,
        case=case,
        message=run.message,
        model_name=raw.method[:100],
        model_version=found.status.version if raw.method not in _NOT_A_MODEL else "",
        topic=topic,
        department_id=topic.department_id if topic else None,
        confidence=raw.confidence,
        auto_routed=used.topic_id is not None,
        language=language,
        urgency=signals.urgency.level,
        aggressive=signals.tone.aggressive,
    )
    _save(run, prediction)
    return used


def _save(run: _Run, prediction: Prediction) -> None:
    from guichet.intake.batch import BatchStore

    if isinstance(run.store, BatchStore):
        run.store.create_prediction(prediction)
    else:
        prediction.save(force_insert=True)
