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
import hashlib
import logging
import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from guichet.assist.classifiers import Classification, TopicProfile, default_classifier
from guichet.cases.actions import (
    append_event,
    new_event,
    open_case,
    reopen_or_resume_for_citizen,
    set_routing,
)
from guichet.cases.lifecycle import ACTIVE_STATUSES, Status
from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.cases.references import find_references
from guichet.channels.base import InboundMessage
from guichet.channels.email.addresses import case_id_from_addresses
from guichet.citizens.actions import Resolution, resolve_citizen
from guichet.citizens.identity import InvalidContactPoint, NormalisedContact, normalise_contact
from guichet.conversations.actions import (
    KnownThread,
    create_outbound_message,
    record_inbound_message,
)
from guichet.conversations.attachments import store_attachment
from guichet.conversations.delivery import tracking_url
from guichet.conversations.models import Channel, DeliveryStatus, Direction, Message
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.relays import find_real_sender
from guichet.organizations.models import ApiToken, Department, Organization, Topic
from guichet.routing.engine import RoutingContext, RoutingDecision, decide

logger = logging.getLogger(__name__)

STEP_NAMES = ("persist", "identify", "thread", "classify", "route", "acknowledge")
_NO_REPLY = re.compile(
    r"^(no-?reply|ne-?pas-?repondre|donotreply|do-not-reply|mailer-daemon|postmaster|bounces?)\b",
    re.IGNORECASE,
)


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used for a different request."""


class PermanentFailure(Exception):
    """A step failed in a way a retry cannot fix; the record is kept aside for an administrator."""


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


@dataclass
class _Run:
    """State carried from step to step while one record is processed."""

    record: InboundRecord
    inbound: InboundMessage
    organization: Organization
    log: list[dict[str, Any]] = field(default_factory=list)
    resolution: Resolution | None = None
    case: Case | None = None
    message: Message | None = None
    created_case: bool = False
    classification: Classification | None = None
    # The sender as identified: the relay's address is replaced by the person it relays.
    sender_address: str = ""
    sender_name: str = ""
    # The channel the message really came on (an SMS relayed by an email gateway is an SMS).
    channel: str = ""
    # The case named by a signed reply address (mairie+c12-...@), if any.
    token_case: Case | None = None
    # Timeline events written together when the record is done (one insert).
    events: list[CaseEvent] = field(default_factory=list)
    batch: _Batch | None = None

    def note(self, step: str, **detail: Any) -> None:
        self.log.append({"step": step, "at": timezone.now().isoformat(), **detail})

    @property
    def setup(self) -> _Setup:
        """The organization's departments and topics, read once per batch (or per message)."""
        if self.batch is None:
            self.batch = _Batch()
        return self.batch.setup(self.organization)


@dataclass(frozen=True)
class _Setup:
    """What classifying and routing read of an organization, in two queries: its departments
    and its active topics (with their keyword profiles for the classifier)."""

    departments: dict[int, Department]
    topics: dict[int, Topic]
    profiles: tuple[TopicProfile, ...]
    by_slug: dict[str, int]

    @classmethod
    def load(cls, organization: Organization) -> _Setup:
        departments = {d.pk: d for d in Department.objects.filter(organization=organization)}
        topics = list(Topic.objects.filter(organization=organization, is_active=True))
        return cls(
            departments=departments,
            topics={t.pk: t for t in topics},
            profiles=tuple(
                TopicProfile(t.pk, t.slug, t.name, tuple(t.keyword_list())) for t in topics
            ),
            by_slug={t.slug: t.pk for t in topics},
        )


class _Batch:
    """What the messages of one batch share (`ingest_batch`; a lone message has its own).

    - each organization's `_Setup`, read at its first use: a change made by an administrator is
      seen from the next batch on;
    - the identifiers known to have no record yet, each used once (its message creates it);
    - with `defer_events`, the timeline events of the processed messages, written together when
      the batch ends (nothing reads them before).
    """

    def __init__(self, *, defer_events: bool = False) -> None:
        self._setups: dict[int, _Setup] = {}
        self.unknown_ids: set[tuple[str, str]] = set()
        self.defer_events = defer_events
        self.events: list[CaseEvent] = []

    def setup(self, organization: Organization) -> _Setup:
        setup = self._setups.get(organization.pk)
        if setup is None:
            setup = self._setups[organization.pk] = _Setup.load(organization)
        return setup

    def write_events(self) -> None:
        CaseEvent.objects.bulk_create(self.events)
        self.events = []


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


