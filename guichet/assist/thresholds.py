"""Which confidence sends a new request straight to its department, and which to the triage queue.

A trained model's training measures, by cross-validation on the organization's own history, what
each threshold would do (`guichet.assist.evaluation.auto_routing_curve`): the share of requests
routed automatically and how many of those got the right topic. The threshold in use is:

- the one an administrator set on the organization's triage settings, if any;
- otherwise the *recommended* one: the lowest threshold of the curve whose automatically routed
  requests reach the organization's target accuracy (so that as many requests as possible skip
  the triage queue while no more than (1 - target) of them go to the wrong topic);
- otherwise (no curve: keyword rules, or a model file older than the curve) `FALLBACK_THRESHOLD`.

Pure functions: the pipeline and the admin pages call them with what they have already read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FALLBACK_THRESHOLD = 0.5
DEFAULT_TARGET_ACCURACY = 0.8

SET_BY_ADMINISTRATOR = "administrator"
RECOMMENDED = "recommended"
FALLBACK = "default"


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    auto_share: float
    auto_accuracy: float


@dataclass(frozen=True)
class Threshold:
    value: float
    source: str  # SET_BY_ADMINISTRATOR, RECOMMENDED or FALLBACK
    # With RECOMMENDED: the expected share routed automatically and its accuracy.
    point: CurvePoint | None = None


def _share(value: Any) -> float:
    """A number between 0 and 1, or ValueError (JSON allows NaN; a share cannot be one)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number <= 1.0):
        raise ValueError(f"not between 0 and 1: {value!r}")
    return number


def curve_of(meta: Mapping[str, Any]) -> tuple[CurvePoint, ...]:
    """The curve stored with a trained model (`triage.json`); () when absent, or when any value
    is not a number between 0 and 1 (a damaged or edited file: the fallback applies)."""
    quality = meta.get("quality")
    rows = quality.get("auto_routing") if isinstance(quality, Mapping) else None
    if not isinstance(rows, list):
        return ()
    points: list[CurvePoint] = []
    for row in rows:
        try:
            points.append(
                CurvePoint(
                    _share(row["threshold"]),
                    _share(row["auto_share"]),
                    _share(row["auto_accuracy"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            return ()
    return tuple(sorted(points, key=lambda point: point.threshold))


def recommended(curve: Sequence[CurvePoint], target_accuracy: float) -> CurvePoint | None:
    """The lowest threshold whose automatically routed requests reach `target_accuracy`; None
    when no threshold of the curve does (the model is not good enough for that target)."""
    for point in sorted(curve, key=lambda p: p.threshold):
        if point.auto_share > 0 and point.auto_accuracy >= target_accuracy:
            return point
    return None


def threshold_in_use(
    set_value: float | None, target_accuracy: float, curve: Sequence[CurvePoint]
) -> Threshold:
    """The threshold the pipeline applies (see the module docstring)."""
    if set_value is not None:
        return Threshold(set_value, SET_BY_ADMINISTRATOR)
    if curve:
        point = recommended(curve, target_accuracy)
        if point is not None:
            return Threshold(point.threshold, RECOMMENDED, point)
        # No threshold reaches the target: only the most confident answers go straight through.
        best = max(curve, key=lambda p: (p.auto_accuracy, p.threshold))
        return Threshold(best.threshold, RECOMMENDED, best)
    return Threshold(FALLBACK_THRESHOLD, FALLBACK)
