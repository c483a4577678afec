"""Portal fixtures: a filled-in request form, and a case made through the portal the way a citizen
makes one."""

from __future__ import annotations

import uuid

import pytest

from guichet.channels.base import InboundAttachment
from guichet.channels.portal.inbound import PortalRequest, build_request_message
from guichet.intake.pipeline import receive
from tests.ui.portal.utils import PDF


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever catalogues are compiled."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def request_data():
    """The request form filled in correctly; pass overrides (None removes a field)."""

    def build(**overrides):
        values = {
            "nonce": str(uuid.uuid4()),
            "topic": "acte-naissance",
            "subject": "Acte de naissance pour mon fils",
            "message": "Bonjour, je souhaite recevoir un extrait d'acte de naissance de mon fils Léo.",
            "name": "Jeanne Dupont",
            "email": "Jeanne.Dupont@Example.org",
            "phone": "06 12 34 56 78",
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}

    return build


@pytest.fixture
def portal_case(town, django_capture_on_commit_callbacks):
    """A request Jeanne made on the portal (with a PDF), acknowledged and routed to État civil."""
    inbound = build_request_message(
        PortalRequest(
            subject="Acte de naissance",
            text="Je souhaite un extrait d'acte de naissance.",
            name="Jeanne Dupont",
            email="jeanne.dupont@example.org",
            topic_slug="acte-naissance",
            attachments=(InboundAttachment("livret.pdf", "application/pdf", PDF),),
        ),
        nonce=str(uuid.uuid4()),
    )
    with django_capture_on_commit_callbacks(execute=True):
        reception = receive(town, inbound)
    assert reception.case is not None
    return reception.case
