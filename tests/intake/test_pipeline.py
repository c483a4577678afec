"""The inbound pipeline, step by step, with its guarantees: nothing lost, nothing doubled, never
threaded across citizens or organizations."""

import pytest
from django.utils import timezone

from guichet.cases.actions import do_reply_case, do_transition_case
from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.channels.base import InboundAttachment
from guichet.citizens.models import Citizen
from guichet.conversations.models import Attachment, Direction, Message
from guichet.intake import pipeline
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.pipeline import receive, retry_due_records, retry_now

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ZIP = b"PK\x03\x04" + b"\x00" * 60


def steps_of(case):
    return [e.data["step"] for e in CaseEvent.objects.filter(case=case, kind=EventKind.PIPELINE)]


def test_each_step_leaves_a_timeline_event(
    town, departments, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reception = receive(town, email_inbound())
    case = reception.case
    assert reception.duplicate is False
    assert reception.record.status == RecordStatus.PROCESSED
    assert steps_of(case) == ["persist", "identify", "thread", "classify", "route", "acknowledge"]
    assert case.reference == f"VIL-{timezone.localtime().year}-000001"
    assert case.department == departments["etat-civil"]
    assert case.topic.slug == "acte-naissance"
    route = CaseEvent.objects.get(case=case, kind=EventKind.PIPELINE, data__step="route")
    assert route.data["rule"] == "topic"
    assert route.data["department_name"] == "État civil"
    # Acknowledged by email, threaded to the citizen's message, with the reference and due date.
    assert len(mailoutbox) == 1
    ack = mailoutbox[0]
    assert ack.to == ["jeanne.dupont@example.org"]
    assert case.reference in ack.subject
    assert ack.extra_headers["In-Reply-To"] == "<msg-1@example.org>"
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert case.reference in ack.body
    assert f"/portail/villebois/suivi/{case.tracking_token}/" in ack.body
    outbound = Message.objects.get(case=case, direction=Direction.OUTBOUND)
    assert outbound.is_automatic is True
    assert outbound.delivery_status == "sent"


def test_same_message_twice_is_processed_once(town, email_inbound):
    first = receive(town, email_inbound())
    second = receive(town, email_inbound())
    assert second.duplicate is True
    assert second.record.pk == first.record.pk
    assert second.reference == first.reference
    assert InboundRecord.objects.count() == 1
    assert Case.objects.count() == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_reply_threads_by_headers(
    town, civil_agent, email_inbound, django_capture_on_commit_callbacks
):
    case = receive(town, email_inbound()).case
    with django_capture_on_commit_callbacks(execute=True):
        answer = do_reply_case(case, "Votre acte est prêt.", actor=civil_agent, then="wait")
    reply = receive(
        town,
        email_inbound(
            external_id="msg-2@example.org",
            email_message_id="msg-2@example.org",
            subject="Merci",  # no reference in the subject: the headers alone thread it
            in_reply_to=(answer.email_message_id,),
            references=("msg-1@example.org", answer.email_message_id),
        ),
    )
    assert reply.case == case
    case.refresh_from_db()
    assert case.status == "open"  # the citizen answered: waiting -> open
    thread = CaseEvent.objects.get(
        case=case,
        kind=EventKind.PIPELINE,
        data__step="thread",
        message__external_id="msg-2@example.org",
    )
    assert thread.data["how"] == "reply headers"
    assert steps_of(case).count("acknowledge") == 2  # one per message; the reply's is skipped
    assert (
        Message.objects.filter(case=case, direction=Direction.OUTBOUND, is_automatic=True).count()
        == 1
    )


@pytest.mark.parametrize(
    "subject",
    [
        "RE: [VIL-{year}-000001] Demande",
        "TR: Fwd: VIL-{year}-000001",
        "AW: re: suite VIL-{year}-000001",
    ],
)
def test_reply_threads_by_reference_in_subject(subject, town, email_inbound):
    case = receive(town, email_inbound()).case
    reply = receive(
        town,
        email_inbound(
            external_id="msg-2@example.org",
            email_message_id="msg-2@example.org",
            subject=subject.format(year=timezone.localtime().year),
        ),
    )
    assert reply.case == case
    assert Case.objects.count() == 1


def test_forged_reference_to_another_organization_never_threads(town, other_town, email_inbound):
    theirs = receive(other_town, email_inbound(recipients=("mairie@montval.fr",))).case
    forged = receive(
        town,
        email_inbound(
            external_id="forged@example.org",
            email_message_id="forged@example.org",
            subject=f"RE: [{theirs.reference}] Demande",
            in_reply_to=("msg-1@example.org",),  # the id of a message that lives in the other town
        ),
    )
    assert forged.case.organization == town
    assert forged.case != theirs
    assert Message.objects.filter(case=theirs).count() == 2  # their message and its acknowledgement
    assert forged.case.reference.startswith("VIL-")


def test_reference_of_another_citizen_does_not_thread(town, email_inbound):
    jeanne_case = receive(town, email_inbound()).case
    intruder = receive(
        town,
        email_inbound(
            external_id="x@example.net",
            email_message_id="x@example.net",
            sender_address="intrus@example.net",
            subject=f"RE: {jeanne_case.reference}",
        ),
    )
    assert intruder.case != jeanne_case
    assert intruder.case.citizen != jeanne_case.citizen
    thread = CaseEvent.objects.get(case=intruder.case, kind=EventKind.PIPELINE, data__step="thread")
    assert thread.data["refused"] == [jeanne_case.reference]


def test_citizen_writing_on_resolved_case_reopens_it(town, civil_agent, email_inbound):
    case = receive(town, email_inbound()).case
    do_transition_case(case, "resolve", actor=civil_agent)
    receive(
        town,
        email_inbound(external_id="m2", email_message_id="m2", subject=f"Re: {case.reference}"),
    )
    case.refresh_from_db()
    assert case.status == "open"
    assert (
        CaseEvent.objects.filter(
            case=case, kind=EventKind.STATUS_CHANGED, data__transition="reopen"
        ).count()
        == 1
    )


def test_citizen_writing_on_closed_case_opens_a_follow_up(town, civil_agent, email_inbound):
    case = receive(town, email_inbound()).case
    do_transition_case(case, "close", actor=civil_agent)
    follow_up = receive(
        town,
        email_inbound(external_id="m2", email_message_id="m2", subject=f"Re: {case.reference}"),
    ).case
    case.refresh_from_db()
    assert case.status == "closed"
    assert follow_up != case
    assert follow_up.follows == case
    assert follow_up.citizen == case.citizen


def test_automatic_senders_are_not_acknowledged(
    town, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        auto = receive(town, email_inbound(auto_submitted=True, subject="Absence du bureau"))
        noreply = receive(
            town, email_inbound(external_id="n1", sender_address="no-reply@service.example")
        )
    assert auto.case is not None
    assert noreply.case is not None
    assert mailoutbox == []
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    ack = CaseEvent.objects.get(case=auto.case, kind=EventKind.PIPELINE, data__step="acknowledge")
    assert ack.data["skipped"] == "automatic sender (auto-reply, bounce or list)"


def test_failing_step_keeps_the_message_and_retries(town, email_inbound, monkeypatch):
    def broken(run):
        raise RuntimeError("classifier unavailable")

    monkeypatch.setattr(
        pipeline, "STEPS", tuple((n, broken if n == "classify" else f) for n, f in pipeline.STEPS)
    )
    reception = receive(town, email_inbound())
    record = reception.record
    assert reception.case is None
    assert record.status == RecordStatus.FAILED
    assert record.failed_step == "classify"
    assert "classifier unavailable" in record.error
    assert record.attempts == 1
    assert record.next_attempt_at is not None
    assert record.raw_file.read().startswith(b"From: jeanne")
    # Steps 2-6 are one transaction: nothing half-done is left behind.
    assert Case.objects.count() == 0
    assert Citizen.objects.count() == 0
    assert Message.objects.count() == 0
    monkeypatch.undo()
    InboundRecord.objects.filter(pk=record.pk).update(next_attempt_at=timezone.now())
    assert retry_due_records() == 1
    record.refresh_from_db()
    assert record.status == RecordStatus.PROCESSED
    assert Case.objects.count() == 1
    # Re-receiving it changes nothing.
    again = receive(town, email_inbound())
    assert again.duplicate is True
    assert Case.objects.count() == 1


def test_retries_are_capped(town, email_inbound, monkeypatch, settings):
    settings.GUICHET_INTAKE_MAX_ATTEMPTS = 2

    def broken(run):
        raise RuntimeError("still broken")

    monkeypatch.setattr(
        pipeline, "STEPS", tuple((n, broken if n == "route" else f) for n, f in pipeline.STEPS)
    )
    record = receive(town, email_inbound()).record
    retry_now(record)
    assert record.attempts == 2
    assert record.status == RecordStatus.HELD
    assert record.next_attempt_at is None


def test_unidentifiable_sender_is_held_for_an_administrator(town, email_inbound):
    record = receive(town, email_inbound(sender_address="not an address")).record
    assert record.status == RecordStatus.HELD
    assert record.failed_step == "identify"
    assert "ne peut pas être identifié" in record.error  # written in the organization's language
    assert InboundRecord.objects.needing_attention().count() == 1


def test_oversized_message_is_kept_aside_whole(town, email_inbound, settings):
    settings.GUICHET_INBOUND_MAX_BYTES = 1000
    big = b"X" * 5000
    record = receive(
        town,
        email_inbound(raw=big, attachments=(InboundAttachment("a.pdf", "application/pdf", PDF),)),
    ).record
    assert record.status == RecordStatus.HELD
    assert record.failed_step == "persist"
    assert record.raw_file.read() == big
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_attachments_are_checked(town, email_inbound, settings):
    settings.GUICHET_ATTACHMENT_MAX_BYTES = 2000
    reception = receive(
        town,
        email_inbound(
            attachments=(
                InboundAttachment("acte.pdf", "application/pdf", PDF),
                InboundAttachment("facture.pdf", "application/pdf", ZIP),
                InboundAttachment("scan.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 5000),
                InboundAttachment(
                    "script.exe", "application/octet-stream", b"MZ\x90\x00" + b"\x00" * 100
                ),
            )
        ),
    )
    message = Message.objects.get(case=reception.case, direction=Direction.INBOUND)
    stored = {a.filename: a for a in message.attachments.all()}
    assert set(stored) == {"acte.pdf", "facture.pdf", "scan.pdf", "script.exe"}
    assert stored["acte.pdf"].refused_reason == ""
    assert stored["acte.pdf"].file.read() == PDF
    assert (
        stored["facture.pdf"].refused_reason
        == "the file claims to be application/pdf but its content is application/zip"
    )
    assert not stored["facture.pdf"].file
    assert stored["scan.pdf"].refused_reason.startswith("the file is 0.0 MB, above")
    assert (
        stored["script.exe"].refused_reason
        == "files of type application/x-msdos-program are not accepted"
    )


def test_unknown_topic_goes_to_reception_and_addressed_department_wins(
    town, departments, email_inbound
):
    vague = receive(town, email_inbound(subject="Question", text="Bonjour, une question générale."))
    assert vague.case.department == departments["accueil"]
    assert vague.case.topic is None
    addressed = receive(
        town,
        email_inbound(
            external_id="m3",
            subject="Question",
            text="Bonjour, une question.",
            recipients=("etat-civil@villebois.fr",),
        ),
    )
    assert addressed.case.department == departments["etat-civil"]


def test_idempotency_key(town, email_inbound):
    first = receive(
        town,
        email_inbound(channel="sms", sender_address="0612345678", external_id="a"),
        idempotency_key="k1",
        fingerprint="f1",
    )
    again = receive(
        town,
        email_inbound(channel="sms", sender_address="0612345678", external_id="b"),
        idempotency_key="k1",
        fingerprint="f1",
    )
    assert again.duplicate is True
    assert again.reference == first.reference
    with pytest.raises(pipeline.IdempotencyConflict):
        receive(
            town,
            email_inbound(channel="sms", sender_address="0612345678", external_id="c"),
            idempotency_key="k1",
            fingerprint="other",
        )
    assert InboundRecord.objects.count() == 1


def test_a_record_processed_meanwhile_is_not_processed_again(town, email_inbound):
    # Given two processes holding the same record read before either processed it
    record = receive(town, email_inbound()).record
    stale = InboundRecord.objects.get(pk=record.pk)
    stale.status = RecordStatus.RECEIVED
    # When the second one processes it
    pipeline.process_record(stale)
    # Then it finds it processed under the lock and creates nothing
    assert stale.status == RecordStatus.PROCESSED
    assert Case.objects.count() == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_integration_message_from_an_email_address_is_acknowledged_by_email(
    town, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = receive(town, email_inbound(channel="api", external_id="crm-1")).case
    ack = Message.objects.get(case=case, direction=Direction.OUTBOUND)
    assert (ack.channel, ack.delivery_status, ack.recipient_address) == (
        "email",
        "sent",
        "jeanne.dupont@example.org",
    )
    assert [m.to for m in mailoutbox] == [["jeanne.dupont@example.org"]]


def test_several_references_thread_into_the_citizens_active_case(town, civil_agent, email_inbound):
    # Given a closed request and its follow-up, whose subject quotes both references
    old = receive(town, email_inbound()).case
    do_transition_case(old, "close", actor=civil_agent)
    follow_up = receive(town, email_inbound(external_id="m2", subject=f"Re: {old.reference}")).case
    subject = f"Re: [{old.reference}] suite [{follow_up.reference}]"
    # When the citizen writes again with that subject
    again = receive(town, email_inbound(external_id="m3", subject=subject)).case
    # Then it joins the open follow-up instead of opening a third request
    assert again == follow_up
    assert Case.objects.count() == 2


def test_a_bounce_marks_the_message_it_reports_on_and_opens_no_request(
    town, civil_agent, email_inbound, django_capture_on_commit_callbacks
):
    from guichet.channels.base import DeliveryReport

    case = receive(town, email_inbound()).case
    with django_capture_on_commit_callbacks(execute=True):
        answer = do_reply_case(case, "Votre acte est prêt.", actor=civil_agent)
    report = DeliveryReport(
        "failed", "5.1.1", "jeanne.dupont@example.org", "550 User unknown", answer.email_message_id
    )
    bounce = receive(
        town,
        email_inbound(
            external_id="bounce-1",
            sender_address="MAILER-DAEMON@mx.villebois.fr",
            subject="Undelivered Mail Returned to Sender",
            auto_submitted=True,
            delivery_report=report,
        ),
    )
    answer.refresh_from_db()
    assert answer.delivery_status == "failed"
    assert answer.delivery_error == "5.1.1 550 User unknown"
    assert bounce.record.status == RecordStatus.PROCESSED
    assert bounce.case == case
    assert Case.objects.count() == 1
    assert Citizen.objects.count() == 1  # no "MAILER-DAEMON" citizen
    event = CaseEvent.objects.get(case=case, kind=EventKind.DELIVERY_FAILED)
    assert event.data["recipient"] == "jeanne.dupont@example.org"
    # A bounce about a message Guichet never sent is kept, and opens nothing either.
    unknown = receive(
        town,
        email_inbound(
            external_id="bounce-2",
            sender_address="MAILER-DAEMON@mx.villebois.fr",
            auto_submitted=True,
            delivery_report=DeliveryReport(
                "failed", "5.0.0", "x@example.org", "", "not-ours@elsewhere"
            ),
        ),
    )
    assert unknown.record.status == RecordStatus.PROCESSED
    assert unknown.case is None
    assert Case.objects.count() == 1


def test_acknowledgements_to_one_sender_are_rate_limited(town, email_inbound, settings):
    settings.GUICHET_ACKNOWLEDGEMENTS_PER_HOUR = 2
    cases = [
        receive(
            town, email_inbound(external_id=f"m{n}", subject=f"Question {n}", text="Une question.")
        ).case
        for n in range(4)
    ]
    assert len({c.pk for c in cases}) == 4
    acknowledged = Message.objects.filter(direction=Direction.OUTBOUND, is_automatic=True).count()
    assert acknowledged == 2
    skipped = CaseEvent.objects.get(
        case=cases[3], kind=EventKind.PIPELINE, data__step="acknowledge"
    )
    assert skipped.data["skipped"].startswith("rate limit")


def test_a_reused_message_id_with_other_content_is_kept(town, email_inbound):
    first = receive(town, email_inbound(raw=b"first message"))
    second = receive(
        town, email_inbound(raw=b"another message", text="Autre chose.", subject="Autre")
    )
    assert second.duplicate is False
    assert InboundRecord.objects.count() == 2
    assert second.record.external_id.startswith("msg-1@example.org#")
    assert "identifier already used by another message" in second.record.payload["problems"]
    # The very same bytes again are a duplicate of the one they match.
    assert receive(town, email_inbound(raw=b"first message")).record == first.record


def test_unusable_attachment_names_do_not_lose_the_message(town, email_inbound):
    reception = receive(
        town,
        email_inbound(
            attachments=(
                InboundAttachment("🙂", "application/pdf", PDF),
                InboundAttachment("()", "application/pdf", PDF),
            )
        ),
    )
    assert reception.record.status == RecordStatus.PROCESSED
    names = sorted(Attachment.objects.values_list("filename", flat=True))
    assert names == ["piece-jointe", "piece-jointe"]


def test_subjects_with_line_breaks_or_too_long_still_get_answers(
    town, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        injected = receive(town, email_inbound(subject="Acte\r\nBcc: x@evil.example")).case
        long = receive(
            town,
            email_inbound(
                external_id="long",
                sender_address="paul@example.org",
                subject="Acte de naissance " * 30,
            ),
        ).case
    assert injected.subject == "Acte Bcc: x@evil.example"
    assert [m.to for m in mailoutbox] == [["jeanne.dupont@example.org"], ["paul@example.org"]]
    assert "\n" not in mailoutbox[0].subject
    reply = Message.objects.get(case=long, direction=Direction.OUTBOUND)
    assert len(reply.subject) <= 300
    assert reply.subject.endswith(f"… [{long.reference}]")


def test_organization_names_with_commas_make_valid_senders(
    town, email_inbound, mailoutbox, django_capture_on_commit_callbacks
):
    town.name = "Ville d'Évry, Essonne"
    town.save()
    with django_capture_on_commit_callbacks(execute=True):
        receive(town, email_inbound())
    assert len(mailoutbox) == 1
    assert mailoutbox[0].message()["From"].startswith(
        "=?utf-8?q?Ville_d=27=C3=89vry=2C_Essonne?= <"
    ) or "Essonne" in str(mailoutbox[0].message()["From"])


def test_a_channel_department_hint_routes_when_the_topic_says_nothing(
    town, departments, email_inbound
):
    vague = {
        "subject": "Question",
        "text": "Bonjour, une question générale.",
        "recipients": ("boite@villebois.fr",),
    }
    hinted = receive(town, email_inbound(department_id=departments["voirie"].pk, **vague)).case
    assert hinted.department == departments["voirie"]
    # A recognised topic still wins over the hint.
    topical = receive(
        town,
        email_inbound(
            external_id="t1",
            department_id=departments["voirie"].pk,
            sender_address="paul@example.org",
        ),
    ).case
    assert topical.department == departments["etat-civil"]
