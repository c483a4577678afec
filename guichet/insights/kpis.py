"""Contact-centre KPIs, defined once: pure functions over plain records.

The wallboard, the reports and the API compute every figure through these functions, so a
"service level" means the same thing everywhere. Each returns a ratio between 0 and 1 (or a
duration in seconds), and None when there is nothing to measure — never 0 for "no data", never a
ZeroDivisionError. docs/routing.md gives each formula.

Rules shared by the queue KPIs (service level, speed of answer, abandonment):
- a contact counts once it is settled: answered, or abandoned; contacts still waiting are left out;
- a contact both answered and abandoned counts as answered;
- callbacks are left out: a citizen who booked a callback instead of waiting has not abandoned,
  and the callback call itself is not an inbound contact (its punctuality is the on-time rate);
- a *short abandon* (the citizen left within `short_abandon_s` of arriving: a wrong number, a
  change of mind) is left out of the service level and the abandonment rate alike.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "Contact",
    "KpiSummary",
    "abandonment_rate",
    "average_handle_time",
    "average_speed_of_answer",
    "first_contact_resolution",
    "occupancy",
    "on_time_rate",
    "repeat_contact_rate",
    "service_level",
    "summarize",
]


@dataclass(frozen=True)
class Contact:
    id: int
    offered_at: datetime  # when the contact reached the queue
    answered_at: datetime | None = None  # an agent picked up, accepted it, or first replied
    abandoned_at: datetime | None = None  # the citizen left before being answered
    handle_s: float | None = None  # the agent's work on it: talk and wrap-up, or writing
    resolved_on_first_contact: bool | None = None  # None: not known
    citizen_id: int | None = None
    case_id: int | None = None
    topic: str | None = None
    due_at: datetime | None = None  # the answer date announced to the citizen
    answered_by: int | None = None  # the agent
    callback: bool = False  # booked instead of waiting, or the callback call itself
    channel: str = ""


def _wait_s(contact: Contact, until: datetime) -> float:
    return (until - contact.offered_at).total_seconds()


def _answered(contact: Contact) -> bool:
    return contact.answered_at is not None


def _long_abandon(contact: Contact, short_abandon_s: float) -> bool:
    return (
        contact.answered_at is None
        and contact.abandoned_at is not None
        and _wait_s(contact, contact.abandoned_at) >= short_abandon_s
    )


def _queue_contacts(contacts: Iterable[Contact]) -> list[Contact]:
    return [c for c in contacts if not c.callback]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def service_level(
    contacts: Iterable[Contact], target_s: float, short_abandon_s: float = 0.0
) -> float | None:
    """answered within target_s / (answered + abandoned, short abandons excepted)."""
    _check_seconds("target_s", target_s)
    _check_seconds("short_abandon_s", short_abandon_s)
    queue = _queue_contacts(contacts)
    answered = [c for c in queue if c.answered_at is not None]
    in_time = sum(1 for c in answered if c.answered_at and _wait_s(c, c.answered_at) <= target_s)
    abandoned = sum(1 for c in queue if _long_abandon(c, short_abandon_s))
    return _ratio(in_time, len(answered) + abandoned)


def average_speed_of_answer(contacts: Iterable[Contact]) -> float | None:
    """Mean of (answered_at - offered_at) over answered contacts, in seconds."""
    return _mean(
        [_wait_s(c, c.answered_at) for c in _queue_contacts(contacts) if c.answered_at is not None]
    )


def abandonment_rate(contacts: Iterable[Contact], short_abandon_s: float = 0.0) -> float | None:
    """abandoned (short abandons excepted) / (answered + abandoned, short abandons excepted)."""
    _check_seconds("short_abandon_s", short_abandon_s)
    queue = _queue_contacts(contacts)
    abandoned = sum(1 for c in queue if _long_abandon(c, short_abandon_s))
    answered = sum(1 for c in queue if _answered(c))
    return _ratio(abandoned, answered + abandoned)


def average_handle_time(contacts: Iterable[Contact]) -> float | None:
    """Mean handle time, in seconds, over the contacts handled (callbacks included: they are work)."""
    return _mean([c.handle_s for c in contacts if c.handle_s is not None])


def occupancy(contacts: Iterable[Contact], staffed_s: float) -> float | None:
    """Total handle time / staffed time (agents logged in and not on a break). Pass one agent's
    contacts and staffed time for that agent's figure. Concurrent chats each count, so an agent
    handling several at once can exceed 1."""
    _check_seconds("staffed_s", staffed_s)
    if staffed_s == 0:
        return None
    return sum(c.handle_s for c in contacts if c.handle_s is not None) / staffed_s


def first_contact_resolution(contacts: Iterable[Contact]) -> float | None:
    """Resolved on first contact / contacts whose outcome is known."""
    known = [
        c.resolved_on_first_contact for c in contacts if c.resolved_on_first_contact is not None
    ]
    return _ratio(sum(known), len(known))


def repeat_contact_rate(contacts: Iterable[Contact], window_days: float) -> float | None:
    """Repeat contacts / contacts of known citizens. A contact is a repeat when the same citizen
    made an earlier contact about the same case (or, when either has no case, the same topic) at
    most `window_days` before it."""
    if not math.isfinite(window_days) or window_days <= 0:
        raise ValueError(f"window_days must be a positive number of days (got {window_days})")
    window = timedelta(days=window_days)
    by_citizen: dict[int, list[Contact]] = defaultdict(list)
    for contact in contacts:
        if contact.citizen_id is not None:
            by_citizen[contact.citizen_id].append(contact)
    considered = repeats = 0
    for own in by_citizen.values():
        own.sort(key=lambda c: (c.offered_at, c.id))
        for index, contact in enumerate(own):
            considered += 1
            if any(
                contact.offered_at - earlier.offered_at <= window and _same_matter(earlier, contact)
                for earlier in own[:index]
            ):
                repeats += 1
    return _ratio(repeats, considered)


def _same_matter(a: Contact, b: Contact) -> bool:
    if a.case_id is not None and b.case_id is not None:
        return a.case_id == b.case_id
    return a.topic is not None and a.topic == b.topic


def on_time_rate(contacts: Iterable[Contact], now: datetime) -> float | None:
    """Answered by the announced date / contacts with an announced date that are answered or
    past due at `now` (an unanswered contact not yet due is still on time: left out)."""
    judged = on_time = 0
    for contact in contacts:
        if contact.due_at is None:
            continue
        if contact.answered_at is not None:
            judged += 1
            on_time += contact.answered_at <= contact.due_at
        elif now > contact.due_at:
            judged += 1
    return _ratio(on_time, judged)


@dataclass(frozen=True)
class KpiSummary:
    offered: int  # queue contacts settled (answered or abandoned, short abandons included)
    answered: int
    abandoned: int  # short abandons excepted
    short_abandoned: int
    callbacks: int
    service_level: float | None
    asa_s: float | None
    abandonment_rate: float | None
    aht_s: float | None
    occupancy: float | None
    first_contact_resolution: float | None
    repeat_contact_rate: float | None
    on_time_rate: float | None


def summarize(
    contacts: Iterable[Contact],
    *,
    target_s: float,
    now: datetime,
    short_abandon_s: float = 0.0,
    staffed_s: float | None = None,
    repeat_window_days: float = 7.0,
) -> KpiSummary:
    """Every KPI over the same contacts, for a wallboard tile or a report line."""
    rows = list(contacts)
    queue = _queue_contacts(rows)
    answered = sum(1 for c in queue if _answered(c))
    abandoned = sum(1 for c in queue if _long_abandon(c, short_abandon_s))
    short = (
        sum(1 for c in queue if c.answered_at is None and c.abandoned_at is not None) - abandoned
    )
    return KpiSummary(
        offered=answered + abandoned + short,
        answered=answered,
        abandoned=abandoned,
        short_abandoned=short,
        callbacks=len(rows) - len(queue),
        service_level=service_level(rows, target_s, short_abandon_s),
        asa_s=average_speed_of_answer(rows),
        abandonment_rate=abandonment_rate(rows, short_abandon_s),
        aht_s=average_handle_time(rows),
        occupancy=None if staffed_s is None else occupancy(rows, staffed_s),
        first_contact_resolution=first_contact_resolution(rows),
        repeat_contact_rate=repeat_contact_rate(rows, repeat_window_days),
        on_time_rate=on_time_rate(rows, now),
    )


def _check_seconds(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a number of seconds ≥ 0 (got {value})")
