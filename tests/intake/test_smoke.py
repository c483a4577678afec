import pytest

from guichet.channels.base import InboundMessage
from guichet.intake.pipeline import receive


@pytest.mark.django_db
def test_portal_message_becomes_routed_case(town, departments, django_capture_on_commit_callbacks, mailoutbox):
    inbound = InboundMessage(
        channel="portal",
        external_id="form-1",
        sender_address="Jeanne.Dupont@Example.org",
        sender_name="Jeanne Dupont",
        subject="Demande d'acte de naissance",
        text="Bonjour, je souhaite un extrait d'acte de naissance pour mon fils.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        reception = receive(town, inbound)
    case = reception.case
    assert case.reference.startswith("VIL-")
    assert case.department == departments["etat-civil"]
    assert case.topic.slug == "acte-naissance"
    assert len(mailoutbox) == 1
    print(mailoutbox[0].message().as_string())
    print(reception.record.steps)
