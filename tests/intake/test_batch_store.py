"""The in-memory batch path (`guichet.intake.batch.BatchStore`, used by `ingest_batch`) ends
exactly as the same messages received one by one with `receive`, on a mixed mailbox: new
requests, replies to messages of the same batch, threading by headers, reference and signed
address, a waiting case resumed, a closed case followed up, auto-replies, a relay, attachments,
the acknowledgement rate limit, a bounce, a broken message and a duplicate."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.assist.models import Prediction
from guichet.cases.lifecycle import Status
from guichet.cases.models import Case, CaseEvent
from guichet.channels.base import DeliveryReport, InboundAttachment
from guichet.channels.email.addresses import reply_address
from guichet.citizens.models import Citizen, ContactPoint
from guichet.conversations.models import Attachment, Conversation, Direction, Message
from guichet.intake import batch, pipeline
from guichet.intake.batch import BatchStore
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.pipeline import ingest_batch, receive
from guichet.organizations.models import Department, Topic
from tests.bench.conftest import twin_town  # noqa: F401 — the fixture, shared

pytestmark = pytest.mark.django_db

YEAR = timezone.localtime().year
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def history(organization, email_inbound):
    """What the organization holds before the batch: Claire's request waiting for her answer,
    Marc's closed one, Paul's open one (acknowledged)."""
    made = {}
    for name, address, subject in (
        ("claire", "claire@example.org", "Inscription à la cantine"),
        ("marc", "marc@example.org", "Bruit de chantier"),
        ("paul", "paul@example.org", "Lampadaire en panne"),
    ):
        made[name] = receive(
            organization,
            email_inbound(
                external_id=f"old-{name}",
                email_message_id=f"old-{name}@example.org",
                sender_address=address,
                sender_name=name.title(),
                subject=subject,
                text=f"{subject}, merci.",
            ),
        ).case
    Case.objects.filter(pk=made["claire"].pk).update(status=Status.WAITING)
    Case.objects.filter(pk=made["marc"].pk).update(status=Status.CLOSED)
    return made


def mailbox(organization, email_inbound, made):
    """The batch. References: the history took 000001-000003, so Jeanne's first request is
    000004 and Paul's 000005 (predictable whichever path runs)."""
    prefix = organization.reference_prefix
    paul_ack = Message.objects.get(case=made["paul"], direction=Direction.OUTBOUND)
    jeanne = {"sender_address": "Jeanne.Dupont@Example.org", "sender_name": "Jeanne Dupont"}
    return [
        email_inbound(external_id="n1", email_message_id="n1@x", **jeanne),
        # Jeanne answers her own message of this batch (reply headers)
        email_inbound(
            external_id="n2",
            email_message_id="n2@x",
            subject="Re: Demande d'acte de naissance",
            text="J'oubliais : c'est pour 1984.",
            in_reply_to=("n1@x",),
            references=("n1@x",),
            **jeanne,
        ),
        # Jeanne again, new subject, same topic: joins her request of this batch (suggested)
        email_inbound(
            external_id="n2b",
            email_message_id="n2b@x",
            subject="Et pour mon fils ?",
            text="Il me faudrait aussi son acte de naissance.",
            **jeanne,
        ),
        email_inbound(
            external_id="n3",
            email_message_id="n3@x",
            sender_address="paul@example.org",
            subject="Trottoir défoncé",
            text="Le trottoir devant chez moi est dangereux.",
            recipients=("voirie@villebois.fr",),
        ),
        # Paul quotes the reference of the request this batch opened for him
        email_inbound(
            external_id="n4",
            email_message_id="n4@x",
            sender_address="paul@example.org",
            subject=f"Précision {prefix}-{YEAR}-000005",
            text="C'est au 12.",
        ),
        # Paul answers the acknowledgement of his older request (headers of a stored message)
        email_inbound(
            external_id="n5",
            email_message_id="n5@x",
            sender_address="paul@example.org",
            subject="Re: Lampadaire",
            text="Toujours en panne.",
            in_reply_to=(paul_ack.email_message_id,),
        ),
        # Claire answers through the signed reply address: her waiting request resumes
        email_inbound(
            external_id="n6",
            email_message_id="n6@x",
            sender_address="claire@example.org",
            subject="Re: cantine",
            text="Voici le justificatif.",
            recipients=(
                reply_address(organization.email_address, organization.pk, made["claire"].pk),
            ),
        ),
        # Marc quotes his closed request: a follow-up request
        email_inbound(
            external_id="n7",
            email_message_id="n7@x",
            sender_address="marc@example.org",
            subject=f"Encore le bruit {prefix}-{YEAR}-000002",
            text="Ça recommence.",
        ),
        # Someone quoting Jeanne's reference: never threaded into her request
        email_inbound(
            external_id="n8",
            email_message_id="n8@x",
            sender_address="voisin@example.com",
            subject=f"RE: {prefix}-{YEAR}-000004",
            text="Une question générale.",
        ),
        # An out-of-office: a request of its own, never acknowledged
        email_inbound(
            external_id="n9",
            email_message_id="n9@x",
            sender_address="bureau@example.org",
            subject="Absence du bureau",
            text="Je suis absente.",
            auto_submitted=True,
        ),
        # A web form relays Léa (twice: one citizen)
        email_inbound(
            external_id="n10",
            email_message_id="n10@x",
            sender_address="formulaire@site.example",
            reply_to=("lea@example.net",),
            subject="Formulaire : question",
            text="Nom : Léa\nMessage : une question.",
        ),
        email_inbound(
            external_id="n11",
            email_message_id="n11@x",
            sender_address="formulaire@site.example",
            reply_to=("LEA@example.net",),
            subject="Formulaire : autre question",
            text="Nom : Léa\nMessage : une autre question.",
        ),
        # A broken message (no sender that can be identified): kept aside, the others go on
        email_inbound(
            external_id="n12", email_message_id="n12@x", sender_address="pas une adresse"
        ),
        # A bounce about a message Guichet never sent: processed apart, opens nothing
        email_inbound(
            external_id="n13",
            sender_address="MAILER-DAEMON@mx.villebois.fr",
            auto_submitted=True,
            delivery_report=DeliveryReport("failed", "5.0.0", "x@example.org", "", "not-ours@x"),
        ),
        # A request with attachments
        email_inbound(
            external_id="n14",
            email_message_id="n14@x",
            sender_address="hugo@example.org",
            subject="Mon justificatif",
            text="Ci-joint.",
            attachments=(InboundAttachment("acte.pdf", "application/pdf", PDF),),
        ),
        # Three new requests of one sender: the third is not acknowledged (rate limit of 2)
        *(
            email_inbound(
                external_id=f"q{n}",
                email_message_id=f"q{n}@x",
                sender_address="robot@example.org",
                subject=f"Question {n}",
                text="Une question.",
            )
            for n in range(3)
        ),
        # The first message delivered again
        email_inbound(external_id="n1", email_message_id="n1@x", **jeanne),
    ]


