"""How close a case is to its due date, in one pure function shared by the escalation job and the
desk's badge, so that both always agree."""

from __future__ import annotations

from datetime import datetime

# Levels (the values of `guichet.sla.models.Level`).
ON_TIME = 0
NEAR = 1
BREACHED = 2


def level_at(start: datetime, due: datetime | None, now: datetime, near_ratio: float) -> int:
    """BREACHED once `due` has passed; NEAR once `near_ratio` of the time from `start` (the
    reception) to `due` has passed; ON_TIME otherwise (and without a due date)."""
    if due is None:
        return ON_TIME
    if now >= due:
        return BREACHED
    total = (due - start).total_seconds()
    if total <= 0:
        return NEAR
    return NEAR if (now - start).total_seconds() >= near_ratio * total else ON_TIME
