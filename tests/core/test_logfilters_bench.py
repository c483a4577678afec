"""bench/log_masking.py runs and prints its figures (the figures are in docs/assist.md)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_log_masking_bench_prints_its_figures():
    result = subprocess.run(
        [sys.executable, "bench/log_masking.py", "--lines", "20"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures = json.loads(result.stdout)
    assert sorted(figures) == ["digits", "personal", "plain"]
    assert all(sorted(row) == ["p50_us", "p99_us"] for row in figures.values())
