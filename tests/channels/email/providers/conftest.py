"""Fixtures for the email provider webhooks: the shared secret, a Basic-auth client, realistic
payloads of each provider (as their documentation and anymail's tests show them)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.storage import default_storage

from guichet.channels.email.providers import connect_signals
from guichet.channels.email.unrouted import UNROUTED_FOLDER

SECRET = "guichet-webhooks:Zk3v9QpLw2Xr"
BREVO_API_KEY = "xkeysib-test-0123456789"
MAILGUN_SIGNING_KEY = "mailgun-signing-key-test"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TEXT = (
    "Bonjour,\n\nJe voudrais un extrait d'acte de naissance pour mon fils Léo, né le 2 mars "
    "2019 à Villebois.\n\nMerci d'avance,\nJeanne Dupont"
)
HTML = (
    '<div dir="ltr">Bonjour,<br><br>Je voudrais un extrait d\'acte de naissance pour mon fils '
    "Léo, né le 2 mars 2019 à Villebois.<br><br>Merci d'avance,<br>Jeanne Dupont</div>"
)
SUBJECT = "Demande d'acte de naissance"
SENDER = "Jeanne Dupont <jeanne.dupont@example.org>"


@pytest.fixture(autouse=True)
def _providers(settings):
    """Webhooks mounted and enabled with one shared secret, Brevo and Mailgun configured,
    receivers connected (as ChannelsConfig.ready does)."""
    settings.ROOT_URLCONF = "tests.channels.email.providers.urls"
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "BREVO_API_KEY": BREVO_API_KEY,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
    }
    connect_signals()


def basic_auth(secret: str = SECRET) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


@pytest.fixture
def unrouted_files() -> Callable[[], list[str]]:
    """Names of the files kept under inbound/unrouted/<provider>/, sorted."""

    def list_files() -> list[str]:
        if not default_storage.exists(UNROUTED_FOLDER):
            return []
        names = []
        for provider in default_storage.listdir(UNROUTED_FOLDER)[0]:
            folder = f"{UNROUTED_FOLDER}/{provider}"
            names += [f"{folder}/{name}" for name in default_storage.listdir(folder)[1]]
        return sorted(names)

    return list_files


# --- payloads ------------------------------------------------------------------------------


def raw_email(
    *,
    message_id: str = "<CAFx8Zk1a2b3c4@mail.gmail.com>",
    to: str = "mairie@villebois.fr",
    subject: str = SUBJECT,
    text: str = TEXT,
    extra_headers: str = "",
) -> str:
    """A Gmail-shaped message, as SendGrid ("Send Raw"), Postmark and Mailgun pass it on."""
    encoded_text = base64.encodebytes(text.encode("utf-8")).decode("ascii")
    return (
        "MIME-Version: 1.0\r\n"
        "Date: Tue, 3 Nov 2026 10:12:00 +0100\r\n"
        f"Message-ID: {message_id}\r\n"
        f"Subject: {subject}\r\n"
        f"From: {SENDER}\r\n"
        f"To: {to}\r\n"
        f"{extra_headers}"
        'Content-Type: multipart/mixed; boundary="000000000000b1c2d3e4"\r\n'
        "\r\n"
        "--000000000000b1c2d3e4\r\n"
        'Content-Type: text/plain; charset="UTF-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        f"{encoded_text}"
        "--000000000000b1c2d3e4\r\n"
        'Content-Type: application/pdf; name="livret-famille.pdf"\r\n'
        'Content-Disposition: attachment; filename="livret-famille.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        f"{base64.encodebytes(PDF).decode('ascii')}"
        "--000000000000b1c2d3e4--\r\n"
    )


def mailjet_payload(
    *,
    message_id: str | None = "<CAFx8Zk1a2b3c4@mail.gmail.com>",
    to: str = "mairie@villebois.fr",
) -> dict[str, Any]:
    """Mailjet Parse API: one JSON object, headers as strings or lists, parts by reference."""
    headers: dict[str, Any] = {
        "Return-Path": ["<jeanne.dupont@example.org>"],
        "Received": [
            "from mail-wr1-f41.google.com (mail-wr1-f41.google.com [209.85.221.41]) "
            "by parse.mailjet.com; Tue, 3 Nov 2026 09:12:01 +0000",
            "by mail-wr1-f41.google.com with SMTP id a1so; Tue, 03 Nov 2026 01:12:00 -0800",
        ],
        "MIME-Version": ["1.0"],
        "From": SENDER,
        "Date": "Tue, 3 Nov 2026 10:12:00 +0100",
        "Subject": SUBJECT,
        "To": to,
        "Content-Type": ['multipart/mixed; boundary="000000000000b1c2d3e4"'],
    }
    if message_id is not None:
        headers["Message-ID"] = message_id
    return {
        "Sender": "jeanne.dupont@example.org",
        "Recipient": to,
        "Date": "20261103T091200",
        "From": SENDER,
        "Subject": SUBJECT,
        "Headers": headers,
        "Parts": [
            {
                "Headers": {"Content-Type": ['multipart/alternative; boundary="0000a1"']},
            },
            {
                "Headers": {"Content-Type": ['text/plain; charset="UTF-8"']},
                "ContentRef": "Text-part",
            },
            {
                "Headers": {
                    "Content-Type": ['text/html; charset="UTF-8"'],
                    "Content-Transfer-Encoding": ["quoted-printable"],
                },
                "ContentRef": "Html-part",
            },
            {
                "Headers": {
                    "Content-Type": ['application/pdf; name="livret-famille.pdf"'],
                    "Content-Disposition": ['attachment; filename="livret-famille.pdf"'],
                    "Content-Transfer-Encoding": ["base64"],
                },
                "ContentRef": "Attachment1",
            },
        ],
        "Text-part": TEXT,
        "Html-part": HTML,
        "Attachment1": base64.b64encode(PDF).decode("ascii"),
        "SpamAssassinScore": "0.3",
    }


def brevo_payload(
    *,
    message_id: str = "<CAFx8Zk1a2b3c4@mail.gmail.com>",
    to: str = "mairie@villebois.fr",
) -> dict[str, Any]:
    """Brevo inbound parsing webhook: a batch of parsed items; attachments are fetched from
    Brevo's API with their DownloadToken."""
    return {
        "items": [
            {
                "Uuid": ["5d4ab3e0-2c1f-4f4e-9a57-2b1f0c9e7d11"],
                "MessageId": message_id,
                "InReplyTo": None,
                "From": {"Name": "Jeanne Dupont", "Address": "jeanne.dupont@example.org"},
                "To": [{"Name": None, "Address": to}],
                "Cc": None,
                "ReplyTo": None,
                "SentAtDate": "Tue, 3 Nov 2026 10:12:00 +0100",
                "Subject": SUBJECT,
                "Attachments": [
                    {
                        "Name": "livret-famille.pdf",
                        "ContentType": "application/pdf",
                        "ContentLength": len(PDF),
                        "ContentID": None,
                        "DownloadToken": "eyJmb2xkZXIiOiIyMDI2MTEwMyJ9",
                    }
                ],
                "Headers": {
                    "Received": [
                        "by inbound.brevo.com for <mairie@villebois.fr>; Tue, 3 Nov 2026",
                        "from mail-wr1-f41.google.com by mx.brevo.com; Tue, 3 Nov 2026",
                    ],
                    "MIME-Version": "1.0",
                    "From": SENDER,
                    "Date": "Tue, 3 Nov 2026 10:12:00 +0100",
                    "Message-ID": message_id,
                    "Subject": SUBJECT,
                    "To": to,
                    "Content-Type": "multipart/mixed",
                },
                "SpamScore": 0.4,
                "ExtractedMarkdownMessage": TEXT,
                "ExtractedMarkdownSignature": None,
                "RawHtmlBody": HTML,
                "RawTextBody": TEXT,
            }
        ]
    }


