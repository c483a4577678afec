"""Agent assignment: which agent gets which waiting item, and why. Pure Python, no ORM.

The caller loads a routing context in a fixed number of queries — the agents' states
(`AgentState`), the waiting items (`WorkItem`) and the policy (`AssignmentPolicy`, or a
`PolicySet` for per-department policies) — and asks one of three questions:

- `best_agent_for(item, agents, policy, now)` — push mode: to whom to offer this item;
- `next_item_for(agent, items, policy, now)` — pull mode: the next item for this agent;
- `assign_waiting(items, agents, policy, now)` — capacity freed up: match the waiting items, in
  priority order, to agents without exceeding any agent's capacity.

Each answer is a `Decision` whose `reasons` are sentences, translated with gettext in the active
language, stored on the case timeline to answer "why did this go to X?" ("topic “etat-civil”:
proficiency 4, 3 required", "longest idle: free for 12 min", "after 30 min of waiting, agents of
Accueil may take it too"). Every tie is broken by id, so the same input always gives the same
answer. docs/routing.md describes the policies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from django.utils.translation import gettext as _

__all__ = [
    "CHANNEL",
    "LANGUAGE",
    "TOPIC",
    "AgentCriterion",
    "AgentState",
    "AssignmentPolicy",
    "Decision",
    "Overflow",
    "Policies",
    "PolicySet",
    "Presence",
    "RelaxationStep",
    "Requirement",
    "WorkItem",
    "assign_waiting",
    "best_agent_for",
    "next_item_for",
    "order_items",
    "requirements_for",
    "serving_key",
    "skill_kind",
    "skill_name",
]

# Skills are named "<kind>:<value>": the three kinds below are derived from the item itself;
# an item may require others ("sign-language:lsf") through `WorkItem.required_skills`.
TOPIC = "topic"
LANGUAGE = "language"
CHANNEL = "channel"

MIN_PROFICIENCY = 1
MAX_PROFICIENCY = 5


def skill_name(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def skill_kind(skill: str) -> str:
    """ "topic:etat-civil" → "topic"; a name without a colon is its own kind."""
    return skill.split(":", 1)[0]


class Presence(StrEnum):
    # Pushed work (offers, automatic assignment) goes to AVAILABLE agents only. BUSY means "at my
    # desk, do not send me anything" (a meeting, after-call work): such an agent may still pull
    # the next item on demand. Agents on a break or offline get nothing.
    AVAILABLE = "available"
    BUSY = "busy"
    ON_BREAK = "on_break"
    OFFLINE = "offline"


class AgentCriterion(StrEnum):
    LONGEST_IDLE = "longest_idle"  # no item in hand, and the longest since the last one ended
    LEAST_LOADED = "least_loaded"  # the smallest share of the channel's capacity in use
    MOST_PROFICIENT = "most_proficient"  # the highest sum of proficiencies on the requirements


@dataclass(frozen=True)
class AgentState:
    id: int
    presence: Presence
    # skill name -> proficiency 1..5: "topic:etat-civil", "language:fr", "channel:phone"
    skills: Mapping[str, int]
    # channel -> items at once (e.g. phone 1, chat 3, email 8); a missing channel means 0
    capacity: Mapping[str, int]
    # channel -> items in hand now
    load: Mapping[str, int] = field(default_factory=dict)
    # when the agent's last item ended (None: none yet today) — for "longest idle"
    last_assignment_end: datetime | None = None
    departments: frozenset[int] = frozenset()

    def free_slots(self, channel: str) -> int:
        return self.capacity.get(channel, 0) - self.load.get(channel, 0)

    def has_free_slot(self) -> bool:
        load = self.load
        return any(slots > load.get(channel, 0) for channel, slots in self.capacity.items())

    def with_load(
        self, channel: str, change: int, *, ended_at: datetime | None = None
    ) -> AgentState:
        """The same agent with `change` more (or fewer) items in hand on `channel`; `ended_at`
        records when an item ended (for "longest idle")."""
        load = dict(self.load)
        load[channel] = load.get(channel, 0) + change
        return AgentState(
            self.id,
            self.presence,
            self.skills,
            self.capacity,
            load,
            self.last_assignment_end if ended_at is None else ended_at,
            self.departments,
        )

    @property
    def total_load(self) -> int:
        return sum(self.load.values())


@dataclass(frozen=True)
class WorkItem:
    id: int
    channel: str
    waiting_since: datetime
    department: int | None = None  # None: an organization-wide item any department may take
    topic: str | None = None  # topic slug
    language: str | None = None  # language code
    priority: int = 2  # higher is more urgent (cases.Priority: 1 low … 4 urgent)
    due_at: datetime | None = None
    preferred_agent_id: int | None = None  # who handled the citizen's last contact
    # further skills: name -> minimum proficiency (0: the policy's minimum for that kind)
    required_skills: Mapping[str, int] = field(default_factory=dict)
    # agents who declined the offer or let it time out: never offered this item again
    declined_by: frozenset[int] = frozenset()
    # the item's own overflow steps (its queue's), on top of the policy's
    overflow: tuple[Overflow, ...] = ()


@dataclass(frozen=True)
class Requirement:
    skill: str
    minimum: int

    @property
    def kind(self) -> str:
        return skill_kind(self.skill)


@dataclass(frozen=True)
class RelaxationStep:
    """After the item has waited `after_minutes`, drop these requirement kinds or skills ("language",
    "language:en") and/or lower every non-essential minimum proficiency to `minimum`."""

    after_minutes: float
    drop: frozenset[str] = frozenset()
    minimum: int | None = None


@dataclass(frozen=True)
class Overflow:
    """After the item has waited `after_minutes`, agents of this department may take it too."""

    after_minutes: float
    department_id: int
    department_name: str


def _default_min_proficiency() -> Mapping[str, int]:
    return MappingProxyType({TOPIC: 1, LANGUAGE: 1})


@dataclass(frozen=True)
class AssignmentPolicy:
    # Which of the item's own attributes are required skills, with their minimum proficiency.
    # Add CHANNEL to require a "channel:<channel>" skill on top of the channel's capacity.
    min_proficiency: Mapping[str, int] = field(default_factory=_default_min_proficiency)
    # Requirement kinds that relaxation never drops or lowers.
    essential: frozenset[str] = frozenset({CHANNEL})
    # Item order: priority (urgency) first, then the earliest due date (when on), then the
    # longest waiting, then id.
    order_by_due_date: bool = True
    # Offer to the agent who handled the citizen's last contact first, when qualified and free.
    prefer_last_agent: bool = True
    # How to choose among qualified free agents: compared in this order, ties broken by id.
    agent_criteria: tuple[AgentCriterion, ...] = (
        AgentCriterion.LONGEST_IDLE,
        AgentCriterion.LEAST_LOADED,
    )
    relaxation: tuple[RelaxationStep, ...] = ()
    overflow: tuple[Overflow, ...] = ()

    def __post_init__(self) -> None:
        for kind, minimum in self.min_proficiency.items():
            _check_proficiency(f"minimum proficiency for {kind}", minimum)
        if len(set(self.agent_criteria)) != len(self.agent_criteria):
            raise ValueError("agent_criteria lists a criterion twice")
        object.__setattr__(
            self, "agent_criteria", tuple(AgentCriterion(c) for c in self.agent_criteria)
        )
        previous = -math.inf
        for step in self.relaxation:
            if not step.after_minutes > previous or step.after_minutes < 0:
                raise ValueError(
                    "relaxation steps must have increasing delays of 0 minutes or more"
                )
            previous = step.after_minutes
            if step.minimum is not None:
                _check_proficiency("relaxed minimum proficiency", step.minimum)
            if not step.drop and step.minimum is None:
                raise ValueError(
                    f"the relaxation step after {step.after_minutes:g} min relaxes nothing"
                )
            for dropped in sorted(step.drop):
                if skill_kind(dropped) in self.essential:
                    raise ValueError(f"{dropped} is essential: relaxation cannot drop it")
        previous = -math.inf
        for overflow in self.overflow:
            if not overflow.after_minutes > previous or overflow.after_minutes < 0:
                raise ValueError("overflow steps must have increasing delays of 0 minutes or more")
            previous = overflow.after_minutes


@dataclass(frozen=True)
class PolicySet:
    """An organization's policy with per-department exceptions."""

    default: AssignmentPolicy
    by_department: Mapping[int, AssignmentPolicy] = field(default_factory=dict)

    def for_department(self, department_id: int | None) -> AssignmentPolicy:
        if department_id is None:
            return self.default
        return self.by_department.get(department_id, self.default)


