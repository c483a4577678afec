"""Migration 0002: a threshold saved at the former default (0.5) becomes unset, so the training's
recommendation applies; a threshold an administrator chose stays."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("assist", "0001_initial")]
AFTER = [("assist", "0002_threshold_recommended")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_former_default_becomes_unset_and_a_chosen_value_stays(town, other_town):
    old_apps = _migrate(BEFORE)
    settings = old_apps.get_model("assist", "AssistSettings")
    settings.objects.create(organization_id=town.pk, confidence_threshold=0.5)
    settings.objects.create(organization_id=other_town.pk, confidence_threshold=0.7)
    try:
        new_apps = _migrate(AFTER)

        migrated = new_apps.get_model("assist", "AssistSettings").objects
        assert migrated.get(organization_id=town.pk).confidence_threshold is None
        assert migrated.get(organization_id=other_town.pk).confidence_threshold == 0.7
        assert migrated.get(organization_id=town.pk).target_accuracy == 0.8
    finally:
        _migrate(AFTER)  # whatever happened, the schema the other tests expect
