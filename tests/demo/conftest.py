"""One demo database for the whole module: `guichet demo --cases 40 --seed 1`, built once inside a
transaction that is rolled back afterwards (as Django's TestCase.setUpTestData does), so each test
reads the same data and the other test modules still start from an empty database."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

from guichet.assist.training import forget_loaded_models


@pytest.fixture(autouse=True)
def own_data_dir(settings, tmp_path):
    """The demo trains the town's triage model into GUICHET_DATA_DIR: a folder of the test's own,
    so that no other test of the session finds a model for "villebois"."""
    settings.DATA_DIR = tmp_path
    yield
    forget_loaded_models()


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("demo-media")
    data = tmp_path_factory.mktemp("demo-data")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, DATA_DIR=data):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            stdout = StringIO()
            call_command("demo", "--cases", "40", "--seed", "1", stdout=stdout, stderr=StringIO())
            yield stdout.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
