"""Ids held during a block and queued as one task; a task's work done for every id even when
one fails."""

from __future__ import annotations

import logging

import pytest

from guichet.core.batching import HeldIds, each_id


def test_ids_held_in_a_block_are_queued_once_each_in_order():
    queued: list[list[int]] = []
    held = HeldIds("test_held", queued.append)

    assert held.hold(1) is False  # outside a block: the caller queues it itself
    with held.together():
        assert held.hold(3) is True
        with held.together():  # a block inside another joins it
            held.hold(1)
        held.hold(3)
    assert queued == [[3, 1]]


def test_held_ids_are_queued_even_when_the_block_fails():
    queued: list[list[int]] = []
    held = HeldIds("test_held_error", queued.append)

    def fail_after_holding() -> None:
        with held.together():
            held.hold(7)
            raise RuntimeError("after the commit")

    with pytest.raises(RuntimeError):
        fail_after_holding()

    assert queued == [[7]]
    assert held.hold(8) is False


def test_an_empty_block_queues_nothing():
    queued: list[list[int]] = []
    with HeldIds("test_held_empty", queued.append).together():
        pass
    assert queued == []


def test_each_id_tries_every_id_then_raises_the_first_error(caplog):
    done: list[int] = []

    def work(pk: int) -> str:
        if pk in (2, 4):
            raise ValueError(f"bad {pk}")
        done.append(pk)
        return f"ok {pk}"

    logger = logging.getLogger("tests.batching")
    with caplog.at_level(logging.ERROR), pytest.raises(ValueError, match="bad 2"):
        each_id([1, 2, 3, 4, 5], work, "failed", logger=logger, what="the work")

    assert done == [1, 3, 5]
    assert [r.getMessage() for r in caplog.records] == [
        "the work of 2 failed",
        "the work of 4 failed",
    ]
    assert each_id([1, 3], work, "failed", logger=logger, what="the work") == ["ok 1", "ok 3"]


def test_a_queue_that_fails_after_the_commit_is_logged_not_raised(caplog):
    def broken(ids):
        raise ConnectionError("task table unreachable")

    held = HeldIds("test_held_broken", broken)
    with caplog.at_level(logging.ERROR), held.together():
        held.hold(1)
        held.hold(2)

    assert "2 ids of test_held_broken not queued" in caplog.text