def postmark_payload(*, to: str = "mairie@villebois.fr") -> dict[str, Any]:
    """Postmark inbound webhook with the "include raw email content" option."""
    return {
        "FromName": "Jeanne Dupont",
        "MessageStream": "inbound",
        "From": "jeanne.dupont@example.org",
        "FromFull": {"Email": "jeanne.dupont@example.org", "Name": "Jeanne Dupont"},
        "To": to,
        "ToFull": [{"Email": to, "Name": ""}],
        "OriginalRecipient": to,
        "Subject": SUBJECT,
        "MessageID": "a8c1040e-db1c-4e18-ac79-bc5f64c7ce2c",
        "Date": "Tue, 3 Nov 2026 10:12:00 +0100",
        "TextBody": TEXT,
        "Headers": [
            {"Name": "Return-Path", "Value": "<jeanne.dupont@example.org>"},
            {"Name": "X-Spam-Status", "Value": "No"},
        ],
        "Attachments": [],
        "RawEmail": raw_email(to=to),
    }


def sendgrid_fields(*, to: str = "mairie@villebois.fr", **email: Any) -> dict[str, str]:
    """SendGrid Inbound Parse with "POST the raw, full MIME message": multipart form fields."""
    return {
        "email": raw_email(to=to, **email),
        "to": to,
        "from": SENDER,
        "subject": email.get("subject", SUBJECT),
        "envelope": json.dumps({"to": [to], "from": "jeanne.dupont@example.org"}),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}),
        "sender_ip": "209.85.221.41",
        "dkim": "{@gmail.com : pass}",
        "SPF": "pass",
        "spam_score": "0.1",
        "spam_report": "Spam detection software, running on the system "
        '"mx.sendgrid.net", has NOT identified this incoming email as spam.',
    }


