"""The inbound pipeline: one entry point for every channel.

1. persist raw first (idempotent on channel + external id, and on the Idempotency-Key)
2. identify the citizen from normalised contact points
3. thread into an existing case, or open one
4. classify the topic
5. route to a department's queue
6. acknowledge with the reference and the announced delay

Steps 2-6 run in one transaction: if one fails, nothing of them is kept but the raw record, which
is flagged with the failed step and retried; the administrators see it. Nothing is dropped, nothing
is doubled.

`receive` takes one message; `ingest_batch` takes many for one organization in one transaction
(each message in savepoints of its own), for mailbox and file imports: see docs/performance.md.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.cases.actions import (
    append_event,
    new_event,
)
from guichet.cases.models import Case, EventKind
from guichet.cases.repeats import checking_repeats_together
from guichet.channels.base import InboundMessage
from guichet.conversations.attachments import store_attachment
from guichet.conversations.models import Channel, DeliveryStatus, Direction, Message
from guichet.intake.batch import BatchStore, NeedsDatabase, supported, update_rows
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.runs import PermanentFailure, _Batch, _Run
from guichet.intake.steps import STEPS
from guichet.intake.stores import DATABASE, save_processed
from guichet.live.publish import publishing_together
from guichet.organizations.models import ApiToken, Organization
from guichet.sla.policies import sla_snapshots

logger = logging.getLogger(__name__)

STEP_NAMES = ("persist", "identify", "thread", "classify", "route", "acknowledge")


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request."""


@dataclass
class Reception:
    record: InboundRecord
    duplicate: bool

    @property
    def case(self) -> Case | None:
        return self.record.case

    @property
    def reference(self) -> str:
        return self.record.case.reference if self.record.case else ""


# ---------------------------------------------------------------------------------------------
# 1. persist raw first


def receive(
    organization: Organization,
    inbound: InboundMessage,
    *,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    api_token: ApiToken | None = None,
) -> Reception:
    """Hand one inbound message to Guichet. Returns the raw record (with its case once processed);
    a message received before is not processed again (`duplicate=True`)."""
    return _receive(
        organization,
        inbound,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        api_token=api_token,
        batch=None,
    )


def ingest_batch(
    organization: Organization, inbounds: Iterable[InboundMessage], *, in_memory: bool = True
) -> list[Reception]:
    """Receive several messages for one organization in one transaction, each as `receive` would.

    For readers of a mailbox or of files (an IMAP poll, an import of .eml files): one commit per
    batch instead of two per message, the organization's departments and topics read once, the
    new identifiers found in one query, the timeline events written in one insert.
    Each message keeps its own guarantees inside the batch: it is persisted raw (in a savepoint),
    then processed in a savepoint of its own, so a message whose processing fails is rolled back
    alone and flagged for retry while the others are kept; a duplicate is recognised, even of a
    message earlier in the same batch.

    What the batch changes: the raw records are committed with their processing, at the end of
    the batch. An error that escapes `receive` (storage or database unavailable) rolls the whole
    batch back and is raised: the caller must acknowledge its source (mark the IMAP messages, move
    the files) only after this function returns, and may simply run the batch again.

    `in_memory` (the default, on PostgreSQL and SQLite 3.35+): the steps run on a `BatchStore`
    (`guichet.intake.batch`), which reads what the batch needs in a few queries and writes the
    new rows per table when the batch ends; otherwise on the database, one statement at a time.
    """
    from guichet.routing.hooks import enqueuing_cases_together

    inbound_list = list(inbounds)
    memory = BatchStore(organization, inbound_list) if in_memory and supported() else None
    batch = _Batch(defer_events=True, memory=memory)
    # The SLA policies and calendars read once for the batch; once it commits, its live events
    # published in one write, its new cases queued for routing in one task, its repeat-contact
    # checks in another.
    with (
        publishing_together(),
        enqueuing_cases_together(),
        checking_repeats_together(),
        sla_snapshots(),
    ):
        raw_files = RawFiles([])
        try:
            with transaction.atomic():
                # Which of these identifiers are new, in one query rather than one per message;
                # their records inserted together.
                batch.unknown_ids = _unknown_identifiers(organization, inbound_list)
                raw_files = _persist_new(organization, inbound_list, batch)
                if memory is not None:
                    memory.preload()
                receptions = [
                    _receive(organization, inbound, batch=batch) for inbound in inbound_list
                ]
                if memory is not None:
                    memory.write()
                batch.write_events()
                raw_files.finish()
        except BaseException:
            # Rolled back (or the commit failed): no record points to the batch's raw files.
            raw_files.discard()
            raise
    return receptions


