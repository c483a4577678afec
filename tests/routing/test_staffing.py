"""Erlang C against published values, an exact rational computation and a log-space one."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from guichet.routing import staffing
from guichet.routing.staffing import StaffingError, StaffingPlan


def exact_erlang_c(agents: int, traffic: int) -> Fraction:
    """The textbook formula with exact rationals: A^N/N! · N/(N-A) / (Σ_{k<N} A^k/k! + that)."""
    top = Fraction(traffic**agents, math.factorial(agents)) * Fraction(agents, agents - traffic)
    bottom = sum(Fraction(traffic**k, math.factorial(k)) for k in range(agents)) + top
    return top / bottom


def log_space_erlang_c(agents: int, traffic: float) -> float:
    """The same formula in logarithms, for agent counts where A^N overflows a float."""
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents)]
    top = (
        agents * math.log(traffic) - math.lgamma(agents + 1) + math.log(agents / (agents - traffic))
    )
    peak = max(max(logs), top)
    total = sum(math.exp(v - peak) for v in logs) + math.exp(top - peak)
    return math.exp(top - peak) / total


def test_the_published_example():
    """360 calls per 30 min, 240 s each, 55 agents, answered within 15 s."""
    plan = staffing.evaluate(
        arrivals_per_interval=360, interval_s=1800, handle_s=240, target_s=15, agents=55
    )

    assert plan.traffic_erlangs == 48
    assert round(plan.service_level, 4) == 0.8459
    assert round(plan.asa_s, 2) == 8.18
    assert round(plan.probability_of_waiting, 4) == 0.2387
    assert round(plan.occupancy, 4) == 0.8727


@pytest.mark.parametrize(
    ("agents", "service_level", "asa_s"),
    [(51, 0.5263, 45.72), (53, 0.7245, 18.07), (54, 0.7929, 12.05), (56, 0.8865, 5.61)],
)
def test_the_published_table_around_the_example(agents, service_level, asa_s):
    plan = staffing.evaluate(360, 1800, 240, 15, agents)

    assert (round(plan.service_level, 4), round(plan.asa_s, 2)) == (service_level, asa_s)


@pytest.mark.parametrize(
    ("goal", "max_occupancy", "agents"),
    [(0.80, None, 55), (0.85, None, 56), (0.90, None, 57), (0.80, 0.85, 57), (0.30, None, 50)],
)
def test_agents_needed_is_the_smallest_staffing_reaching_the_goal(goal, max_occupancy, agents):
    plan = staffing.agents_needed(360, 1800, 240, 15, goal, max_occupancy=max_occupancy)

    assert plan.agents == agents
    assert plan.service_level >= goal
    fewer = staffing.evaluate(360, 1800, 240, 15, agents - 1)
    assert fewer.service_level < goal or (max_occupancy and fewer.occupancy > max_occupancy)


def test_the_docstring_example():
    plan = staffing.agents_needed(100, 1800, 180, 20, 0.8)

    assert (plan.agents, round(plan.service_level, 3)) == (14, 0.888)


@pytest.mark.parametrize(("agents", "traffic"), [(1, 0), (2, 1), (5, 3), (55, 48), (120, 110)])
def test_erlang_c_matches_the_exact_formula(agents, traffic):
    assert staffing.erlang_c(agents, traffic) == pytest.approx(
        float(exact_erlang_c(agents, traffic)), rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize(
    ("agents", "traffic"), [(400, 380.0), (5_000, 4_950.0), (20_000, 19_900.5)]
)
def test_erlang_c_stays_exact_for_thousands_of_agents(agents, traffic):
    """A^N and N! overflow a float long before 400 agents; the Erlang B recursion does not."""
    waiting = staffing.erlang_c(agents, traffic)

    assert 0 < waiting < 1
    assert waiting == pytest.approx(log_space_erlang_c(agents, traffic), rel=1e-9)
    level = staffing.service_level(agents, traffic, handle_s=300, target_s=20)
    assert math.isfinite(level)
    assert 0 < level < 1


def test_agents_needed_for_a_national_call_centre():
    plan = staffing.agents_needed(36_000, 1800, 240, 15, 0.8)

    assert plan.traffic_erlangs == 4800
    assert plan.service_level >= 0.8
    assert staffing.evaluate(36_000, 1800, 240, 15, plan.agents - 1).service_level < 0.8


def test_no_arrivals_need_no_agent():
    assert staffing.agents_needed(0, 1800, 240, 15, 0.8) == StaffingPlan(0, 0.0, 0.0, 1.0, 0.0, 0.0)
    assert staffing.evaluate(0, 1800, 240, 15, 3) == StaffingPlan(3, 0.0, 0.0, 1.0, 0.0, 0.0)


def test_a_target_of_zero_seconds_is_the_share_answered_at_once():
    plan = staffing.evaluate(360, 1800, 240, 0, 55)

    assert plan.service_level == pytest.approx(1 - plan.probability_of_waiting)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: staffing.evaluate(360, 1800, 240, 15, 48), "48 agents cannot keep up with 48"),
        (lambda: staffing.erlang_c(3, 5.0), "3 agents cannot keep up with 5 Erlangs"),
        (lambda: staffing.evaluate(360, 0, 240, 15, 55), "interval_s must be a positive number"),
        (lambda: staffing.evaluate(360, 1800, -1, 15, 55), "handle_s must be a positive number"),
        (lambda: staffing.evaluate(-5, 1800, 240, 15, 55), "arrivals_per_interval must be"),
        (lambda: staffing.evaluate(360, 1800, 240, -1, 55), "target_s must be a number ≥ 0"),
        (lambda: staffing.evaluate(360, 1800, math.nan, 15, 55), "handle_s must be a positive"),
        (lambda: staffing.evaluate(360, 1800, 240, 15, 55.5), "a whole number ≥ 0"),  # type: ignore[arg-type]
        (lambda: staffing.evaluate(360, 1800, 240, 15, True), "a whole number ≥ 0"),
        (lambda: staffing.agents_needed(360, 1800, 240, 15, 1.0), "between 0 and 1"),
        (lambda: staffing.agents_needed(360, 1800, 240, 15, 0.0), "between 0 and 1"),
        (lambda: staffing.agents_needed(360, 1800, 240, 15, 0.8, 1.5), "max_occupancy must be"),
    ],
)
def test_inputs_without_an_answer_are_refused_with_a_reason(call, message):
    with pytest.raises(StaffingError, match=message):
        call()