Policies = AssignmentPolicy | PolicySet

RULE_PREFERRED = "preferred"
RULE_PULL = "pull"
RULE_ONLY_CANDIDATE = "only_candidate"
RULE_BY_ID = "by_id"
RULE_HOME_DEPARTMENT = "home_department"
RULE_FEWER_RELAXATIONS = "fewer_relaxations"


@dataclass(frozen=True)
class Decision:
    item_id: int
    agent_id: int
    # What decided: "preferred", "pull", "only_candidate", "home_department" (over overflow
    # agents), "fewer_relaxations", an agent criterion ("longest_idle", ...) or "by_id".
    rule: str
    reasons: tuple[str, ...]
    relaxation_level: int = 0  # how many relaxation steps the match needed (0: none)
    overflow_department_id: int | None = None  # set when the agent took it as an overflow


def requirements_for(item: WorkItem, policy: AssignmentPolicy) -> tuple[Requirement, ...]:
    """The skills an agent needs for this item before any relaxation."""
    minimums: dict[str, int] = {}
    for kind, value in ((CHANNEL, item.channel), (TOPIC, item.topic), (LANGUAGE, item.language)):
        if value and kind in policy.min_proficiency:
            minimums[skill_name(kind, value)] = policy.min_proficiency[kind]
    for skill, minimum in sorted(item.required_skills.items()):
        wanted = minimum or policy.min_proficiency.get(skill_kind(skill), MIN_PROFICIENCY)
        minimums[skill] = max(minimums.get(skill, 0), wanted)
    return tuple(Requirement(skill, minimum) for skill, minimum in minimums.items())