def ingest_batch(organization: Organization, inbounds: Iterable[InboundMessage]) -> list[Reception]:
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
    """
    inbound_list = list(inbounds)
    batch = _Batch(defer_events=True)
    with transaction.atomic():
        # Which of these identifiers are new, in one query rather than one per message.
        batch.unknown_ids = _unknown_identifiers(organization, inbound_list)
        receptions = [_receive(organization, inbound, batch=batch) for inbound in inbound_list]
        batch.write_events()
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
    if batch is not None and not idempotency_key:
        identifier = (inbound.channel, inbound.external_id[:300])
        known_new = identifier in batch.unknown_ids
        batch.unknown_ids.discard(identifier)
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
    try:
        with transaction.atomic():
            if inbound.raw:
                record.raw_file.save(inbound.raw_filename, ContentFile(inbound.raw), save=False)
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


def _process(
    record: InboundRecord, *, batch: _Batch | None = None, unseen: bool = False
) -> InboundRecord:
    """`process_record`; `unseen`: the record was created in the transaction still open, so no
    other process can hold it (its row lock is not taken)."""
    organization = record.organization
    inbound = InboundMessage.from_payload(record.payload)
    run = _Run(record=record, inbound=inbound, organization=organization, batch=batch)
    current = "identify"
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
    except Exception as exc:
        _fail(record, current, exc)
        return record
    if run.events:
        # Deferred by the batch (see `_finish`): written when it ends, now that this message's
        # savepoint is released.
        assert run.batch is not None  # noqa: S101
        assert run.batch.defer_events  # noqa: S101
        run.batch.events += run.events
    return record


def _real_sender(run: _Run) -> dict[str, Any]:
    """Set the run's sender, looking through relays (web forms, SMS-to-email gateways)."""
    inbound = run.inbound
    run.sender_address, run.sender_name = inbound.sender_address, inbound.sender_name
    run.channel = inbound.channel
    organization = run.organization
    if not organization.is_relay_sender(inbound.sender_address):
        return {}
    real = find_real_sender(
        inbound.reply_to, inbound.subject, inbound.text, organization.is_relay_sender
    )
    if real is None:
        return {"relayed_by": inbound.sender_address, "real_sender": None}
    run.sender_address = real.address
    run.sender_name = real.name
    if "@" not in real.address:
        run.channel = Channel.SMS
    return {
        "relayed_by": inbound.sender_address,
        "real_sender": real.address,
        "found_in": real.found_in,
    }


def _identify(run: _Run) -> None:
    inbound = run.inbound
    relay = _real_sender(run)
    contacts: list[NormalisedContact] = []
    try:
        contacts.append(normalise_contact(run.sender_address, channel=inbound.channel))
    except InvalidContactPoint as exc:
        raise PermanentFailure(
            _("The sender %(sender)r cannot be identified: %(error)s")
            % {"sender": run.sender_address, "error": exc}
        ) from None
    ignored: list[str] = []
    for extra in inbound.extra_contacts:
        try:
            contact = normalise_contact(extra)
        except InvalidContactPoint:
            ignored.append(extra)
            continue
        if contact not in contacts:
            contacts.append(contact)
    token_case_id = case_id_from_addresses(inbound.recipients, run.organization.pk)
    if token_case_id is not None:
        run.token_case = (
            Case.objects.filter(organization=run.organization, pk=token_case_id)
            .select_related("citizen")
            .first()
        )
    run.resolution = resolve_citizen(
        run.organization,
        contacts,
        display_name=run.sender_name,
        known_citizen=run.token_case.citizen if run.token_case else None,
    )
    run.note(
        "identify",
        **relay,
        citizen=run.resolution.citizen.pk,
        created=run.resolution.created,
        matched_on=run.resolution.matched_on,
        contacts=[c.value for c in contacts],
        ignored=ignored,
        other_owners=run.resolution.other_owners,
        unattached=run.resolution.unattached,
    )