def _unknown_identifiers(
    organization: Organization, batch: list[InboundMessage]
) -> set[tuple[str, str]]:
    """The (channel, external id) pairs of `batch` that no record of the organization has."""
    wanted = {(inbound.channel, inbound.external_id[:300]) for inbound in batch}
    known = set(
        InboundRecord.objects.filter(
            organization=organization, external_id__in={external_id for _, external_id in wanted}
        ).values_list("channel", "external_id")
    )
    return wanted - known


def _persist_new(
    organization: Organization, inbounds: list[InboundMessage], batch: _Batch
) -> RawFiles:
    """Step 1 of the batch's new messages (the first message of each unknown identifier), at
    once: `persist_new_records`; their records kept in `batch.persisted` by message (`id()`),
    for `_receive` to take. If another process inserted one of them meanwhile, nothing is
    inserted here and every message of the batch looks for its record first, one by one, as
    `receive` does. Returns the raw files being written."""
    if not transaction.get_connection().features.can_return_rows_from_bulk_insert:
        return RawFiles([])  # the records' ids are needed at once (SQLite before 3.35)
    new: dict[int, InboundMessage] = {}
    identifiers: set[tuple[str, str]] = set()
    for inbound in inbounds:
        identifier = (inbound.channel, inbound.external_id[:300])
        if identifier in batch.unknown_ids and identifier not in identifiers:
            identifiers.add(identifier)
            new[id(inbound)] = inbound
    try:
        records, files = persist_new_records(organization, list(new.values()))
    except IdentifierTaken:
        batch.unknown_ids = set()
        return RawFiles([])
    batch.persisted = dict(zip(new, records, strict=True))
    return files


def persist_new_records(
    organization: Organization, inbounds: Sequence[InboundMessage]
) -> tuple[list[InboundRecord], RawFiles]:
    """Step 1 for messages whose identifiers were just found unused, in the transaction still
    open (`ingest_batch`): what `persist_raw` does for each (content fingerprints as `receive`
    takes them), with the records inserted in one statement (in a savepoint) and their raw
    files written meanwhile by a few threads: the caller goes on with the records and calls
    `RawFiles.finish()` before its transaction commits (or `discard()` if it rolls back). If one
    of the identifiers was taken meanwhile (another process), raises `IdentifierTaken` with
    nothing inserted or written."""
    built = [
        _new_record(
            organization,
            inbound,
            fingerprint=hashlib.sha256(inbound.raw).hexdigest() if inbound.raw else "",
        )
        for inbound in inbounds
    ]
    records = [record for record, _ in built]
    try:
        with transaction.atomic():
            InboundRecord.objects.bulk_create(records)
    except IntegrityError as exc:
        raise IdentifierTaken(str(exc)) from exc
    files = RawFiles(list(zip(records, inbounds, strict=True)))
    try:
        for (record, too_large), inbound in zip(built, inbounds, strict=True):
            if not too_large:
                _store_inbound_attachments(record, inbound)
    except BaseException:
        files.discard()
        raise
    return records, files


class IdentifierTaken(Exception):
    """`persist_new_records`: another process inserted one of the identifiers meanwhile."""


# Threads writing the raw files of `RawFiles`.
RAW_FILE_WRITERS = 4


@functools.cache
def _raw_file_writers() -> ThreadPoolExecutor:
    """One pool per process, started when first needed."""
    return ThreadPoolExecutor(RAW_FILE_WRITERS, thread_name_prefix="raw-files")


