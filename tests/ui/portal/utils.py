"""Helpers for the portal tests: files of each kind and the tracking address of a case."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name: str = "justificatif.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def zip_bomb_named_pdf() -> SimpleUploadedFile:
    """5 MB of zeros compressed into a few kilobytes, sent as a PDF."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"0" * (5 * 1024 * 1024))
    return SimpleUploadedFile("facture.pdf", buffer.getvalue(), content_type="application/pdf")


def tracking_path(case) -> str:
    return f"/portail/{case.organization.slug}/suivi/{case.tracking_token}/"