def _candidate_by_headers(run: _Run) -> Case | None:
    ids = [i for i in (*run.inbound.in_reply_to, *run.inbound.references) if i]
    if not ids:
        return None
    found = (
        Message.objects.filter(organization=run.organization, email_message_id__in=ids[-50:])
        .select_related("case")
        .order_by("-created_at")
        .first()
    )
    return found.case if found else None


def _candidate_by_reference(run: _Run, citizen_id: int) -> tuple[Case | None, str, list[str]]:
    """The case a reference in the subject (then the body) points to. When several are quoted
    (a follow-up's subject carries the closed request's reference too), the citizen's active case
    wins, then their most recent one. References to other citizens' cases are returned apart."""
    prefix = run.organization.reference_prefix
    for source, text in (("subject", run.inbound.subject), ("text", run.inbound.text[:5000])):
        references = find_references(text, prefix)
        if not references:
            continue
        cases = list(Case.objects.filter(organization=run.organization, reference__in=references))
        theirs = [c for c in cases if c.citizen_id == citizen_id]
        others = [c.reference for c in cases if c.citizen_id != citizen_id]
        if theirs:
            theirs.sort(key=lambda c: (c.is_active, c.created_at), reverse=True)
            return theirs[0], source, others
        if others:
            return None, source, others
    return None, "", []


def _thread(run: _Run) -> None:
    assert run.resolution is not None  # noqa: S101 — set by identify
    citizen = run.resolution.citizen
    inbound = run.inbound
    case: Case | None = None
    how = ""
    refused: list[str] = []
    if inbound.case_id is not None:
        case = Case.objects.filter(organization=run.organization, pk=inbound.case_id).first()
        how = "tracking page"
    if case is None and run.token_case is not None:
        if run.token_case.citizen_id == citizen.pk:
            case, how = run.token_case, "signed reply address"
        else:
            refused.append(run.token_case.reference)
    if case is None:
        candidate = _candidate_by_headers(run)
        if candidate is not None:
            if candidate.citizen_id == citizen.pk:
                case, how = candidate, "reply headers"
            else:
                refused.append(candidate.reference)
    if case is None:
        candidate, source, others = _candidate_by_reference(run, citizen.pk)
        refused += others
        if candidate is not None:
            case, how = candidate, f"reference in {source}"
    suggested = False
    if case is None and run.channel == Channel.EMAIL and not run.resolution.created:
        candidate = _recent_case_on_same_topic(run, citizen.pk)
        if candidate is not None:
            case, how, suggested = (
                candidate,
                "suggested: same citizen, same topic, still open",
                True,
            )
    follows: Case | None = None
    if case is not None and case.status == Status.CLOSED:
        follows, case = case, None
        how = "follow-up of a closed request"
    if case is None:
        case = open_case(
            run.organization,
            citizen,
            subject=inbound.subject,
            channel=run.channel,
            follows=follows,
            last_inbound_at=timezone.now(),
            pending_events=run.events,
        )
        run.created_case = True
    else:
        reopen_or_resume_for_citizen(case, label=citizen.display_name or inbound.sender_address)
    run.case = case
    run.message = record_inbound_message(
        case,
        channel=run.channel,
        sender_address=run_contact_value(run),
        sender_name=run.sender_name,
        subject=inbound.subject,
        text=inbound.text,
        quoted_text=inbound.quoted_text,
        html=inbound.html,
        external_id=inbound.external_id,
        email_message_id=inbound.email_message_id,
        in_reply_to=inbound.in_reply_to,
        references=inbound.references,
        inbound_record_id=run.record.pk,
        case_is_new=run.created_case,
        # Attachments are stored with the raw record; its payload lists them (even refused).
        has_attachments=bool(run.record.payload.get("attachments", True)),
    )
    if not run.created_case:  # (a new case was opened with it)
        case.last_inbound_at = timezone.now()
        case.save(update_fields=["last_inbound_at"])
    run.note(
        "thread",
        case=case.reference,
        new_case=run.created_case,
        how=how or "new request",
        # References that pointed to another citizen's case are never followed.
        refused=refused,
        follows=follows.reference if follows else None,
        # An automatic link the agent can undo from the desk (the message becomes its own case).
        suggested=suggested,
    )


