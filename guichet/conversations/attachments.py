"""Checking and storing attachments: type sniffed from the content, size limits, content hash.

A refused file is never silently dropped: it keeps a row with the reason (its bytes stay in the raw
inbound payload), and the agent sees it on the timeline.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from guichet.conversations.models import Attachment

# Types whose content has no magic number: accepted when the bytes decode as text.
_TEXT_TYPES = {"text/plain", "text/csv"}
# Office formats are zip containers: a sniffed application/zip is fine for them.
_ZIP_BASED = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_OLE_BASED = {"application/msword", "application/vnd.ms-excel"}


@dataclass(frozen=True)
class AttachmentCheck:
    content_type: str
    refused_reason: str = ""


def clean_filename(filename: str, fallback: str = "piece-jointe") -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    try:
        cleaned = get_valid_filename(name) if name else ""
    except SuspiciousFileOperation:  # a name with nothing usable in it ("()", "🙂", "…")
        cleaned = ""
    return (cleaned or fallback)[:200]


def _declared_type(filename: str, declared: str) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed, _encoding = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def _looks_like_text(content: bytes) -> bool:
    sample = content[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:
            return False
    return True


def check_attachment(filename: str, declared_type: str, content: bytes) -> AttachmentCheck:
    """The effective type of a file and, if it must be refused, why (in the UI language)."""
    declared = _declared_type(filename, declared_type)
    size = len(content)
    limit = settings.GUICHET_ATTACHMENT_MAX_BYTES
    if size == 0:
        return AttachmentCheck(declared, _("the file is empty"))
    if size > limit:
        return AttachmentCheck(
            declared,
            _("the file is %(size)s MB, above the %(limit)s MB limit")
            % {"size": round(size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)},
        )
    allowed = set(settings.GUICHET_ATTACHMENT_TYPES)
    if declared not in allowed and declared != "image/jpg":
        return AttachmentCheck(
            declared, _("files of type %(type)s are not accepted") % {"type": declared}
        )
    kind = filetype.guess(content)
    sniffed = kind.mime if kind is not None else ""
    if (
        (declared in _TEXT_TYPES and not sniffed and _looks_like_text(content))
        or (declared in _ZIP_BASED and sniffed == "application/zip")
        or (declared in _OLE_BASED and sniffed == "application/x-ole-storage")
    ):
        effective = declared
    elif sniffed:
        effective = sniffed
    else:
        return AttachmentCheck(declared, _("the content of the file could not be recognised"))
    if effective != declared and not (declared == "image/jpg" and effective == "image/jpeg"):
        return AttachmentCheck(
            effective,
            _("the file claims to be %(declared)s but its content is %(actual)s")
            % {"declared": declared, "actual": effective},
        )
    if effective not in allowed:
        return AttachmentCheck(
            effective, _("files of type %(type)s are not accepted") % {"type": effective}
        )
    return AttachmentCheck(effective)


def store_attachment(
    *,
    organization_id: int,
    filename: str,
    declared_type: str,
    content: bytes,
    is_inline: bool = False,
    content_id: str = "",
    budget_left: int | None = None,
    **links: object,
) -> Attachment:
    """Check one file and store it (or record its refusal). `links` are the FKs to set
    (message=..., inbound_record=...). `budget_left` is what the message's total may still take."""
    name = clean_filename(filename)
    check = check_attachment(name, declared_type, content)
    reason = check.refused_reason
    if not reason and budget_left is not None and len(content) > budget_left:
        reason = _("the message's attachments exceed the %(limit)s MB total") % {
            "limit": round(settings.GUICHET_MESSAGE_ATTACHMENTS_MAX_BYTES / 1_048_576, 1)
        }
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(
        organization_id=organization_id,
        filename=name,
        content_type=check.content_type[:120],
        size=len(content),
        sha256=digest,
        is_inline=is_inline,
        content_id=content_id[:300],
        refused_reason=reason[:300],
        **links,
    )
    if not reason:
        attachment.file.save(name, ContentFile(content), save=False)
    attachment.save()
    return attachment
