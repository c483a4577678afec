"""What a batch of the inbound pipeline (`ingest_batch`) queues once it commits, and how it writes
its raw records: the new cases' routing and the repeat-contact checks in one task each per batch
(never a case whose message was rolled back), the raw records inserted together after their
files, and the one-by-one path kept when the batch cannot insert them together."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks.signals import task_enqueued

from guichet.cases import tasks as case_tasks
from guichet.cases.actions import new_event
from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.cases.repeats import check_repeat_contact_on_commit, checking_repeats_together
from guichet.citizens.models import Citizen, ContactPoint
from guichet.conversations import tasks as conversation_tasks
from guichet.conversations.models import Direction, Message
from guichet.conversations.tasks import deliver_message_task
from guichet.intake import pipeline
from guichet.intake.batch import insert_rows
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.pipeline import ingest_batch, persist_new_records, receive
from guichet.routing import tasks as routing_tasks
from guichet.routing.hooks import enqueue_case_on_commit, enqueuing_cases_together
from guichet.routing.models import RoutingItem
from tests.factories import CaseFactory, CitizenFactory

NAMES = {
    "enqueue_case_task": "case",
    "enqueue_cases_task": "cases",
    "check_repeat_contact_task": "repeat",
    "check_repeat_contacts_task": "repeats",
}


@pytest.fixture
def queued():
    """The routing and repeat-contact tasks enqueued, in order, with their argument."""
    calls: list[tuple[str, object]] = []

    def seen(sender, task_result, **kwargs):
        name = NAMES.get(task_result.task.func.__name__)
        if name is not None:
            calls.append((name, task_result.args[0]))

    task_enqueued.connect(seen)
    yield calls
    task_enqueued.disconnect(seen)


def _fail_on_subject(monkeypatch, word):
    """The acknowledge step — the last, after the thread and route steps registered their
    on-commit callbacks — raises for messages whose subject holds this word."""
    original = dict(pipeline.STEPS)["acknowledge"]

    def acknowledge(run):
        if word in run.inbound.subject:
            raise RuntimeError("mail server unavailable")
        return original(run)

    monkeypatch.setattr(
        pipeline,
        "STEPS",
        tuple((n, acknowledge if n == "acknowledge" else f) for n, f in pipeline.STEPS),
    )


@pytest.mark.django_db(transaction=True)
def test_a_committed_batch_queues_its_new_cases_in_one_task_without_the_rolled_back_one(
    town, departments, email_inbound, queued, monkeypatch
):
    # Given a batch of three new requests, the last failing after it was routed (last: the ids
    # a rolled-back message reserved are handed to the next ones)
    _fail_on_subject(monkeypatch, "Boom")
    receptions = ingest_batch(
        town,
        [
            email_inbound(external_id="a"),
            email_inbound(external_id="c", sender_address="paul@example.org"),
            email_inbound(external_id="b", subject="Boom", sender_address="boom@example.org"),
        ],
    )
    # Then one routing task carries the two cases kept, none carries the rolled-back one
    kept = [receptions[0].case.pk, receptions[1].case.pk]
    assert receptions[2].record.status == RecordStatus.FAILED
    assert [(name, ids) for name, ids in queued if name in ("case", "cases")] == [("cases", kept)]
    # and it ran: each kept case has its routing item, and only they
    assert sorted(RoutingItem.objects.values_list("case_id", flat=True)) == sorted(kept)
    assert Case.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_batch_queues_its_repeat_checks_in_one_task_each_case_once(
    town, departments, email_inbound, queued, monkeypatch
):
    # Given two requests, then a batch with two follow-ups on the first and one on the second
    # that fails after its thread step registered its check
    first, second = (
        r.case
        for r in ingest_batch(
            town,
            [
                email_inbound(external_id="a"),
                email_inbound(external_id="z", sender_address="paul@example.org"),
            ],
        )
    )
    _fail_on_subject(monkeypatch, "Boom")
    queued.clear()
    follow_up = {"subject": f"Re: [{first.reference}]", "text": "Des nouvelles ?"}
    ingest_batch(
        town,
        [
            email_inbound(external_id="b", **follow_up),
            email_inbound(external_id="c", **follow_up),
            email_inbound(
                external_id="d",
                subject=f"Re: [{second.reference}] Boom",
                sender_address="paul@example.org",
                text="Alors ?",
            ),
        ],
    )
    # Then one check, for the first case once, none for the rolled-back follow-up; no routing
    # task (no new case)
    assert queued == [("repeats", [first.pk])]


def _raw_files(settings):
    return sorted(p.name for p in Path(settings.MEDIA_ROOT).rglob("*.eml"))


@pytest.mark.django_db(transaction=True)
def test_a_batch_rolled_back_whole_queues_nothing_and_leaves_no_raw_file(
    town, departments, email_inbound, queued, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path

    def lost_connection(self):
        raise OSError("server closed the connection unexpectedly")

    # every message processed, then the batch fails before its commit
    monkeypatch.setattr(pipeline._Batch, "write_events", lost_connection)
    with pytest.raises(OSError, match="server closed"):
        ingest_batch(
            town,
            [
                email_inbound(external_id="a", raw=b"From: a@example.org\r\n\r\nBonjour"),
                email_inbound(external_id="b", raw=b"From: b@example.org\r\n\r\nBonjour"),
            ],
        )
    assert queued == []
    assert RoutingItem.objects.count() == 0
    assert InboundRecord.objects.count() == 0
    assert _raw_files(settings) == []


@pytest.mark.django_db(transaction=True)
def test_receive_alone_queues_one_task_per_case_as_before(town, departments, email_inbound, queued):
    case = receive(town, email_inbound(external_id="a")).case
    receive(town, email_inbound(external_id="b", subject=f"Re: [{case.reference}]"))
    assert queued == [("case", case.pk), ("repeat", case.pk)]
    assert RoutingItem.objects.filter(case=case).count() == 1


@pytest.mark.django_db(transaction=True)
def test_callbacks_run_after_the_block_queue_their_case_alone(town, departments, queued):
    # Given a transaction still open when the blocks end (a caller's own transaction)
    case = _case(town)
    with transaction.atomic():
        with enqueuing_cases_together(), checking_repeats_together():
            enqueue_case_on_commit(case)
            check_repeat_contact_on_commit(case, previous_inbound_at=None)
        assert queued == []
    # Then at its commit each is queued alone, nothing is lost
    assert queued == [("case", case.pk), ("repeat", case.pk)]


@pytest.mark.django_db(transaction=True)
def test_nested_blocks_join_the_outer_one(town, departments, queued):
    cases = [_case(town) for _ in range(2)]
    with enqueuing_cases_together():
        with transaction.atomic(), enqueuing_cases_together():
            enqueue_case_on_commit(cases[0])
        with transaction.atomic():
            enqueue_case_on_commit(cases[1])
            enqueue_case_on_commit(cases[1])
        assert queued == []
    assert queued == [("cases", [cases[0].pk, cases[1].pk])]


@pytest.mark.django_db
def test_the_batch_tasks_try_every_case_then_raise_the_first_error(town, departments, monkeypatch):
    cases = [_case(town, department=departments["accueil"]) for _ in range(3)]
    original = routing_tasks.actions.enqueue_case

    def enqueue_case(case):
        if case.pk == cases[1].pk:
            raise RuntimeError("queue unavailable")
        return original(case)

    monkeypatch.setattr(routing_tasks.actions, "enqueue_case", enqueue_case)
    with pytest.raises(RuntimeError, match="queue unavailable"):
        routing_tasks.enqueue_cases_task.call([c.pk for c in cases])
    assert sorted(RoutingItem.objects.values_list("case_id", flat=True)) == [
        cases[0].pk,
        cases[2].pk,
    ]
    # idempotent: run again, the items are the same ones (and a case gone is skipped)
    monkeypatch.setattr(routing_tasks.actions, "enqueue_case", original)
    items = routing_tasks.enqueue_cases_task.call([c.pk for c in cases] + [999_999])
    assert items[3] is None
    assert RoutingItem.objects.count() == 3
    assert items[0] == RoutingItem.objects.get(case=cases[0]).pk


@pytest.mark.django_db
def test_the_repeat_checks_task_checks_every_case(town, monkeypatch):
    checked = []

    def check(case_id):
        checked.append(case_id)
        if case_id == 2:
            raise RuntimeError("database gone")
        return None

    monkeypatch.setattr(case_tasks, "check_repeat_contact", check)
    with pytest.raises(RuntimeError, match="database gone"):
        case_tasks.check_repeat_contacts_task.call([1, 2, 3])
    assert checked == [1, 2, 3]
    assert case_tasks.check_repeat_contacts_task.call([1, 3]) == [False, False]


# --- raw records written together ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_inserts_its_raw_records_in_one_statement_with_their_files(town, email_inbound):
    inbounds = [
        email_inbound(external_id=f"m{n}", raw=f"From: x{n}@example.org\r\n\r\n{n}".encode())
        for n in range(5)
    ]
    with CaptureQueriesContext(connection) as queries:
        receptions = ingest_batch(town, [*inbounds, inbounds[2]])
    inserts = [
        q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "intake_inboundrecord"')
    ]
    assert len(inserts) == 1
    records = [r.record for r in receptions]
    assert [r.duplicate for r in receptions] == [False] * 5 + [True]
    assert records[5] == records[2]
    assert records == [*sorted(records[:5], key=lambda r: r.pk), records[2]]
    for n, record in enumerate(records[:5]):
        stored = InboundRecord.objects.get(pk=record.pk)
        assert stored.status == RecordStatus.PROCESSED
        with stored.raw_file.open("rb") as handle:
            assert handle.read() == f"From: x{n}@example.org\r\n\r\n{n}".encode()
        assert stored.raw_file.name.startswith(f"inbound/{town.pk}/")
        assert stored.raw_file.name.endswith(".eml")
    assert len({r.raw_file.name for r in records[:5]}) == 5


@pytest.mark.django_db
def test_records_persisted_together_equal_those_persisted_one_by_one(
    town, other_town, email_inbound, settings
):
    settings.GUICHET_INBOUND_MAX_BYTES = 30
    inbounds = [
        email_inbound(external_id="small", raw=b"From: a@example.org\r\n\r\nhi"),
        email_inbound(external_id="large", raw=b"From: a@example.org\r\n\r\n" + b"x" * 40),
        email_inbound(external_id="empty", raw=b""),
    ]
    together, files = persist_new_records(town, inbounds)
    files.finish()
    one_by_one = [receive(other_town, inbound).record for inbound in inbounds]

    def seen(record):
        record = InboundRecord.objects.get(pk=record.pk)
        return (
            record.external_id,
            record.request_fingerprint,
            record.payload,
            record.raw_size,
            record.failed_step,
            record.error,
            Path(record.raw_file.name).suffix,
            record.raw_file.read() if record.raw_file else b"",
        )

    assert [seen(r) for r in together] == [seen(r) for r in one_by_one]
    assert [r.status for r in together] == [
        RecordStatus.RECEIVED,
        RecordStatus.HELD,
        RecordStatus.RECEIVED,
    ]


@pytest.mark.django_db
def test_an_identifier_taken_meanwhile_falls_back_to_one_by_one(town, email_inbound, monkeypatch):
    # Given a record another process inserted after the batch found its identifier unused
    taken = receive(town, email_inbound(external_id="taken")).record
    monkeypatch.setattr(
        pipeline,
        "_unknown_identifiers",
        lambda organization, batch: {(i.channel, i.external_id) for i in batch},
    )
    files_before = _files()
    # When the batch runs
    receptions = ingest_batch(
        town,
        [email_inbound(external_id="new"), email_inbound(external_id="taken")],
    )
    # Then the taken one is a duplicate, the new one is received, no file is left behind
    assert [r.duplicate for r in receptions] == [False, True]
    assert receptions[1].record == taken
    assert receptions[0].record.status == RecordStatus.PROCESSED
    assert InboundRecord.objects.count() == 2
    assert len(_files() - files_before) == 1


@pytest.mark.django_db
def test_a_raw_file_that_cannot_be_written_stops_the_batch(town, email_inbound, monkeypatch):
    def broken(record, inbound):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(pipeline, "_save_raw_file", broken)
    with pytest.raises(OSError, match="Input/output"):
        ingest_batch(town, [email_inbound(external_id="a"), email_inbound(external_id="b")])
    assert InboundRecord.objects.count() == 0


def _files() -> set[Path]:
    from django.conf import settings

    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


def _case(organization, **fields):
    return CaseFactory(citizen=CitizenFactory(organization=organization), **fields)


# --- rows inserted without Django's per-value compilation ---------------------------------------


def _event_rows(case):
    return list(
        CaseEvent.objects.filter(case=case)
        .order_by("pk")
        .values("organization_id", "kind", "actor_id", "actor_label", "message_id", "data")
    )


@pytest.mark.django_db
def test_insert_rows_writes_what_bulk_create_writes(town):
    # Given events with every kind of value (text, JSON with accents and numbers, a date, none)
    cases = [_case(town), _case(town)]
    at = timezone.now() - timedelta(days=2)

    def events(case):
        return [
            new_event(
                case, EventKind.PIPELINE, data={"step": "route", "reasons": ["é", 1.5]}, at=at
            ),
            new_event(case, EventKind.CREATED, actor_label="Jeanne", at=at + timedelta(hours=1)),
            new_event(case, EventKind.PIPELINE, data={}, at=at.replace(microsecond=0)),
        ]

    # When one set is written by bulk_create and the other by insert_rows
    CaseEvent.objects.bulk_create(events(cases[0]))
    insert_rows(CaseEvent, events(cases[1]))
    # Then the rows are the same, dates included
    assert _event_rows(cases[1]) == _event_rows(cases[0])
    assert list(
        CaseEvent.objects.filter(case=cases[1]).order_by("pk").values_list("created_at", flat=True)
    ) == list(
        CaseEvent.objects.filter(case=cases[0]).order_by("pk").values_list("created_at", flat=True)
    )


@pytest.mark.django_db
def test_insert_rows_keeps_given_ids_and_takes_ids_of_related_rows_given_before(town):
    # Given a citizen with an id chosen by the caller, and a contact point given the citizen
    # before that id was set
    citizen = Citizen(organization=town, display_name="Zoé Ærø")
    point = ContactPoint(organization=town, citizen=citizen, kind="email", value="zoe@example.org")
    citizen.pk = 4242
    # When both are inserted
    insert_rows(Citizen, [citizen])
    insert_rows(ContactPoint, [point])
    # Then the rows are linked, with the chosen id, and the objects know they are stored
    stored = ContactPoint.objects.select_related("citizen").get(value="zoe@example.org")
    assert (stored.citizen.pk, stored.citizen.display_name) == (4242, "Zoé Ærø")
    assert not citizen._state.adding
    assert point.pk is None  # (an id taken by the database is not read back)


# --- deliveries ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_with_a_database_task_queue_a_batch_queues_its_deliveries_in_one_task(
    town, email_inbound, mailoutbox, monkeypatch
):
    # Given a task backend that is not run in process (as the database one of `make run`)
    import django_tasks.backends.immediate as immediate

    deliver_message_task.get_backend()  # (loaded before its class is hidden)
    monkeypatch.setattr(immediate, "ImmediateBackend", type("NotInProcess", (), {}))
    queued: list[tuple[str, object]] = []

    def seen(sender, task_result, **kwargs):
        if task_result.task.func.__name__.startswith("deliver_"):
            queued.append((task_result.task.func.__name__, task_result.args[0]))

    task_enqueued.connect(seen)
    try:
        ingest_batch(
            town,
            [
                email_inbound(external_id="a"),
                email_inbound(external_id="b", sender_address="paul@example.org"),
            ],
        )
    finally:
        task_enqueued.disconnect(seen)
    # Then one task carries both acknowledgements, and delivers them
    acknowledgements = list(
        Message.objects.filter(direction=Direction.OUTBOUND)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert len(acknowledgements) == 2
    assert queued == [("deliver_messages_task", acknowledgements)]
    assert sorted(m.to[0] for m in mailoutbox) == ["jeanne.dupont@example.org", "paul@example.org"]


@pytest.mark.django_db
def test_the_deliveries_task_tries_every_message(monkeypatch):
    tried = []

    def deliver(message_id):
        tried.append(message_id)
        if message_id == 2:
            raise RuntimeError("database gone")

    monkeypatch.setattr(conversation_tasks, "deliver", deliver)
    with pytest.raises(RuntimeError, match="database gone"):
        conversation_tasks.deliver_messages_task.call([1, 2, 3])
    assert tried == [1, 2, 3]
    assert conversation_tasks.deliver_messages_task.call([4]) == ["skipped"]


@pytest.mark.django_db(transaction=True)
def test_raw_files_are_deleted_when_storing_the_attachments_fails(
    town, email_inbound, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path

    def full_disk(record, inbound):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline, "_store_inbound_attachments", full_disk)
    with pytest.raises(OSError, match="No space left"):
        ingest_batch(town, [email_inbound(external_id="a"), email_inbound(external_id="b")])
    assert InboundRecord.objects.count() == 0
    assert _raw_files(settings) == []
