"""Mail for no organization: what a provider webhook received that no organization can own.

A message whose recipients belong to no organization (a misconfigured route at the provider, an
address given up) has no inbound record to live on, as a record belongs to one organization. Its
bytes are kept in the file storage under `inbound/unrouted/<provider>/<sha256><extension>`, named
by the content so that a provider's retry keeps it once, with a `.note.json` beside them saying
why, and an `UnroutedMail` row lists it for the platform operators in the admin ("Mail for no
organization"), where it can be routed again (`providers.reroute_unrouted`) once the address is
given to an organization. After `GUICHET_UNROUTED_RETENTION_DAYS` days the periodic job
`purge_unrouted_mail_task` deletes the row and the files: mail for nobody is not kept for ever.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from guichet.channels.models import UnroutedMail

logger = logging.getLogger(__name__)

# Where mail addressed to no organization is kept, in the default file storage.
UNROUTED_FOLDER = "inbound/unrouted"


def keep_unrouted(
    raw: bytes,
    *,
    provider: str,
    reason: str,
    extension: str,
    recipients: Iterable[str] = (),
) -> str:
    """Keep `raw` (files and an `UnroutedMail` row); returns the storage name of the bytes."""
    digest = hashlib.sha256(raw).hexdigest()
    folder = f"{UNROUTED_FOLDER}/{provider.lower()}"
    name = f"{folder}/{digest}{extension}"
    recipients = list(recipients)
    received_at = timezone.now()
    if not default_storage.exists(name):
        note = {
            "provider": provider,
            "received_at": received_at.isoformat(),
            "reason": reason,
            "recipients": recipients,
            "size": len(raw),
            "sha256": digest,
        }
        name = default_storage.save(name, ContentFile(raw))
        default_storage.save(
            _note_name(name),
            ContentFile(json.dumps(note, ensure_ascii=False, indent=2).encode("utf-8")),
        )
    UnroutedMail.objects.get_or_create(
        storage_name=name,
        defaults={
            "provider": provider,
            "reason": reason,
            "recipients": recipients,
            "size": len(raw),
            "sha256": digest,
            "received_at": received_at,
        },
    )
    return name


def _note_name(storage_name: str) -> str:
    return storage_name.rsplit(".", 1)[0] + ".note.json"


def delete_unrouted(mail: UnroutedMail) -> None:
    """Delete the row and its two files."""
    for name in (mail.storage_name, _note_name(mail.storage_name)):
        if default_storage.exists(name):
            default_storage.delete(name)
    mail.delete()


def purge_unrouted_mail(*, now: datetime | None = None) -> int:
    """Delete mail for no organization older than the retention; how many were deleted."""
    limit = (now or timezone.now()) - timedelta(days=settings.GUICHET_UNROUTED_RETENTION_DAYS)
    deleted = 0
    for mail in UnroutedMail.objects.filter(received_at__lt=limit).order_by("pk").iterator():
        try:
            delete_unrouted(mail)
        except OSError:  # the storage refuses now: the next run tries again
            logger.exception("mail for no organization %s could not be deleted", mail.pk)
            continue
        deleted += 1
    return deleted
