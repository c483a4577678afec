"""The routing simulator: it drives the real engine, agrees with Erlang C on Erlang C's set-up and
refuses scenario files it cannot run with the place of the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guichet.routing import simulation
from guichet.routing.assignment import PolicySet
from guichet.routing.scenarios import (
    ScenarioError,
    load_scenario,
    read_scenario,
    single_skill_scenario,
)
from guichet.routing.simulation import simulate

TOWN_HALL = Path(__file__).parents[2] / "guichet" / "routing" / "scenarios" / "town-hall.json"
TIMING_KEYS = {"wall_s", "decision_p50_us", "decision_p99_us"}


def test_single_skill_service_level_agrees_with_erlang_c():
    """5 agents, 60 calls an hour of 180 s (3 Erlangs), 20 s target: Erlang C says 0.8109."""
    scenario = single_skill_scenario(agents=5, arrivals_per_hour=60, handle_s=180, target_s=20)

    report = simulate(scenario, hours=300, seed=1)

    assert report["erlang_c_service_level"] == 0.8109
    assert report["erlang_c_asa_s"] == 21.2536
    assert abs(report["service_level"] - report["erlang_c_service_level"]) <= 0.02
    assert report["asa_s"] == pytest.approx(report["erlang_c_asa_s"], rel=0.15)
    assert report["occupancy"] == pytest.approx(0.6, abs=0.01)
    assert report["offered"] > 16_000
    assert report["answered"] == report["offered"]
    assert report["decision_p50_us"] > 0
    assert report["decision_p99_us"] >= report["decision_p50_us"]


def test_the_same_seed_gives_the_same_figures():
    scenario = single_skill_scenario(agents=3, arrivals_per_hour=40, handle_s=200, target_s=20)

    first = simulate(scenario, hours=5, seed=42)
    again = simulate(scenario, hours=5, seed=42)
    other = simulate(scenario, hours=5, seed=43)

    assert {k: v for k, v in first.items() if k not in TIMING_KEYS} == {
        k: v for k, v in again.items() if k not in TIMING_KEYS
    }
    assert first["offered"] != other["offered"]


def test_the_single_skill_report_keys():
    scenario = single_skill_scenario(agents=3, arrivals_per_hour=40, handle_s=200, target_s=20)

    report = simulate(scenario, hours=2, seed=1, warmup_hours=0.5)

    assert list(report) == [
        "scenario",
        "agents",
        "arrivals_per_hour",
        "handle_s",
        "target_s",
        "hours",
        "warmup_hours",
        "seed",
        "offered",
        "answered",
        "service_level",
        "asa_s",
        "probability_of_waiting",
        "max_wait_s",
        "occupancy",
        "traffic_erlangs",
        "erlang_c_service_level",
        "erlang_c_asa_s",
        "erlang_c_probability_of_waiting",
        "erlang_c_occupancy",
        "engine_calls",
        "decision_p50_us",
        "decision_p99_us",
        "events",
        "wall_s",
        "streams",
        "agent_groups",
    ]
    assert (report["agents"], report["hours"], report["warmup_hours"]) == (3, 2.0, 0.5)
    assert report["traffic_erlangs"] == pytest.approx(40 * 200 / 3600, abs=1e-4)
    assert list(report["streams"]) == ["calls"]
    assert report["streams"]["calls"]["handled_by"] == {"agents": report["answered"]}


def test_an_overloaded_queue_still_drains_and_erlang_c_says_why_it_has_no_answer():
    scenario = single_skill_scenario(agents=2, arrivals_per_hour=60, handle_s=180, target_s=20)

    report = simulate(scenario, hours=3, seed=1)

    assert report["answered"] == report["offered"]
    assert report["erlang_c_service_level"] is None
    assert report["erlang_c_asa_s"] is None
    assert report["erlang_c_note"] == (
        "2 agents cannot keep up with 3 Erlangs of traffic: with as many agents as Erlangs or "
        "fewer the queue grows without end and Erlang C has no answer"
    )
    assert report["service_level"] < 0.5


def test_progress_is_reported_in_simulated_hours(monkeypatch):
    monkeypatch.setattr(simulation, "_PROGRESS_EVERY", 100)
    done: list[float] = []
    scenario = single_skill_scenario(agents=3, arrivals_per_hour=40, handle_s=200, target_s=20)

    simulate(scenario, hours=10, seed=1, progress=done.append)

    assert len(done) > 2
    assert sum(done) == pytest.approx(10)
    assert all(step >= 0 for step in done)


def test_the_town_hall_scenario_routes_by_skills_with_relaxation_and_overflow():
    scenario = read_scenario(TOWN_HALL)

    report = simulate(scenario, hours=12, seed=scenario.seed or 1, warmup_hours=1)

    assert isinstance(scenario.policy, PolicySet)
    streams = report["streams"]
    assert report["offered"] == report["answered"] == sum(s["offered"] for s in streams.values())
    for stream in streams.values():
        assert sum(stream["handled_by"].values()) == stream["answered"]
    # each channel only to the groups taking it; road reports only to the roads department
    assert set(streams["civil status emails"]["handled_by"]) == {"etat-civil back office"}
    assert set(streams["road reports by chat"]["handled_by"]) == {"voirie"}
    assert set(streams["general questions by phone"]["handled_by"]) == {"accueil"}
    # civil-status calls overflow to the reception after 4 min, only after relaxation (the
    # reception's proficiency 2 < 3)
    civil = streams["civil status by phone"]
    assert civil["handled_by"].get("accueil", 0) == civil["overflowed"] > 0
    assert civil["relaxed"] >= civil["overflowed"]
    groups = report["agent_groups"]
    assert sum(g["handled"] for g in groups.values()) == report["answered"]
    assert "erlang_c_service_level" not in report


# --- scenario files ----------------------------------------------------------------------------


def minimal(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "agent_groups": [{"name": "a", "count": 2, "departments": ["d"], "capacity": {"phone": 1}}],
        "streams": [
            {
                "name": "s",
                "arrivals_per_hour": 10,
                "handle_s": 60,
                "channel": "phone",
                "department": "d",
            }
        ],
    }
    data.update(changes)
    return data


def test_a_minimal_scenario_loads_with_defaults():
    scenario = load_scenario(minimal())

    assert (scenario.name, scenario.hours, scenario.seed) == ("scenario", None, None)
    assert scenario.streams[0].target_s == 20
    assert scenario.department_ids == {"d": 1}


BAD_SCENARIOS = {
    "not an object": ([], "scenario: must be a JSON object"),
    "unknown key": (minimal(agents=3), r"scenario: unknown keys \['agents'\]"),
    "no groups": (minimal(agent_groups=[]), "agent_groups: must be a non-empty list"),
    "no streams": (minimal(streams=None), "streams: must be a non-empty list"),
    "zero agents": (
        minimal(agent_groups=[{"name": "a", "count": 0, "capacity": {"phone": 1}}]),
        r"agent_groups\[0\].count: must be a whole number ≥ 1",
    ),
    "a proficiency of 7": (
        minimal(
            agent_groups=[
                {"name": "a", "count": 1, "skills": {"topic:x": 7}, "capacity": {"phone": 1}}
            ]
        ),
        r"agent_groups\[0\].skills.topic:x: must be a proficiency from 1 to 5",
    ),
    "a negative rate": (
        minimal(
            streams=[{"name": "s", "arrivals_per_hour": -1, "handle_s": 60, "channel": "phone"}]
        ),
        r"streams\[0\].arrivals_per_hour: must be a positive number",
    ),
    "a rate as text": (
        minimal(
            streams=[{"name": "s", "arrivals_per_hour": "10", "handle_s": 60, "channel": "phone"}]
        ),
        r"streams\[0\].arrivals_per_hour: must be a positive number",
    ),
    "nobody takes the channel": (
        minimal(streams=[{"name": "s", "arrivals_per_hour": 1, "handle_s": 60, "channel": "chat"}]),
        r"streams\[0\]: no agent group of department None takes the 'chat' channel",
    ),
    "two streams with one name": (
        minimal(
            streams=[
                {"name": "s", "arrivals_per_hour": 1, "handle_s": 60, "channel": "phone"},
                {"name": "s", "arrivals_per_hour": 2, "handle_s": 60, "channel": "phone"},
            ]
        ),
        "streams: two streams are named 's'",
    ),
    "an unknown criterion": (
        minimal(policy={"agent_criteria": ["random"]}),
        "policy.agent_criteria: 'random' is not one of",
    ),
    "overflow to an unknown department": (
        minimal(policy={"overflow": [{"after_minutes": 3, "department": "x"}]}),
        r"policy.overflow\[0\].department: must name a department of an agent group",
    ),
    "a relaxation that relaxes nothing": (
        minimal(policy={"relaxation": [{"after_minutes": 3}]}),
        "policy: the relaxation step after 3 min relaxes nothing",
    ),
    "a policy for an unknown department": (
        minimal(department_policies={"x": {}}),
        "department_policies.x: is not a department of the scenario",
    ),
    "hours of zero": (minimal(hours=0), "hours: must be a positive number"),
    "a seed as text": (minimal(seed="7"), "seed: must be a whole number"),
}


@pytest.mark.parametrize(("data", "message"), BAD_SCENARIOS.values(), ids=BAD_SCENARIOS.keys())
def test_a_bad_scenario_names_the_place_of_the_problem(data, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario(data)


def test_scenario_files_that_cannot_be_read(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"streams": [', encoding="utf-8")
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"name": "Mairie d\'Évry"}'.encode("latin-1"))

    with pytest.raises(ScenarioError, match=r"cannot read the scenario file .*missing\.json"):
        read_scenario(tmp_path / "missing.json")
    with pytest.raises(ScenarioError, match=r"is not valid JSON: Expecting value \(line 1, column"):
        read_scenario(broken)
    with pytest.raises(ScenarioError, match="is not UTF-8 text"):
        read_scenario(latin)


def test_the_shipped_scenario_is_valid_json_with_its_run_settings():
    data = json.loads(TOWN_HALL.read_text(encoding="utf-8"))
    scenario = load_scenario(data)

    assert (scenario.hours, scenario.warmup_hours, scenario.seed) == (40.0, 2.0, 7)
    assert len(scenario.streams) == 5


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ((0, 60, 180, 20), "--agents: must be a whole number ≥ 1"),
        ((3, 0, 180, 20), "--arrivals-per-hour: must be a positive number"),
        ((3, 60, float("nan"), 20), "--handle-s: must be a positive number"),
        ((3, 60, 180, -5), "--target-s: must be a number of seconds ≥ 0"),
    ],
)
def test_single_skill_options_are_checked(values, message):
    with pytest.raises(ScenarioError, match=message):
        single_skill_scenario(*values)


@pytest.mark.parametrize(
    ("hours", "warmup", "message"),
    [(0, None, "hours: must be a positive number"), (2, 2, "warmup_hours: must be a number ≥ 0")],
)
def test_simulated_hours_are_checked(hours, warmup, message):
    scenario = single_skill_scenario(agents=3, arrivals_per_hour=40, handle_s=200, target_s=20)

    with pytest.raises(ScenarioError, match=message):
        simulate(scenario, hours=hours, seed=1, warmup_hours=warmup)
