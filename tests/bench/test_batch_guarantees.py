"""`ingest_batch` (many messages in one transaction, for mailbox and file imports) keeps every
guarantee of `receive`: the same outcome message by message, a failing message rolled back alone
and flagged, nothing doubled, nothing half-stored when the batch cannot be stored."""

import pytest
from django.utils import timezone

from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.citizens.models import Citizen, ContactPoint
from guichet.conversations.models import Direction, Message
from guichet.intake import pipeline
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.pipeline import ingest_batch, receive
from guichet.organizations.models import Topic

pytestmark = pytest.mark.django_db

YEAR = timezone.localtime().year


def mailbox(email_inbound, prefix):
    """A day of a town hall's mailbox, each kind of message the pipeline threads differently."""
    jeanne = {"sender_address": "jeanne.dupont@example.org", "sender_name": "Jeanne Dupont"}
    paul = {"sender_address": "Paul.Martin@Example.net", "sender_name": "Paul Martin"}
    return [
        email_inbound(external_id="m1", email_message_id="m1", **jeanne),
        email_inbound(
            external_id="m2",
            email_message_id="m2",
            subject="Trottoir défoncé",
            text="Le trottoir devant chez moi est dangereux.",
            recipients=("voirie@villebois.fr",),
            **paul,
        ),
        # Jeanne again, new subject, same topic: joins her open request (suggested link)
        email_inbound(
            external_id="m3",
            email_message_id="m3",
            subject="Et pour mon fils ?",
            text="Il me faudrait aussi son acte de naissance.",
            **jeanne,
        ),
        # Paul answers his own message (reply headers), then quotes his reference
        email_inbound(
            external_id="m4",
            email_message_id="m4",
            subject="Re: Trottoir défoncé",
            text="Précision : c'est au 12.",
            in_reply_to=("m2",),
            references=("m2",),
            **paul,
        ),
        email_inbound(
            external_id="m5",
            email_message_id="m5",
            subject=f"Demande {prefix}-{YEAR}-000002",
            text="Des nouvelles ?",
            **paul,
        ),
        # Someone quoting Jeanne's reference: never threaded into her request
        email_inbound(
            external_id="m6",
            email_message_id="m6",
            subject=f"RE: {prefix}-{YEAR}-000001",
            sender_address="voisin@example.com",
            text="Une question générale.",
        ),
        # An out-of-office and a no-reply robot: requests of their own, never acknowledged
        email_inbound(
            external_id="m7",
            email_message_id="m7",
            subject="Absence du bureau",
            text="Je suis absente.",
            auto_submitted=True,
            sender_address="claire@example.org",
        ),
        email_inbound(
            external_id="m8", email_message_id="", sender_address="no-reply@service.example"
        ),
        # The same message delivered twice
        email_inbound(external_id="m1", email_message_id="m1", **jeanne),
    ]


def outcome(organization):
    """What the pipeline left, message by message, without ids or dates."""
    rows = []
    for record in InboundRecord.objects.filter(organization=organization).order_by("pk"):
        thread = next((s for s in record.steps if s["step"] == "thread"), {})
        case = record.case
        rows.append(
            {
                "status": record.status,
                "steps": [s["step"] for s in record.steps],
                "how": thread.get("how"),
                "refused": [r.split("-")[-1] for r in thread.get("refused", [])],
                "case": case.reference.split("-")[-1] if case else None,
                "topic": case.topic.slug if case and case.topic else None,
                "department": case.department.slug if case and case.department else None,
                "status_of_case": case.status if case else None,
                "timeline": [
                    (e.kind, e.data.get("step", ""), e.message.external_id if e.message else "")
                    for e in CaseEvent.objects.filter(case=case).select_related("message")
                ]
                if case
                else [],
                "acknowledged": sorted(
                    (m.recipient_address, m.channel, m.in_reply_to, m.references, m.is_automatic)
                    for m in Message.objects.filter(case=case, direction=Direction.OUTBOUND)
                )
                if case
                else [],
            }
        )
    contacts = sorted(
        (c.value, c.citizen.display_name)
        for c in ContactPoint.objects.filter(organization=organization).select_related("citizen")
    )
    return rows, contacts