def run_contact_value(run: _Run) -> str:
    address = run.sender_address or run.inbound.sender_address
    try:
        return normalise_contact(address, channel=run.inbound.channel).value
    except InvalidContactPoint:
        return address


def _classification(run: _Run) -> Classification:
    if run.classification is None:
        setup = run.setup
        hint = run.inbound.topic_hint
        if hint and hint in setup.by_slug:
            run.classification = Classification(
                setup.by_slug[hint], 1.0, "citizen-choice", (f"chosen: {hint}",)
            )
        else:
            run.classification = default_classifier().classify(
                setup.profiles, run.inbound.subject, run.inbound.text
            )
    return run.classification


def _recent_case_on_same_topic(run: _Run, citizen_id: int) -> Case | None:
    """The citizen's open case on the topic of this message, active in the last days: a citizen
    who answers with a new subject and no reply headers most likely continues it."""
    topic_id = _classification(run).topic_id
    if topic_id is None:
        return None
    since = timezone.now() - timedelta(days=settings.GUICHET_SUGGESTED_LINK_DAYS)
    return (
        Case.objects.filter(
            organization=run.organization,
            citizen_id=citizen_id,
            topic_id=topic_id,
            status__in=ACTIVE_STATUSES,
            updated_at__gte=since,
        )
        .order_by("-updated_at")
        .first()
    )


def _classify(run: _Run) -> None:
    if not run.created_case:
        run.note("classify", skipped="existing request keeps its topic")
        return
    run.classification = _classification(run)
    run.note(
        "classify",
        topic=run.classification.topic_id,
        confidence=run.classification.confidence,
        method=run.classification.method,
        reasons=list(run.classification.reasons),
    )


def routing_context(organization: Organization, run: _Run) -> RoutingContext:
    setup = run.setup
    departments = list(setup.departments.values())
    active = frozenset(d.pk for d in departments if d.is_active)
    topic_departments = {pk: t.department_id for pk, t in setup.topics.items()}
    recipients = {r.lower() for r in run.inbound.recipients}
    addressed = tuple(
        d.pk for d in departments if d.email_address and d.email_address.lower() in recipients
    )
    hint = run.inbound.department_id
    if hint is not None and hint in setup.departments and hint not in addressed:
        addressed = (*addressed, hint)
    classification = run.classification
    topic_names = {pk: t.name for pk, t in setup.topics.items()}
    return RoutingContext(
        organization_id=organization.pk,
        topic_id=classification.topic_id if classification else None,
        topic_departments=topic_departments,
        active_department_ids=active,
        default_department_id=organization.default_department_id,
        addressed_department_ids=addressed,
        classification_confidence=classification.confidence if classification else 0.0,
        topic_names=topic_names,
        department_names={d.pk: d.name for d in departments},
    )


def _route(run: _Run) -> None:
    assert run.case is not None  # noqa: S101 — set by thread
    if not run.created_case:
        run.note("route", skipped="existing request stays in its department")
        return
    decision: RoutingDecision = decide(routing_context(run.organization, run))
    setup = run.setup
    topic_id = run.classification.topic_id if run.classification else None
    topic = None
    if topic_id:
        topic = setup.topics.get(topic_id) or Topic.objects.filter(pk=topic_id).first()
    department = None
    if decision.department_id:
        department = (
            setup.departments.get(decision.department_id)
            or Department.objects.filter(pk=decision.department_id).first()
        )
    set_routing(
        run.case, topic=topic, department=department, reasons=decision.reasons, rule=decision.rule
    )
    run.note(
        "route",
        department=decision.department_id,
        department_name=department.name if department else "",
        rule=decision.rule,
        reasons=list(decision.reasons),
    )


