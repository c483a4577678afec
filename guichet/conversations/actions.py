"""Writes on conversations and messages: inbound messages, replies, notes and their delivery."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from guichet.citizens.models import ContactKind, ContactPoint
from guichet.conversations.attachments import store_attachment
from guichet.conversations.models import (
    Attachment,
    Channel,
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
)
from guichet.core.html import sanitize_html
from guichet.live.events import MESSAGE_RECEIVED
from guichet.live.publish import publish_case_event

if TYPE_CHECKING:
    from guichet.cases.actions import UploadedFile
    from guichet.cases.models import Case
    from guichet.intake.models import InboundRecord

_REPLY_PREFIX = re.compile(
    r"^\s*((re|tr|fw|fwd|aw|wg|réf|ref)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE
)


def new_email_message_id(reference: str) -> str:
    return f"{uuid.uuid4().hex}.{reference}@{settings.GUICHET_EMAIL_DOMAIN}"


def reply_subject(subject: str, reference: str) -> str:
    """`Re: <subject> [REF]`, without piling up prefixes or repeating the reference."""
    base = " ".join((subject or "").split())  # no line breaks can reach a mail header
    base = _REPLY_PREFIX.sub("", base).strip()
    base = base.replace(f"[{reference}]", "").strip()
    room = 300 - len(f"Re:  [{reference}]")  # Message.subject holds 300 characters
    if len(base) > room:
        base = base[: room - 1].rstrip() + "…"
    return f"Re: {base} [{reference}]".replace("Re:  [", "Re: [")


class ConversationStore(Protocol):
    """Where `record_inbound_message` and `create_outbound_message` read and write. `DATABASE`
    reads and writes at once; the inbound pipeline's batches keep the rows in memory and write a
    batch's rows together (`guichet.intake.batch`)."""

    def find_conversation(
        self, case: Case, channel: str, contact_value: str
    ) -> Conversation | None:
        """The case's most recent conversation on `channel` (with this address when given)."""
        ...

    def create_conversation(self, conversation: Conversation) -> None: ...

    def update_conversation(self, conversation: Conversation, fields: list[str]) -> None: ...

    def create_message(self, message: Message) -> None: ...

    def link_attachments(self, inbound_record: InboundRecord, message: Message) -> None:
        """Give `message` the attachments stored with its inbound record."""
        ...

    def citizen_address(self, case: Case, channel: str) -> str:
        """Where to write to the citizen on `channel` (see `_citizen_address`)."""
        ...

    def last_inbound_with_id(self, conversation: Conversation) -> Message | None:
        """The conversation's last inbound message that has an email Message-ID."""
        ...

    def schedule_delivery(self, message: Message) -> None: ...


class DatabaseConversationStore:
    """`ConversationStore` on the database, one statement at a time."""

    def find_conversation(
        self, case: Case, channel: str, contact_value: str
    ) -> Conversation | None:
        conversations = Conversation.objects.filter(case=case, channel=channel)
        if contact_value:
            conversations = conversations.filter(contact_value=contact_value)
        return conversations.order_by("-last_message_at").first()

    def create_conversation(self, conversation: Conversation) -> None:
        conversation.save(force_insert=True)

    def update_conversation(self, conversation: Conversation, fields: list[str]) -> None:
        conversation.save(update_fields=fields)

    def create_message(self, message: Message) -> None:
        message.save(force_insert=True)

    def link_attachments(self, inbound_record: InboundRecord, message: Message) -> None:
        Attachment.objects.filter(inbound_record_id=inbound_record.pk, message__isnull=True).update(
            message=message
        )

    def citizen_address(self, case: Case, channel: str) -> str:
        return _citizen_address(case, channel)

    def last_inbound_with_id(self, conversation: Conversation) -> Message | None:
        return (
            Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
            .exclude(email_message_id="")
            .order_by("-created_at", "-pk")
            .first()
        )

    def schedule_delivery(self, message: Message) -> None:
        schedule_delivery(message)


DATABASE = DatabaseConversationStore()


def conversation_for(
    case: Case,
    channel: str,
    contact_value: str = "",
    subject: str = "",
    *,
    case_is_new: bool = False,
) -> Conversation:
    """The case's conversation on `channel` (with this address when given), created if needed.
    `case_is_new`: the case was opened in this transaction and has no conversation yet."""
    return _conversation_for(
        case, channel, contact_value, subject, case_is_new=case_is_new, store=DATABASE
    )[0]


def _conversation_for(
    case: Case,
    channel: str,
    contact_value: str,
    subject: str,
    *,
    case_is_new: bool,
    store: ConversationStore,
) -> tuple[Conversation, bool]:
    conversation = None
    if not case_is_new:
        conversation = store.find_conversation(case, channel, contact_value)
    if conversation is not None:
        return conversation, False
    conversation = Conversation(
        organization_id=case.organization_id,
        case=case,
        channel=channel,
        contact_value=contact_value,
        subject=(subject or case.subject)[:300],
    )
    if case.citizen_id is None:
        # A citizen not written yet (a new citizen's first case in a batch of the inbound
        # pipeline): the record itself, whose id the conversation takes when they are written.
        conversation.citizen = case.citizen
    else:
        conversation.citizen_id = case.citizen_id
    store.create_conversation(conversation)
    return conversation, True


