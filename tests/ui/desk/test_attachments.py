"""Attachment downloads: only through a visible case, always as a download, never sniffed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guichet.audit.models import AuditEntry
from guichet.conversations.models import Attachment
from tests.ui.desk.conftest import PDF

pytestmark = pytest.mark.django_db


def download_url(attachment) -> str:
    return reverse("desk:attachment", args=[attachment.pk])


def test_download_by_an_agent_who_sees_the_case(client, civil_agent, email_case):
    pdf = Attachment.objects.get(filename="justificatif.pdf")
    client.force_login(civil_agent)

    response = client.get(download_url(pdf))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="justificatif.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    entry = AuditEntry.objects.get(action="attachment.downloaded")
    assert (entry.actor, entry.object_id) == (civil_agent, str(pdf.pk))


def test_other_departments_and_organizations_get_404(client, roads_agent, other_agent, email_case):
    pdf = Attachment.objects.get(filename="justificatif.pdf")

    for user in (roads_agent, other_agent):
        client.force_login(user)
        response = client.get(download_url(pdf))
        assert response.status_code == 404
        assert b"%PDF" not in response.content
    assert AuditEntry.objects.filter(action="attachment.downloaded").count() == 0


def test_refused_and_unknown_attachments_get_404(client, civil_agent, email_case):
    refused = Attachment.objects.get(filename="virus.exe")
    client.force_login(civil_agent)

    assert client.get(download_url(refused)).status_code == 404
    assert client.get(reverse("desk:attachment", args=[424242])).status_code == 404


def test_an_attachment_not_yet_on_a_case_is_not_served(client, supervisor, email_case):
    pdf = Attachment.objects.get(filename="justificatif.pdf")
    Attachment.objects.filter(pk=pdf.pk).update(message=None)
    client.force_login(supervisor)

    assert client.get(download_url(pdf)).status_code == 404
