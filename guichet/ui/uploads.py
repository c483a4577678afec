"""File uploads in forms (portal and desk): a multiple-file field, and the checks that refuse a
form rather than accept a file the reception would refuse (size, type sniffed from the content)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from guichet.conversations.attachments import check_attachment, clean_filename


def megabytes(size: int) -> str:
    return f"{round(size / 1_048_576, 1):g}"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    """Several files in one input; returns the list of uploaded files (possibly empty)."""

    widget = MultipleFileInput

    def to_python(self, data: Any) -> list[UploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if isinstance(f, UploadedFile) and f.name]

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    content: bytes


def check_uploads(
    files: Sequence[UploadedFile], *, max_files: int | None = None
) -> tuple[list[CheckedFile], list[str]]:
    """The files read and checked, or the reasons they are refused (one line per file)."""
    errors: list[str] = []
    if max_files is not None and len(files) > max_files:
        errors.append(
            _("You sent %(count)s files; %(max)s at most are accepted.")
            % {"count": len(files), "max": max_files}
        )
        return [], errors
    limit = settings.GUICHET_ATTACHMENT_MAX_BYTES
    accepted: list[CheckedFile] = []
    total = 0
    for upload in files:
        name = clean_filename(upload.name or "")
        size = upload.size or 0
        total += size
        if size > limit:
            # Not read into memory: the size alone refuses it (same wording as check_attachment).
            reason = _("the file is %(size)s MB, above the %(limit)s MB limit") % {
                "size": round(size / 1_048_576, 1),
                "limit": round(limit / 1_048_576, 1),
            }
            errors.append(_("%(filename)s: %(reason)s.") % {"filename": name, "reason": reason})
            continue
        upload.seek(0)
        content = upload.read()
        check = check_attachment(name, upload.content_type or "", content)
        if check.refused_reason:
            errors.append(
                _("%(filename)s: %(reason)s.") % {"filename": name, "reason": check.refused_reason}
            )
            continue
        accepted.append(CheckedFile(name, check.content_type, content))
    total_limit = settings.GUICHET_MESSAGE_ATTACHMENTS_MAX_BYTES
    if not errors and total > total_limit:
        errors.append(
            _("Together the files weigh %(size)s MB, above the %(limit)s MB limit.")
            % {"size": megabytes(total), "limit": megabytes(total_limit)}
        )
    return ([] if errors else accepted), errors
