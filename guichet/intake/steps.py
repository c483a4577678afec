"""Steps 2-6 of the inbound pipeline (identify, thread, classify, route, acknowledge), each a
function of the run; `guichet.intake.pipeline` runs them in order in one transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guichet.assist.classifiers import Classification
from guichet.cases.actions import open_case, set_routing
from guichet.cases.lifecycle import Status
from guichet.cases.models import Case
from guichet.cases.references import find_references
from guichet.cases.repeats import check_repeat_contact_on_commit
from guichet.channels.email.addresses import case_id_from_addresses
from guichet.citizens.actions import resolve_citizen
from guichet.citizens.identity import InvalidContactPoint, NormalisedContact, normalise_contact
from guichet.conversations.actions import (
    KnownThread,
    create_outbound_message,
    record_inbound_message,
)
from guichet.conversations.delivery import tracking_url
from guichet.conversations.models import Channel
from guichet.intake.relays import find_real_sender
from guichet.intake.runs import PermanentFailure, _Run
from guichet.intake.triage import classifier_of, read_signals, triage
from guichet.organizations.models import Department, Organization, Topic
from guichet.routing.engine import RoutingContext, RoutingDecision, decide
from guichet.sla.policies import announced_delay

_NO_REPLY = re.compile(
    r"^(no-?reply|ne-?pas-?repondre|donotreply|do-not-reply|mailer-daemon|postmaster|bounces?)\b",
    re.IGNORECASE,
)


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
        run.token_case = run.store.token_case(run.organization, token_case_id)
    run.resolution = resolve_citizen(
        run.organization,
        contacts,
        display_name=run.sender_name,
        known_citizen=run.token_case.citizen if run.token_case else None,
        store=run.store,
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
    return run.store.case_of_messages(run.organization, ids[-50:])


def _candidate_by_reference(run: _Run, citizen_id: int) -> tuple[Case | None, str, list[str]]:
    """The case a reference in the subject (then the body) points to. When several are quoted
    (a follow-up's subject carries the closed request's reference too), the citizen's active case
    wins, then their most recent one. References to other citizens' cases are returned apart."""
    prefix = run.organization.reference_prefix
    for source, text in (("subject", run.inbound.subject), ("text", run.inbound.text[:5000])):
        references = find_references(text, prefix)
        if not references:
            continue
        cases = run.store.cases_with_references(run.organization, references)
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
        case = run.store.case_by_id(run.organization, inbound.case_id)
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
            store=run.store,
        )
        run.created_case = True
    else:
        run.store.reopen_or_resume(case, label=citizen.display_name or inbound.sender_address)
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
        inbound_record=run.record,
        case_is_new=run.created_case,
        # Attachments are stored with the raw record; its payload lists them (even refused).
        has_attachments=bool(run.record.payload.get("attachments", True)),
        store=run.store,
    )
    if not run.created_case:  # (a new case was opened with it)
        # "3rd contact in 10 days on this request", counted once the message is committed.
        check_repeat_contact_on_commit(case, previous_inbound_at=case.last_inbound_at)
        case.last_inbound_at = timezone.now()
        run.store.update_case(case, ["last_inbound_at"])
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
            run.classification = classifier_of(run).classify(
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
    return run.store.recent_case(run.organization, citizen_id, topic_id, since)


def _classify(run: _Run) -> None:
    # Urgency and tone on every message; topic, threshold and prediction on new requests
    # (guichet.intake.triage).
    signals = read_signals(run)
    if not run.created_case:
        run.note("classify", skipped="existing request keeps its topic", **signals.note())
        return
    run.classification = triage(run, _classification(run), signals)
    run.note(
        "classify",
        topic=run.classification.topic_id,
        confidence=run.classification.confidence,
        method=run.classification.method,
        reasons=list(run.classification.reasons),
        **signals.note(),
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
        run.case,
        topic=topic,
        department=department,
        reasons=decision.reasons,
        rule=decision.rule,
        store=run.store,
    )
    from guichet.routing.hooks import enqueue_case_on_commit

    enqueue_case_on_commit(run.case)  # its routing item, once committed (guichet.routing)
    run.note(
        "route",
        department=decision.department_id,
        department_name=department.name if department else "",
        rule=decision.rule,
        reasons=list(decision.reasons),
    )


def _acknowledged_recently(run: _Run) -> int:
    return run.store.acknowledgements_since(
        run.organization, run_contact_value(run), timezone.now() - timedelta(hours=1)
    )


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
                "due_date": announced_delay(case)[1],
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
        store=run.store,
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
