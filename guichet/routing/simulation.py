"""A discrete-event simulation of a contact centre that drives the real assignment engine.

Contacts arrive at random (Poisson arrivals, one stream per kind of contact), each is offered with
`best_agent_for()` the moment it arrives, waits in the queue when nobody qualified is free, and
is assigned with `assign_waiting()` whenever an agent finishes an item (exponential handle times)
or a waiting item reaches a relaxation or overflow delay. Nobody hangs up, nobody declines: with
one stream and identical agents this is exactly Erlang C's M/M/N queue, so the simulated service
level must agree with `staffing.service_level()` — the check that the engine neither loses items
nor leaves an agent idle while an item waits.

Figures cover the contacts that arrive between the end of the warm-up and the end of the simulated
hours (the centre opens empty, which would flatter the first minutes); arrivals then stop and the
queue drains, so every measured contact has its wait. docs/routing.md documents the options, the
scenario format and every key of the output.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from guichet.insights import kpis
from guichet.routing import staffing
from guichet.routing.assignment import (
    AgentState,
    Decision,
    PolicySet,
    Presence,
    WorkItem,
    assign_waiting,
    best_agent_for,
    serving_key,
)
from guichet.routing.scenarios import (
    AgentGroup,
    Scenario,
    ScenarioError,
    Stream,
    load_scenario,
    read_scenario,
    single_skill_scenario,
)

# The scenario names are re-exported: callers may import everything from here.
__all__ = [
    "AgentGroup",
    "Scenario",
    "ScenarioError",
    "Stream",
    "load_scenario",
    "read_scenario",
    "simulate",
    "single_skill_scenario",
]

# Simulated time starts on a Monday morning; only differences of times matter.
EPOCH = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)

# --- the simulation ----------------------------------------------------------------------------

_ARRIVAL, _DONE, _RECHECK = 0, 1, 2
_PROGRESS_EVERY = 10_000  # events between two progress reports
# The default warm-up: a tenth of the run, at most an hour (an empty centre fills up in minutes).
MAX_DEFAULT_WARMUP_H = 1.0


@dataclass
class _Tracked:
    item: WorkItem
    stream: int
    arrived_s: float
    measured: bool
    answered_s: float | None = None
    agent_group: str | None = None
    decision: Decision | None = None


@dataclass
class _Run:
    """The state of one simulation: the event queue, the agents, the waiting items."""

    scenario: Scenario
    horizon_s: float
    warmup_s: float
    rng: random.Random
    events: list[tuple[float, int, int, int]] = field(default_factory=list)
    sequence: int = 0
    agents: list[AgentState] = field(default_factory=list)
    agent_index: dict[int, int] = field(default_factory=dict)
    agent_group: dict[int, str] = field(default_factory=dict)
    # the waiting items in serving order, each with its sort key (see assignment.serving_key)
    queue: list[tuple[tuple[float, float, float, int], WorkItem]] = field(default_factory=list)
    tracked: dict[int, _Tracked] = field(default_factory=dict)
    # per item: (start, end) of its handling, to measure the agents' occupancy
    handled: list[tuple[str, float, float]] = field(default_factory=list)
    decision_ns: list[int] = field(default_factory=list)
    processed: int = 0

    def push(self, at_s: float, kind: int, ref: int) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (at_s, self.sequence, kind, ref))


def simulate(
    scenario: Scenario,
    *,
    hours: float,
    seed: int,
    warmup_hours: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Run the scenario and return the figures (the JSON the command prints).

    `progress`, when given, is called now and then with the simulated hours done so far (the
    drain after the last arrival counts as the end)."""
    if not (math.isfinite(hours) and hours > 0):
        raise ScenarioError(f"hours: must be a positive number (got {hours:g})")
    warmup = min(hours / 10, MAX_DEFAULT_WARMUP_H) if warmup_hours is None else warmup_hours
    if not (math.isfinite(warmup) and 0 <= warmup < hours):
        raise ScenarioError(
            f"warmup_hours: must be a number ≥ 0 and shorter than the {hours:g} simulated hours "
            f"(got {warmup:g})"
        )
    started = time.perf_counter()
    run = _Run(scenario, hours * 3600, warmup * 3600, random.Random(seed))  # noqa: S311 — a simulation, not secrets
    _staff(run)
    for index, stream in enumerate(scenario.streams):
        run.push(run.rng.expovariate(stream.arrivals_per_hour / 3600), _ARRIVAL, index)
    next_item_id = 1
    reported_h = 0.0
    while run.events:
        now_s, _, kind, ref = heapq.heappop(run.events)
        run.processed += 1
        if progress is not None and run.processed % _PROGRESS_EVERY == 0:
            done_h = min(now_s, run.horizon_s) / 3600
            progress(done_h - reported_h)
            reported_h = done_h
        if kind == _ARRIVAL:
            stream = scenario.streams[ref]
            next_arrival = now_s + run.rng.expovariate(stream.arrivals_per_hour / 3600)
            if next_arrival < run.horizon_s:
                run.push(next_arrival, _ARRIVAL, ref)
            _arrive(run, next_item_id, ref, now_s)
            next_item_id += 1
        elif kind == _DONE:
            _finish(run, ref, now_s)
        elif run.queue:  # a waiting item reached a relaxation or overflow delay
            _assign_waiting(run, now_s)
    if progress is not None:
        progress(hours - reported_h)
    return _report(run, hours, warmup, seed, time.perf_counter() - started)


