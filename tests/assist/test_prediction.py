"""Stored predictions: when an agent's answer counts (reviewed, confirmed), the quality page
administrators see for their own organization, and the triage settings."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from guichet.assist.models import AssistSettings, Prediction
from guichet.assist.queries import quality
from guichet.assist.training import MODEL_FILE
from guichet.cases.models import Case
from guichet.organizations.models import Role
from tests.assist import triage_helpers
from tests.factories import CaseFactory, CitizenFactory, make_member

pytestmark = pytest.mark.django_db

data_dir = triage_helpers.data_dir  # a temporary GUICHET_DATA_DIR (fixture)


def predicted(organization, topic, *, final=..., resolved=False, auto=True, days_ago=0):
    """A request whose prediction was `topic`; its case now has `final` (default: `topic`)."""
    final_topic = topic if final is ... else final
    case = CaseFactory(
        citizen=CitizenFactory(organization=organization),
        topic=final_topic,
        department=final_topic.department if final_topic else None,
        resolved_at=timezone.now() if resolved else None,
        status="resolved" if resolved else "open",
    )
    return Prediction.objects.create(
        organization=organization,
        case=case,
        model_name="fr-tfidf-logreg",
        model_version="20261124-070000",
        topic=topic,
        department=topic.department if topic else None,
        confidence=0.8,
        auto_routed=auto,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def topics(town):
    return {t.slug: t for t in town.topics.all()}


def test_an_agent_s_answer_decides_reviewed_and_confirmed(town, topics):
    birth, roads = topics["acte-naissance"], topics["nid-de-poule"]
    untouched = predicted(town, birth)
    resolved_as_is = predicted(town, birth, resolved=True)
    corrected = predicted(town, birth, final=roads)
    triaged_unsorted = predicted(town, birth, final=None, auto=False)
    triaged_resolved_elsewhere = predicted(town, birth, final=roads, auto=False, resolved=True)
    states = {
        name: (p.is_reviewed, p.is_confirmed, p.final_topic_id)
        for name, p in {
            "untouched": untouched,
            "resolved_as_is": resolved_as_is,
            "corrected": corrected,
            "triaged_unsorted": triaged_unsorted,
            "triaged_resolved_elsewhere": triaged_resolved_elsewhere,
        }.items()
    }
    assert states == {
        "untouched": (False, False, None),
        "resolved_as_is": (True, True, birth.pk),
        "corrected": (True, False, roads.pk),
        "triaged_unsorted": (False, False, None),
        "triaged_resolved_elsewhere": (True, False, roads.pk),
    }
    # the database filters agree with the properties
    assert set(Prediction.objects.reviewed()) == {
        resolved_as_is,
        corrected,
        triaged_resolved_elsewhere,
    }
    assert list(Prediction.objects.confirmed()) == [resolved_as_is]
    # an agent's later correction is what counts, by whatever path it was made
    Case.objects.filter(pk=untouched.case_id).update(topic=roads)
    assert Prediction.objects.get(pk=untouched.pk).is_reviewed is True


def test_quality_per_topic_over_the_last_30_days(town, other_town, topics, data_dir):
    birth, roads = topics["acte-naissance"], topics["nid-de-poule"]
    predicted(town, birth, resolved=True)
    predicted(town, birth, resolved=True)
    predicted(town, birth, final=roads)
    predicted(town, birth)  # not reviewed yet
    predicted(town, roads, resolved=True, auto=False)
    predicted(town, roads, resolved=True, days_ago=31)  # too old
    report = quality(town)
    assert (report.predictions, report.auto_routed, report.reviewed, report.confirmed) == (
        5,
        4,
        4,
        3,
    )
    assert report.auto_routed_share == 0.8
    assert [
        (t.topic, t.predictions, t.reviewed, t.confirmed, t.confirmed_share) for t in report.topics
    ] == [("Acte de naissance", 4, 3, 2, 0.667), ("Nid-de-poule", 1, 1, 1, 1.0)]
    assert report.status.trained is False
    empty = quality(other_town)
    assert (empty.predictions, empty.topics, empty.auto_routed_share) == (0, [], None)


def test_the_quality_page_shows_only_the_administrator_s_organization(
    client, town, other_town, topics, administrator, data_dir
):
    predicted(town, topics["acte-naissance"], resolved=True)
    other_admin = make_member(other_town, role=Role.ADMINISTRATOR, username="olga", is_staff=True)
    url = reverse("admin:assist_quality")
    client.force_login(administrator)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ville de Villebois" in page
    assert "Commune de Montval" not in page
    assert "Acte de naissance" in page
    assert "1 predictions, 1 routed automatically" in page
    client.force_login(other_admin)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Commune de Montval" in page
    assert "Ville de Villebois" not in page
    assert "Acte de naissance" not in page


def test_the_quality_page_is_refused_to_agents(client, civil_agent):
    client.force_login(civil_agent)
    response = client.get(reverse("admin:assist_quality"))
    assert response.status_code == 302  # to the admin login: not staff
    assert "Triage quality" not in response.content.decode()


def test_an_unusable_model_is_shown_to_the_administrator(client, town, administrator, data_dir):
    folder = data_dir / "assist" / "villebois"
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(b"damaged")
    client.force_login(administrator)
    page = client.get(
        reverse("admin:assist_assistsettings_changelist"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Ville de Villebois: the trained triage model cannot be used" in page


def test_the_threshold_is_between_0_and_1(town):
    assist_settings = AssistSettings(organization=town, confidence_threshold=1.5)
    with pytest.raises(ValidationError) as raised:
        assist_settings.full_clean()
    assert list(raised.value.message_dict) == ["confidence_threshold"]
    # Unset by default: the threshold recommended by the training applies (thresholds.py).
    assert AssistSettings(organization=town).confidence_threshold is None
    assert AssistSettings(organization=town).target_accuracy == 0.8
    too_low = AssistSettings(organization=town, target_accuracy=0.2)
    with pytest.raises(ValidationError) as raised:
        too_low.full_clean()
    assert list(raised.value.message_dict) == ["target_accuracy"]
