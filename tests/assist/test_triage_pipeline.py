"""The classify step with the organization's trained model: auto-routing above the threshold,
the triage queue below, every prediction stored (message by message and in batches), urgency
raising the priority, an aggressive tone flagged to the agent."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from guichet.assist.models import AssistSettings, Prediction
from guichet.assist.training import MODEL_FILE
from guichet.cases.models import CaseEvent, EventKind, Priority
from guichet.intake.models import RecordStatus
from guichet.intake.pipeline import ingest_batch, receive
from tests.assist import triage_helpers
from tests.assist.triage_helpers import resolved_history

pytestmark = pytest.mark.django_db

data_dir = triage_helpers.data_dir  # a temporary GUICHET_DATA_DIR (fixture)

# No keyword of the town's topics: the rules find nothing, a model trained on the history does.
NEW_BIRTH = "Ma fille est née en 2015 à Villebois, il me faut sa copie intégrale."


@pytest.fixture
def trained(town, departments, email_inbound, data_dir):
    resolved_history(town, email_inbound, departments)
    call_command("assist-train", "--organization", "villebois", "--quiet", stdout=_Null())
    return town


class _Null:
    def write(self, text):
        pass

    def flush(self):
        pass


def _receive(town, email_inbound, text=NEW_BIRTH, n=1, subject="Demande"):
    return receive(
        town,
        email_inbound(
            external_id=f"new-{n}",
            email_message_id=f"new-{n}@example.org",
            sender_address=f"new{n}@example.org",
            subject=subject,
            text=text,
        ),
    )


def _classify_step(case):
    return CaseEvent.objects.get(case=case, kind=EventKind.PIPELINE, data__step="classify").data


def test_a_confident_model_routes_and_its_prediction_is_stored(trained, departments, email_inbound):
    AssistSettings.objects.create(organization=trained, confidence_threshold=0.0)
    case = _receive(trained, email_inbound).case
    assert case.topic.slug == "acte-naissance"
    assert case.department == departments["etat-civil"]
    prediction = Prediction.objects.get(case=case)
    assert prediction.model_name == "fr-tfidf-logreg"
    assert prediction.model_version  # the version saved by assist-train
    assert prediction.topic.slug == "acte-naissance"
    assert prediction.department == departments["etat-civil"]
    assert prediction.auto_routed is True
    assert prediction.language == "fr"
    assert prediction.message.case_id == case.pk
    assert 0.5 < prediction.confidence <= 1.0
    assert _classify_step(case)["method"] == "fr-tfidf-logreg"


def test_an_uncertain_prediction_goes_to_the_triage_queue(trained, departments, email_inbound):
    AssistSettings.objects.create(organization=trained, confidence_threshold=0.99)
    case = _receive(trained, email_inbound).case
    prediction = Prediction.objects.get(case=case)
    assert case.topic is None
    assert case.department == departments["accueil"]
    assert prediction.auto_routed is False
    assert prediction.topic.slug == "acte-naissance"  # what the model said, kept
    step = _classify_step(case)
    assert step["topic"] is None
    assert step["reasons"][-1] == (
        f"uncertain classification (confidence {prediction.confidence:.2f} < 0.99)"
    )
    route = CaseEvent.objects.get(case=case, kind=EventKind.PIPELINE, data__step="route")
    assert route.data["rule"] == "reception"


def test_without_a_model_or_with_it_switched_off_the_keywords_decide(
    trained, departments, email_inbound, town
):
    AssistSettings.objects.create(organization=town, model_enabled=False)
    case = _receive(town, email_inbound).case
    prediction = Prediction.objects.get(case=case)
    assert (prediction.model_name, prediction.model_version) == ("keywords-v1", "")
    assert prediction.topic is None
    assert case.department == departments["accueil"]


def test_a_broken_model_loses_no_message(trained, departments, email_inbound, data_dir):
    (data_dir / "assist" / "villebois" / MODEL_FILE).write_bytes(b"\x80garbage")
    reception = _receive(trained, email_inbound, text="Acte de naissance de mon fils, svp.")
    assert reception.record.status == RecordStatus.PROCESSED
    assert reception.case.topic.slug == "acte-naissance"  # the keyword rules answered
    assert Prediction.objects.get(case=reception.case).model_name == "keywords-v1"


def test_urgency_raises_the_priority_with_a_reason(town, email_inbound, data_dir):
    case = _receive(
        town, email_inbound, text="Mon voisin me frappe, j'ai peur. Acte de naissance."
    ).case
    case.refresh_from_db()
    assert case.priority == Priority.URGENT
    event = CaseEvent.objects.get(case=case, kind=EventKind.PRIORITY_CHANGED)
    assert event.data["from"] == Priority.NORMAL
    assert event.data["to"] == Priority.URGENT
    assert event.data["reason"].startswith("urgency critical (violence: ")
    assert Prediction.objects.get(case=case).urgency == "critical"
    # an emergency alone makes it high; a calm message leaves it normal
    high = _receive(town, email_inbound, text="Fuite de gaz rue des Lilas !", n=2).case
    calm = _receive(town, email_inbound, text="Un acte de naissance, merci.", n=3).case
    high.refresh_from_db()
    calm.refresh_from_db()
    assert (high.priority, calm.priority) == (Priority.HIGH, Priority.NORMAL)
    assert not CaseEvent.objects.filter(case=calm, kind=EventKind.PRIORITY_CHANGED).exists()


def test_an_aggressive_tone_is_flagged_on_the_timeline(
    town, email_inbound, data_dir, client, civil_agent
):
    case = _receive(
        town, email_inbound, text="Bande d'incapables, mon acte de naissance !!! Vite !!!"
    ).case
    event = CaseEvent.objects.get(case=case, kind="assist.aggressive_tone")
    assert event.data["reasons"] == ["insult: incapables", "exclamation marks"]
    assert Prediction.objects.get(case=case).aggressive is True
    client.force_login(civil_agent)
    page = client.get(reverse("desk:case", args=[case.reference]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Aggressive tone: this message may call for a careful answer" in page.content.decode()


def test_a_batch_stores_the_same_predictions_as_one_by_one(trained, email_inbound, other_town):
    AssistSettings.objects.create(organization=trained, confidence_threshold=0.0)
    before = Prediction.objects.count()
    receptions = ingest_batch(
        trained,
        [
            email_inbound(
                external_id=f"b{n}",
                email_message_id=f"b{n}@example.org",
                sender_address=f"b{n}@example.org",
                subject="Demande",
                text=text,
            )
            for n, text in enumerate([NEW_BIRTH, "Un trou énorme rue des Lilas, ma voiture !"])
        ],
    )
    made = Prediction.objects.filter(case__in=[r.case for r in receptions]).order_by("pk")
    assert Prediction.objects.count() == before + 2
    assert [(p.case_id, p.topic.slug, p.auto_routed) for p in made] == [
        (receptions[0].case.pk, "acte-naissance", True),
        (receptions[1].case.pk, "nid-de-poule", True),
    ]
    assert [r.case.topic.slug for r in receptions] == ["acte-naissance", "nid-de-poule"]
    assert not Prediction.objects.filter(organization=other_town).exists()


def test_an_urgent_reply_raises_the_priority_of_its_request(
    town, email_inbound, data_dir, django_capture_on_commit_callbacks
):
    first = _receive(town, email_inbound, text="Un acte de naissance, merci.").case
    with django_capture_on_commit_callbacks(execute=True):
        reply = receive(
            town,
            email_inbound(
                external_id="reply-1",
                email_message_id="reply-1@example.org",
                sender_address="new1@example.org",
                subject=f"Re: {first.reference}",
                text="C'est urgent, je suis expulsé demain.",
                in_reply_to=("new-1@example.org",),
            ),
        )
    assert reply.case.pk == first.pk
    first.refresh_from_db()
    assert first.priority == Priority.HIGH
    assert CaseEvent.objects.filter(case=first, kind=EventKind.PRIORITY_CHANGED).count() == 1
    assert Prediction.objects.filter(case=first).count() == 1  # replies are not classified


def _set_curve(data_dir, points):
    """Replace the curve the training measured (triage.json) and reload the model."""
    import json

    from guichet.assist.training import META_FILE, forget_loaded_models

    path = data_dir / "assist" / "villebois" / META_FILE
    meta = json.loads(path.read_text())
    meta["quality"]["auto_routing"] = [
        {"threshold": t, "auto_share": share, "auto_accuracy": accuracy}
        for t, share, accuracy in points
    ]
    path.write_text(json.dumps(meta))
    forget_loaded_models()


def test_without_a_threshold_set_the_training_s_recommendation_applies(
    trained, departments, email_inbound, data_dir
):
    from guichet.assist.training import trained_meta

    # assist-train measured the curve and wrote the threshold it recommends.
    meta = trained_meta(trained)
    assert [point["threshold"] for point in meta["quality"]["auto_routing"]][:3] == [
        0.2,
        0.3,
        0.4,
    ]
    assert meta["threshold_at_training"]["source"] == "recommended"
    assert meta["threshold_at_training"]["target_accuracy"] == 0.8
    # Only answers of confidence 0.999 reached the target accuracy: this one goes to reception.
    _set_curve(data_dir, [(0.2, 1.0, 0.5), (0.999, 0.1, 0.9)])
    uncertain = _receive(trained, email_inbound).case
    assert uncertain.topic is None
    assert _classify_step(uncertain)["reasons"][-1].endswith(" < 0.999)")
    # Every threshold reaches it: the lowest one is used, the request is routed.
    _set_curve(data_dir, [(0.2, 1.0, 0.95), (0.5, 0.5, 0.99)])
    routed = _receive(trained, email_inbound, n=2).case
    assert routed.topic.slug == "acte-naissance"
    assert Prediction.objects.get(case=routed).auto_routed is True
    # An administrator's threshold wins over the recommendation.
    AssistSettings.objects.create(organization=trained, confidence_threshold=0.9999)
    assert _receive(trained, email_inbound, n=3).case.topic is None


def test_the_quality_page_shows_the_threshold_in_use_and_the_curve(
    trained, client, administrator, data_dir
):
    _set_curve(data_dir, [(0.3, 0.8, 0.7), (0.5, 0.6, 0.85), (0.7, 0.3, 0.95)])
    client.force_login(administrator)

    page = client.get(reverse("admin:assist_quality"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert (
        "Confidence threshold in use: 0.5 (recommended by the last training: 60 % of requests "
        "routed automatically, 85 % of them with the right topic)" in page
    )
    assert '<tr aria-current="true"><th scope="row">0.50 <strong>(in use)</strong>' in page
    assert page.count('aria-current="true"') == 1
    # the same curve as a chart: three pairs of bars, the threshold in use in bold
    assert '<svg role="img" aria-labelledby="curve-title-' in page
    assert page.count('fill="#1d4f91"></rect>') == 3
    assert 'font-weight="bold">0.50</text>' in page


def test_the_quality_page_says_when_no_threshold_applies(trained, client, administrator, data_dir):
    AssistSettings.objects.create(organization=trained, model_enabled=False)
    client.force_login(administrator)

    page = client.get(reverse("admin:assist_quality"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert (
        "Confidence threshold in use: none: the topic keywords decide, the threshold applies "
        "only to a trained model" in page
    )
    assert 'aria-current="true"' not in page  # the curve is shown, no threshold marked


def test_the_settings_page_shows_the_threshold_in_use(trained, client, administrator, data_dir):
    _set_curve(data_dir, [(0.3, 0.8, 0.7), (0.5, 0.6, 0.85)])
    chosen = AssistSettings.objects.create(organization=trained, confidence_threshold=0.65)
    client.force_login(administrator)
    url = reverse("admin:assist_assistsettings_change", args=[chosen.pk])

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chosen.confidence_threshold = None
    chosen.save()
    unset = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "0.65 (set by an administrator)" in page
    assert "0.5 (recommended by the last training: 60 % of requests routed automatically" in unset


def test_the_threshold_is_written_the_french_way_in_french(
    trained, client, administrator, data_dir
):
    _set_curve(data_dir, [(0.3, 0.8, 0.7), (0.5, 0.6, 0.85)])
    client.force_login(administrator)

    page = client.get(reverse("admin:assist_quality"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Seuil de confiance appliqué : 0,5 (recommandé par le dernier entraînement" in page
