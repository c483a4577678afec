"""A citizen who writes again with a new subject and no reply headers continues their open case on
the same topic: the link is made, shown to the agent, and can be undone from the desk."""

import pytest
from django.test import Client

from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.conversations.models import Direction, Message
from guichet.intake.models import InboundRecord
from guichet.intake.pipeline import receive

pytestmark = pytest.mark.django_db


def write_again(town, email_inbound, **overrides):
    values = {
        "external_id": "again-1",
        "email_message_id": "again-1",
        "subject": "Toujours rien reçu",
        "text": "Bonjour, je n'ai toujours pas reçu mon extrait d'acte de naissance.",
    }
    values.update(overrides)
    return receive(town, email_inbound(**values))


def test_same_citizen_same_topic_open_case_is_linked_as_a_suggestion(town, email_inbound):
    first = receive(town, email_inbound()).case
    again = write_again(town, email_inbound)
    assert again.case == first
    thread = CaseEvent.objects.get(
        case=first, kind=EventKind.PIPELINE, data__step="thread", message__external_id="again-1"
    )
    assert thread.data["suggested"] is True
    assert thread.data["how"] == "suggested: same citizen, same topic, still open"


@pytest.mark.parametrize(
    "change",
    [
        {"text": "Bonjour, un nid de poule devant chez moi."},  # another topic
        {"sender_address": "paul@example.org"},  # another citizen
        {"channel": "portal"},  # a form is a deliberate new request
    ],
)
def test_no_suggestion_otherwise(change, town, email_inbound):
    first = receive(town, email_inbound()).case
    again = write_again(town, email_inbound, **change)
    assert again.case != first


def test_no_suggestion_for_a_resolved_case(town, civil_agent, email_inbound):
    from guichet.cases.actions import do_transition_case

    first = receive(town, email_inbound()).case
    do_transition_case(first, "resolve", actor=civil_agent)
    assert write_again(town, email_inbound).case != first


def test_agent_undoes_the_link_from_the_desk(town, civil_agent, roads_agent, email_inbound):
    first = receive(town, email_inbound()).case
    write_again(town, email_inbound)
    message = Message.objects.get(external_id="again-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(civil_agent)
    page = client.get(f"/desk/demandes/{first.reference}/").content.decode()
    assert "This message was linked to this request automatically" in page
    # An agent of another department cannot do it (404, nothing moves).
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(roads_agent)
    denied = other.post(f"/desk/demandes/{first.reference}/separer/", {"split-message": message.pk})
    assert denied.status_code == 404
    assert Case.objects.count() == 1
    response = client.post(
        f"/desk/demandes/{first.reference}/separer/", {"split-message": message.pk}, follow=True
    )
    new_case = Case.objects.exclude(pk=first.pk).get()
    assert (
        f"The message is now the separate request {new_case.reference}."
        in response.content.decode()
    )
    message.refresh_from_db()
    assert message.case == new_case
    assert message.conversation.case == new_case
    assert (new_case.citizen, new_case.topic, new_case.department) == (
        first.citizen,
        first.topic,
        first.department,
    )
    assert InboundRecord.objects.get(external_id="again-1").case == new_case
    assert CaseEvent.objects.filter(case=new_case, kind=EventKind.PIPELINE).count() == 6
    assert (
        CaseEvent.objects.get(case=first, kind=EventKind.MESSAGE_SPLIT).data["to"]
        == new_case.reference
    )
    assert list(
        Message.objects.filter(case=first, direction=Direction.INBOUND).values_list(
            "external_id", flat=True
        )
    ) == ["msg-1@example.org"]
    # The only message of a request cannot be split off.
    again = client.post(
        f"/desk/demandes/{new_case.reference}/separer/", {"split-message": message.pk}
    )
    assert again.status_code == 400
    assert "This is the request&#x27;s only message from the citizen." in again.content.decode()
    assert Case.objects.count() == 2
