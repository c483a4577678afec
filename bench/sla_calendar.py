"""Cost of the pure SLA calendar: `add_working_time` and `working_time_between` on a town-hall
calendar (two ranges a day, holidays, a summer closure). Prints one JSON document.

    .venv/bin/python bench/sla_calendar.py [--calls 20000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from guichet.sla.calendar import Calendar, Delay, DelayUnit, add_working_time, working_time_between

PARIS = ZoneInfo("Europe/Paris")
TOWN_HALL = Calendar(
    opening=dict.fromkeys(range(5), ((clock(8, 30), clock(12)), (clock(13, 30), clock(17, 30)))),
    closures=((date(2026, 8, 10), date(2026, 8, 21)),),
)
DELAYS = (
    Delay(5, DelayUnit.WORKING_DAYS),
    Delay(15, DelayUnit.WORKING_DAYS),
    Delay(8, DelayUnit.WORKING_HOURS),
    Delay(90, DelayUnit.WORKING_MINUTES),
)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    base = datetime(2026, 1, 1, tzinfo=PARIS)
    starts = [base + timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(args.calls)]
    add_us: list[float] = []
    between_us: list[float] = []
    for index, start in enumerate(starts):
        delay = DELAYS[index % len(DELAYS)]
        began = time.perf_counter()
        due = add_working_time(start, delay, TOWN_HALL)
        add_us.append((time.perf_counter() - began) * 1e6)
        began = time.perf_counter()
        working_time_between(start, due, TOWN_HALL)
        between_us.append((time.perf_counter() - began) * 1e6)
    print(
        json.dumps(
            {
                "calls": args.calls,
                "add_working_time_p50_us": round(statistics.median(add_us), 1),
                "add_working_time_p99_us": round(_percentile(add_us, 0.99), 1),
                "working_time_between_p50_us": round(statistics.median(between_us), 1),
                "working_time_between_p99_us": round(_percentile(between_us, 0.99), 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
