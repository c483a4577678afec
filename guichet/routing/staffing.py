"""Erlang C: how many agents a queue needs, and what a given staffing delivers.

The model (M/M/N): contacts arrive at random (Poisson) at a steady rate, handle times are
exponential, N identical agents serve one queue in order of arrival, and nobody hangs up. It is
the reference every contact-centre planning tool starts from; it is slightly pessimistic when
callers abandon (they free the queue) and optimistic for multi-skill set-ups.

Notation: A = arrivals x handle time / interval (the traffic in Erlangs), N agents, h the mean
handle time, t the target answer time.

- probability of waiting  C(N, A) = N·B / (N - A·(1 - B)), with B the Erlang B blocking
  probability computed by the recursion B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1)). The recursion
  never builds A^N or N! and stays between 0 and 1, so it is stable for thousands of agents.
- service level           SL(t) = 1 - C·exp(-(N - A)·t / h)
- average speed of answer ASA = C·h / (N - A)
- occupancy               A / N

Every function requires N > A: with as much traffic as agents or more, the queue grows without end
and these figures do not exist (`StaffingError` says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "StaffingError",
    "StaffingPlan",
    "agents_needed",
    "average_speed_of_answer",
    "erlang_b",
    "erlang_c",
    "evaluate",
    "occupancy",
    "service_level",
    "traffic_intensity",
]

# agents_needed() gives up beyond this many agents above the traffic: with a goal below 1 the
# service level approaches 1 quickly (exponentially in N - A), so this is only reached by
# absurd inputs (a goal of 0.999999999 with a target of 0 s).
_SEARCH_MARGIN = 10_000


class StaffingError(ValueError):
    """Inputs for which the Erlang C figures do not exist or make no sense."""


def traffic_intensity(arrivals_per_interval: float, interval_s: float, handle_s: float) -> float:
    """The offered traffic in Erlangs: the number of agents kept busy on average."""
    _check_non_negative("arrivals_per_interval", arrivals_per_interval)
    _check_positive("interval_s", interval_s)
    _check_positive("handle_s", handle_s)
    return arrivals_per_interval * handle_s / interval_s


def erlang_b(agents: int, traffic: float) -> float:
    """The probability that all `agents` are busy in a loss system (Erlang B)."""
    _check_agents(agents)
    _check_non_negative("traffic", traffic)
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """The probability that a contact has to wait for an agent (Erlang C)."""
    _check_stable(agents, traffic)
    blocking = erlang_b(agents, traffic)
    return _c_from_b(agents, traffic, blocking)


def service_level(agents: int, traffic: float, handle_s: float, target_s: float) -> float:
    """The share of contacts answered within `target_s` seconds: P(wait ≤ target)."""
    _check_positive("handle_s", handle_s)
    _check_non_negative("target_s", target_s)
    waiting = erlang_c(agents, traffic)
    return _service_level(agents, traffic, handle_s, target_s, waiting)


def average_speed_of_answer(agents: int, traffic: float, handle_s: float) -> float:
    """The mean wait in seconds over all contacts (those answered at once count 0)."""
    _check_positive("handle_s", handle_s)
    waiting = erlang_c(agents, traffic)
    return waiting * handle_s / (agents - traffic)


def occupancy(agents: int, traffic: float) -> float:
    """The share of staffed time the agents spend handling contacts."""
    _check_stable(agents, traffic)
    return traffic / agents


@dataclass(frozen=True)
class StaffingPlan:
    """What `agents` deliver for a given load: the figures a supervisor reads."""

    agents: int
    traffic_erlangs: float
    probability_of_waiting: float
    service_level: float
    asa_s: float
    occupancy: float


def evaluate(
    arrivals_per_interval: float, interval_s: float, handle_s: float, target_s: float, agents: int
) -> StaffingPlan:
    """The Erlang C figures for a given staffing."""
    traffic = traffic_intensity(arrivals_per_interval, interval_s, handle_s)
    _check_non_negative("target_s", target_s)
    if traffic == 0:
        _check_agents(agents)
        return StaffingPlan(agents, 0.0, 0.0, 1.0, 0.0, 0.0)
    _check_stable(agents, traffic)
    return _plan(agents, traffic, erlang_b(agents, traffic), handle_s, target_s)


def agents_needed(
    arrivals_per_interval: float,
    interval_s: float,
    handle_s: float,
    target_s: float,
    service_level_goal: float,
    max_occupancy: float | None = None,
) -> StaffingPlan:
    """The smallest staffing whose service level reaches the goal (and whose occupancy stays at or
    under `max_occupancy` when given), with the figures it delivers.

    Example: 100 contacts per 30 minutes, 180 s each, 80 % answered within 20 s → 14 agents
    (service level 0.888). No arrivals need no agent.
    """
    traffic = traffic_intensity(arrivals_per_interval, interval_s, handle_s)
    _check_non_negative("target_s", target_s)
    if not 0 < service_level_goal < 1:
        raise StaffingError(
            f"service_level_goal must be between 0 and 1, both excluded (got {service_level_goal}): "
            "a service level of 1 is never reached when contacts arrive at random"
        )
    if max_occupancy is not None and not 0 < max_occupancy <= 1:
        raise StaffingError(f"max_occupancy must be in (0, 1] (got {max_occupancy})")
    if traffic == 0:
        return StaffingPlan(0, 0.0, 0.0, 1.0, 0.0, 0.0)
    agents = math.floor(traffic) + 1
    blocking = erlang_b(agents, traffic)
    limit = agents + _SEARCH_MARGIN
    while agents <= limit:
        plan = _plan(agents, traffic, blocking, handle_s, target_s)
        occupancy_ok = max_occupancy is None or plan.occupancy <= max_occupancy
        if plan.service_level >= service_level_goal and occupancy_ok:
            return plan
        agents += 1
        blocking = traffic * blocking / (agents + traffic * blocking)
    raise StaffingError(
        f"no staffing up to {limit} agents reaches a service level of {service_level_goal}"
    )


def _plan(
    agents: int, traffic: float, blocking: float, handle_s: float, target_s: float
) -> StaffingPlan:
    waiting = _c_from_b(agents, traffic, blocking)
    return StaffingPlan(
        agents=agents,
        traffic_erlangs=traffic,
        probability_of_waiting=waiting,
        service_level=_service_level(agents, traffic, handle_s, target_s, waiting),
        asa_s=waiting * handle_s / (agents - traffic),
        occupancy=traffic / agents,
    )


def _c_from_b(agents: int, traffic: float, blocking: float) -> float:
    return agents * blocking / (agents - traffic * (1 - blocking))


def _service_level(
    agents: int, traffic: float, handle_s: float, target_s: float, waiting: float
) -> float:
    return 1 - waiting * math.exp(-(agents - traffic) * target_s / handle_s)


def _check_agents(agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int) or agents < 0:
        raise StaffingError(f"the number of agents must be a whole number ≥ 0 (got {agents!r})")


def _check_stable(agents: int, traffic: float) -> None:
    _check_agents(agents)
    _check_non_negative("traffic", traffic)
    if agents <= traffic:
        raise StaffingError(
            f"{agents} agents cannot keep up with {traffic:g} Erlangs of traffic: with as many "
            "agents as Erlangs or fewer the queue grows without end and Erlang C has no answer"
        )


def _check_positive(name: str, value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise StaffingError(f"{name} must be a positive number (got {value})")


def _check_non_negative(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise StaffingError(f"{name} must be a number ≥ 0 (got {value})")