def _citizen_label(citizen_id):
    return sorted(
        ContactPoint.objects.filter(citizen_id=citizen_id).values_list("value", flat=True)
    )


def _step(entry):
    """A pipeline note without its time, ids replaced by what they name."""
    entry = {k: v for k, v in entry.items() if k != "at"}
    if entry["step"] == "identify":
        entry["citizen"] = _citizen_label(entry["citizen"])
        entry["other_owners"] = {k: _citizen_label(v) for k, v in entry["other_owners"].items()}
    if entry["step"] == "acknowledge" and "message" in entry:
        entry["message"] = Message.objects.get(pk=entry["message"]).recipient_address
    if entry["step"] == "route" and entry.get("department"):
        entry["department"] = Department.objects.get(pk=entry["department"]).slug
    if entry["step"] == "classify" and entry.get("topic"):
        entry["topic"] = Topic.objects.get(pk=entry["topic"]).slug
    if entry["step"] == "thread":
        entry["case"] = entry["case"].split("-")[-1]
        entry["refused"] = [r.split("-")[-1] for r in entry["refused"]]
        entry["follows"] = entry["follows"] and entry["follows"].split("-")[-1]
    return entry


def outcome(organization):
    """Everything the pipeline left, without ids, dates or the organization's prefix."""
    records = []
    for record in InboundRecord.objects.filter(organization=organization).order_by("pk"):
        case = record.case
        records.append(
            {
                "id": record.external_id,
                "status": record.status,
                "failed_step": record.failed_step,
                "error": record.error,
                "attempts": record.attempts,
                "steps": [_step(s) for s in record.steps],
                "case": case.reference.split("-")[-1] if case else None,
            }
        )
    cases = []
    for case in Case.objects.filter(organization=organization).order_by("reference"):
        cases.append(
            {
                "reference": case.reference.split("-")[-1],
                "citizen": _citizen_label(case.citizen_id),
                "subject": case.subject,
                "status": case.status,
                "channel": case.channel,
                "topic": case.topic.slug if case.topic else None,
                "department": case.department.slug if case.department else None,
                "follows": case.follows.reference.split("-")[-1] if case.follows else None,
                "inbound": case.last_inbound_at is not None,
                "predictions": [
                    (p.model_name, p.topic.slug if p.topic else None, p.auto_routed, p.language)
                    for p in Prediction.objects.filter(case=case).select_related("topic")
                ],
                "timeline": [
                    (e.kind, e.data.get("step", ""), e.message.external_id if e.message else "")
                    for e in CaseEvent.objects.filter(case=case)
                    .select_related("message")
                    .order_by("pk")
                ],
                "conversations": sorted(
                    (c.channel, c.contact_value, c.subject, c.citizen_id == case.citizen_id)
                    for c in Conversation.objects.filter(case=case)
                ),
                "messages": [
                    (
                        m.direction,
                        m.channel,
                        m.external_id,
                        m.sender_address,
                        m.recipient_address,
                        m.subject,
                        m.in_reply_to,
                        m.references,
                        m.is_automatic,
                        m.delivery_status,
                        m.conversation.contact_value,
                        sorted(a.filename for a in Attachment.objects.filter(message=m)),
                    )
                    for m in Message.objects.filter(case=case)
                    .select_related("conversation")
                    .order_by("pk")
                ],
            }
        )
    citizens = sorted(
        (_citizen_label(c.pk), c.display_name)
        for c in Citizen.objects.filter(organization=organization)
    )
    found = {"records": records, "cases": cases, "citizens": citizens}
    # Message-IDs Guichet generates are random; the reference prefix is the organization's.
    text = re.sub(r"\b[0-9a-f]{32}\.", "<uuid>.", json.dumps(found, ensure_ascii=False))
    return json.loads(text.replace(f"{organization.reference_prefix}-", "REF-"))


