"""Downloading an attachment: only through a case the user may see, always as a download."""

from __future__ import annotations

from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from guichet.audit.actions import record_audit
from guichet.cases.queries import visible_attachment
from guichet.ui.desk.access import DeskRequest, desk_view, render_not_found


@require_GET
@desk_view
def attachment_download(request: DeskRequest, attachment_id: int) -> HttpResponseBase:
    attachment = visible_attachment(request.user, attachment_id)
    if attachment is None or not attachment.is_available:
        return render_not_found(request)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        return render_not_found(request)
    record_audit("attachment.downloaded", attachment, actor=request.user)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    # Never let the browser guess a type (an "image" that is really HTML must not run).
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
