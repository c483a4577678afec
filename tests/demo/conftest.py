"""One demo database for the whole module: `guichet demo --cases 40 --seed 1`, built once inside a
transaction that is rolled back afterwards (as Django's TestCase.setUpTestData does), so each test
reads the same data and the other test modules still start from an empty database."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            stdout = StringIO()
            call_command("demo", "--cases", "40", "--seed", "1", stdout=stdout, stderr=StringIO())
            yield stdout.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
