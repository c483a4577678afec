"""Every text of the demo can be written: all placeholders exist, for every template."""

import random
from datetime import UTC, datetime

import pytest

from guichet.conversations.models import Channel
from guichet.demo import content
from guichet.demo.planning import Planner
from guichet.demo.requests import VAL_OMBRE_REQUESTS
from guichet.demo.town import VILLEBOIS_REQUESTS

TEMPLATES = [*VILLEBOIS_REQUESTS, *VAL_OMBRE_REQUESTS]
FIELDS = ("subjects", "bodies", "informal", "sms", "calls", "asks", "answers", "updates", "notes")
SHARED = (
    content.CLOSINGS,
    content.CITIZEN_CHASERS,
    content.CITIZEN_THANKS,
    content.CITIZEN_RECURRENCES,
    content.SMS_REPLIES,
    content.GENERIC_ASKS,
    content.GENERIC_CITIZEN_ANSWERS,
    content.GENERIC_UPDATES,
    content.GENERIC_NOTES,
    content.CALLBACK_SUMMARIES,
)


@pytest.fixture
def values():
    planner = Planner(random.Random(1), datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    person = planner.new_person(Channel.EMAIL)
    return {**planner.fill(person), "reference": "VIL-2026-000001", "text": "…"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_every_text_of_a_template_fills_in(template, values):
    assert template.subjects
    assert template.bodies
    assert template.answers
    for field in (*FIELDS, "citizen_answers"):
        for text in getattr(template, field):
            written = text.format_map(values)
            assert "{" not in written
            assert "}" not in written


def test_shared_phrases_fill_in(values):
    for pool in SHARED:
        for text in pool:
            assert "{" not in text.format_map(values)
    for text in (*content.CALLBACK_NOTES, *content.CALLED_BACK):
        assert "{" not in text.format(**values)


def test_template_keys_are_unique_and_topics_exist():
    keys = [t.key for t in TEMPLATES]
    assert len(keys) == len(set(keys))
    town_topics = {t.slug for t in content.VILLEBOIS_TOPICS}
    town_departments = {d.slug for d in content.VILLEBOIS_DEPARTMENTS}
    for template in VILLEBOIS_REQUESTS:
        assert template.topic in town_topics | {""}
        assert template.department in town_departments
    other_topics = {t.slug for t in content.VAL_OMBRE_TOPICS}
    for template in VAL_OMBRE_REQUESTS:
        assert template.topic in other_topics | {""}


def test_topic_keywords_have_no_commas():
    # Topic.keyword_list() also splits on commas: a keyword with a comma would become two.
    for topic in (*content.VILLEBOIS_TOPICS, *content.VAL_OMBRE_TOPICS):
        assert all("," not in keyword for keyword in topic.keywords)
