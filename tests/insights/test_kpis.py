"""Each KPI on a small day of contacts whose figures are computed by hand in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from guichet.insights import kpis
from guichet.insights.kpis import Contact, KpiSummary

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# Offered at minute k, answered or abandoned some seconds later.
DAY = [
    # answered after 10 s, resolved at once; announced for tomorrow, answered on time
    Contact(1, at(0), answered_at=at(10), handle_s=300, resolved_on_first_contact=True,
            citizen_id=1, case_id=100, due_at=at(86_000)),
    # answered after 40 s, not resolved; announced for 30 s after arrival: late
    Contact(2, at(60), answered_at=at(100), handle_s=200, resolved_on_first_contact=False,
            citizen_id=2, case_id=200, due_at=at(90)),
    Contact(3, at(120), abandoned_at=at(123)),  # hung up after 3 s: a short abandon at 5 s
    Contact(4, at(180), abandoned_at=at(240)),  # hung up after 60 s
    # answered after exactly 20 s; the same citizen about the same case 4 min after contact 1
    Contact(5, at(240), answered_at=at(260), handle_s=100, citizen_id=1, case_id=100),
    # a callback: work for the agent, not a queue contact
    Contact(6, at(300), answered_at=at(900), handle_s=400, callback=True),
    # still waiting; its announced date passed before NOW: late
    Contact(7, at(400), due_at=at(3600)),
    # still waiting, due after NOW: not judged yet
    Contact(8, at(500), due_at=NOW + timedelta(hours=1)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("target_s", "short_abandon_s", "expected"),
    [
        (20, 5, 2 / 4),  # in time: 1, 5 / answered 1, 2, 5 + long abandon 4
        (20, 0, 2 / 5),  # the 3 s abandon counts too
        (10, 5, 1 / 4),  # only contact 1 within 10 s
        (40, 5, 3 / 4),  # the bounds are inclusive
        (40, 61, 3 / 3),  # both abandons short
    ],
)
def test_service_level(target_s, short_abandon_s, expected):
    assert kpis.service_level(DAY, target_s, short_abandon_s) == pytest.approx(expected)


def test_average_speed_of_answer_over_answered_queue_contacts():
    assert kpis.average_speed_of_answer(DAY) == pytest.approx((10 + 40 + 20) / 3)


@pytest.mark.parametrize(("short_abandon_s", "expected"), [(0, 2 / 5), (5, 1 / 4), (61, 0 / 3)])
def test_abandonment_rate(short_abandon_s, expected):
    assert kpis.abandonment_rate(DAY, short_abandon_s) == pytest.approx(expected)


def test_average_handle_time_includes_callbacks():
    assert kpis.average_handle_time(DAY) == pytest.approx((300 + 200 + 100 + 400) / 4)


def test_occupancy_is_handle_time_over_staffed_time():
    assert kpis.occupancy(DAY, staffed_s=2000) == pytest.approx(1000 / 2000)
    assert kpis.occupancy(DAY, staffed_s=0) is None


def test_first_contact_resolution_over_known_outcomes():
    assert kpis.first_contact_resolution(DAY) == pytest.approx(1 / 2)


def test_repeat_contact_rate_over_contacts_of_known_citizens():
    # citizen 1: contacts 1 and 5 about case 100, 4 min apart → 5 is a repeat; citizen 2: one
    assert kpis.repeat_contact_rate(DAY, window_days=7) == pytest.approx(1 / 3)


def test_on_time_rate_against_the_announced_date():
    # judged: 1 (on time), 2 (answered late), 7 (unanswered past its date); 8 not yet due
    assert kpis.on_time_rate(DAY, NOW) == pytest.approx(1 / 3)


def citizen_contact(contact_id: int, day: float, case: int | None, topic: str | None) -> Contact:
    return Contact(contact_id, T0 + timedelta(days=day), citizen_id=9, case_id=case, topic=topic)


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        (citizen_contact(2, 3, case=100, topic=None), 1 / 2),  # same case, 3 days later
        (citizen_contact(2, 7, case=100, topic=None), 1 / 2),  # the window's bound is inclusive
        (citizen_contact(2, 7.5, case=100, topic=None), 0 / 2),  # past the window
        (citizen_contact(2, 1, case=101, topic="voirie"), 0 / 2),  # another case, same topic
        (citizen_contact(2, 1, case=None, topic="voirie"), 1 / 2),  # no case: the same topic
        (citizen_contact(2, 1, case=None, topic="etat-civil"), 0 / 2),  # no case: another topic
    ],
)
def test_what_counts_as_a_repeat_contact(second, expected):
    first = citizen_contact(1, 0, case=100, topic="voirie")

    assert kpis.repeat_contact_rate([second, first], window_days=7) == pytest.approx(expected)


def test_an_answered_contact_also_marked_abandoned_counts_as_answered():
    both = Contact(1, at(0), answered_at=at(5), abandoned_at=at(30))

    assert kpis.service_level([both], 20) == 1.0
    assert kpis.abandonment_rate([both]) == 0.0


@pytest.mark.parametrize(
    "figure",
    [
        lambda c: kpis.service_level(c, 20),
        kpis.average_speed_of_answer,
        kpis.abandonment_rate,
        kpis.average_handle_time,
        kpis.first_contact_resolution,
        lambda c: kpis.repeat_contact_rate(c, 7),
        lambda c: kpis.on_time_rate(c, NOW),
    ],
)
def test_nothing_to_measure_is_none_not_zero(figure):
    assert figure([]) is None
    assert figure([Contact(1, at(0))]) is None  # one contact still waiting, nothing else known


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: kpis.service_level(DAY, -1), "target_s must be a number of seconds ≥ 0"),
        (lambda: kpis.service_level(DAY, 20, float("inf")), "short_abandon_s must be"),
        (lambda: kpis.abandonment_rate(DAY, -3), "short_abandon_s must be"),
        (lambda: kpis.occupancy(DAY, -1), "staffed_s must be"),
        (lambda: kpis.repeat_contact_rate(DAY, 0), "window_days must be a positive number"),
    ],
)
def test_meaningless_parameters_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_summary_gives_every_figure_over_the_same_contacts():
    summary = kpis.summarize(DAY, target_s=20, now=NOW, short_abandon_s=5, staffed_s=2000)

    assert summary == KpiSummary(
        offered=5,
        answered=3,
        abandoned=1,
        short_abandoned=1,
        callbacks=1,
        service_level=2 / 4,
        asa_s=pytest.approx(70 / 3),
        abandonment_rate=1 / 4,
        aht_s=250.0,
        occupancy=0.5,
        first_contact_resolution=0.5,
        repeat_contact_rate=pytest.approx(1 / 3),
        on_time_rate=pytest.approx(1 / 3),
    )
