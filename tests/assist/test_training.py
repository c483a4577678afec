"""`guichet assist-train`: an organization's model trained on its own history, measured, saved
with a version; too little history keeps the keyword rules; a broken model never loses a message."""

import json
import logging
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from guichet.assist.classifiers import KeywordClassifier
from guichet.assist.training import (
    META_FILE,
    MODEL_FILE,
    model_status,
    organization_classifier,
    training_rows,
)
from guichet.cases.actions import do_set_topic
from guichet.cases.models import Case
from tests.assist import triage_helpers
from tests.assist.triage_helpers import resolved_history

pytestmark = pytest.mark.django_db

data_dir = triage_helpers.data_dir  # a temporary GUICHET_DATA_DIR (fixture)


def train(slug, *extra):
    out = []

    class Sink:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("assist-train", "--organization", slug, "--quiet", *extra, stdout=Sink())
    return json.loads("".join(out))


def test_training_reads_the_first_citizen_message_and_the_final_topic(
    town, other_town, departments, email_inbound, civil_agent, data_dir
):
    # Given resolved requests, an open one an agent corrected and an open one nobody checked
    history = resolved_history(town, email_inbound, departments)
    corrected, unchecked = history[0], history[1]
    Case.objects.filter(pk__in=[corrected.pk, unchecked.pk]).update(status="open", resolved_at=None)
    roads = town.topics.get(slug="nid-de-poule")
    do_set_topic(Case.objects.get(pk=corrected.pk), roads, actor=civil_agent)
    # When the training rows are read
    rows = training_rows(town)
    # Then the corrected request counts with its new topic, the unchecked one does not,
    # and the other town's requests are not read
    assert len(rows) == 11
    assert rows[0] == {
        "text": "Demande\nJe souhaite une copie intégrale pour mon fils né le 3 mars 2010 à "
        "Villebois.",
        "label": "nid-de-poule",
    }
    assert sum(r["label"] == "acte-naissance" for r in rows) == 4
    assert training_rows(other_town) == []


def test_a_new_organization_keeps_the_keyword_rules(town, data_dir):
    result = train("villebois")
    assert result["trained"] is False
    assert "keyword rules stay" in result["reason"]
    assert not (data_dir / "assist" / "villebois").exists()
    classifier, status = organization_classifier(town)
    assert isinstance(classifier, KeywordClassifier)
    assert status.trained is False


def test_the_command_trains_measures_and_saves_a_versioned_model(
    town, departments, email_inbound, data_dir
):
    resolved_history(town, email_inbound, departments)
    result = train("villebois", "--model", "fr-tfidf")
    folder = data_dir / "assist" / "villebois"
    assert result["trained"] is True
    assert result["model"] == "fr-tfidf"
    assert result["examples"] == 12
    assert result["topics"] == 2
    assert re.fullmatch(r"\d{8}-\d{6}", result["version"])
    assert result["version"][:8] == timezone.now().strftime("%Y%m%d")
    assert set(result["quality"]["per_class_f1"]) == {"acte-naissance", "nid-de-poule"}
    assert result["quality"]["protocol"] == "stratified 5-fold cross-validation, seed 42"
    assert result["quality"]["accuracy"] >= 0.75
    assert (folder / MODEL_FILE).is_file()
    assert json.loads((folder / META_FILE).read_text())["version"] == result["version"]
    status = model_status(town)
    assert (status.name, status.version, status.trained, status.error) == (
        "fr-tfidf",
        result["version"],
        True,
        "",
    )


def test_bad_arguments_are_clear_errors(town, data_dir):
    with pytest.raises(CommandError, match="no organization with the slug 'nowhere'"):
        train("nowhere")
    with pytest.raises(CommandError, match="invalid choice"):
        train("villebois", "--model", "gpt")


def test_a_damaged_model_falls_back_to_the_rules_with_an_error(
    town, departments, email_inbound, data_dir, caplog
):
    resolved_history(town, email_inbound, departments)
    train("villebois")
    (data_dir / "assist" / "villebois" / MODEL_FILE).write_bytes(b"not a model")
    with caplog.at_level(logging.ERROR, logger="guichet.assist.training"):
        classifier, status = organization_classifier(town)
    assert isinstance(classifier, KeywordClassifier)
    assert status.trained is True
    assert "cannot be read" in status.error
    assert "falls back to keyword rules" in caplog.text
