"""Repeat contacts: counted per request, flagged once at the third contact in ten days, and the
repeat-contact rate with the KPI's definition."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from guichet.cases.models import Case, CaseEvent
from guichet.cases.repeats import (
    REPEAT_CONTACT,
    check_repeat_contact,
    contact_starts,
    count_recent_contacts,
    repeat_report,
)
from guichet.conversations.models import Conversation, Direction, Message
from guichet.intake.pipeline import receive
from tests.factories import CaseFactory, CitizenFactory

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=ZoneInfo("Europe/Paris"))


def at(days: float = 0, minutes: float = 0) -> datetime:
    return NOW - timedelta(days=days, minutes=minutes)


def test_messages_less_than_an_hour_apart_are_one_contact():
    times = [at(3), at(3, minutes=-10), at(3, minutes=-50), at(1), at(0)]
    assert contact_starts(times) == [at(3), at(1), at(0)]


def test_only_contacts_within_the_window_count():
    assert count_recent_contacts([at(11), at(9), at(5), at(0)], NOW) == 3
    assert count_recent_contacts([at(11), at(10.5)], NOW) == 0


# ---------------------------------------------------------------------------------------------
# Through the inbound pipeline


def _age_messages(case: Case, days: float) -> None:
    """Move the case's inbound messages back in time (no clock to stop in these tests)."""
    for message in Message.objects.filter(case=case, direction=Direction.INBOUND):
        message.created_at -= timedelta(days=days)
        message.save(update_fields=["created_at"])


def _repeat_events(case: Case) -> list[dict]:
    return list(
        CaseEvent.objects.filter(case=case, kind=REPEAT_CONTACT).values_list("data", flat=True)
    )


@pytest.mark.django_db
def test_the_third_contact_in_ten_days_is_flagged_once(
    town, departments, email_inbound, django_capture_on_commit_callbacks
):
    def write(n: int, reference: str = "") -> Case:
        inbound = email_inbound(
            external_id=f"m{n}@x",
            email_message_id=f"m{n}@x",
            subject=f"Re: ma demande [{reference}]" if reference else "Acte de naissance",
        )
        with django_capture_on_commit_callbacks(execute=True):
            case = receive(town, inbound).case
        assert case is not None
        return case

    # Given a request opened 6 days ago and a second message 3 days ago
    case = write(1)
    _age_messages(case, 3)
    assert write(2, case.reference) == case
    _age_messages(case, 3)
    assert _repeat_events(case) == []

    # When the citizen writes a third time about it
    assert write(3, case.reference) == case

    # Then the timeline says so, once
    assert _repeat_events(case) == [{"contacts": 3, "days": 10}]
    # and a fourth contact adds no second event
    _age_messages(case, 1)
    write(4, case.reference)
    assert _repeat_events(case) == [{"contacts": 3, "days": 10}]


@pytest.mark.django_db
def test_contacts_older_than_ten_days_do_not_count(town, departments, email_inbound):
    citizen = CitizenFactory(organization=town)
    case = CaseFactory(citizen=citizen)
    for days in (15, 12, 0.1):
        _inbound(case, timezone.now() - timedelta(days=days))
    assert check_repeat_contact(case.pk) is None
    assert _repeat_events(case) == []


# ---------------------------------------------------------------------------------------------
# The rate


def _inbound(case: Case, when: datetime) -> None:
    conversation, _created = Conversation.objects.get_or_create(
        organization=case.organization, citizen=case.citizen, case=case, channel="sms"
    )
    Message.objects.create(
        organization=case.organization,
        conversation=conversation,
        case=case,
        channel="sms",
        direction=Direction.INBOUND,
        text="?",
        created_at=when,
    )


@pytest.mark.django_db
def test_repeat_contact_rate_uses_the_kpi_definition(town, departments, other_town):
    civil, roads = departments["etat-civil"], departments["voirie"]
    jeanne, paul = CitizenFactory(organization=town), CitizenFactory(organization=town)
    # Jeanne: 3 contacts on one request (2 repeats), one message 20 minutes after another
    # (the same contact); Paul: one contact on each of two requests (no repeat)
    first = CaseFactory(citizen=jeanne, department=civil)
    for when in (at(8), at(4), at(4, minutes=-20), at(1)):
        _inbound(first, when)
    _inbound(CaseFactory(citizen=paul, department=roads), at(2))
    _inbound(CaseFactory(citizen=paul, department=roads), at(1))
    # Another organization's repeats are not counted
    stranger = CaseFactory(citizen=CitizenFactory(organization=other_town))
    for when in (at(3), at(2), at(1)):
        _inbound(stranger, when)

    report = repeat_report(town, now=NOW)

    assert report.contacts == 5
    assert report.rate == pytest.approx(2 / 5)
    assert sorted(report.by_department, key=lambda row: row[0]) == sorted(
        [(civil.pk, 3, pytest.approx(2 / 3)), (roads.pk, 2, 0.0)], key=lambda row: row[0]
    )
    assert report.flagged_case_ids == [first.pk]


@pytest.mark.django_db
def test_repeat_report_without_contacts(town):
    report = repeat_report(town, now=NOW)
    assert (report.contacts, report.rate, report.by_department, report.flagged_case_ids) == (
        0,
        None,
        [],
        [],
    )
