"""The assignment engine, table-driven and without a database: agents and items are plain frozen
dataclasses, every decision is checked with its agent, rule and reasons."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from guichet.routing.assignment import (
    AgentCriterion,
    AgentState,
    AssignmentPolicy,
    Decision,
    Overflow,
    PolicySet,
    Presence,
    RelaxationStep,
    Requirement,
    WorkItem,
    assign_waiting,
    best_agent_for,
    next_item_for,
    order_items,
    requirements_for,
    serving_key,
)

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CIVIL, RECEPTION = 2, 1
POLICY = AssignmentPolicy(min_proficiency={"topic": 3, "language": 2})


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def agent(agent_id: int, **overrides: object) -> AgentState:
    values: dict[str, object] = {
        "id": agent_id,
        "presence": Presence.AVAILABLE,
        "skills": {"topic:etat-civil": 4, "language:fr": 5},
        "capacity": {"phone": 1, "chat": 3},
        "departments": frozenset({CIVIL}),
    }
    values.update(overrides)
    return AgentState(**values)  # type: ignore[arg-type]


def item(item_id: int = 1, **overrides: object) -> WorkItem:
    values: dict[str, object] = {
        "id": item_id,
        "channel": "phone",
        "waiting_since": ago(1),
        "department": CIVIL,
        "topic": "etat-civil",
        "language": "fr",
    }
    values.update(overrides)
    return WorkItem(**values)  # type: ignore[arg-type]


SKILLS_OK = (
    "topic “etat-civil”: proficiency 4, 3 required",
    "language “fr”: proficiency 5, 2 required",
)


# --- push: to whom to offer an item ------------------------------------------------------------

PUSH_CASES = {
    "the only qualified agent": (
        item(),
        [agent(1, skills={"topic:etat-civil": 2, "language:fr": 5}), agent(2)],
        POLICY,
        (2, "only_candidate", (*SKILLS_OK, "the only qualified agent with free capacity")),
    ),
    "pushed work goes to available agents only": (
        item(),
        [
            agent(1, presence=Presence.BUSY),
            agent(2, presence=Presence.ON_BREAK),
            agent(3, presence=Presence.OFFLINE),
            agent(4),
        ],
        POLICY,
        (4, "only_candidate", (*SKILLS_OK, "the only qualified agent with free capacity")),
    ),
    "an agent full on the item's channel is skipped": (
        item(),
        [agent(1, load={"phone": 1}), agent(2, load={"chat": 3})],
        POLICY,
        (2, "only_candidate", (*SKILLS_OK, "the only qualified agent with free capacity")),
    ),
    "an agent without capacity on the channel is skipped": (
        item(channel="email"),
        [agent(1), agent(2, capacity={"email": 8})],
        POLICY,
        (2, "only_candidate", (*SKILLS_OK, "the only qualified agent with free capacity")),
    ),
    "an agent who declined is never offered the item again": (
        item(declined_by=frozenset({1})),
        [agent(1), agent(2, last_assignment_end=ago(1))],
        POLICY,
        (2, "only_candidate", (*SKILLS_OK, "the only qualified agent with free capacity")),
    ),
    "longest idle agent": (
        item(),
        [agent(1, last_assignment_end=ago(5)), agent(2, last_assignment_end=ago(20))],
        POLICY,
        (2, "longest_idle", (*SKILLS_OK, "longest idle: free for 20 min")),
    ),
    "an agent with no item yet is the longest idle": (
        item(),
        [agent(1, last_assignment_end=ago(90)), agent(3)],
        POLICY,
        (3, "longest_idle", (*SKILLS_OK, "longest idle: no item handled yet")),
    ),
    "least loaded when every agent has items in hand": (
        item(channel="chat"),
        [agent(1, load={"chat": 2}), agent(2, load={"chat": 1})],
        POLICY,
        (
            2,
            "least_loaded",
            (
                *SKILLS_OK,
                "longest idle: every qualified agent has items in hand",
                "least loaded: 1 of 3 chat items in hand",
            ),
        ),
    ),
    "least loaded first when the policy says so": (
        item(channel="chat"),
        [agent(1, load={"chat": 2}, capacity={"chat": 4}), agent(2, load={"chat": 2})],
        AssignmentPolicy(agent_criteria=(AgentCriterion.LEAST_LOADED,)),
        (
            1,
            "least_loaded",
            (
                "topic “etat-civil”: proficiency 4, 1 required",
                "language “fr”: proficiency 5, 1 required",
                "least loaded: 2 of 4 chat items in hand",
            ),
        ),
    ),
    "most proficient": (
        item(),
        [agent(1), agent(2, skills={"topic:etat-civil": 5, "language:fr": 5})],
        AssignmentPolicy(
            min_proficiency={"topic": 3}, agent_criteria=(AgentCriterion.MOST_PROFICIENT,)
        ),
        (
            2,
            "most_proficient",
            (
                "topic “etat-civil”: proficiency 5, 3 required",
                "most proficient: 5 points on the required skills",
            ),
        ),
    ),
    "a full tie goes to the lowest agent number": (
        item(),
        [agent(7), agent(4)],
        POLICY,
        (
            4,
            "by_id",
            (
                *SKILLS_OK,
                "longest idle: no item handled yet",
                "least loaded: 0 of 1 phone items in hand",
                "tie broken by the lowest agent number",
            ),
        ),
    ),
    "the preferred agent, when qualified and free, before the longest idle": (
        item(preferred_agent_id=1),
        [agent(1, last_assignment_end=ago(1)), agent(2)],
        POLICY,
        (1, "preferred", ("preferred agent: handled the citizen's last contact", *SKILLS_OK)),
    ),
    "the preferred agent, busy, leaves the item to the others": (
        item(preferred_agent_id=1),
        [agent(1, load={"phone": 1}), agent(2)],
        POLICY,
        (2, "only_candidate", (*SKILLS_OK, "the only qualified agent with free capacity")),
    ),
    "the preferred agent is ignored when the policy says so": (
        item(preferred_agent_id=1),
        [agent(1, last_assignment_end=ago(1)), agent(2, last_assignment_end=ago(3))],
        AssignmentPolicy(min_proficiency={"topic": 3, "language": 2}, prefer_last_agent=False),
        (2, "longest_idle", (*SKILLS_OK, "longest idle: free for 3 min")),
    ),
    "an extra required skill": (
        item(required_skills={"sign-language:lsf": 0}),
        [
            agent(1),
            agent(2, skills={"topic:etat-civil": 3, "language:fr": 2, "sign-language:lsf": 1}),
        ],
        POLICY,
        (
            2,
            "only_candidate",
            (
                "topic “etat-civil”: proficiency 3, 3 required",
                "language “fr”: proficiency 2, 2 required",
                "sign-language “lsf”: proficiency 1, 1 required",
                "the only qualified agent with free capacity",
            ),
        ),
    ),
    "the channel as a skill when the policy requires it": (
        item(),
        [agent(1), agent(2, skills={"topic:etat-civil": 4, "language:fr": 5, "channel:phone": 2})],
        AssignmentPolicy(min_proficiency={"channel": 2}),
        (
            2,
            "only_candidate",
            (
                "channel “phone”: proficiency 2, 2 required",
                "the only qualified agent with free capacity",
            ),
        ),
    ),
    "an organization-wide item goes to any department": (
        item(department=None),
        [agent(1, departments=frozenset({RECEPTION}))],
        POLICY,
        (1, "only_candidate", (*SKILLS_OK, "the only qualified agent with free capacity")),
    ),
}


@pytest.mark.parametrize(
    ("work", "agents", "policy", "expected"), PUSH_CASES.values(), ids=PUSH_CASES.keys()
)
def test_push_offers_the_item_to_the_best_agent(work, agents, policy, expected):
    decision = best_agent_for(work, agents, policy, NOW)

    assert decision is not None
    assert (decision.agent_id, decision.rule, decision.reasons) == expected
    assert decision.item_id == work.id
    assert (decision.relaxation_level, decision.overflow_department_id) == (0, None)


NOBODY_CASES = {
    "nobody is proficient enough": (
        item(),
        [agent(1, skills={"topic:etat-civil": 2, "language:fr": 5})],
    ),
    "nobody speaks the language": (item(language="en"), [agent(1)]),
    "nobody is in the department": (item(), [agent(1, departments=frozenset({RECEPTION}))]),
    "everybody is full": (item(), [agent(1, load={"phone": 1})]),
    "nobody is available": (item(), [agent(1, presence=Presence.BUSY)]),
    "the only agent declined": (item(declined_by=frozenset({1})), [agent(1)]),
    "no agent at all": (item(), []),
}


@pytest.mark.parametrize(("work", "agents"), NOBODY_CASES.values(), ids=NOBODY_CASES.keys())
def test_push_finds_nobody(work, agents):
    assert best_agent_for(work, agents, POLICY, NOW) is None


# --- relaxation and overflow over time ---------------------------------------------------------

RELAXING = AssignmentPolicy(
    min_proficiency={"topic": 3, "language": 2},
    relaxation=(
        RelaxationStep(after_minutes=2, minimum=2),
        RelaxationStep(after_minutes=6, drop=frozenset({"language"})),
    ),
    overflow=(Overflow(after_minutes=4, department_id=RECEPTION, department_name="Accueil"),),
)
NOVICE = agent(1, skills={"topic:etat-civil": 2, "language:fr": 5})
RECEPTIONIST = agent(
    5, skills={"topic:etat-civil": 3, "language:fr": 5}, departments=frozenset({RECEPTION})
)

RELAXATION_CASES = {
    "before 2 min, nobody": (item(waiting_since=ago(1.5)), [NOVICE, RECEPTIONIST], None),
    "after 2 min, the minimum proficiency is lowered": (
        item(waiting_since=ago(3)),
        [NOVICE, RECEPTIONIST],
        (
            1,
            1,
            None,
            (
                "topic “etat-civil”: proficiency 2, 2 required",
                "language “fr”: proficiency 5, 2 required",
                "after 2 min of waiting, the minimum proficiency was lowered to 2 "
                "(topic:etat-civil)",
                "the only qualified agent with free capacity",
            ),
        ),
    ),
    "after 4 min, the reception may take it": (
        item(waiting_since=ago(5)),
        [RECEPTIONIST],
        (
            5,
            0,
            RECEPTION,
            (
                "topic “etat-civil”: proficiency 3, 3 required",
                "language “fr”: proficiency 5, 2 required",
                "after 4 min of waiting, agents of Accueil may take it too",
                "the only qualified agent with free capacity",
            ),
        ),
    ),
    "the department's own agent before an overflow agent": (
        item(waiting_since=ago(5)),
        [RECEPTIONIST, NOVICE],
        (
            1,
            1,
            None,
            (
                "topic “etat-civil”: proficiency 2, 2 required",
                "language “fr”: proficiency 5, 2 required",
                "after 2 min of waiting, the minimum proficiency was lowered to 2 "
                "(topic:etat-civil)",
                "agents of the department come before overflow agents",
            ),
        ),
    ),
    "after 6 min, the language is dropped": (
        item(waiting_since=ago(7), language="en"),
        [NOVICE],
        (
            1,
            2,
            None,
            (
                "topic “etat-civil”: proficiency 2, 2 required",
                "after 2 min of waiting, the minimum proficiency was lowered to 2 "
                "(topic:etat-civil)",
                "after 6 min of waiting, the language requirement was dropped",
                "the only qualified agent with free capacity",
            ),
        ),
    ),
    "an agent matching without relaxation first": (
        item(waiting_since=ago(3)),
        [NOVICE, agent(2, last_assignment_end=ago(1))],
        (
            2,
            0,
            None,
            (*SKILLS_OK, "agents matching with fewer relaxed requirements come first"),
        ),
    ),
}


@pytest.mark.parametrize(
    ("work", "agents", "expected"), RELAXATION_CASES.values(), ids=RELAXATION_CASES.keys()
)
def test_requirements_relax_and_overflow_as_the_item_waits(work, agents, expected):
    decision = best_agent_for(work, agents, RELAXING, NOW)

    if expected is None:
        assert decision is None
    else:
        assert decision is not None
        got = (
            decision.agent_id,
            decision.relaxation_level,
            decision.overflow_department_id,
            decision.reasons,
        )
        assert got == expected


def test_a_department_policy_overrides_the_organization_policy():
    policies = PolicySet(POLICY, {RECEPTION: AssignmentPolicy(min_proficiency={"topic": 1})})
    novice = agent(1, skills={"topic:etat-civil": 1}, departments=frozenset({CIVIL, RECEPTION}))

    assert best_agent_for(item(department=CIVIL), [novice], policies, NOW) is None
    decision = best_agent_for(item(department=RECEPTION), [novice], policies, NOW)
    assert decision is not None
    assert decision.reasons == (
        "topic “etat-civil”: proficiency 1, 1 required",
        "the only qualified agent with free capacity",
    )


# --- the serving order and pull mode -----------------------------------------------------------


def test_items_are_served_by_priority_then_due_date_then_wait_then_id():
    items = [
        item(1, waiting_since=ago(30)),
        item(2, priority=4, waiting_since=ago(1)),
        item(3, due_at=NOW + timedelta(hours=2), waiting_since=ago(2)),
        item(4, due_at=NOW + timedelta(hours=1), waiting_since=ago(1)),
        item(6, waiting_since=ago(40)),
        item(5, waiting_since=ago(40)),
    ]

    assert [i.id for i in order_items(items, POLICY)] == [2, 4, 3, 5, 6, 1]
    no_due_dates = AssignmentPolicy(order_by_due_date=False)
    assert [i.id for i in order_items(items, no_due_dates)] == [2, 5, 6, 1, 3, 4]
    assert sorted(items, key=lambda i: serving_key(i, POLICY)) == order_items(items, POLICY)


def test_pull_gives_the_next_item_the_agent_may_take():
    items = [
        item(1, waiting_since=ago(30)),
        item(2, priority=3, waiting_since=ago(10), due_at=NOW + timedelta(hours=1)),
        item(3, priority=4, language="en"),  # most urgent, but the agent does not speak English
    ]

    decision = next_item_for(agent(1, presence=Presence.BUSY), items, POLICY, NOW)

    assert decision == Decision(
        2,
        1,
        "pull",
        (
            "next in line: priority 3, due in 1 h 00 min, waiting for 10 min",
            *SKILLS_OK,
        ),
    )


@pytest.mark.parametrize(
    ("puller", "items", "expected_item"),
    [
        (agent(1, presence=Presence.ON_BREAK), [item(1)], None),
        (agent(1, presence=Presence.OFFLINE), [item(1)], None),
        (agent(1, load={"phone": 1}), [item(1), item(2, channel="chat")], 2),
        (agent(1), [item(1, declined_by=frozenset({1})), item(2)], 2),
        (agent(1, departments=frozenset({RECEPTION})), [item(1)], None),
        (agent(1), [], None),
    ],
    ids=["on break", "offline", "full on phone", "declined", "other department", "empty queue"],
)
def test_pull_skips_what_the_agent_may_not_take(puller, items, expected_item):
    decision = next_item_for(puller, items, POLICY, NOW)

    assert (decision.item_id if decision else None) == expected_item


def test_pull_says_when_an_item_is_overdue():
    overdue = item(1, due_at=NOW - timedelta(days=3, hours=4), waiting_since=ago(5000))

    decision = next_item_for(agent(1), [overdue], POLICY, NOW)

    assert decision is not None
    assert decision.reasons[0] == (
        "next in line: priority 2, overdue by 3 d 4 h, waiting for 3 d 11 h"
    )


# --- capacity frees up: the waiting items flow -------------------------------------------------


def test_waiting_items_flow_in_order_without_exceeding_capacity():
    items = [item(i, channel="chat", waiting_since=ago(10 - i)) for i in range(1, 6)]
    agents = [agent(1, load={"chat": 2}), agent(2, load={"chat": 1}), agent(3, capacity={})]

    decisions = assign_waiting(items, agents, POLICY, NOW)

    assert [(d.item_id, d.agent_id) for d in decisions] == [(1, 2), (2, 1), (3, 2)]


def test_an_item_nobody_can_take_does_not_hold_up_the_others():
    items = [item(1, language="en", waiting_since=ago(9)), item(2, waiting_since=ago(1))]

    decisions = assign_waiting(items, [agent(1)], POLICY, NOW)

    assert [(d.item_id, d.agent_id) for d in decisions] == [(2, 1)]


def test_only_available_agents_get_waiting_items():
    agents = [agent(1, presence=Presence.BUSY), agent(2, presence=Presence.ON_BREAK)]

    assert assign_waiting([item(1)], agents, POLICY, NOW) == []


def test_an_ordered_queue_is_read_only_until_every_agent_is_full():
    read: list[int] = []

    def queue():
        for work in [item(1), item(2), item(3)]:
            read.append(work.id)
            yield work

    one_phone = agent(1, capacity={"phone": 1})

    decisions = assign_waiting(queue(), [one_phone], POLICY, NOW, ordered=True)

    assert [(d.item_id, d.agent_id) for d in decisions] == [(1, 1)]
    assert read == [1, 2]


# --- requirements and policy checks ------------------------------------------------------------


def test_requirements_come_from_the_item_and_the_policy():
    work = item(required_skills={"language:fr": 4, "sign-language:lsf": 0})

    assert requirements_for(work, POLICY) == (
        Requirement("topic:etat-civil", 3),
        Requirement("language:fr", 4),
        Requirement("sign-language:lsf", 1),
    )
    assert requirements_for(item(topic=None, language=None), POLICY) == ()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"min_proficiency": {"topic": 6}},
            "minimum proficiency for topic must be between 1 and 5",
        ),
        (
            {"min_proficiency": {"topic": 0}},
            "minimum proficiency for topic must be between 1 and 5",
        ),
        (
            {"agent_criteria": ("longest_idle", "longest_idle")},
            "agent_criteria lists a criterion twice",
        ),
        (
            {"relaxation": (RelaxationStep(5, minimum=2), RelaxationStep(5, minimum=1))},
            "relaxation steps must have increasing delays",
        ),
        ({"relaxation": (RelaxationStep(-1, minimum=2),)}, "relaxation steps must have increasing"),
        ({"relaxation": (RelaxationStep(2),)}, "the relaxation step after 2 min relaxes nothing"),
        (
            {"relaxation": (RelaxationStep(2, drop=frozenset({"channel"})),)},
            "channel is essential: relaxation cannot drop it",
        ),
        ({"relaxation": (RelaxationStep(2, minimum=9),)}, "relaxed minimum proficiency must be"),
        (
            {"overflow": (Overflow(5, 1, "A"), Overflow(3, 2, "B"))},
            "overflow steps must have increasing delays",
        ),
    ],
)
def test_a_policy_that_makes_no_sense_is_refused(values, message):
    with pytest.raises(ValueError, match=message):
        AssignmentPolicy(**values)


@pytest.mark.parametrize(
    "module",
    [
        "guichet/routing/assignment.py",
        "guichet/routing/engine.py",
        "guichet/routing/staffing.py",
        "guichet/routing/simulation.py",
        "guichet/routing/scenarios/__init__.py",
        "guichet/insights/kpis.py",
    ],
)
def test_the_engine_and_its_tools_are_pure(module):
    """No ORM, no models: only gettext from Django."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    imported = {
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }

    assert {name for name in imported if name.startswith("django")} <= {"django.utils.translation"}
    assert not [name for name in imported if name.endswith((".models", ".queries", ".actions"))]