class RawFiles:
    """The raw files of records inserted without them, written in the background: creating a
    file waits on the disk (from 30 µs to 1 ms on the benchmark's machine, with the load), not on
    Python, so a batch goes on processing its messages meanwhile. Each is saved as `persist_raw`
    saves it (its name from the storage). `finish()`, before the transaction commits, waits for
    them and stores their names on the records (one `UPDATE` for all); an error writing one is
    raised there, and the batch is rolled back whole, as when `persist_raw` fails. Storages other
    than the local file system are written at once, one file after the other."""

    def __init__(self, pairs: list[tuple[InboundRecord, InboundMessage]]) -> None:
        self.records = [record for record, inbound in pairs if inbound.raw]
        pairs = [(record, inbound) for record, inbound in pairs if inbound.raw]
        self._futures: list[Future[None]] = []
        if not isinstance(InboundRecord.raw_file.field.storage, FileSystemStorage):
            for record, inbound in pairs:
                _save_raw_file(record, inbound)
            return
        writers = _raw_file_writers()
        self._futures = [writers.submit(_save_raw_file, r, i) for r, i in pairs]

    def wait(self) -> None:
        """Wait for every file (written or failed), raise the first error."""
        errors = [exc for future in self._futures if (exc := future.exception()) is not None]
        if errors:
            raise errors[0]

    def discard(self) -> None:
        """The batch is rolled back: wait for the writers (without raising: the batch's own error
        is what matters), then delete the files written, which no record points to any more."""
        for future in self._futures:
            future.exception()
        for record in self.records:
            name = record.raw_file.name
            if not name:
                continue
            try:
                record.raw_file.storage.delete(name)
            except OSError:
                logger.exception("raw file %s of a rolled-back batch not deleted", name)

    def finish(self) -> None:
        self.wait()
        if self.records:
            update_rows(InboundRecord, self.records, ["raw_file"])


def _save_raw_file(record: InboundRecord, inbound: InboundMessage) -> None:
    record.raw_file.save(inbound.raw_filename, ContentFile(inbound.raw), save=False)


def _receive(
    organization: Organization,
    inbound: InboundMessage,
    *,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    api_token: ApiToken | None = None,
    batch: _Batch | None,
) -> Reception:
    # Without a caller's fingerprint, the raw bytes tell two messages under one identifier apart
    # (mail clients do reuse Message-IDs); callers that give one define what "the same" means.
    content_checked = not fingerprint and bool(inbound.raw)
    if content_checked:
        fingerprint = hashlib.sha256(inbound.raw).hexdigest()
    known_new = False
    persisted = None
    if batch is not None and not idempotency_key:
        identifier = (inbound.channel, inbound.external_id[:300])
        known_new = identifier in batch.unknown_ids
        batch.unknown_ids.discard(identifier)
        persisted = batch.persisted.pop(id(inbound), None)
    if persisted is not None:
        record, created = persisted, True
    else:
        record, created = _persist_raw(
            organization,
            inbound,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            api_token=api_token,
            keep_reused_identifiers=content_checked,
            known_new=known_new,
        )
    if not created:
        if batch is not None and batch.memory is not None:
            # Processed earlier in this batch, not written yet: the batch holds its outcome.
            record = batch.memory.pending_record(record.pk) or record
        if record.status in (RecordStatus.RECEIVED, RecordStatus.FAILED):
            _process(record, batch=batch)
        return Reception(record, duplicate=True)
    if record.status == RecordStatus.RECEIVED:
        # Inside a transaction still open (a batch), no other process can see the new record:
        # there is no one to wait for on its row lock.
        _process(record, batch=batch, unseen=transaction.get_connection().in_atomic_block)
    return Reception(record, duplicate=False)


def _existing(
    organization: Organization,
    inbound: InboundMessage,
    idempotency_key: str | None,
    fingerprint: str,
) -> InboundRecord | None:
    if idempotency_key:
        keyed = _first(
            InboundRecord.objects.filter(organization=organization, idempotency_key=idempotency_key)
        )
        if keyed is not None:
            if (
                fingerprint
                and keyed.request_fingerprint
                and keyed.request_fingerprint != fingerprint
            ):
                raise IdempotencyConflict(idempotency_key)
            return keyed
    return _first(
        InboundRecord.objects.filter(
            organization=organization,
            channel=inbound.channel,
            external_id=inbound.external_id[:300],
        )
    )


