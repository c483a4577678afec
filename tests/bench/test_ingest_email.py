"""Smoke test of `bench/ingest_email.py`: it runs on a small corpus and prints the JSON document
the docs describe. Not a timed test: only the shape and the counts are checked."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "ingest_email.py"

FIGURES = {
    "messages": int,
    "seconds": float,
    "messages_per_second": float,
    "cases_created": int,
    "replies_threaded": int,
    "p50_ms": float,
    "p99_ms": float,
    "ms_per_message": float,
    "peak_memory_mb": float,
    "queries_per_message": float,
    "floor_seconds": float,
    "floor_messages_per_second": float,
    "ratio_to_floor": float,
}


def run_benchmark(*arguments, tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        # The benchmark sets up its own Django: nothing of the test run's may leak into it.
        if not key.startswith(("DJANGO_", "GUICHET_", "DATABASE_URL", "PYTEST"))
    }
    environment["TMPDIR"] = str(tmp_path)
    completed = subprocess.run(  # noqa: S603 — our own script, fixed arguments
        [sys.executable, str(SCRIPT), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def assert_shape(result, *, messages, database):
    for key, kind in FIGURES.items():
        assert isinstance(result[key], int | float), key
        assert kind is float or isinstance(result[key], kind), key
    assert result["messages"] == messages
    assert result["database"] == database
    assert result["messages_per_second"] > 0
    assert result["floor_messages_per_second"] > 0
    assert result["ratio_to_floor"] == pytest.approx(
        result["floor_messages_per_second"] / result["messages_per_second"], rel=0.02
    )
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert result["peak_memory_mb"] > 10
    assert result["peak_memory_method"]
    # The pipeline did what the corpus was written to make it do.
    assert result["as_expected"] is True
    assert result["cases_created"] + result["replies_threaded"] == messages
    assert result["expected"] == {
        "cases_created": result["cases_created"],
        "replies_threaded": result["replies_threaded"],
    }
    assert result["kept_aside"] == 0
    assert result["errors"] == {}
    assert sum(result["threaded_by"].values()) == result["replies_threaded"]


def test_the_benchmark_prints_its_figures_as_json(tmp_path):
    corpus = tmp_path / "corpus"
    result = run_benchmark(
        "--messages", "30", "--batch-size", "7", "--corpus", str(corpus), tmp_path=tmp_path
    )
    assert_shape(result, messages=30, database="sqlite")
    assert result["entry_point"] == "ingest_batch"
    assert result["batch_size"] == 7
    # Deferred sending: every acknowledgement was queued, then delivered after the measure.
    assert result["acknowledgements"] > 0
    assert result["acknowledgements_sent"] == result["acknowledgements"]
    assert result["delivery_messages_per_second"] > 0
    # The corpus was written where asked, with its manifest; the temporary folder is gone.
    assert len(list(corpus.glob("*.eml"))) == 30
    assert json.loads((corpus / "manifest.json").read_text())["messages"] == 30
    assert not list(tmp_path.glob("guichet-bench-*"))

    # Given the same corpus again, one message at a time through receive() with sending inside
    again = run_benchmark(
        "--corpus",
        str(corpus),
        "--batch-size",
        "0",
        "--sending",
        "immediate",
        tmp_path=tmp_path,
    )
    # Then the outcome is the same
    assert_shape(again, messages=30, database="sqlite")
    assert again["entry_point"] == "receive"
    assert (again["cases_created"], again["replies_threaded"]) == (
        result["cases_created"],
        result["replies_threaded"],
    )
    assert again["acknowledgements_sent"] == again["acknowledgements"]
    assert again["delivery_messages_per_second"] is None


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("GUICHET_TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_the_benchmark_runs_on_postgresql(tmp_path):
    parts = urlsplit(os.environ["GUICHET_TEST_DATABASE_URL"])
    server = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    result = run_benchmark(
        "--messages", "20", "--batch-size", "5", "--database-url", server, tmp_path=tmp_path
    )
    assert_shape(result, messages=20, database="postgresql")
    assert result["machine"]["database"].startswith("PostgreSQL")


def test_bad_arguments_are_refused_with_a_message(tmp_path):
    completed = subprocess.run(  # noqa: S603 — our own script, fixed arguments
        [sys.executable, str(SCRIPT), "--database-url", "mysql://x/y"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "--database-url must be a postgres:// URL" in completed.stderr
    assert completed.stdout == ""
