"""Simulation scenarios: who works (agent groups), what arrives (contact streams), under which
assignment policy. `single_skill_scenario()` builds Erlang C's set-up from the command's options;
`read_scenario()` loads a JSON file such as town-hall.json, checking every field and naming the
place of each problem ("streams[1].channel: ..."). docs/routing.md describes the format.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guichet.routing.assignment import (
    AgentCriterion,
    AssignmentPolicy,
    Overflow,
    Policies,
    PolicySet,
    RelaxationStep,
)

__all__ = [
    "AgentGroup",
    "Scenario",
    "ScenarioError",
    "Stream",
    "load_scenario",
    "read_scenario",
    "single_skill_scenario",
]

SINGLE_SKILL_CHANNEL = "phone"
SINGLE_SKILL_DEPARTMENT = "queue"


class ScenarioError(ValueError):
    """A scenario file or option the simulator cannot run, with where the problem is."""


@dataclass(frozen=True)
class AgentGroup:
    name: str
    count: int
    skills: Mapping[str, int]
    capacity: Mapping[str, int]
    departments: tuple[str, ...]


@dataclass(frozen=True)
class Stream:
    name: str
    arrivals_per_hour: float
    handle_s: float
    channel: str
    target_s: float
    department: str | None = None
    topic: str | None = None
    language: str | None = None
    priority: int = 2
    required_skills: Mapping[str, int] = field(default_factory=dict)
    due_after_s: float | None = None  # the due date, counted from the arrival


@dataclass(frozen=True)
class Scenario:
    name: str
    agent_groups: tuple[AgentGroup, ...]
    streams: tuple[Stream, ...]
    policy: Policies
    department_ids: Mapping[str, int]
    hours: float | None = None
    warmup_hours: float | None = None
    seed: int | None = None
    single_skill: bool = False


def single_skill_scenario(
    agents: int, arrivals_per_hour: float, handle_s: float, target_s: float
) -> Scenario:
    """Erlang C's set-up: one queue of phone calls, `agents` identical agents taking one at a time."""
    _require(isinstance(agents, int) and agents > 0, "--agents", "must be a whole number ≥ 1")
    _require(_positive(arrivals_per_hour), "--arrivals-per-hour", "must be a positive number")
    _require(_positive(handle_s), "--handle-s", "must be a positive number of seconds")
    _require(_non_negative(target_s), "--target-s", "must be a number of seconds ≥ 0")
    return Scenario(
        name="single-skill",
        agent_groups=(
            AgentGroup(
                name="agents",
                count=agents,
                skills={},
                capacity={SINGLE_SKILL_CHANNEL: 1},
                departments=(SINGLE_SKILL_DEPARTMENT,),
            ),
        ),
        streams=(
            Stream(
                name="calls",
                arrivals_per_hour=arrivals_per_hour,
                handle_s=handle_s,
                channel=SINGLE_SKILL_CHANNEL,
                target_s=target_s,
                department=SINGLE_SKILL_DEPARTMENT,
            ),
        ),
        policy=AssignmentPolicy(),
        department_ids={SINGLE_SKILL_DEPARTMENT: 1},
        single_skill=True,
    )


# --- scenario files ----------------------------------------------------------------------------

_SCENARIO_KEYS = {
    "name",
    "hours",
    "warmup_hours",
    "seed",
    "policy",
    "department_policies",
    "agent_groups",
    "streams",
}
_POLICY_KEYS = {
    "min_proficiency",
    "essential",
    "order_by_due_date",
    "prefer_last_agent",
    "agent_criteria",
    "relaxation",
    "overflow",
}
_GROUP_KEYS = {"name", "count", "skills", "capacity", "departments"}
_STREAM_KEYS = {
    "name",
    "arrivals_per_hour",
    "handle_s",
    "channel",
    "target_s",
    "department",
    "topic",
    "language",
    "priority",
    "required_skills",
    "due_after_s",
}