def _first(records: QuerySet[InboundRecord]) -> InboundRecord | None:
    """The record (with its case) if there is one. Most messages are new: a probe for its id
    costs half the query that reads a whole record and its case."""
    pk = records.values_list("pk", flat=True).first()
    if pk is None:
        return None
    return InboundRecord.objects.filter(pk=pk).select_related("case").first()


def _reused_identifier(
    existing: InboundRecord, idempotency_key: str | None, fingerprint: str
) -> bool:
    """Same channel and external id as `existing`, but other content (without Idempotency-Key,
    whose reuse is a conflict handled by `_existing`)."""
    return bool(
        not idempotency_key
        and fingerprint
        and existing.request_fingerprint
        and existing.request_fingerprint != fingerprint
    )


def persist_raw(
    organization: Organization,
    inbound: InboundMessage,
    *,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    api_token: ApiToken | None = None,
    keep_reused_identifiers: bool = False,
) -> tuple[InboundRecord, bool]:
    return _persist_raw(
        organization,
        inbound,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        api_token=api_token,
        keep_reused_identifiers=keep_reused_identifiers,
    )


def _persist_raw(
    organization: Organization,
    inbound: InboundMessage,
    *,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    api_token: ApiToken | None = None,
    keep_reused_identifiers: bool = False,
    known_new: bool = False,
) -> tuple[InboundRecord, bool]:
    """`persist_raw`; `known_new`: the identifier was just checked to be unused (no lookup)."""
    existing = None if known_new else _existing(organization, inbound, idempotency_key, fingerprint)
    if existing is not None and not (
        keep_reused_identifiers and _reused_identifier(existing, idempotency_key, fingerprint)
    ):
        return existing, False
    if existing is not None:
        # Another message under an identifier already used (a client reusing a Message-ID): it
        # is kept under a derived identifier rather than taken for the first one.
        inbound = dataclasses.replace(
            inbound,
            external_id=f"{inbound.external_id[:270]}#{fingerprint[:24]}",
            problems=(*inbound.problems, "identifier already used by another message"),
        )
        existing = _existing(organization, inbound, None, fingerprint)
        if existing is not None:
            return existing, False
    record, too_large = _new_record(
        organization,
        inbound,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        api_token=api_token,
    )
    try:
        with transaction.atomic():
            if inbound.raw:
                _save_raw_file(record, inbound)
            record.save()
            if not too_large:
                _store_inbound_attachments(record, inbound)
    except IntegrityError:
        if record.raw_file:
            record.raw_file.delete(save=False)
        existing = _existing(organization, inbound, idempotency_key, fingerprint)
        if existing is None:
            raise
        return existing, False
    return record, True


def _new_record(
    organization: Organization,
    inbound: InboundMessage,
    *,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    api_token: ApiToken | None = None,
) -> tuple[InboundRecord, bool]:
    """The raw record of `inbound`, not saved, and whether it is too large (then kept aside)."""
    now = timezone.now()
    record = InboundRecord(
        organization=organization,
        channel=inbound.channel,
        external_id=inbound.external_id[:300],
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        api_token=api_token,
        payload=inbound.to_payload(),
        raw_size=len(inbound.raw),
        received_at=now,
        steps=[{"step": "persist", "at": now.isoformat(), "size": len(inbound.raw)}],
    )
    too_large = len(inbound.raw) > settings.GUICHET_INBOUND_MAX_BYTES
    if too_large:
        record.status = RecordStatus.HELD
        record.failed_step = "persist"
        record.error = _(
            "The message is %(size)s MB, above the %(limit)s MB limit: kept aside."
        ) % {
            "size": round(len(inbound.raw) / 1_048_576, 1),
            "limit": round(settings.GUICHET_INBOUND_MAX_BYTES / 1_048_576, 1),
        }
    return record, too_large


