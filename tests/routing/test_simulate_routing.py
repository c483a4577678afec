"""`guichet simulate-routing`: JSON on stdout, progress on stderr, clear errors for bad input."""

from __future__ import annotations

import importlib
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from guichet.routing import staffing

command_module = importlib.import_module("guichet.routing.management.commands.simulate-routing")

TOWN_HALL = Path(__file__).parents[2] / "guichet" / "routing" / "scenarios" / "town-hall.json"


def run(*args: str) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("simulate-routing", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def test_the_single_skill_case_prints_the_figures_next_to_erlang_c():
    report, err = run("--agents", "4", "--arrivals-per-hour", "50", "--handle-s", "200",
                      "--target-s", "30", "--hours", "3", "--seed", "5")  # fmt: skip

    assert (report["agents"], report["arrivals_per_hour"], report["handle_s"]) == (4, 50.0, 200.0)
    assert (report["target_s"], report["hours"], report["seed"]) == (30.0, 3.0, 5)
    plan = staffing.evaluate(50, 3600, 200, 30, 4)
    assert report["erlang_c_service_level"] == round(plan.service_level, 4)
    assert report["erlang_c_asa_s"] == round(plan.asa_s, 4)
    assert 0 <= report["service_level"] <= 1
    assert report["decision_p50_us"] <= report["decision_p99_us"]
    assert err == ""


def test_the_defaults_are_the_published_erlang_c_example():
    report, _err = run("--hours", "0.5")

    assert (report["agents"], report["arrivals_per_hour"]) == (55, 720.0)
    assert (report["handle_s"], report["target_s"], report["seed"]) == (240.0, 15.0, 1)
    assert (report["erlang_c_service_level"], report["erlang_c_asa_s"]) == (0.8459, 8.184)


def test_a_scenario_file_brings_its_own_hours_and_seed():
    report, _err = run("--scenario", str(TOWN_HALL), "--hours", "3")

    assert report["scenario"] == "Villebois town hall, a weekday"
    assert (report["hours"], report["warmup_hours"], report["seed"]) == (3.0, 2.0, 7)
    assert len(report["streams"]) == 5
    assert "erlang_c_service_level" not in report


def test_long_runs_draw_a_progress_bar_on_stderr_only(monkeypatch):
    monkeypatch.setattr(command_module, "PROGRESS_DELAY_S", 0)

    report, err = run("--agents", "3", "--arrivals-per-hour", "40", "--hours", "20")

    assert report["hours"] == 20.0
    assert "simulated hours: 100%" in err
    assert "20.0/20 h" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agents", "0"], "--agents: must be a whole number ≥ 1"),
        (["--arrivals-per-hour", "-3"], "--arrivals-per-hour: must be a positive number"),
        (["--handle-s", "0"], "--handle-s: must be a positive number of seconds"),
        (["--target-s", "-1"], "--target-s: must be a number of seconds ≥ 0"),
        (["--hours", "0"], "--hours must be a positive number of simulated hours"),
        (["--hours", "nan"], "--hours must be a positive number of simulated hours"),
        (["--hours", "2", "--warmup-hours", "3"], "--warmup-hours must be ≥ 0 and shorter"),
        (["--hours", "1e9"], "this run would simulate about 720,000,000,000 contacts"),
        (["--agents", "20000"], "20,000 agents: at most 10,000 can be simulated"),
        (["--agents", "x"], "argument --agents: invalid int value: 'x'"),
        (["--scenario", "/nonexistent/town.json"], "cannot read the scenario file"),
        (
            ["--scenario", str(TOWN_HALL), "--agents", "3", "--target-s", "5"],
            "--agents, --target-s: only for the single-skill case",
        ),
    ],
)
def test_bad_options_are_a_clear_command_error(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate-routing", *args, stdout=io.StringIO(), stderr=io.StringIO())


def test_a_bad_scenario_file_is_a_command_error(tmp_path):
    scenario = tmp_path / "bad.json"
    scenario.write_text('{"agent_groups": [], "streams": []}', encoding="utf-8")

    with pytest.raises(CommandError, match="agent_groups: must be a non-empty list"):
        call_command("simulate-routing", "--scenario", str(scenario), stdout=io.StringIO())
