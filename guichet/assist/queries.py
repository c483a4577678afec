"""Reads on triage predictions: the quality administrators see (docs/assist.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from guichet.assist.models import Prediction, confirmed_q, reviewed_q
from guichet.assist.thresholds import Threshold
from guichet.assist.training import (
    ModelStatus,
    model_status,
    settings_of,
    threshold_applies,
    threshold_for,
    trained_meta,
)
from guichet.organizations.models import Organization

QUALITY_DAYS = 30


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


@dataclass(frozen=True)
class TopicQuality:
    topic: str  # the predicted topic's name ("" for no topic)
    predictions: int
    reviewed: int
    confirmed: int

    @property
    def confirmed_share(self) -> float | None:
        """Share of the reviewed predictions an agent confirmed (final topic == predicted)."""
        return _share(self.confirmed, self.reviewed)


@dataclass(frozen=True)
class Quality:
    organization: Organization
    status: ModelStatus
    meta: dict[str, Any]
    since: datetime
    predictions: int
    auto_routed: int
    reviewed: int
    confirmed: int
    threshold: Threshold
    target_accuracy: float
    # False when the keyword rules decide (no model, switched off, or not loadable).
    threshold_applies: bool
    topics: list[TopicQuality] = field(default_factory=list)

    @property
    def auto_routed_share(self) -> float | None:
        return _share(self.auto_routed, self.predictions)

    @property
    def confirmed_share(self) -> float | None:
        return _share(self.confirmed, self.reviewed)


def quality(
    organization: Organization, *, days: int = QUALITY_DAYS, now: datetime | None = None
) -> Quality:
    """The organization's predictions of the last `days` days, per predicted topic, and the
    threshold in use (3 queries)."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = (
        Prediction.objects.filter(organization=organization, created_at__gte=since)
        .values("topic__name")
        .annotate(
            total=Count("pk"),
            auto=Count("pk", filter=Q(auto_routed=True)),
            reviewed=Count("pk", filter=reviewed_q()),
            confirmed=Count("pk", filter=confirmed_q()),
        )
        .order_by("-total", "topic__name")
    )
    topics = []
    totals = {"total": 0, "auto": 0, "reviewed": 0, "confirmed": 0}
    for row in rows:
        for key in totals:
            totals[key] += row[key]
        topics.append(
            TopicQuality(row["topic__name"] or "", row["total"], row["reviewed"], row["confirmed"])
        )
    status = model_status(organization)
    assist_settings = settings_of(organization)
    return Quality(
        organization=organization,
        status=status,
        meta=trained_meta(organization),
        since=since,
        predictions=totals["total"],
        auto_routed=totals["auto"],
        reviewed=totals["reviewed"],
        confirmed=totals["confirmed"],
        threshold=threshold_for(assist_settings, status),
        target_accuracy=assist_settings.target_accuracy,
        threshold_applies=threshold_applies(assist_settings, status),
        topics=topics,
    )
