import pytest

from guichet.channels.base import InboundMessage


@pytest.fixture
def email_inbound():
    def build(**overrides):
        values = {
            "channel": "email",
            "external_id": "msg-1@example.org",
            "email_message_id": "msg-1@example.org",
            "sender_address": "jeanne.dupont@example.org",
            "sender_name": "Jeanne Dupont",
            "subject": "Demande d'acte de naissance",
            "text": "Bonjour, je voudrais un extrait d'acte de naissance. Cordialement.",
            "recipients": ("mairie@villebois.fr",),
            "raw": b"From: jeanne.dupont@example.org\r\n\r\nBonjour",
            "raw_filename": "message.eml",
        }
        values.update(overrides)
        return InboundMessage(**values)

    return build
