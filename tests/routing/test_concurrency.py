"""Correct under concurrency: several workers never assign an item twice nor fill an agent past
capacity (PostgreSQL, real connections); a worker killed mid-assignment leaves the item waiting.
See docs/adr/0007-routing-concurrency.md."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from guichet.cases.models import Case
from guichet.routing import actions
from guichet.routing.models import ItemState, PresenceState, RoutingItem
from tests.factories import make_member
from tests.routing.conftest import capacity, present, reload, routing_events, skill

ON_POSTGRESQL = bool(os.environ.get("GUICHET_TEST_DATABASE_URL"))
needs_postgresql = pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL")

AGENTS = 3
CAPACITY = 2
ITEMS = 20
WORKERS = 6
ROUNDS = 4


def _staff(town, departments):
    agents = []
    for number in range(AGENTS):
        agent = make_member(
            town, departments=[departments["etat-civil"]], username=f"agent-{number}"
        )
        skill(agent, town, "topic", "acte-naissance", 3)
        capacity(agent, town, "email", CAPACITY)
        present(agent, town, PresenceState.AVAILABLE)
        agents.append(agent)
    return agents


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_assign_twice_nor_exceed_capacity(
    town, departments, assign_mode, make_routed_case
):
    """Given 3 agents with room for 2 written requests each and 20 waiting requests, when six
    workers (own connections) push and pull at the same moment for several rounds, then exactly
    six items are assigned, each once, and nobody holds more than two."""
    for _ in range(ITEMS):
        make_routed_case()  # nobody present yet: they wait (enqueueing dispatches on commit)
    agents = _staff(town, departments)
    assert RoutingItem.objects.filter(state=ItemState.WAITING).count() == ITEMS
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            barrier.wait()
            for _round in range(ROUNDS):
                if number % 2:
                    actions.dispatch(town.pk)
                else:
                    actions.do_pull_next_item(agents[number % AGENTS], town.pk)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assigned = list(RoutingItem.objects.filter(state=ItemState.ASSIGNED))
    assert len(assigned) == AGENTS * CAPACITY
    assert Counter(item.agent_id for item in assigned) == {a.pk: CAPACITY for a in agents}
    assert RoutingItem.objects.filter(state=ItemState.WAITING).count() == ITEMS - len(assigned)
    for item in assigned:
        case = Case.objects.get(pk=item.case_id)
        assert case.assignee_id == item.agent_id
        # One assignment decision per item on its timeline: never assigned twice.
        assert [e["action"] for e in routing_events(case)] == ["assigned"]
    assert Case.objects.filter(assignee__isnull=False).count() == len(assigned)


@pytest.mark.postgres
@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_assignment_leaves_the_item_waiting(
    town, claire, assign_mode, make_routed_case, tmp_path
):
    """Given a worker that has claimed an item and dies (SIGKILL) before committing, then the
    item was never visible as assigned, other workers skip it while it is locked, and once the
    database rolls the dead transaction back the item waits and is assigned normally."""
    present(claire, town, PresenceState.OFFLINE)
    case, item = make_routed_case()  # waits: enqueueing dispatches on commit
    present(claire, town)
    script = tmp_path / "worker.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import time
            import django
            django.setup()
            from guichet.routing import actions
            assign = actions._assign_case
            def assign_then_hang(*args, **kwargs):
                assign(*args, **kwargs)
                print("claimed", flush=True)
                time.sleep(120)
            actions._assign_case = assign_then_hang
            from django.db import connection
            from guichet.routing.models import RoutingItem
            actions.dispatch({town.pk})
            """
        )
    )
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    environment = {**os.environ, "GUICHET_TEST_DATABASE_URL": url}
    worker = subprocess.Popen(  # noqa: S603 — our own script
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline().strip()
        assert line == "claimed", worker.communicate(timeout=30)
        # Mid-assignment: nothing committed, and another worker skips the locked item.
        assert (reload(item).state, reload(case).assignee) == (ItemState.WAITING, None)
        assert actions.dispatch(town.pk) == []
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    # PostgreSQL rolls the dead connection's transaction back and releases its locks.
    claimed = _dispatch_until_claimed(town.pk)
    assert [i.pk for i in claimed] == [item.pk]
    assert (reload(item).state, reload(item).agent) == (ItemState.ASSIGNED, claire)
    assert [e["action"] for e in routing_events(case)] == ["assigned"]


def _dispatch_until_claimed(organization_id: int) -> list[RoutingItem]:
    """The server notices the dead client within moments; retry without a timed assertion."""
    for _attempt in range(200):
        claimed = actions.dispatch(organization_id)
        if claimed:
            return claimed
        threading.Event().wait(0.05)
    return []


def test_a_failure_mid_assignment_rolls_everything_back(
    town, claire, assign_mode, make_routed_case, monkeypatch
):
    """Any database: an error after the item was claimed (a crash in the case assignment)
    rolls the claim back: the item waits, the request is unassigned, the timeline is clean."""
    case, item = make_routed_case()

    def crash(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(actions, "_assign_case", crash)
    with pytest.raises(RuntimeError):
        actions.dispatch(town.pk)
    item = reload(item)
    assert (item.state, item.agent, item.version) == (ItemState.WAITING, None, 1)
    assert reload(case).assignee is None
    assert routing_events(case) == []
    monkeypatch.undo()
    assert [i.pk for i in actions.dispatch(town.pk)] == [item.pk]


def test_a_claim_rechecks_capacity_under_the_lock(town, claire, assign_mode, make_routed_case):
    """The engine decided on a snapshot; the agent filled up before the claim: refused."""
    capacity(claire, town, "email", 1)
    _first, first = make_routed_case()
    _second, second = make_routed_case()
    from guichet.routing.context import load_context

    stale = load_context(town.pk, timezone.now())  # both items waiting, Claire empty
    assert [i.pk for i in actions.dispatch(town.pk)] == [first.pk]
    from guichet.routing.assignment import Decision

    decision = Decision(second.pk, claire.pk, "by_id", ("stale snapshot",))
    assert (
        actions._claim(
            decision, stale, state=ItemState.ASSIGNED, mode="push", states=("available",)
        )
        is None
    )
    assert reload(second).state == ItemState.WAITING