def mailgun_fields(*, to: str = "mairie@villebois.fr") -> dict[str, str]:
    """Mailgun route forward() to a URL containing "mime": the raw message, signed."""
    timestamp, token = "1793700720", "9b5a7c1e0f3d2b4a6c8e0f1a3b5c7d9e1f3a5b7c9d"
    signature = hmac.new(
        MAILGUN_SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return {
        "recipient": to,
        "sender": "jeanne.dupont@example.org",
        "from": SENDER,
        "subject": SUBJECT,
        "body-mime": raw_email(to=to),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
    }


class FakeBrevoAttachment:
    """What `requests.get` answers for a Brevo attachment download."""

    status_code = 200
    headers = {"Content-Type": "application/pdf"}
    content = PDF

    def raise_for_status(self) -> None:
        return None


@pytest.fixture
def brevo_api(monkeypatch) -> list[tuple[str, dict[str, str]]]:
    """Brevo's attachment API, served locally; the list records the calls (url, headers)."""
    calls: list[tuple[str, dict[str, str]]] = []

    def get(url: str, headers: dict[str, str]) -> FakeBrevoAttachment:
        calls.append((url, headers))
        return FakeBrevoAttachment()

    monkeypatch.setattr("anymail.webhooks.brevo.requests.get", get)
    return calls


def post_inbound(client, provider: str, *, auth: dict[str, str] | None = None, **overrides):
    """POST a realistic inbound payload of `provider` to its webhook, as the provider does."""
    headers = basic_auth() if auth is None else auth
    if provider == "sendgrid":
        return client.post(
            "/webhooks/email/sendgrid/", data=sendgrid_fields(**overrides), **headers
        )
    if provider == "mailgun":
        return client.post(
            "/webhooks/email/mailgun/mime/", data=mailgun_fields(**overrides), **headers
        )
    payload = {"mailjet": mailjet_payload, "brevo": brevo_payload, "postmark": postmark_payload}[
        provider
    ](**overrides)
    return client.post(
        f"/webhooks/email/{provider}/",
        data=json.dumps(payload),
        content_type="application/json",
        **headers,
    )