def serving_key(item: WorkItem, policy: Policies) -> tuple[float, float, float, int]:
    """The sort key of the serving order: the most urgent first, then the earliest due date (when
    the item's policy orders by due date; items without one after those with one), then the
    longest waiting, then the lowest id. It does not change while the item waits, so a caller may
    keep its queue sorted by it and pass `ordered=True` to `assign_waiting`."""
    item_policy = _policy_for(policy, item)
    due = item.due_at.timestamp() if item_policy.order_by_due_date and item.due_at else math.inf
    return (-item.priority, due, item.waiting_since.timestamp(), item.id)


def order_items(items: Iterable[WorkItem], policy: Policies) -> list[WorkItem]:
    """Waiting items in the order they are served (see `serving_key`)."""
    return sorted(items, key=lambda item: serving_key(item, policy))


def best_agent_for(
    item: WorkItem, agents: Sequence[AgentState], policy: Policies, now: datetime
) -> Decision | None:
    """Push mode: the agent to offer the item to, or None when nobody qualified is free.

    Only AVAILABLE agents with a free slot on the item's channel who have not declined the item
    are considered. When the offer times out or is declined, add the agent to `declined_by` and
    ask again: the next best agent gets it."""
    return _Matcher(item, _policy_for(policy, item), now).best(agents)


def next_item_for(
    agent: AgentState, items: Iterable[WorkItem], policy: Policies, now: datetime
) -> Decision | None:
    """Pull mode: the first item, in serving order, this agent may take now (AVAILABLE or BUSY
    agents only: pulling is the agent's own choice)."""
    if agent.presence not in (Presence.AVAILABLE, Presence.BUSY):
        return None
    for item in order_items(items, policy):
        if agent.id in item.declined_by or agent.free_slots(item.channel) <= 0:
            continue
        matcher = _Matcher(item, _policy_for(policy, item), now)
        match = matcher.match(agent)
        if match is None:
            continue
        reasons = (matcher.line_reason(), *matcher.match_reasons(agent, match))
        return matcher.decision(agent, match, RULE_PULL, reasons)
    return None