def test_the_batch_path_ends_exactly_as_receive_one_by_one(
    town,
    twin_town,  # noqa: F811 — the fixture imported above
    email_inbound,
    settings,
):
    # Given two identical towns with the same history, relaying the same web form
    settings.GUICHET_ACKNOWLEDGEMENTS_PER_HOUR = 2
    for organization in (town, twin_town):
        organization.relay_senders = "formulaire@site.example"
        organization.save()
    made = {town.pk: history(town, email_inbound), twin_town.pk: history(twin_town, email_inbound)}
    # When one receives the mailbox message by message and the other in one batch (in memory)
    for inbound in mailbox(town, email_inbound, made[town.pk]):
        receive(town, inbound)
    receptions = ingest_batch(twin_town, mailbox(twin_town, email_inbound, made[twin_town.pk]))
    # Then everything the pipeline wrote is the same
    one_by_one, batched = outcome(town), outcome(twin_town)
    assert batched["records"] == one_by_one["records"]
    assert batched["cases"] == one_by_one["cases"]
    assert batched["citizens"] == one_by_one["citizens"]
    # (and it is what the mailbox meant)
    how = {
        r["id"]: next((s.get("how") for s in r["steps"] if s["step"] == "thread"), None)
        for r in batched["records"]
    }
    assert how["n2"] == "reply headers"
    assert how["n4"] == "reference in subject"
    assert how["n5"] == "reply headers"
    assert how["n6"] == "signed reply address"
    assert how["n7"] == "follow-up of a closed request"
    assert how["n2b"] == "suggested: same citizen, same topic, still open"
    assert how["n11"] == "new request"
    by_id = {r["id"]: r for r in batched["records"]}
    assert by_id["n12"]["status"] == RecordStatus.HELD
    assert by_id["n12"]["failed_step"] == "identify"
    assert by_id["n13"]["status"] == RecordStatus.PROCESSED
    assert by_id["n13"]["case"] is None
    assert by_id["n8"]["steps"][2]["refused"] == ["000004"]
    acknowledged = [r["id"] for r in batched["records"] if r["steps"][-1].get("message")]
    assert acknowledged == [
        *("old-claire", "old-marc", "old-paul"),
        *("n1", "n3", "n7", "n8", "n10", "n11", "n14", "q0", "q1"),
    ]
    assert Case.objects.get(pk=made[twin_town.pk]["claire"].pk).status == Status.OPEN
    assert [r.duplicate for r in receptions][-1] is True
    assert receptions[-1].record == receptions[0].record
    lea = Citizen.objects.get(organization=twin_town, contact_points__value="lea@example.net")
    assert lea.cases.count() == 2
    assert by_id["n2b"]["case"] == by_id["n1"]["case"] == by_id["n2"]["case"]
    # Nothing of one town is in the other
    assert not Case.objects.filter(organization=twin_town, citizen__organization=town).exists()
    assert not Message.objects.filter(organization=twin_town, case__organization=town).exists()


