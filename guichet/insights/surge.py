"""Surge detection: are arrivals in the last hour well above the usual for this hour of the week?

A pure function over counts. The usual rate is the mean of the same hour of the week over the
previous weeks (a Monday 9:00 is compared with Mondays 9:00, not with a Sunday night). Arrivals are
about Poisson-distributed, so "well above" is read both relatively (at least `factor` times the
usual) and statistically (more than `z` standard deviations, sqrt(mean) for a Poisson count), and
a handful of contacts is never a surge (`min_arrivals`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["SurgeAssessment", "assess_surge", "same_hour_windows"]


@dataclass(frozen=True)
class SurgeAssessment:
    observed: int  # arrivals in the last hour
    usual: float | None  # mean of the same hour over the previous weeks (None: no history)
    threshold: float  # arrivals above this are a surge
    weeks: int  # how many previous weeks the usual rate is drawn from
    is_surge: bool

    @property
    def ratio(self) -> float | None:
        """Observed over usual (None when the usual is unknown or zero)."""
        if not self.usual:
            return None
        return self.observed / self.usual


def assess_surge(
    observed: int,
    previous_weeks: Sequence[int],
    *,
    factor: float = 2.0,
    z: float = 3.0,
    min_arrivals: int = 10,
) -> SurgeAssessment:
    """Compare `observed` arrivals with the same hour of `previous_weeks` (counts, any order).

    Without history, only `min_arrivals` applies (a new install learns its usual rate)."""
    if observed < 0 or any(count < 0 for count in previous_weeks):
        raise ValueError("arrival counts cannot be negative")
    if factor < 1 or z < 0 or min_arrivals < 1:
        raise ValueError("factor >= 1, z >= 0 and min_arrivals >= 1 are required")
    if not previous_weeks:
        threshold = float(min_arrivals - 1)
        return SurgeAssessment(observed, None, threshold, 0, observed > threshold)
    usual = sum(previous_weeks) / len(previous_weeks)
    threshold = max(usual * factor, usual + z * math.sqrt(usual), float(min_arrivals - 1))
    return SurgeAssessment(observed, usual, threshold, len(previous_weeks), observed > threshold)


def same_hour_windows(now: datetime, weeks: int) -> list[tuple[datetime, datetime]]:
    """The last hour up to `now`, then the same hour 1, 2 ... `weeks` weeks earlier."""
    if weeks < 0:
        raise ValueError("weeks cannot be negative")
    hour = timedelta(hours=1)
    return [(now - timedelta(weeks=k) - hour, now - timedelta(weeks=k)) for k in range(weeks + 1)]
