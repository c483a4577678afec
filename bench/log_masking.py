"""Cost of masking personal data in log lines (`guichet.core.logfilters.MaskPersonalData`, the
pattern recognisers of `guichet.assist.masking`): per line without personal data (the common case),
with digits but nothing personal, and with identifiers. Prints one JSON document.

    .venv/bin/python bench/log_masking.py [--lines 5000]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time

from guichet.core.logfilters import MaskPersonalData

LINES = {
    "plain": "case assigned to the agent on duty after the routing decision",
    "digits": '"GET /desk/demandes/VIL-2026-000123/ HTTP/1.1" 200 51234 (took 38 ms)',
    "personal": (
        "reply to jeanne.dupont@example.org failed (06 12 34 56 78), "
        "IBAN FR76 3000 6000 0112 3456 7890 189, NIR 2 69 05 49 588 157 80"
    ),
}


def measure(message: str, lines: int) -> dict[str, float]:
    masking = MaskPersonalData()
    times = []
    for _ in range(lines):
        record = logging.LogRecord("bench", logging.INFO, __file__, 1, message, None, None)
        start = time.perf_counter()
        masking.filter(record)
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    return {
        "p50_us": round(statistics.median(times), 1),
        "p99_us": round(times[int(len(times) * 0.99) - 1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=5000)
    args = parser.parse_args()
    print(json.dumps({kind: measure(text, args.lines) for kind, text in LINES.items()}, indent=2))


if __name__ == "__main__":
    main()