def test_a_failing_message_leaves_nothing_in_memory(town, email_inbound, monkeypatch):
    # Given a batch whose second message fails after it opened a case for a new citizen
    def route(run):
        if run.inbound.subject == "Boom":
            raise RuntimeError("router unavailable")
        return original(run)

    original = dict(pipeline.STEPS)["route"]
    monkeypatch.setattr(
        pipeline, "STEPS", tuple((n, route if n == "route" else f) for n, f in pipeline.STEPS)
    )
    receptions = ingest_batch(
        town,
        [
            email_inbound(external_id="a", sender_address="ana@example.org"),
            email_inbound(external_id="b", subject="Boom", sender_address="boom@example.org"),
            # the same sender again: identified as a new citizen, the failed one left no trace
            email_inbound(external_id="c", subject="Encore", sender_address="boom@example.org"),
        ],
    )
    # Then the failed message is flagged, and the others are whole, numbered without a gap
    assert [r.record.status for r in receptions] == [
        RecordStatus.PROCESSED,
        RecordStatus.FAILED,
        RecordStatus.PROCESSED,
    ]
    assert receptions[1].record.failed_step == "route"
    assert [r.reference for r in receptions] == [f"VIL-{YEAR}-000001", "", f"VIL-{YEAR}-000002"]
    assert ContactPoint.objects.filter(value="boom@example.org").count() == 1
    third = next(s for s in receptions[2].record.steps if s["step"] == "identify")
    assert third["created"] is True
    assert Citizen.objects.count() == 2
    assert Message.objects.filter(inbound_record=receptions[1].record).count() == 0
    assert CaseEvent.objects.filter(case__isnull=True).count() == 0


def test_running_the_same_import_again_creates_nothing(town, twin_town, email_inbound):  # noqa: F811
    made = history(town, email_inbound)
    first = ingest_batch(town, mailbox(town, email_inbound, made))
    counts = [m.objects.count() for m in (InboundRecord, Citizen, Case, Message, CaseEvent)]
    again = ingest_batch(town, mailbox(town, email_inbound, made))
    assert all(r.duplicate for r in again)
    assert [r.reference for r in again] == [r.reference for r in first]
    assert [m.objects.count() for m in (InboundRecord, Citizen, Case, Message, CaseEvent)] == counts


def _queries(organization, inbounds):
    """Queries of one batch, without the SLA engine's (`guichet.sla`, pinned by its own tests)."""
    batch._SPARE.clear()  # (PostgreSQL: no ids left over by an earlier test)
    with CaptureQueriesContext(connection) as captured:
        ingest_batch(organization, inbounds)
    return [q["sql"] for q in captured.captured_queries if '"sla_' not in q["sql"]]