def _store_inbound_attachments(record: InboundRecord, inbound: InboundMessage) -> None:
    budget = settings.GUICHET_MESSAGE_ATTACHMENTS_MAX_BYTES
    for item in inbound.attachments:
        attachment = store_attachment(
            organization_id=record.organization_id,
            filename=item.filename,
            declared_type=item.content_type,
            content=item.content,
            is_inline=item.is_inline,
            content_id=item.content_id,
            budget_left=budget,
            inbound_record=record,
        )
        if not attachment.refused_reason:
            budget -= attachment.size


# ---------------------------------------------------------------------------------------------
# 2-6. processing


def process_record(record: InboundRecord) -> InboundRecord:
    """Run steps 2-6 on a persisted record. On failure the record keeps its raw content and is
    flagged with the step, the error and when it will be retried."""
    return _process(record)


# The SLA configuration read once per message (once per batch in `ingest_batch`'s scope).
@sla_snapshots()
def _process(
    record: InboundRecord,
    *,
    batch: _Batch | None = None,
    unseen: bool = False,
    on_database: bool = False,
) -> InboundRecord:
    """`process_record`; `unseen`: the record was created in the transaction still open, so no
    other process can hold it (its row lock is not taken). In a batch with a `BatchStore`, the
    message is processed in memory unless `on_database` (see `guichet.intake.batch`)."""
    organization = record.organization
    inbound = InboundMessage.from_payload(record.payload)
    memory = None if batch is None or on_database else batch.memory
    if memory is not None and inbound.delivery_report is not None:
        # It reads and writes the messages it reports on directly: on the database.
        memory.write()
        memory.reread()
        memory = None
    run = _Run(
        record=record,
        inbound=inbound,
        organization=organization,
        batch=batch,
        store=memory if memory is not None else DATABASE,
    )
    current = "identify"
    if memory is not None:
        memory.begin()
    try:
        # What the pipeline writes (reasons, acknowledgement) is in the organization's language,
        # whatever the language of the request that brought the message in.
        with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
            if not unseen:
                # Two processes handed the same record (a double submit, a retry racing a
                # re-import) queue on this lock; the second finds it processed and stops.
                status = (
                    InboundRecord.objects.select_for_update()
                    .values_list("status", flat=True)
                    .get(pk=record.pk)
                )
                if status == RecordStatus.PROCESSED:
                    record.refresh_from_db()
                    return record
            if inbound.delivery_report is not None:
                current = "delivery report"
                _apply_delivery_report(run)
                return record
            for name, step in STEPS:
                current = name
                step(run)
            _finish(run)
    except NeedsDatabase:
        assert memory is not None  # noqa: S101 — raised by a BatchStore only
        # Undone in memory (and in the database by the savepoint): run again on the database,
        # after the batch's rows so far are written.
        memory.rollback()
        memory.write()
        _process(record, batch=batch, unseen=unseen, on_database=True)
        memory.reread()
        return record
    except Exception as exc:
        if memory is not None:
            memory.rollback()
        _fail(record, current, exc)
        return record
    if memory is not None:
        memory.commit()
    if run.events:
        # Deferred by the batch (see `_finish`): written when it ends, now that this message's
        # savepoint is released.
        assert run.batch is not None  # noqa: S101
        assert run.batch.defer_events  # noqa: S101
        run.batch.events += run.events
    return record


def _finish(run: _Run) -> None:
    assert run.case is not None  # noqa: S101 — set by thread
    assert run.message is not None  # noqa: S101 — set by thread
    record = run.record
    steps = [*record.steps[:1], *run.log]
    events = [
        *run.events,
        new_event(
            run.case,
            EventKind.MESSAGE_RECEIVED,
            actor_label=run.sender_name or run.message.sender_address,
            message=run.message,
            data={"channel": run.channel},
        ),
    ]
    events += [
        new_event(run.case, EventKind.PIPELINE, data=entry, message=run.message) for entry in steps
    ]
    # Deferred in a batch: for `_process` to hand to the batch once this message is kept.
    run.events = run.store.finish(
        record,
        run.case,
        steps,
        events,
        defer_events=run.batch is not None and run.batch.defer_events,
    )