def _staff(run: _Run) -> None:
    agent_id = 0
    for group in run.scenario.agent_groups:
        departments = frozenset(run.scenario.department_ids[d] for d in group.departments)
        for _ in range(group.count):
            agent_id += 1
            run.agent_index[agent_id] = len(run.agents)
            run.agent_group[agent_id] = group.name
            run.agents.append(
                AgentState(
                    id=agent_id,
                    presence=Presence.AVAILABLE,
                    skills=group.skills,
                    capacity=group.capacity,
                    load={},
                    last_assignment_end=None,
                    departments=departments,
                )
            )


def _at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def _arrive(run: _Run, item_id: int, stream_index: int, now_s: float) -> None:
    stream = run.scenario.streams[stream_index]
    now = _at(now_s)
    department = stream.department
    item = WorkItem(
        id=item_id,
        channel=stream.channel,
        waiting_since=now,
        department=None if department is None else run.scenario.department_ids[department],
        topic=stream.topic,
        language=stream.language,
        priority=stream.priority,
        due_at=None if stream.due_after_s is None else _at(now_s + stream.due_after_s),
        required_skills=stream.required_skills,
    )
    run.tracked[item_id] = _Tracked(
        item, stream_index, now_s, measured=run.warmup_s <= now_s < run.horizon_s
    )
    begin = time.perf_counter_ns()
    decision = best_agent_for(item, run.agents, run.scenario.policy, now)
    run.decision_ns.append(time.perf_counter_ns() - begin)
    if decision is not None:
        _start(run, decision, now_s)
        return
    key = serving_key(item, run.scenario.policy)
    bisect.insort(run.queue, (key, item), key=itemgetter(0))
    policy = run.scenario.policy
    if isinstance(policy, PolicySet):
        policy = policy.for_department(item.department)
    for delay in [s.after_minutes for s in policy.relaxation] + [
        o.after_minutes for o in policy.overflow
    ]:
        if delay > 0:
            run.push(now_s + delay * 60, _RECHECK, item_id)


def _assign_waiting(run: _Run, now_s: float) -> None:
    """Hand the queue, in serving order, to the engine; read lazily, a long queue costs nothing
    once every agent is full."""
    begin = time.perf_counter_ns()
    decisions = assign_waiting(
        (item for _, item in run.queue),
        run.agents,
        run.scenario.policy,
        _at(now_s),
        ordered=True,
    )
    run.decision_ns.append(time.perf_counter_ns() - begin)
    for decision in decisions:
        item = run.tracked[decision.item_id].item
        key = serving_key(item, run.scenario.policy)
        del run.queue[bisect.bisect_left(run.queue, key, key=itemgetter(0))]
        _start(run, decision, now_s)


def _start(run: _Run, decision: Decision, now_s: float) -> None:
    tracked = run.tracked[decision.item_id]
    index = run.agent_index[decision.agent_id]
    agent = run.agents[index]
    channel = tracked.item.channel
    if agent.free_slots(channel) <= 0:  # the engine's promise, checked on every decision
        raise RuntimeError(f"the engine assigned agent {agent.id} over capacity on {channel}")
    run.agents[index] = agent.with_load(channel, 1)
    tracked.answered_s = now_s
    tracked.decision = decision
    tracked.agent_group = run.agent_group[agent.id]
    handle = run.rng.expovariate(1 / run.scenario.streams[tracked.stream].handle_s)
    run.handled.append((tracked.agent_group, now_s, now_s + handle))
    # the agent id rides along in the item's tracking record; the event carries the item id
    run.push(now_s + handle, _DONE, decision.item_id)


def _finish(run: _Run, item_id: int, now_s: float) -> None:
    tracked = run.tracked[item_id]
    if tracked.decision is None:  # only started items have a completion event
        raise RuntimeError(f"item {item_id} finished without being assigned")
    index = run.agent_index[tracked.decision.agent_id]
    agent = run.agents[index]
    run.agents[index] = agent.with_load(tracked.item.channel, -1, ended_at=_at(now_s))
    if run.queue:
        _assign_waiting(run, now_s)