def test_queries_per_batch_are_pinned(town, email_inbound):
    # Given a batch of new requests of new citizens, then one of replies to them
    def new(n):
        return email_inbound(
            external_id=f"new{n}",
            email_message_id=f"new{n}@x",
            sender_address=f"citizen{n}@example.org",
            subject=f"Question {n}",
            text="Une question.",
        )

    def reply(n):
        return email_inbound(
            external_id=f"re{n}",
            email_message_id=f"re{n}@x",
            sender_address=f"citizen{n}@example.org",
            subject=f"Re: Question {n}",
            text="Merci.",
            in_reply_to=(f"new{n}@x",),
        )

    ingest_batch(town, [new(99)])  # (the year's reference counter exists from now on)
    # Then the queries are a fixed number per batch plus two per message: the savepoint its
    # processing runs in (opened, released)
    # (in batches small enough for one insert per table: SQLite takes 999 parameters a statement)
    four_new = _queries(town, [new(n) for n in range(4)])
    eight_new = _queries(town, [new(n) for n in range(4, 12)])
    assert len(eight_new) - len(four_new) == 4 * 2
    # the batch's own: its savepoint (2), new identifiers, the raw records inserted together in
    # a savepoint (3) and their raw files' names stored once written (1), contact points, recent acknowledgements, ids reserved (citizen, case,
    # conversation, message), the reference counter locked and moved on (2), departments and
    # topics (2), one insert per table (5: the acknowledgements with the messages), records
    # updated, timeline events inserted, the triage settings read and the triage predictions
    # inserted (2, guichet.intake.triage)
    assert len(four_new) == 4 * 2 + 26
    # replies: the cases their headers name, their citizens' recent cases and their
    # conversations (4 reads) instead of ids, counter and setup; one insert (their messages) and
    # four updates (contact points seen, conversations, cases, records); on SQLite, the message
    # ids reserved for acknowledgements that were not written are given back (1)
    eight_replies = _queries(town, [reply(n) for n in range(4, 12)])
    assert len(eight_replies) == 8 * 2 + 20 + (connection.vendor == "sqlite")
    assert Message.objects.filter(in_reply_to__startswith="new").count() == 13 + 8


def test_another_organization_s_rows_are_never_read(town, other_town, email_inbound):
    # Given a citizen and a request in the other town, with the same address and Message-ID
    other = receive(other_town, email_inbound(external_id="o1", email_message_id="shared@x")).case
    # When the town ingests a reply naming the other town's message and reference
    [reception] = ingest_batch(
        town,
        [
            email_inbound(
                external_id="t1",
                in_reply_to=("shared@x",),
                subject=f"Re: {other.reference}",
            )
        ],
    )
    # Then it is a new request of a new citizen of the town
    assert reception.case.organization == town
    assert reception.case != other
    assert reception.case.citizen.organization == town
    assert Citizen.objects.filter(organization=town).count() == 1


def test_ids_come_from_the_tables_sequences_without_gaps(town, email_inbound):
    # Given a batch of two requests and a reply (fewer rows than the ids it reserved)
    first = ingest_batch(
        town,
        [
            email_inbound(external_id="a", email_message_id="a@x"),
            email_inbound(external_id="b", sender_address="paul@example.org"),
            email_inbound(external_id="c", in_reply_to=("a@x",), subject="Re: acte"),
        ],
    )
    # When a message comes the usual way
    later = receive(town, email_inbound(external_id="d", sender_address="zoe@example.org")).case
    # Then its rows take ids the batch did not use, never one it did
    cases = [r.case.pk for r in first]
    assert cases[0] == cases[2]
    assert later.pk > cases[1] > cases[0]
    if connection.vendor == "sqlite":
        # (the ids the batch reserved and did not use are given back: no gap)
        assert later.pk == cases[1] + 1
        assert later.citizen_id == first[1].case.citizen_id + 1
    assert isinstance(BatchStore(town, []), BatchStore)
