"""Handing mail over to the pipeline for the email readers (IMAP, SMTP ingress, provider
webhooks): keeping unreadable or oversized messages aside with their reason, adding recipients."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from guichet.channels.base import InboundMessage
from guichet.channels.email.parser import CHANNEL, RAW_FILENAME
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.intake.pipeline import persist_raw
from guichet.organizations.models import Organization

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Keeping aside what the pipeline cannot take as it is


def keep_aside(
    organization: Organization,
    inbound: InboundMessage,
    *,
    step: str,
    reason: str,
    size: int | None = None,
) -> tuple[InboundRecord, bool]:
    """Store `inbound` as a held inbound record with `reason`, for an administrator; idempotent on
    the external id like `receive`. Shared by the mailbox readers (IMAP, SMTP ingress).

    `step` is not "persist": the pipeline's retry re-reads held-at-persist records as email, which
    these may not be. Retrying one runs the pipeline on what was kept; it stays held, with the
    pipeline's own reason, if that is not enough to identify a sender."""
    with transaction.atomic():
        record, created = persist_raw(organization, inbound)
        if created:
            now = timezone.now()
            record.status = RecordStatus.HELD
            record.failed_step = step
            record.error = reason[:4000]
            record.steps = [*record.steps, {"step": step, "at": now.isoformat(), "held": reason}]
            if size is not None:
                record.raw_size = size
            record.save(update_fields=["status", "failed_step", "error", "steps", "raw_size"])
    return record, created


def unreadable_inbound(raw: bytes, reason: str) -> InboundMessage:
    """What is known of bytes that are not an email: only the bytes."""
    return InboundMessage(
        channel=CHANNEL,
        external_id="sha256:" + hashlib.sha256(raw).hexdigest(),
        sender_address="",
        raw=raw,
        raw_filename=RAW_FILENAME,
        problems=(reason,),
    )


def with_recipients(inbound: InboundMessage, extra: Sequence[str]) -> InboundMessage:
    """`inbound` with `extra` addresses added to its recipients (lower-cased, each once)."""
    recipients = list(inbound.recipients)
    for address in extra:
        address = address.strip().lower()
        if address and address not in recipients:
            recipients.append(address)
    if len(recipients) == len(inbound.recipients):
        return inbound
    return dataclasses.replace(inbound, recipients=tuple(recipients))


# ---------------------------------------------------------------------------------------------
# Polling