def assign_waiting(
    items: Iterable[WorkItem],
    agents: Sequence[AgentState],
    policy: Policies,
    now: datetime,
    *,
    ordered: bool = False,
) -> list[Decision]:
    """Capacity freed up: the waiting items, in serving order, each to the best free agent, with
    each agent's load counted as the decisions are made (nobody goes over capacity). Items nobody
    qualified can take stay waiting and do not hold up the items behind them.

    `ordered=True`: `items` already come in serving order (sorted by `serving_key`); they are then
    read lazily and only until every agent is full, so a long queue costs nothing extra."""
    pool = [agent for agent in agents if agent.presence is Presence.AVAILABLE]
    pool = [agent for agent in pool if agent.has_free_slot()]
    decisions: list[Decision] = []
    for item in items if ordered else order_items(items, policy):
        if not pool:
            break
        decision = _Matcher(item, _policy_for(policy, item), now).best(pool)
        if decision is None:
            continue
        decisions.append(decision)
        index = next(i for i, agent in enumerate(pool) if agent.id == decision.agent_id)
        updated = pool[index].with_load(item.channel, 1)
        if updated.has_free_slot():
            pool[index] = updated
        else:
            del pool[index]
    return decisions


# --- internals ---------------------------------------------------------------------------------

RULE_BY_RANK = (RULE_HOME_DEPARTMENT, RULE_FEWER_RELAXATIONS)