def test_a_batch_ends_as_the_same_messages_received_one_by_one(town, twin_town, email_inbound):
    # Given the same mailbox for two identical towns
    # When one receives it message by message and the other in one batch
    for inbound in mailbox(email_inbound, "VIL"):
        receive(town, inbound)
    receptions = ingest_batch(twin_town, mailbox(email_inbound, "JUM"))
    # Then everything the pipeline wrote is the same
    one_by_one, batched = outcome(town), outcome(twin_town)
    assert batched == one_by_one
    rows, _contacts = batched
    assert [r["how"] for r in rows] == [
        "new request",
        "new request",
        "suggested: same citizen, same topic, still open",
        "reply headers",
        "reference in subject",
        "new request",
        "new request",
        "new request",
    ]
    assert rows[5]["refused"] == ["000001"]
    assert [r.duplicate for r in receptions] == [False] * 8 + [True]
    assert receptions[8].record == receptions[0].record
    # (and the timeline of a new request is in the order the steps ran)
    assert [kind for kind, _step, _message in rows[0]["timeline"][:3]] == [
        EventKind.CREATED,
        EventKind.MESSAGE_RECEIVED,
        EventKind.PIPELINE,
    ]


def test_a_failing_message_is_rolled_back_alone_and_flagged(town, email_inbound, monkeypatch):
    def classify(run):
        if run.inbound.subject == "Boom":
            raise RuntimeError("classifier unavailable")
        return original(run)

    original = dict(pipeline.STEPS)["classify"]
    monkeypatch.setattr(
        pipeline, "STEPS", tuple((n, classify if n == "classify" else f) for n, f in pipeline.STEPS)
    )
    receptions = ingest_batch(
        town,
        [
            email_inbound(external_id="a"),
            email_inbound(external_id="b", subject="Boom", sender_address="boom@example.org"),
            email_inbound(external_id="c", sender_address="paul@example.org"),
        ],
    )
    failed = receptions[1].record
    assert (failed.status, failed.failed_step, failed.attempts) == (
        RecordStatus.FAILED,
        "classify",
        1,
    )
    assert "classifier unavailable" in failed.error
    assert receptions[1].case is None
    assert InboundRecord.objects.get(pk=failed.pk).status == RecordStatus.FAILED
    # Nothing of the failed message's processing is left; the two others are whole.
    assert not ContactPoint.objects.filter(value="boom@example.org").exists()
    assert Citizen.objects.count() == 2
    assert [r.reference for r in (receptions[0], receptions[2])] == [
        f"VIL-{YEAR}-000001",
        f"VIL-{YEAR}-000002",
    ]
    assert Case.objects.count() == 2
    assert not CaseEvent.objects.filter(message__inbound_record=failed).exists()
    assert CaseEvent.objects.filter(kind=EventKind.PIPELINE).count() == 12


def test_running_a_batch_again_creates_nothing_twice(town, email_inbound):
    batch = [email_inbound(external_id=f"m{n}", subject=f"Question {n}") for n in range(3)]
    first = ingest_batch(town, batch)
    counts = (InboundRecord.objects.count(), Case.objects.count(), Message.objects.count())
    again = ingest_batch(town, batch)
    assert [r.duplicate for r in first] == [False, False, False]
    assert [r.duplicate for r in again] == [True, True, True]
    assert [r.reference for r in again] == [r.reference for r in first]
    assert (InboundRecord.objects.count(), Case.objects.count(), Message.objects.count()) == counts
    assert CaseEvent.objects.filter(kind=EventKind.PIPELINE, data__step="persist").count() == 3


def test_a_batch_that_cannot_be_stored_is_rolled_back_whole(town, email_inbound, monkeypatch):
    calls = []

    def full_disk(record, inbound):
        calls.append(record)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "_store_inbound_attachments", full_disk)
    with pytest.raises(OSError, match="No space left"):
        ingest_batch(town, [email_inbound(external_id="a"), email_inbound(external_id="b")])
    # Nothing half-stored: the caller will run the batch again from its source.
    assert InboundRecord.objects.count() == 0
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_acknowledgements_leave_once_the_batch_is_committed(
    town, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest_batch(
            town,
            [
                email_inbound(external_id="a"),
                email_inbound(external_id="b", sender_address="paul@example.org"),
            ],
        )
    assert mailoutbox == []
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == ["jeanne.dupont@example.org", "paul@example.org"]


def test_topics_changed_between_batches_are_used_by_the_next_batch(town, email_inbound):
    pothole = {"subject": "Nid de poule", "text": "Un nid de poule rue des Lilas."}
    first = ingest_batch(town, [email_inbound(external_id="a", **pothole)])
    Topic.objects.filter(organization=town, slug="nid-de-poule").update(is_active=False)
    second = ingest_batch(
        town, [email_inbound(external_id="b", sender_address="paul@example.org", **pothole)]
    )
    assert first[0].case.department.slug == "voirie"
    assert second[0].case.topic is None
    assert second[0].case.department.slug == "accueil"
