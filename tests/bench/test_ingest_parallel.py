"""The parallel mode of `bench/ingest_email.py` (--workers N): N mailboxes, N processes, N towns.
Not a timed test: the outcome of every town and the counts are checked, not the figures."""

import json
import os
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench.corpus import DEMO_TOWN, Town
from tests.bench.test_ingest_email import assert_shape, run_benchmark


def test_two_mailboxes_ingested_at_once_each_reach_their_predicted_outcome(tmp_path):
    # Given two mailboxes of 40 messages, written for two towns
    corpus = tmp_path / "corpus"

    # When two worker processes ingest them at the same time, in batches of 15
    result = run_benchmark(
        "--workers",
        "2",
        "--messages",
        "40",
        "--batch-size",
        "15",
        "--corpus",
        str(corpus),
        tmp_path=tmp_path,
    )

    # Then the aggregate has the single-process mode's shape and outcome
    assert_shape(result, messages=80, database="sqlite")
    assert result["workers"] == 2
    assert result["start_method"] == "spawn"
    # And each town reached the outcome its own corpus predicts
    workers = result["per_worker"]
    assert [w["organization"] for w in workers] == ["villebois", "villebois-2"]
    assert [w["seed"] for w in workers] == [2026, 2027]
    for worker in workers:
        assert worker["as_expected"] is True, worker
        assert worker["expected"] == {
            "cases_created": worker["cases_created"],
            "replies_threaded": worker["replies_threaded"],
        }
        # Nothing counted twice: 40 files read, 40 raw records in the town, 40 outcomes
        assert worker["messages"] == worker["records"] == 40
        assert worker["cases_created"] + worker["replies_threaded"] == 40
        assert worker["kept_aside"] == 0
        assert worker["errors"] == {}
        assert worker["acknowledgements_sent"] == worker["acknowledgements"] > 0
        assert worker["messages_per_second"] > 0
        assert worker["floor_messages_per_second"] > 0
        assert 0 < worker["p50_ms"] <= worker["p99_ms"]
    # And the totals are the sums of the towns'
    for key in ("cases_created", "replies_threaded", "acknowledgements", "acknowledgements_sent"):
        assert result[key] == sum(w[key] for w in workers), key
    assert result["expected"] == {
        "cases_created": sum(w["expected"]["cases_created"] for w in workers),
        "replies_threaded": sum(w["expected"]["replies_threaded"] for w in workers),
    }
    # And the aggregate rate is the messages over the wall time of both
    assert result["messages_per_second"] * result["seconds"] == pytest.approx(80, rel=0.02)
    assert result["seconds"] >= max(w["seconds"] for w in workers)
    # And each corpus was written in its own folder, for its own town
    for number, slug in ((1, "villebois"), (2, "villebois-2")):
        manifest = json.loads((corpus / f"mailbox-{number}" / "manifest.json").read_text())
        assert manifest["messages"] == 40
        assert manifest["town"]["slug"] == slug
        assert manifest["town"]["pk"] == number


def test_the_towns_of_the_parallel_mode_have_addresses_of_their_own():
    first, second = Town.numbered(1), Town.numbered(2, token_case_offset=10)
    assert first == DEMO_TOWN
    assert (second.pk, second.token_case_offset) == (2, 10)
    assert second.organization.slug == "villebois-2"
    assert second.organization.reference_prefix == "VILB"
    assert second.organization.email_address == "mairie@villebois-2.fr"
    ours = {first.organization.email_address} | {d.email_address for d in first.departments}
    theirs = {second.organization.email_address} | {d.email_address for d in second.departments}
    assert len(theirs) == len(first.departments) + 1
    assert not ours & theirs
    assert [d.slug for d in second.departments] == [d.slug for d in first.departments]


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("GUICHET_TEST_DATABASE_URL"), reason="needs PostgreSQL")
def test_two_mailboxes_at_once_on_postgresql(tmp_path):
    parts = urlsplit(os.environ["GUICHET_TEST_DATABASE_URL"])
    server = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    result = run_benchmark(
        "--workers",
        "2",
        "--messages",
        "20",
        "--batch-size",
        "5",
        "--database-url",
        server,
        tmp_path=tmp_path,
    )
    assert_shape(result, messages=40, database="postgresql")
    assert [w["as_expected"] for w in result["per_worker"]] == [True, True]
    assert [w["records"] for w in result["per_worker"]] == [20, 20]
