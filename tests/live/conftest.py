"""Fixtures for live events: a fresh in-memory broker, and a helper reading what it holds."""

from __future__ import annotations

import pytest

from guichet.live import brokers


@pytest.fixture
def memory_broker(settings):
    """The in-memory broker, empty, chosen by the settings for this test."""
    settings.GUICHET_LIVE_BROKER = "memory"
    brokers._broker.cache_clear()
    yield brokers.get_broker()
    brokers._broker.cache_clear()


@pytest.fixture
def published(memory_broker):
    """(kind, data) of every event the broker received since the test began."""

    def read():
        return [(e.kind, e.data) for e in memory_broker.cursor("0").fetch()]

    return read