def _apply_delivery_report(run: _Run) -> None:
    """A bounce is about a message Guichet sent: mark that message, tell the agent on its case's
    timeline, and open no request (the raw report stays on the record)."""
    report = run.inbound.delivery_report
    assert report is not None  # noqa: S101 — checked by the caller
    original = (
        Message.objects.select_related("case")
        .filter(
            organization=run.organization,
            direction=Direction.OUTBOUND,
            email_message_id=report.original_message_id,
        )
        .first()
        if report.original_message_id
        else None
    )
    record = run.record
    if original is not None and report.is_failure:
        original.delivery_status = DeliveryStatus.FAILED
        original.delivery_error = f"{report.status} {report.diagnostic}".strip()[:2000]
        original.save(update_fields=["delivery_status", "delivery_error"])
        append_event(
            original.case,
            EventKind.DELIVERY_FAILED,
            message=original,
            data={
                "error": original.delivery_error[:500],
                "channel": original.channel,
                "recipient": report.recipient,
                "report": record.pk,
            },
        )
    run.note(
        "delivery report",
        action=report.action,
        status=report.status,
        original=report.original_message_id,
        matched=original.pk if original else None,
    )
    save_processed(record, original.case if original else None, [*record.steps[:1], *run.log])


def _fail(record: InboundRecord, step: str, exc: Exception) -> None:
    record.attempts += 1
    permanent = isinstance(exc, PermanentFailure)
    exhausted = record.attempts >= settings.GUICHET_INTAKE_MAX_ATTEMPTS
    record.status = RecordStatus.HELD if permanent or exhausted else RecordStatus.FAILED
    record.failed_step = step
    detail = (
        str(exc) if permanent else "".join(traceback.format_exception_only(type(exc), exc)).strip()
    )
    record.error = detail[:4000]
    record.next_attempt_at = (
        None
        if record.status == RecordStatus.HELD
        else timezone.now() + retry_delay(record.attempts)
    )
    # Conditional: a concurrent worker may have processed the record meanwhile (this one failed
    # waiting for the lock); its success must not be overwritten by this failure.
    InboundRecord.objects.filter(pk=record.pk).exclude(status=RecordStatus.PROCESSED).update(
        attempts=record.attempts,
        status=record.status,
        failed_step=step,
        error=record.error,
        next_attempt_at=record.next_attempt_at,
    )
    # The error text may quote personal data (a sender's address): the log names the record only.
    logger.warning(
        "inbound record %s failed at step %s (attempt %s): %s",
        record.pk,
        step,
        record.attempts,
        type(exc).__name__,
    )


def retry_delay(attempts: int) -> timedelta:
    """1, 4, 16, 64 minutes... between automatic retries."""
    return timedelta(minutes=4 ** max(attempts - 1, 0))


def retry_due_records(limit: int = 100) -> int:
    """Retry failed records whose time has come (called periodically by the scheduler)."""
    due = list(
        InboundRecord.objects.filter(
            status=RecordStatus.FAILED, next_attempt_at__lte=timezone.now(), case__isnull=True
        )
        .select_related("organization")
        .order_by("next_attempt_at")[:limit]
    )
    batch = _Batch()
    for record in due:
        _process(record, batch=batch)
    return len(due)


def retry_now(record: InboundRecord) -> InboundRecord:
    """An administrator asks to retry a failed or held record."""
    if record.status not in (RecordStatus.FAILED, RecordStatus.HELD):
        return record
    if record.failed_step == "persist":
        # Kept aside at reception (too large): nothing to process until the limit is raised.
        if record.raw_size > settings.GUICHET_INBOUND_MAX_BYTES:
            return record
        _store_inbound_attachments_from_raw(record)
    return process_record(record)


def _store_inbound_attachments_from_raw(record: InboundRecord) -> None:
    """A record held at reception never had its attachments extracted; re-parse its raw bytes."""
    if record.channel != Channel.EMAIL or not record.raw_file:
        return
    from guichet.channels.email.parser import parse_email

    with record.raw_file.open("rb") as handle:
        inbound = parse_email(handle.read())
    _store_inbound_attachments(record, inbound)
