"""`guichet simulate-routing`: a discrete-event simulation driving the real assignment engine.

Without --scenario: Erlang C's single-skill set-up (one queue, identical agents), with the Erlang C
figures printed next to the simulated ones. With --scenario FILE: a multi-skill scenario (agent
groups, contact streams, policy), figures per stream and per agent group. docs/routing.md explains
the options, the scenario format and every key of the JSON printed.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from guichet.routing.scenarios import (
    Scenario,
    ScenarioError,
    read_scenario,
    single_skill_scenario,
)
from guichet.routing.simulation import simulate

# The defaults reproduce the published Erlang C example: 360 calls per half hour (720 an hour),
# 240 s handle time, 55 agents, 15 s target -> service level 0.8459, ASA 8.18 s.
DEFAULTS = {"agents": 55, "arrivals_per_hour": 720.0, "handle_s": 240.0, "target_s": 15.0}
# Long enough for the default load (87 % occupancy, the slowest to settle) to land within about
# one percentage point of Erlang C; about 150,000 contacts.
DEFAULT_HOURS = 200.0
DEFAULT_SEED = 1
# A bound on the work asked for: the expected number of contacts over the simulated hours (about
# a minute of computing per million contacts with a few dozen agents).
MAX_CONTACTS = 10_000_000
MAX_AGENTS = 10_000
# The progress bar (on stderr) appears only when a run lasts longer than this.
PROGRESS_DELAY_S = 1.0


class Command(BaseCommand):
    help = (
        "Simulate a contact centre with Poisson arrivals and exponential handle times, routed by "
        "the real assignment engine, and print the figures as JSON (with Erlang C's prediction "
        "for the single-skill case)."
    )
    # The simulation touches no database and no model: no system check to wait for.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--agents", type=int, help=f"Agents, single-skill case (default {DEFAULTS['agents']})."
        )
        parser.add_argument(
            "--arrivals-per-hour",
            type=float,
            help=f"Contacts per hour (default {DEFAULTS['arrivals_per_hour']:g}).",
        )
        parser.add_argument(
            "--handle-s",
            type=float,
            help=f"Mean handle time in seconds (default {DEFAULTS['handle_s']:g}).",
        )
        parser.add_argument(
            "--target-s",
            type=float,
            help=f"Target answer time in seconds (default {DEFAULTS['target_s']:g}).",
        )
        parser.add_argument(
            "--hours",
            type=float,
            help=f"Simulated hours of arrivals (default: the scenario's, else {DEFAULT_HOURS:g}).",
        )
        parser.add_argument(
            "--warmup-hours",
            type=float,
            help="Hours left out of the figures at the start (default: the scenario's, else a "
            "tenth of the simulated hours, at most 1).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            help=f"Random seed (default: the scenario's, else {DEFAULT_SEED}).",
        )
        parser.add_argument("--scenario", help="A JSON multi-skill scenario file.")

    def handle(self, *args: Any, **options: Any) -> None:
        single = {key: options[key] for key in DEFAULTS}
        try:
            if options["scenario"]:
                given = [f"--{k.replace('_', '-')}" for k, v in single.items() if v is not None]
                if given:
                    raise CommandError(
                        f"{', '.join(given)}: only for the single-skill case; the scenario file "
                        "describes its agents and contact streams"
                    )
                scenario = read_scenario(options["scenario"])
            else:
                values = {k: DEFAULTS[k] if v is None else v for k, v in single.items()}
                scenario = single_skill_scenario(
                    int(values["agents"]),
                    float(values["arrivals_per_hour"]),
                    float(values["handle_s"]),
                    float(values["target_s"]),
                )
            hours = float(_first(options["hours"], scenario.hours, DEFAULT_HOURS))
            seed = int(_first(options["seed"], scenario.seed, DEFAULT_SEED))
            warmup = _first(options["warmup_hours"], scenario.warmup_hours, None)
            _check_hours(scenario, hours, warmup)
            with tqdm(
                total=hours,
                unit="h",
                desc="simulated hours",
                file=self.stderr._out,
                delay=PROGRESS_DELAY_S,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:g} h [{elapsed}<{remaining}]",
                dynamic_ncols=True,
            ) as bar:
                report = simulate(
                    scenario, hours=hours, seed=seed, warmup_hours=warmup, progress=bar.update
                )
        except ScenarioError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _check_hours(scenario: Scenario, hours: float, warmup: float | None) -> None:
    if not (math.isfinite(hours) and hours > 0):
        raise CommandError(f"--hours must be a positive number of simulated hours (got {hours:g})")
    if warmup is not None and not (math.isfinite(warmup) and 0 <= warmup < hours):
        raise CommandError(
            f"--warmup-hours must be ≥ 0 and shorter than the {hours:g} simulated hours "
            f"(got {warmup:g})"
        )
    agents = sum(group.count for group in scenario.agent_groups)
    if agents > MAX_AGENTS:
        raise CommandError(f"{agents:,} agents: at most {MAX_AGENTS:,} can be simulated")
    contacts = sum(stream.arrivals_per_hour for stream in scenario.streams) * hours
    if contacts > MAX_CONTACTS:
        raise CommandError(
            f"this run would simulate about {contacts:,.0f} contacts; at most {MAX_CONTACTS:,} "
            "at once: lower --hours or the arrival rates"
        )
