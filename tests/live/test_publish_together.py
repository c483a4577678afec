"""`publishing_together`: the events committed by a unit of work made of many savepoints (a batch
of the inbound pipeline) leave in one write, and a savepoint rolled back still drops its own."""

from __future__ import annotations

import pytest
from django.db import transaction

from guichet.cases.actions import do_set_priority
from guichet.intake.pipeline import ingest_batch
from guichet.live import events as live
from guichet.live.publish import publishing_together
from tests.factories import CaseFactory, CitizenFactory


class Abort(Exception):
    pass


@pytest.fixture
def writes(memory_broker, monkeypatch):
    """The number of events of each write to the broker."""
    counted: list[int] = []
    original = memory_broker.publish
    monkeypatch.setattr(
        memory_broker, "publish", lambda events: (counted.append(len(events)), original(events))
    )
    return counted


@pytest.fixture
def cases(town, departments):
    citizen = CitizenFactory(organization=town)
    return [CaseFactory(citizen=citizen, department=departments["etat-civil"]) for _ in range(3)]


def _change_in_savepoints(cases, agent, *, failing=None):
    """Each case's priority changed in a savepoint of its own, in one transaction; the case at
    index `failing` is rolled back."""
    with transaction.atomic():
        for index, case in enumerate(cases):
            try:
                with transaction.atomic():
                    do_set_priority(case, 4, actor=agent)
                    if index == failing:
                        raise Abort
            except Abort:
                pass


@pytest.mark.django_db(transaction=True)
def test_without_it_each_savepoint_leaves_in_its_own_write(cases, civil_agent, writes):
    _change_in_savepoints(cases, civil_agent)

    assert writes == [1, 1, 1]


@pytest.mark.django_db(transaction=True)
def test_the_events_of_many_savepoints_leave_in_one_write_at_the_end(
    cases, civil_agent, writes, published
):
    with publishing_together():
        _change_in_savepoints(cases, civil_agent)
        # Committed, but held until the block ends.
        assert writes == []

    assert writes == [3]
    assert published() == [(live.CASE_UPDATED, {"case_id": case.pk}) for case in cases]


@pytest.mark.django_db(transaction=True)
def test_a_savepoint_rolled_back_still_drops_its_events(cases, civil_agent, writes, published):
    with publishing_together():
        _change_in_savepoints(cases, civil_agent, failing=1)

    assert writes == [2]
    assert published() == [
        (live.CASE_UPDATED, {"case_id": cases[0].pk}),
        (live.CASE_UPDATED, {"case_id": cases[2].pk}),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_transaction_rolled_back_publishes_nothing(cases, civil_agent, writes):
    def change_then_fail():
        with publishing_together(), transaction.atomic():
            do_set_priority(cases[0], 4, actor=civil_agent)
            raise Abort

    with pytest.raises(Abort):
        change_then_fail()

    assert writes == []


@pytest.mark.django_db(transaction=True)
def test_events_committed_before_an_error_still_leave(cases, civil_agent, writes):
    def change_then_fail():
        with publishing_together():
            do_set_priority(cases[0], 4, actor=civil_agent)
            raise Abort

    with pytest.raises(Abort):
        change_then_fail()

    assert writes == [1]


@pytest.mark.django_db(transaction=True)
def test_a_block_inside_another_joins_it(cases, civil_agent, writes):
    with publishing_together():
        with publishing_together():
            do_set_priority(cases[0], 4, actor=civil_agent)
        assert writes == []
        do_set_priority(cases[1], 4, actor=civil_agent)

    assert writes == [2]


@pytest.mark.django_db(transaction=True)
def test_a_broker_failure_at_the_end_is_logged_not_raised(cases, civil_agent, settings, caplog):
    from guichet.live import brokers

    settings.GUICHET_LIVE_BROKER = "nonsense"
    brokers._broker.cache_clear()
    try:
        with publishing_together():
            do_set_priority(cases[0], 3, actor=civil_agent)
    finally:
        brokers._broker.cache_clear()

    cases[0].refresh_from_db()
    assert cases[0].priority == 3
    assert "live event not published" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_the_pipeline_publishes_its_events_in_one_write(
    town, departments, email_inbound, writes, published
):
    inbounds = [
        email_inbound(
            external_id=f"m{n}@x",
            email_message_id=f"m{n}@x",
            sender_address=f"citizen{n}@example.org",
        )
        for n in range(4)
    ]

    ingest_batch(town, inbounds)

    # Four new requests: each "case created" and "message received", in one write.
    assert writes == [8]
    kinds = sorted(kind for kind, _data in published())
    assert kinds == sorted([live.CASE_CREATED, live.MESSAGE_RECEIVED] * 4)
