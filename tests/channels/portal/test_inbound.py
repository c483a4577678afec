"""Portal submissions as `InboundMessage`s: contacts, topic, files and the raw JSON document."""

from __future__ import annotations

import hashlib
import json

import pytest

from guichet.channels.base import InboundAttachment, InboundMessage
from guichet.channels.portal.inbound import (
    PortalReply,
    PortalRequest,
    build_reply_message,
    build_request_message,
    fingerprint,
)

PDF = InboundAttachment("livret.pdf", "application/pdf", b"%PDF-1.4 test")


def a_request(**overrides) -> PortalRequest:
    values = {
        "subject": "Acte de naissance",
        "text": "Bonjour, un extrait s'il vous plaît.",
        "name": "Jeanne Dupont",
        "email": "jeanne.dupont@example.org",
        "phone": "+33612345678",
        "topic_slug": "acte-naissance",
        "attachments": (PDF,),
    }
    values.update(overrides)
    return PortalRequest(**values)


def test_request_with_email_and_phone():
    inbound = build_request_message(a_request(), nonce="3f0c5d1e-0000-4000-8000-000000000001")

    assert inbound.channel == "portal"
    assert inbound.external_id == "3f0c5d1e-0000-4000-8000-000000000001"
    assert inbound.sender_address == "jeanne.dupont@example.org"
    assert inbound.sender_name == "Jeanne Dupont"
    assert inbound.extra_contacts == ("+33612345678",)
    assert inbound.topic_hint == "acte-naissance"
    assert inbound.subject == "Acte de naissance"
    assert inbound.text == "Bonjour, un extrait s'il vous plaît."
    assert inbound.attachments == (PDF,)
    assert inbound.case_id is None
    assert inbound.raw_filename == "form.json"
    assert json.loads(inbound.raw.decode("utf-8")) == {
        "form": "request",
        "topic": "acte-naissance",
        "subject": "Acte de naissance",
        "message": "Bonjour, un extrait s'il vous plaît.",
        "name": "Jeanne Dupont",
        "email": "jeanne.dupont@example.org",
        "phone": "+33612345678",
        "attachments": [
            {
                "filename": "livret.pdf",
                "content_type": "application/pdf",
                "size": 13,
                "sha256": hashlib.sha256(b"%PDF-1.4 test").hexdigest(),
            }
        ],
    }
    assert "plaît" in inbound.raw.decode("utf-8")  # UTF-8, not \\u escapes


def test_raw_document_never_contains_file_contents():
    inbound = build_request_message(a_request(), nonce="n")

    assert b"%PDF" not in inbound.raw


def test_request_with_phone_only_uses_the_phone_as_sender():
    inbound = build_request_message(a_request(email=""), nonce="n")

    assert inbound.sender_address == "+33612345678"
    assert inbound.extra_contacts == ()


def test_request_with_email_only_has_no_extra_contact():
    inbound = build_request_message(a_request(phone=""), nonce="n")

    assert inbound.sender_address == "jeanne.dupont@example.org"
    assert inbound.extra_contacts == ()


def test_request_without_contact_is_refused():
    with pytest.raises(ValueError, match="email address or a phone number"):
        build_request_message(a_request(email="", phone=""), nonce="n")


def test_reply_targets_the_case():
    inbound = build_reply_message(
        PortalReply(
            case_id=42,
            case_reference="VIL-2026-000042",
            subject="Acte de naissance",
            text="Voici le livret.",
            sender_address="jeanne.dupont@example.org",
            sender_name="Jeanne Dupont",
            attachments=(PDF,),
        ),
        nonce="reply-nonce",
    )

    assert inbound.channel == "portal"
    assert inbound.case_id == 42
    assert inbound.external_id == "reply-nonce"
    assert inbound.sender_address == "jeanne.dupont@example.org"
    assert inbound.topic_hint == ""
    assert inbound.attachments == (PDF,)
    raw = json.loads(inbound.raw.decode("utf-8"))
    assert raw["form"] == "reply"
    assert raw["case"] == "VIL-2026-000042"
    assert raw["message"] == "Voici le livret."
    assert [a["filename"] for a in raw["attachments"]] == ["livret.pdf"]


def test_reply_without_sender_is_refused():
    with pytest.raises(ValueError, match="contact point"):
        build_reply_message(
            PortalReply(
                case_id=1, case_reference="VIL-2026-000001", subject="", text="x", sender_address=""
            ),
            nonce="n",
        )


def test_fingerprint_ignores_the_nonce_but_not_the_content():
    first = build_request_message(a_request(), nonce="a")
    again = build_request_message(a_request(), nonce="b")
    edited = build_request_message(a_request(text="Deux extraits, finalement."), nonce="a")
    other_file = build_request_message(
        a_request(
            attachments=(InboundAttachment("livret.pdf", "application/pdf", b"%PDF-1.4 other"),)
        ),
        nonce="a",
    )

    assert fingerprint(first) == fingerprint(again)
    assert len({fingerprint(first), fingerprint(edited), fingerprint(other_file)}) == 3


def test_payload_round_trip_keeps_what_the_pipeline_needs():
    inbound = build_request_message(a_request(), nonce="n")

    payload = json.loads(json.dumps(inbound.to_payload()))
    rebuilt = InboundMessage.from_payload(payload)

    assert rebuilt.channel == "portal"
    assert rebuilt.sender_address == "jeanne.dupont@example.org"
    assert rebuilt.extra_contacts == ("+33612345678",)
    assert rebuilt.topic_hint == "acte-naissance"
    assert payload["attachments"] == [
        {
            "filename": "livret.pdf",
            "content_type": "application/pdf",
            "is_inline": False,
            "content_id": "",
        }
    ]