def _acknowledged_recently(run: _Run) -> int:
    return Message.objects.filter(
        organization=run.organization,
        direction=Direction.OUTBOUND,
        is_automatic=True,
        recipient_address=run_contact_value(run),
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()


def _acknowledge(run: _Run) -> None:
    assert run.case is not None  # noqa: S101 — set by thread
    inbound = run.inbound
    reason = ""
    if not run.created_case:
        reason = "reply on an existing request"
    elif inbound.auto_submitted:
        reason = "automatic sender (auto-reply, bounce or list)"
    elif _NO_REPLY.match(run_contact_value(run).split("@")[0]):
        reason = "no-reply sender"
    elif _acknowledged_recently(run) >= settings.GUICHET_ACKNOWLEDGEMENTS_PER_HOUR:
        # Two robots answering each other, or someone flooding: stop acknowledging for a while.
        reason = "rate limit: this sender was acknowledged too often in the last hour"
    if reason:
        run.note("acknowledge", skipped=reason)
        return
    case = run.case
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string(
            "conversations/acknowledgement.txt",
            {
                "case": case,
                "organization": run.organization,
                "due_date": formats.date_format(timezone.localtime(case.due_at), "DATE_FORMAT")
                if case.due_at
                else "",
                "tracking_url": tracking_url(case.tracking_token, run.organization.slug),
                "name": case.citizen.display_name,
            },
        ).strip()
    channel = run.channel
    sender = run_contact_value(run)
    if channel not in (Channel.EMAIL, Channel.PORTAL) and "@" in sender:
        # A message relayed by an integration from an email address is acknowledged by email.
        channel = Channel.EMAIL
    message = create_outbound_message(
        case,
        channel=channel,
        text=text,
        author=None,
        sender_label=run.organization.name,
        is_automatic=True,
        known=_opening_thread(run, channel),
    )
    run.note("acknowledge", message=message.pk, channel=channel)


def _opening_thread(run: _Run, channel: str) -> KnownThread | None:
    """Where the acknowledgement of a new case goes, without reading it back: the message that
    opened the case is its only one, so when it came on `channel` from an address the citizen
    owns, that address, its conversation and (if it has a Message-ID) itself are what
    `create_outbound_message` would find. In any other situation it looks them up."""
    message = run.message
    if not run.created_case or message is None or run.resolution is None:
        return None
    if message.channel != channel or message.sender_address not in run.resolution.owned:
        return None
    conversation = message.conversation
    if channel == Channel.EMAIL and conversation.contact_value != message.sender_address:
        return None
    return KnownThread(
        recipient=message.sender_address,
        conversation=conversation,
        last_inbound=message if message.email_message_id else None,
    )


STEPS: tuple[tuple[str, Callable[[_Run], None]], ...] = (
    ("identify", _identify),
    ("thread", _thread),
    ("classify", _classify),
    ("route", _route),
    ("acknowledge", _acknowledge),
)


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
    if run.batch is not None and run.batch.defer_events:
        run.events = events  # for `_process` to hand to the batch once this message is kept
    else:
        CaseEvent.objects.bulk_create(events)
        run.events = []
    record.status = RecordStatus.PROCESSED
    record.case = run.case
    record.steps = steps
    record.failed_step = ""
    record.error = ""
    record.next_attempt_at = None
    record.processed_at = timezone.now()
    record.save(
        update_fields=[
            "status",
            "case",
            "steps",
            "failed_step",
            "error",
            "next_attempt_at",
            "processed_at",
        ]
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
    record.status = RecordStatus.PROCESSED
    record.case = original.case if original else None
    record.steps = [*record.steps[:1], *run.log]
    record.failed_step = ""
    record.error = ""
    record.next_attempt_at = None
    record.processed_at = timezone.now()
    record.save(
        update_fields=[
            "status",
            "case",
            "steps",
            "failed_step",
            "error",
            "next_attempt_at",
            "processed_at",
        ]
    )


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