def read_scenario(path: str | Path) -> Scenario:
    """Load a JSON scenario file (format in docs/routing.md)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read the scenario file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"the scenario file {path} is not UTF-8 text") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"the scenario file {path} is not valid JSON: {exc.msg} (line {exc.lineno}, "
            f"column {exc.colno})"
        ) from exc
    return load_scenario(data)


def load_scenario(data: Any) -> Scenario:
    """Check a decoded scenario and build it; every problem names its place ("streams[1].channel")."""
    _require(isinstance(data, dict), "scenario", "must be a JSON object")
    _no_unknown_keys(data, _SCENARIO_KEYS, "scenario")
    groups_data = data.get("agent_groups")
    streams_data = data.get("streams")
    _require(
        isinstance(groups_data, list) and bool(groups_data),
        "agent_groups",
        "must be a non-empty list",
    )
    _require(
        isinstance(streams_data, list) and bool(streams_data), "streams", "must be a non-empty list"
    )
    groups = tuple(_group(g, f"agent_groups[{i}]") for i, g in enumerate(groups_data))
    streams = tuple(_stream(s, f"streams[{i}]") for i, s in enumerate(streams_data))
    _unique([g.name for g in groups], "agent_groups", "group")
    _unique([s.name for s in streams], "streams", "stream")

    departments: list[str] = []
    for group in groups:
        departments.extend(group.departments)
    for stream in streams:
        if stream.department is not None:
            departments.append(stream.department)
    department_ids = {name: i for i, name in enumerate(sorted(set(departments)), start=1)}

    for index, stream in enumerate(streams):
        served = [
            g.name
            for g in groups
            if g.capacity.get(stream.channel, 0) > 0
            and (stream.department is None or stream.department in g.departments)
        ]
        _require(
            bool(served),
            f"streams[{index}]",
            f"no agent group of department {stream.department!r} takes the {stream.channel!r} channel",
        )

    policy_data = data.get("policy", {})
    default = _policy(policy_data, "policy", department_ids)
    overrides = data.get("department_policies", {})
    _require(isinstance(overrides, dict), "department_policies", "must be an object")
    policy: Policies = default
    if overrides:
        by_department: dict[int, AssignmentPolicy] = {}
        for name, value in overrides.items():
            where = f"department_policies.{name}"
            _require(name in department_ids, where, "is not a department of the scenario")
            by_department[department_ids[name]] = _policy(value, where, department_ids)
        policy = PolicySet(default, by_department)

    hours = data.get("hours")
    warmup = data.get("warmup_hours")
    seed = data.get("seed")
    _require(hours is None or _positive(hours), "hours", "must be a positive number")
    _require(warmup is None or _non_negative(warmup), "warmup_hours", "must be a number ≥ 0")
    _require(seed is None or _whole(seed), "seed", "must be a whole number")
    name = data.get("name", "scenario")
    _require(isinstance(name, str), "name", "must be a string")
    return Scenario(
        name=name,
        agent_groups=groups,
        streams=streams,
        policy=policy,
        department_ids=department_ids,
        hours=None if hours is None else float(hours),
        warmup_hours=None if warmup is None else float(warmup),
        seed=seed,
    )


def _group(data: Any, where: str) -> AgentGroup:
    _require(isinstance(data, dict), where, "must be an object")
    _no_unknown_keys(data, _GROUP_KEYS, where)
    name = data.get("name")
    count = data.get("count")
    departments = data.get("departments", [])
    _require(isinstance(name, str) and name != "", f"{where}.name", "must be a non-empty string")
    _require(_whole(count) and count > 0, f"{where}.count", "must be a whole number ≥ 1")
    _require(
        isinstance(departments, list) and all(isinstance(d, str) for d in departments),
        f"{where}.departments",
        "must be a list of department names",
    )
    skills = _proficiencies(data.get("skills", {}), f"{where}.skills", allow_zero=False)
    capacity = _counts(data.get("capacity"), f"{where}.capacity")
    return AgentGroup(name, count, skills, capacity, tuple(departments))


def _stream(data: Any, where: str) -> Stream:
    _require(isinstance(data, dict), where, "must be an object")
    _no_unknown_keys(data, _STREAM_KEYS, where)
    name = data.get("name")
    channel = data.get("channel")
    _require(isinstance(name, str) and name != "", f"{where}.name", "must be a non-empty string")
    _require(
        isinstance(channel, str) and channel != "", f"{where}.channel", "must be a channel name"
    )
    rate = data.get("arrivals_per_hour")
    handle = data.get("handle_s")
    target = data.get("target_s", 20)
    priority = data.get("priority", 2)
    due = data.get("due_after_s")
    _require(_positive(rate), f"{where}.arrivals_per_hour", "must be a positive number")
    _require(_positive(handle), f"{where}.handle_s", "must be a positive number of seconds")
    _require(_non_negative(target), f"{where}.target_s", "must be a number of seconds ≥ 0")
    _require(_whole(priority), f"{where}.priority", "must be a whole number (higher: more urgent)")
    _require(due is None or _non_negative(due), f"{where}.due_after_s", "must be seconds ≥ 0")
    optional: dict[str, str | None] = {}
    for key in ("department", "topic", "language"):
        value = data.get(key)
        _require(
            value is None or (isinstance(value, str) and value != ""),
            f"{where}.{key}",
            "must be a non-empty string or null",
        )
        optional[key] = value
    return Stream(
        name=name,
        arrivals_per_hour=float(rate),
        handle_s=float(handle),
        channel=channel,
        target_s=float(target),
        department=optional["department"],
        topic=optional["topic"],
        language=optional["language"],
        priority=priority,
        required_skills=_proficiencies(
            data.get("required_skills", {}), f"{where}.required_skills", allow_zero=True
        ),
        due_after_s=None if due is None else float(due),
    )


def _policy(data: Any, where: str, department_ids: Mapping[str, int]) -> AssignmentPolicy:
    _require(isinstance(data, dict), where, "must be an object")
    _no_unknown_keys(data, _POLICY_KEYS, where)
    values: dict[str, Any] = {}
    if "min_proficiency" in data:
        values["min_proficiency"] = _proficiencies(
            data["min_proficiency"], f"{where}.min_proficiency", allow_zero=False
        )
    if "essential" in data:
        values["essential"] = frozenset(_strings(data["essential"], f"{where}.essential"))
    for switch in ("order_by_due_date", "prefer_last_agent"):
        if switch in data:
            _require(isinstance(data[switch], bool), f"{where}.{switch}", "must be true or false")
            values[switch] = data[switch]
    if "agent_criteria" in data:
        names = _strings(data["agent_criteria"], f"{where}.agent_criteria")
        known = [c.value for c in AgentCriterion]
        for name in names:
            _require(name in known, f"{where}.agent_criteria", f"{name!r} is not one of {known}")
        values["agent_criteria"] = tuple(AgentCriterion(n) for n in names)
    if "relaxation" in data:
        steps = data["relaxation"]
        _require(isinstance(steps, list), f"{where}.relaxation", "must be a list")
        values["relaxation"] = tuple(
            _relaxation(step, f"{where}.relaxation[{i}]") for i, step in enumerate(steps)
        )
    if "overflow" in data:
        steps = data["overflow"]
        _require(isinstance(steps, list), f"{where}.overflow", "must be a list")
        overflows = []
        for i, step in enumerate(steps):
            place = f"{where}.overflow[{i}]"
            _require(isinstance(step, dict), place, "must be an object")
            _no_unknown_keys(step, {"after_minutes", "department"}, place)
            after = step.get("after_minutes")
            department = step.get("department")
            _require(_non_negative(after), f"{place}.after_minutes", "must be a number ≥ 0")
            _require(
                department in department_ids,
                f"{place}.department",
                "must name a department of an agent group",
            )
            overflows.append(Overflow(float(after), department_ids[department], department))
        values["overflow"] = tuple(overflows)
    try:
        return AssignmentPolicy(**values)
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from exc


def _relaxation(data: Any, where: str) -> RelaxationStep:
    _require(isinstance(data, dict), where, "must be an object")
    _no_unknown_keys(data, {"after_minutes", "drop", "minimum"}, where)
    after = data.get("after_minutes")
    minimum = data.get("minimum")
    _require(_non_negative(after), f"{where}.after_minutes", "must be a number ≥ 0")
    _require(
        minimum is None or (_whole(minimum) and 1 <= minimum <= 5),
        f"{where}.minimum",
        "must be a proficiency from 1 to 5",
    )
    drop = frozenset(_strings(data.get("drop", []), f"{where}.drop"))
    return RelaxationStep(float(after), drop, minimum)


def _proficiencies(data: Any, where: str, *, allow_zero: bool) -> dict[str, int]:
    _require(isinstance(data, dict), where, "must be an object of skill: proficiency")
    low = 0 if allow_zero else 1
    for skill, level in data.items():
        _require(
            _whole(level) and low <= level <= 5,
            f"{where}.{skill}",
            f"must be a proficiency from {low} to 5",
        )
    return dict(data)


def _counts(data: Any, where: str) -> dict[str, int]:
    _require(
        isinstance(data, dict) and bool(data), where, "must be an object of channel: items at once"
    )
    for channel, count in data.items():
        _require(_whole(count) and count >= 0, f"{where}.{channel}", "must be a whole number ≥ 0")
    return dict(data)


def _strings(data: Any, where: str) -> list[str]:
    _require(
        isinstance(data, list) and all(isinstance(v, str) for v in data),
        where,
        "must be a list of strings",
    )
    return list(data)


def _unique(names: Sequence[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for name in names:
        _require(name not in seen, where, f"two {what}s are named {name!r}")
        seen.add(name)


def _no_unknown_keys(data: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    _require(not unknown, where, f"unknown keys {unknown} (known: {sorted(known)})")


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ScenarioError(f"{where}: {message}")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(value: Any) -> bool:
    return _number(value) and value > 0


def _non_negative(value: Any) -> bool:
    return _number(value) and value >= 0
