"""Events leave on commit only, from the actions, with ids and the right audience."""

from __future__ import annotations

import pytest
from django.db import transaction

from guichet.cases.actions import (
    do_assign_case,
    do_set_priority,
    do_transfer_case,
    open_case,
)
from guichet.intake.pipeline import receive
from guichet.live import events as live
from guichet.live.publish import publish_case_event
from tests.factories import CaseFactory, CitizenFactory


@pytest.fixture
def case(town, departments):
    citizen = CitizenFactory(organization=town)
    return CaseFactory(citizen=citizen, department=departments["etat-civil"])


def test_an_action_publishes_when_its_transaction_commits(
    case, civil_agent, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        do_assign_case(case, civil_agent, actor=civil_agent)

    # Given the transaction is not committed yet, nothing has left.
    assert published() == []
    for callback in callbacks:
        callback()
    kinds = [kind for kind, _ in published()]
    assert kinds == [live.CASE_UPDATED, live.CASE_ASSIGNED, live.CASE_UPDATED]
    assert published()[1] == (
        live.CASE_ASSIGNED,
        {"case_id": case.pk, "assignee_id": civil_agent.pk},
    )


def test_a_rolled_back_action_publishes_nothing(case, civil_agent, published):
    class Abort(Exception):
        pass

    def change_then_fail():
        with transaction.atomic():
            do_set_priority(case, 4, actor=civil_agent)
            raise Abort

    with pytest.raises(Abort):
        change_then_fail()

    assert published() == []


def test_a_refused_action_publishes_nothing(
    case, roads_agent, published, django_capture_on_commit_callbacks
):
    from guichet.cases.actions import CaseAccessDenied

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CaseAccessDenied):
        do_set_priority(case, 4, actor=roads_agent)

    assert published() == []


def test_the_event_describes_the_case_as_committed(
    town, departments, memory_broker, django_capture_on_commit_callbacks
):
    citizen = CitizenFactory(organization=town)
    # The pipeline opens a case, then routes it, in one transaction.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        case = open_case(town, citizen, subject="Voirie", channel="portal")
        case.department = departments["voirie"]
        case.save()

    [envelope] = memory_broker.cursor("0").fetch()
    assert envelope.kind == live.CASE_CREATED
    assert envelope.data == {"case_id": case.pk}
    assert envelope.audience == live.Audience(town.pk, (departments["voirie"].pk,), ())


def test_a_transfer_tells_the_department_it_leaves(
    case, civil_agent, departments, memory_broker, django_capture_on_commit_callbacks
):
    do_assign_case(case, civil_agent, actor=civil_agent)
    cursor = memory_broker.cursor(None)

    with django_capture_on_commit_callbacks(execute=True):
        do_transfer_case(case, departments["voirie"], actor=civil_agent, reason="pas pour nous")

    transferred = [e for e in cursor.fetch() if e.kind == live.CASE_TRANSFERRED]
    assert [e.audience for e in transferred] == [
        live.Audience(
            case.organization_id,
            tuple(sorted((departments["etat-civil"].pk, departments["voirie"].pk))),
            (civil_agent.pk,),
        )
    ]


def test_a_message_from_the_pipeline_publishes_the_new_case_and_its_message(
    town, departments, email_inbound, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(town, email_inbound())

    events = published()
    kinds = {kind for kind, _ in events}
    assert {live.CASE_CREATED, live.MESSAGE_RECEIVED} <= kinds
    created = [data for kind, data in events if kind == live.CASE_CREATED]
    message = [data for kind, data in events if kind == live.MESSAGE_RECEIVED]
    from guichet.cases.models import Case

    case = Case.objects.get()
    assert created == [{"case_id": case.pk}]
    assert message == [
        {"case_id": case.pk, "message_id": case.messages.get(direction="inbound").pk}
    ]


def test_a_broker_failure_never_fails_the_committed_action(
    case, civil_agent, settings, caplog, django_capture_on_commit_callbacks
):
    from guichet.live import brokers

    settings.GUICHET_LIVE_BROKER = "nonsense"
    brokers._broker.cache_clear()

    with django_capture_on_commit_callbacks(execute=True):
        do_set_priority(case, 3, actor=civil_agent)

    case.refresh_from_db()
    assert case.priority == 3
    assert "live event not published" in caplog.text


def test_publish_case_event_skips_a_case_never_saved(
    town, published, django_capture_on_commit_callbacks
):
    from guichet.cases.models import Case

    with django_capture_on_commit_callbacks(execute=True):
        publish_case_event(live.CASE_UPDATED, Case(organization=town))

    assert published() == []


def test_the_events_of_one_transaction_leave_in_one_write(
    case, civil_agent, memory_broker, monkeypatch, django_capture_on_commit_callbacks
):
    writes = []
    original = memory_broker.publish
    monkeypatch.setattr(
        memory_broker, "publish", lambda events: (writes.append(len(events)), original(events))
    )

    with django_capture_on_commit_callbacks(execute=True):
        do_assign_case(case, civil_agent, actor=civil_agent)

    # updated (assignee), assigned, updated (status new -> open): one write of three events.
    assert writes == [3]
