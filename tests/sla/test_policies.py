"""SLA policies as data: the most specific wins, bad delays are refused, organizations apart."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from guichet.sla.actions import SlaPolicyError, do_apply_marianne_preset, do_create_policy
from guichet.sla.models import Closure, SlaPolicy, Target, WorkCalendar
from guichet.sla.policies import calendar_for, due_at_for, pickup_target, policy_for
from tests.factories import TopicFactory

PARIS = ZoneInfo("Europe/Paris")
MONDAY_10 = datetime(2026, 11, 23, 10, tzinfo=PARIS)


@pytest.fixture
def policies(town, departments):
    civil = departments["etat-civil"]
    birth = town.topics.get(slug="acte-naissance")
    return {
        "org": do_create_policy(town, name="org", amount=7),
        "letter": do_create_policy(town, name="letter", amount=15, channel="letter"),
        "civil": do_create_policy(town, name="civil", amount=3, department=civil),
        "civil-letter": do_create_policy(
            town, name="civil-letter", amount=10, department=civil, channel="letter"
        ),
        "birth": do_create_policy(town, name="birth", amount=2, topic=birth),
    }


@pytest.mark.parametrize(
    ("department", "channel", "topic", "expected"),
    [
        (None, "email", None, "org"),
        (None, "letter", None, "letter"),
        ("voirie", "letter", None, "letter"),
        ("etat-civil", "email", None, "civil"),
        ("etat-civil", "letter", None, "civil-letter"),
        ("etat-civil", "letter", "acte-naissance", "birth"),
        ("voirie", "email", "nid-de-poule", "org"),
    ],
)
def test_the_most_specific_policy_wins(
    town, departments, policies, department, channel, topic, expected
):
    chosen = policy_for(
        town.pk,
        department_id=departments[department].pk if department else None,
        channel=channel,
        topic_id=town.topics.get(slug=topic).pk if topic else None,
    )
    assert chosen == policies[expected]


def test_an_inactive_policy_is_ignored(town, policies):
    SlaPolicy.objects.filter(pk=policies["letter"].pk).update(is_active=False)
    assert (
        policy_for(town.pk, department_id=None, channel="letter", topic_id=None) == policies["org"]
    )


@pytest.mark.parametrize("amount", [0, -3])
def test_a_zero_or_negative_delay_is_refused_with_a_clear_message(town, amount):
    with pytest.raises(SlaPolicyError) as error:
        do_create_policy(town, name="bad", amount=amount)
    assert str(error.value) == f"The delay must be greater than zero ({amount} given)."
    assert SlaPolicy.objects.count() == 0


def test_the_admin_form_validation_says_the_same(town):
    policy = SlaPolicy(organization=town, name="bad", amount=0)
    with pytest.raises(ValidationError) as error:
        policy.full_clean()
    assert error.value.message_dict["amount"] == ["The delay must be greater than zero (0 given)."]


def test_a_policy_cannot_name_another_organizations_department(town, other_town):
    with pytest.raises(SlaPolicyError, match="Choose a department of this organization"):
        do_create_policy(town, name="x", amount=3, department=other_town.departments.first())
    assert SlaPolicy.objects.count() == 0


def test_policies_of_another_organization_never_apply(town, other_town, departments):
    do_create_policy(other_town, name="montval", amount=1)
    due = due_at_for(town, department=None, channel="email", topic=None, start=MONDAY_10)
    # Villebois has no policy: its own announced delay (5 working days) applies.
    assert town.response_days == 5
    assert due == datetime(2026, 11, 30, 10, tzinfo=PARIS)


def test_without_a_policy_the_topic_delay_then_the_organization_delay_apply(town, departments):
    pothole = TopicFactory(
        organization=town, department=departments["voirie"], slug="trou", response_days=2
    )
    by_topic = due_at_for(town, department=None, channel="email", topic=pothole, start=MONDAY_10)
    assert by_topic == datetime(2026, 11, 25, 10, tzinfo=PARIS)


def test_the_department_calendar_wins_over_the_organizations(town, departments, office_calendar):
    roads = departments["voirie"]
    summer = WorkCalendar.objects.create(organization=town, department=roads, name="Voirie")
    Closure.objects.create(
        calendar=summer, starts_on=date(2026, 11, 24), ends_on=date(2026, 11, 24)
    )
    do_create_policy(town, name="hours", amount=8, unit="working_hours")
    # Roads: weekdays all day, closed on Tuesday 24: 8 hours from Monday 10:00 end Monday 18:00.
    assert due_at_for(
        town, department=roads, channel="email", topic=None, start=MONDAY_10
    ) == datetime(2026, 11, 23, 18, tzinfo=PARIS)
    # Others: the town hall's hours (7.5 h a day): 6 h on Monday, 2 h on Tuesday.
    assert due_at_for(
        town, department=departments["accueil"], channel="email", topic=None, start=MONDAY_10
    ) == datetime(2026, 11, 24, 10, 30, tzinfo=PARIS)
    assert calendar_for(town.pk, roads.pk).closures == ((date(2026, 11, 24), date(2026, 11, 24)),)


def test_the_territory_gives_the_holidays_and_time_zone(town):
    WorkCalendar.objects.create(organization=town, name="Mairie annexe", territory="974")
    calendar = calendar_for(town.pk, None)
    assert (calendar.time_zone, calendar.subdivision) == ("Indian/Reunion", "974")
    assert calendar.is_holiday(date(2027, 12, 20)) is True


def test_the_marianne_preset_is_created_once_and_stays_editable(town):
    created = do_apply_marianne_preset(town)
    assert sorted((p.channel, p.target, p.amount, p.unit) for p in created) == [
        ("email", "answer", 5, "working_days"),
        ("letter", "answer", 15, "working_days"),
        ("phone", "pickup", 20, "seconds"),
        ("portal", "answer", 5, "working_days"),
    ]
    SlaPolicy.objects.filter(organization=town, channel="letter").update(amount=12)
    assert do_apply_marianne_preset(town) == []
    assert SlaPolicy.objects.get(organization=town, channel="letter").amount == 12
    assert pickup_target(town, department=None, channel="phone").total_seconds() == 20
    assert pickup_target(town, department=None, channel="email") is None


def test_the_preset_command(town, other_town):
    out = StringIO()
    call_command("sla-preset", "marianne", "--organization", "villebois", stdout=out)
    assert out.getvalue().splitlines()[-1] == "4 policies created for villebois"
    assert SlaPolicy.objects.filter(organization=other_town).count() == 0
    assert SlaPolicy.objects.filter(organization=town, target=Target.PICKUP).count() == 1


def test_the_preset_command_refuses_an_unknown_organization(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organization with the short name 'nowhere'"):
        call_command("sla-preset", "marianne", "--organization", "nowhere")