def _touch_conversation(conversation: Conversation, store: ConversationStore) -> None:
    conversation.last_message_at = timezone.now()
    store.update_conversation(conversation, ["last_message_at"])


@dataclass(frozen=True)
class KnownThread:
    """What a caller of `create_outbound_message` already knows, sparing the queries that would
    find it: the citizen's address on the channel, the conversation on the channel (with that
    address, for email) and the last inbound message in it that has an email Message-ID (None if
    none has). The inbound pipeline knows them when it acknowledges the message that opened a
    case: that message is the case's only one."""

    recipient: str
    conversation: Conversation
    last_inbound: Message | None


def reply_channels(case: Case) -> list[str]:
    """Channels on which the citizen can get an answer, the one they last wrote on first."""
    used = list(
        Message.objects.filter(case=case, direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("channel", flat=True)
    )
    ordered: list[str] = []
    for channel in [*used, case.channel]:
        if channel not in ordered:
            ordered.append(channel)
    has_email = ContactPoint.objects.filter(
        citizen_id=case.citizen_id, kind=ContactKind.EMAIL
    ).exists()
    if has_email and Channel.EMAIL not in ordered:
        ordered.append(Channel.EMAIL)
    return ordered


def _citizen_address(case: Case, channel: str) -> str:
    """Where to write on `channel`: the address they last wrote from, or a known contact point."""
    known = ContactPoint.objects.filter(citizen_id=case.citizen_id).values("value")
    last = (
        Message.objects.filter(
            case=case, channel=channel, direction=Direction.INBOUND, sender_address__in=known
        )
        .order_by("-created_at", "-pk")
        .values_list("sender_address", flat=True)
        .first()
    )
    if last:
        return last
    kind = ContactKind.EMAIL if channel in (Channel.EMAIL, Channel.PORTAL) else ContactKind.PHONE
    point = (
        ContactPoint.objects.filter(citizen_id=case.citizen_id, kind=kind)
        .order_by("-last_seen_at")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""


def _store_files(message: Message, files: Sequence[UploadedFile]) -> None:
    budget = settings.GUICHET_MESSAGE_ATTACHMENTS_MAX_BYTES
    for upload in files:
        attachment = store_attachment(
            organization_id=message.organization_id,
            filename=upload.filename,
            declared_type=upload.content_type,
            content=upload.content,
            budget_left=budget,
            message=message,
        )
        if not attachment.refused_reason:
            budget -= attachment.size


def add_note_message(
    case: Case, *, text: str, author: Any, files: Sequence[UploadedFile] = ()
) -> Message:
    conversation = conversation_for(case, case.channel)
    message = Message.objects.create(
        organization_id=case.organization_id,
        conversation=conversation,
        case=case,
        channel=conversation.channel,
        direction=Direction.NOTE,
        author=author,
        sender_name=str(author),
        text=text,
    )
    _store_files(message, files)
    return message


def create_outbound_message(
    case: Case,
    *,
    channel: str,
    text: str,
    author: Any,
    files: Sequence[UploadedFile] = (),
    sender_label: str = "",
    is_automatic: bool = False,
    known: KnownThread | None = None,
    store: ConversationStore = DATABASE,
) -> Message:
    """Store an outbound message (status queued) and schedule its delivery after commit.
    `is_automatic`: written by Guichet itself (an acknowledgement). `known`: see `KnownThread`.
    `store`: see `ConversationStore`."""
    if known is None:
        recipient = store.citizen_address(case, channel)
        conversation, _created = _conversation_for(
            case,
            channel,
            recipient if channel == Channel.EMAIL else "",
            "",
            case_is_new=False,
            store=store,
        )
        last_inbound = store.last_inbound_with_id(conversation)
    else:
        recipient, conversation, last_inbound = (
            known.recipient,
            known.conversation,
            known.last_inbound,
        )
    references: list[str] = []
    in_reply_to = ""
    if last_inbound is not None:
        in_reply_to = last_inbound.email_message_id
        references = [*last_inbound.references.split(), last_inbound.email_message_id][-20:]
    message = Message(
        organization_id=case.organization_id,
        conversation=conversation,
        case=case,
        channel=channel,
        direction=Direction.OUTBOUND,
        author=author if author is not None and getattr(author, "pk", None) else None,
        sender_name=sender_label or (str(author) if author is not None else case.organization.name),
        recipient_address=recipient,
        subject=reply_subject(conversation.subject or case.subject, case.reference),
        text=text,
        email_message_id=new_email_message_id(case.reference),
        in_reply_to=in_reply_to,
        references=" ".join(references),
        delivery_status=DeliveryStatus.QUEUED,
        is_automatic=is_automatic,
    )
    store.create_message(message)
    _store_files(message, files)
    _touch_conversation(conversation, store)
    store.schedule_delivery(message)
    return message


def schedule_delivery(message: Message) -> None:
    from guichet.conversations.tasks import deliver_message_task

    message_id = message.pk
    transaction.on_commit(lambda: deliver_message_task.enqueue(message_id))


def schedule_deliveries(messages: Sequence[Message]) -> None:
    """`schedule_delivery` for many messages written together (a batch of the inbound pipeline).
    When the task backend keeps tasks in the database, they are queued once the transaction
    commits as one `deliver_messages_task` carrying their ids (one row instead of one per
    message; a task lost to an error there is picked up by `retry_deliveries_task`). Tasks run
    in process (the immediate backend) are run one by one, as `schedule_delivery` runs them."""
    from django_tasks.backends.immediate import ImmediateBackend

    from guichet.conversations.tasks import deliver_message_task, deliver_messages_task

    message_ids = [m.pk for m in messages]
    if not message_ids:
        return
    if isinstance(deliver_message_task.get_backend(), ImmediateBackend):
        for message_id in message_ids:
            transaction.on_commit(partial(deliver_message_task.enqueue, message_id))
        return

    transaction.on_commit(partial(deliver_messages_task.enqueue, message_ids))


def record_inbound_message(
    case: Case,
    *,
    channel: str,
    sender_address: str,
    sender_name: str,
    subject: str,
    text: str,
    html: str,
    external_id: str,
    quoted_text: str = "",
    email_message_id: str,
    in_reply_to: Sequence[str],
    references: Sequence[str],
    inbound_record: InboundRecord,
    case_is_new: bool = False,
    has_attachments: bool = True,
    store: ConversationStore = DATABASE,
) -> Message:
    """Store a message from the citizen on `case`, with the attachments its inbound record
    holds. `case_is_new`: the case was opened in this transaction (it has no conversation yet);
    `has_attachments=False`: the record was stored without any (nothing to link). `store`: see
    `ConversationStore`."""
    conversation, created = _conversation_for(
        case, channel, sender_address, subject, case_is_new=case_is_new, store=store
    )
    message = Message(
        organization_id=case.organization_id,
        conversation=conversation,
        case=case,
        channel=channel,
        direction=Direction.INBOUND,
        sender_name=sender_name[:200],
        sender_address=sender_address[:320],
        subject=subject[:300],
        text=text,
        quoted_text=quoted_text,
        # Whatever the channel did, what the desk will show as HTML is sanitised here once more.
        html=sanitize_html(html) if html else "",
        external_id=external_id[:300],
        email_message_id=email_message_id[:300],
        in_reply_to=(in_reply_to[0] if in_reply_to else "")[:300],
        references=" ".join(references),
        inbound_record=inbound_record,
    )
    store.create_message(message)
    if has_attachments:
        store.link_attachments(inbound_record, message)
    if not created:
        # (A conversation created just now already carries the time of its first message.)
        _touch_conversation(conversation, store)
    publish_case_event(MESSAGE_RECEIVED, case, message=message)
    return message


class OutboundMessageNotFound(LookupError):
    pass


class DeliveryReceiptConflict(ValueError):
    pass


@transaction.atomic
def do_record_delivery_receipt(
    organization_id: int, message_id: int, status: str, error: str, *, actor_label: str
) -> Message:
    """Apply an integration's delivery report to one of its organization's outbound messages.

    A message waiting for the integration becomes sent or failed (a failure is written on the
    case timeline, as for channels Guichet delivers itself). Reporting the same outcome again
    changes nothing; reporting on a message that is not waiting is a conflict."""
    from guichet.cases.actions import append_event
    from guichet.cases.models import EventKind

    message = (
        Message.objects.select_for_update()
        .select_related("case")
        .filter(pk=message_id, organization_id=organization_id, direction=Direction.OUTBOUND)
        .first()
    )
    if message is None:
        raise OutboundMessageNotFound(message_id)
    if message.delivery_status == status:
        return message
    if message.delivery_status != DeliveryStatus.AWAITING_INTEGRATION:
        raise DeliveryReceiptConflict(
            "This message is not waiting for delivery (its status is"
            f" '{message.delivery_status or 'none'}')."
        )
    message.delivery_status = status
    if status == DeliveryStatus.SENT:
        message.sent_at = timezone.now()
        message.delivery_error = ""
    else:
        message.delivery_error = error or "reported as failed by the integration"
        append_event(
            message.case,
            EventKind.DELIVERY_FAILED,
            actor_label=actor_label,
            message=message,
            data={"error": message.delivery_error[:500], "channel": message.channel},
        )
    message.save(update_fields=["delivery_status", "sent_at", "delivery_error"])
    return message