def _report(run: _Run, hours: float, warmup: float, seed: int, wall_s: float) -> dict[str, Any]:
    scenario = run.scenario
    measured = [t for t in run.tracked.values() if t.measured]
    window_s = run.horizon_s - run.warmup_s
    contacts_by_stream: dict[int, list[kpis.Contact]] = {
        i: [] for i in range(len(scenario.streams))
    }
    for tracked in measured:
        contacts_by_stream[tracked.stream].append(_contact(tracked))
    all_contacts = [c for contacts in contacts_by_stream.values() for c in contacts]

    busy_by_group: dict[str, float] = {g.name: 0.0 for g in scenario.agent_groups}
    for group_name, start, end in run.handled:
        overlap = min(end, run.horizon_s) - max(start, run.warmup_s)
        if overlap > 0:
            busy_by_group[group_name] += overlap
    staffed_s = {g.name: g.count * window_s for g in scenario.agent_groups}

    streams: dict[str, Any] = {}
    in_time = 0
    for index, stream in enumerate(scenario.streams):
        contacts = contacts_by_stream[index]
        rows = [t for t in measured if t.stream == index]
        handled_by: dict[str, int] = {}
        for tracked in rows:
            if tracked.agent_group is not None:
                handled_by[tracked.agent_group] = handled_by.get(tracked.agent_group, 0) + 1
        level = kpis.service_level(contacts, stream.target_s)
        in_time += sum(1 for c in contacts if _waited(c) <= stream.target_s)
        streams[stream.name] = {
            "offered": len(rows),
            "answered": sum(1 for c in contacts if c.answered_at is not None),
            "target_s": stream.target_s,
            "service_level": _round(level),
            "asa_s": _round(kpis.average_speed_of_answer(contacts)),
            "probability_of_waiting": _round(_share(contacts, lambda c: _waited(c) > 0)),
            "max_wait_s": _round(max((_waited(c) for c in contacts), default=None)),
            "relaxed": sum(1 for t in rows if t.decision and t.decision.relaxation_level),
            "overflowed": sum(
                1 for t in rows if t.decision and t.decision.overflow_department_id is not None
            ),
            "handled_by": dict(sorted(handled_by.items())),
        }
    groups = {
        g.name: {
            "agents": g.count,
            "handled": sum(1 for t in measured if t.agent_group == g.name),
            "occupancy": _round(busy_by_group[g.name] / staffed_s[g.name]),
        }
        for g in scenario.agent_groups
    }
    timings = sorted(run.decision_ns)
    report: dict[str, Any] = {"scenario": scenario.name}
    if scenario.single_skill:
        group, stream = scenario.agent_groups[0], scenario.streams[0]
        report |= {
            "agents": group.count,
            "arrivals_per_hour": stream.arrivals_per_hour,
            "handle_s": stream.handle_s,
            "target_s": stream.target_s,
        }
    report |= {
        "hours": hours,
        "warmup_hours": warmup,
        "seed": seed,
        "offered": len(measured),
        "answered": sum(1 for c in all_contacts if c.answered_at is not None),
        "service_level": _round(_ratio(in_time, len(all_contacts))),
        "asa_s": _round(kpis.average_speed_of_answer(all_contacts)),
        "probability_of_waiting": _round(_share(all_contacts, lambda c: _waited(c) > 0)),
        "max_wait_s": _round(max((_waited(c) for c in all_contacts), default=None)),
        "occupancy": _round(
            sum(busy_by_group.values()) / sum(staffed_s.values()) if window_s else None
        ),
    }
    if scenario.single_skill:
        report |= _erlang_c(scenario)
    report |= {
        "engine_calls": len(timings),
        "decision_p50_us": _round(_percentile(timings, 0.50) / 1000 if timings else None, 1),
        "decision_p99_us": _round(_percentile(timings, 0.99) / 1000 if timings else None, 1),
        "events": run.processed,
        "wall_s": round(wall_s, 3),
        "streams": streams,
        "agent_groups": groups,
    }
    return report


def _erlang_c(scenario: Scenario) -> dict[str, Any]:
    group, stream = scenario.agent_groups[0], scenario.streams[0]
    traffic = staffing.traffic_intensity(stream.arrivals_per_hour, 3600, stream.handle_s)
    figures: dict[str, Any] = {"traffic_erlangs": _round(traffic)}
    try:
        plan = staffing.evaluate(
            stream.arrivals_per_hour, 3600, stream.handle_s, stream.target_s, group.count
        )
    except staffing.StaffingError as exc:
        return figures | {
            "erlang_c_service_level": None,
            "erlang_c_asa_s": None,
            "erlang_c_probability_of_waiting": None,
            "erlang_c_occupancy": None,
            "erlang_c_note": str(exc),
        }
    return figures | {
        "erlang_c_service_level": _round(plan.service_level),
        "erlang_c_asa_s": _round(plan.asa_s),
        "erlang_c_probability_of_waiting": _round(plan.probability_of_waiting),
        "erlang_c_occupancy": _round(plan.occupancy),
    }


def _contact(tracked: _Tracked) -> kpis.Contact:
    return kpis.Contact(
        id=tracked.item.id,
        offered_at=_at(tracked.arrived_s),
        answered_at=None if tracked.answered_s is None else _at(tracked.answered_s),
        channel=tracked.item.channel,
    )


def _waited(contact: kpis.Contact) -> float:
    if contact.answered_at is None:
        return math.inf
    return (contact.answered_at - contact.offered_at).total_seconds()


def _share(contacts: Sequence[kpis.Contact], test: Any) -> float | None:
    return _ratio(sum(1 for c in contacts if test(c)), len(contacts))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percentile(sorted_values: Sequence[int], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return float(sorted_values[rank - 1])


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