@dataclass(frozen=True)
class _Level:
    """The requirements after some relaxation steps, and the reasons those steps give."""

    number: int
    requirements: tuple[Requirement, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Match:
    level: int
    overflow: Overflow | None


class _Matcher:
    """One item's requirements, relaxation levels and overflow departments, computed once and
    checked against many agents."""

    def __init__(self, item: WorkItem, policy: AssignmentPolicy, now: datetime) -> None:
        self.item = item
        self.policy = policy
        self.now = now
        self.now_ts = now.timestamp()
        self.waited_s = max(0.0, (now - item.waiting_since).total_seconds())
        self.levels = self._levels()
        # department id -> the first overflow step (in the policy's order) that opened it
        self.overflows: dict[int, Overflow] = {}
        for overflow in (*policy.overflow, *item.overflow):
            if self.waited_s >= overflow.after_minutes * 60:
                self.overflows.setdefault(overflow.department_id, overflow)

    def _levels(self) -> list[_Level]:
        requirements = requirements_for(self.item, self.policy)
        levels = [_Level(0, requirements, ())]
        for number, step in enumerate(self.policy.relaxation, start=1):
            if self.waited_s < step.after_minutes * 60:
                break
            relaxed, reasons = _relax(requirements, step, self.policy.essential)
            if relaxed == requirements:
                continue  # this step changes nothing for this item
            requirements = relaxed
            levels.append(_Level(number, requirements, reasons))
        return levels

    def match(self, agent: AgentState) -> _Match | None:
        """The least relaxed way this agent qualifies (home department before overflow)."""
        overflow: Overflow | None = None
        department = self.item.department
        if department is not None and department not in agent.departments:
            overflow = next(
                (self.overflows[d] for d in sorted(agent.departments) if d in self.overflows),
                None,
            )
            if overflow is None:
                return None
        skills = agent.skills
        for level in self.levels:
            if all(skills.get(r.skill, 0) >= r.minimum for r in level.requirements):
                return _Match(level.number, overflow)
        return None

    def match_reasons(self, agent: AgentState, match: _Match) -> list[str]:
        level = next(level for level in self.levels if level.number == match.level)
        reasons = [_skill_reason(r, agent.skills.get(r.skill, 0)) for r in level.requirements]
        for lower in self.levels:
            if 0 < lower.number <= match.level:
                reasons.extend(lower.reasons)
        if match.overflow is not None:
            reasons.append(
                _("after %(delay)s of waiting, agents of %(department)s may take it too")
                % {
                    "delay": _duration(match.overflow.after_minutes * 60),
                    "department": match.overflow.department_name,
                }
            )
        return reasons

    def line_reason(self) -> str:
        """Why this item comes first: its place in the serving order."""
        item = self.item
        parts = [_("priority %(priority)d") % {"priority": item.priority}]
        if self.policy.order_by_due_date and item.due_at is not None:
            left = (item.due_at - self.now).total_seconds()
            if left >= 0:
                parts.append(_("due in %(delay)s") % {"delay": _duration(left)})
            else:
                parts.append(_("overdue by %(delay)s") % {"delay": _duration(-left)})
        parts.append(_("waiting for %(delay)s") % {"delay": _duration(self.waited_s)})
        return _("next in line: %(details)s") % {"details": ", ".join(parts)}

    def best(self, agents: Sequence[AgentState]) -> Decision | None:
        item = self.item
        channel, declined, available = item.channel, item.declined_by, Presence.AVAILABLE
        candidates: list[tuple[AgentState, _Match]] = []
        for agent in agents:
            # free_slots() inlined: this loop runs over every agent for every decision
            if (
                agent.presence is not available
                or agent.capacity.get(channel, 0) <= agent.load.get(channel, 0)
                or agent.id in declined
            ):
                continue
            match = self.match(agent)
            if match is not None:
                candidates.append((agent, match))
        if not candidates:
            return None
        if self.policy.prefer_last_agent and item.preferred_agent_id is not None:
            for agent, match in candidates:
                if agent.id == item.preferred_agent_id:
                    reasons = [
                        _("preferred agent: handled the citizen's last contact"),
                        *self.match_reasons(agent, match),
                    ]
                    return self.decision(agent, match, RULE_PREFERRED, reasons)
        if len(candidates) == 1:
            agent, match = candidates[0]
            reasons = self.match_reasons(agent, match)
            reasons.append(_("the only qualified agent with free capacity"))
            return self.decision(agent, match, RULE_ONLY_CANDIDATE, reasons)
        # The two best: the winner, and the runner-up that tells which criterion decided.
        criteria = self.policy.agent_criteria
        ranked = sorted((self._rank(a, m, criteria), i) for i, (a, m) in enumerate(candidates))
        (winner, first), (runner_up, _second) = ranked[0], ranked[1]
        agent, match = candidates[first]
        deciding = next(i for i, (a, b) in enumerate(zip(winner, runner_up, strict=True)) if a != b)
        rules = (*RULE_BY_RANK, *criteria, RULE_BY_ID)
        reasons = self.match_reasons(agent, match)
        if deciding == 0:
            reasons.append(_("agents of the department come before overflow agents"))
        elif deciding == 1:
            reasons.append(_("agents matching with fewer relaxed requirements come first"))
        # every criterion compared up to the deciding one (ties included) tells its value
        for criterion in criteria[: max(0, deciding - len(RULE_BY_RANK) + 1)]:
            reasons.append(self._criterion_reason(agent, criterion))
        if deciding == len(rules) - 1:
            reasons.append(_("tie broken by the lowest agent number"))
        return self.decision(agent, match, rules[deciding], reasons)

    def _rank(
        self, agent: AgentState, match: _Match, criteria: tuple[AgentCriterion, ...]
    ) -> tuple[float, ...]:
        """Smaller is better: home department, fewer relaxations, each criterion, the id."""
        return (
            match.overflow is not None,
            match.level,
            *[self._criterion_key(agent, criterion) for criterion in criteria],
            agent.id,
        )

    def _criterion_key(self, agent: AgentState, criterion: AgentCriterion) -> float:
        if criterion is AgentCriterion.LONGEST_IDLE:
            # when the last item ended (earlier is longer idle): the same order as -_idle_s(),
            # without a datetime subtraction per agent
            if any(agent.load.values()):
                return math.inf
            ended = agent.last_assignment_end
            return -math.inf if ended is None else min(ended.timestamp(), self.now_ts)
        if criterion is AgentCriterion.LEAST_LOADED:
            channel = self.item.channel
            return agent.load.get(channel, 0) / agent.capacity[channel]
        return -self._points(agent)

    def _points(self, agent: AgentState) -> int:
        return sum(agent.skills.get(r.skill, 0) for r in self.levels[0].requirements)

    def _criterion_reason(self, agent: AgentState, criterion: AgentCriterion) -> str:
        if criterion is AgentCriterion.LONGEST_IDLE:
            idle = self._idle_s(agent)
            if idle is None:
                return _("longest idle: every qualified agent has items in hand")
            if idle == math.inf:
                return _("longest idle: no item handled yet")
            return _("longest idle: free for %(delay)s") % {"delay": _duration(idle)}
        if criterion is AgentCriterion.LEAST_LOADED:
            channel = self.item.channel
            return _("least loaded: %(load)d of %(capacity)d %(channel)s items in hand") % {
                "load": agent.load.get(channel, 0),
                "capacity": agent.capacity[channel],
                "channel": channel,
            }
        return _("most proficient: %(points)d points on the required skills") % {
            "points": self._points(agent)
        }

    def _idle_s(self, agent: AgentState) -> float | None:
        """Seconds since the agent's last item ended (infinite when none yet); None while the
        agent has items in hand."""
        if agent.total_load:
            return None
        if agent.last_assignment_end is None:
            return math.inf
        return max(0.0, (self.now - agent.last_assignment_end).total_seconds())

    def decision(
        self, agent: AgentState, match: _Match, rule: str, reasons: Iterable[str]
    ) -> Decision:
        return Decision(
            self.item.id,
            agent.id,
            rule,
            tuple(reasons),
            relaxation_level=match.level,
            overflow_department_id=match.overflow.department_id if match.overflow else None,
        )


def _kind_label(kind: str) -> str:
    labels = {TOPIC: _("topic"), LANGUAGE: _("language"), CHANNEL: _("channel")}
    return labels.get(kind, kind)


def _skill_reason(requirement: Requirement, level: int) -> str:
    value = requirement.skill.split(":", 1)[-1]
    return _("%(kind)s “%(value)s”: proficiency %(level)d, %(minimum)d required") % {
        "kind": _kind_label(requirement.kind),
        "value": value,
        "level": level,
        "minimum": requirement.minimum,
    }


def _relax(
    requirements: tuple[Requirement, ...], step: RelaxationStep, essential: frozenset[str]
) -> tuple[tuple[Requirement, ...], tuple[str, ...]]:
    delay = _duration(step.after_minutes * 60)
    kept: list[Requirement] = []
    reasons: list[str] = []
    lowered: list[str] = []
    for requirement in requirements:
        if requirement.kind in essential:
            kept.append(requirement)
        elif requirement.skill in step.drop or requirement.kind in step.drop:
            reasons.append(
                _("after %(delay)s of waiting, the %(kind)s requirement was dropped")
                % {"delay": delay, "kind": _kind_label(requirement.kind)}
            )
        elif step.minimum is not None and requirement.minimum > step.minimum:
            kept.append(Requirement(requirement.skill, step.minimum))
            lowered.append(requirement.skill)
        else:
            kept.append(requirement)
    if lowered:
        reasons.append(
            _(
                "after %(delay)s of waiting, the minimum proficiency was lowered to %(minimum)d (%(skills)s)"
            )
            % {"delay": delay, "minimum": step.minimum, "skills": ", ".join(lowered)}
        )
    return tuple(kept), tuple(reasons)


def _policy_for(policy: Policies, item: WorkItem) -> AssignmentPolicy:
    if isinstance(policy, PolicySet):
        return policy.for_department(item.department)
    return policy


def _check_proficiency(what: str, value: int) -> None:
    if not MIN_PROFICIENCY <= value <= MAX_PROFICIENCY:
        raise ValueError(
            f"{what} must be between {MIN_PROFICIENCY} and {MAX_PROFICIENCY} (got {value})"
        )


def _duration(seconds: float) -> str:
    """45 s, 12 min, 2 h 05 min, 3 d 4 h (rounded down)."""
    whole = int(seconds)
    if whole < 60:
        return _("%(seconds)d s") % {"seconds": whole}
    if whole < 3600:
        return _("%(minutes)d min") % {"minutes": whole // 60}
    if whole < 86400:
        return _("%(hours)d h %(minutes)02d min") % {
            "hours": whole // 3600,
            "minutes": whole % 3600 // 60,
        }
    return _("%(days)d d %(hours)d h") % {"days": whole // 86400, "hours": whole % 86400 // 3600}
