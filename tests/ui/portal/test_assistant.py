"""The portal's self-service assistant: answers with their source, asks which topic is meant,
and hands over to an agent through the real intake pipeline, with the exchange attached."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from guichet.cases.models import Case
from guichet.conversations.models import Attachment, Message

pytestmark = pytest.mark.django_db

ASSISTANT = "/portail/villebois/aide/"
HANDOVER = "/portail/villebois/aide/agent/"


def ask(client, question, topic="", htmx=False):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(ASSISTANT, {"question": question, "topic": topic}, **headers)


def test_the_page_has_a_labelled_question_a_live_region_and_the_agent_button(client, knowledge):
    page = client.get(ASSISTANT).content.decode()

    assert '<label for="id_question">Your question' in page
    assert 'id="assistant-log" class="assistant-log" aria-live="polite"' in page
    assert f'href="{HANDOVER}" role="button"' in page


def test_a_question_gets_the_passage_and_its_source(client, knowledge):
    article = knowledge["birth"]

    response = ask(client, "Où demander un acte de naissance ?")
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert response["Location"] == f"{ASSISTANT}#turn-2"
    assert "Où demander un acte de naissance ?" in page
    assert "À la mairie du lieu de naissance, sur place" in page
    assert (
        f'<a href="/portail/villebois/aide/articles/{article.pk}/">{article.title}'
        in page.replace("&#x27;", "'")
    )


def test_with_htmx_only_the_new_turns_are_returned(client, knowledge):
    ask(client, "Où demander un acte de naissance ?")

    response = ask(client, "carte électorale inscription", htmx=True)

    page = response.content.decode()
    assert page.count('<li class="turn') == 2
    assert 'id="turn-3"' in page
    assert 'id="turn-4"' in page
    assert "Source : service-public.fr, DILA — Licence Ouverte 2.0" in page
    assert "<html" not in page


def test_an_ambiguous_question_offers_the_topics_then_answers_within_one(client, knowledge):
    page = ask(client, "carte", htmx=True).content.decode()

    assert "Which one do you mean?" in page
    assert '<input type="hidden" name="topic" value="Élections">' in page
    assert "Carte d&#x27;identité et passeport</button>" in page

    answer = ask(client, "carte", topic="Élections", htmx=True).content.decode()
    assert "La carte électorale est envoyée" in answer


def test_an_unknown_question_offers_an_agent(client, knowledge):
    page = ask(client, "horaires de la piscine municipale", htmx=True).content.decode()

    assert "I could not find a reliable answer" in page
    assert f'<a href="{HANDOVER}" role="button">Talk to an agent</a>' in page


@pytest.mark.parametrize(
    "question", ["Je veux parler à un agent", "conseiller", "Puis-je contacter quelqu'un ?"]
)
def test_asking_for_a_human_is_understood(client, knowledge, question):
    page = ask(client, question, htmx=True).content.decode()

    assert "Of course. An agent will answer you" in page


def test_an_empty_or_huge_question_is_a_clear_400(client, knowledge):
    empty = ask(client, "   ")
    huge = ask(client, "x" * 1001)

    assert empty.status_code == huge.status_code == 400
    assert "Write your question." in empty.content.decode()
    assert "1001 characters long; 1000 at most" in huge.content.decode()
    assert client.session.get(f"guichet.assistant.{knowledge['birth'].organization_id}") is None


def test_handover_creates_a_routed_request_with_the_exchange(
    client, knowledge, departments, django_capture_on_commit_callbacks, mailoutbox
):
    ask(client, "Où demander un acte de naissance ?")
    ask(client, "Et pour mon fils né à Lyon ?")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            HANDOVER,
            {
                "nonce": str(uuid.uuid4()),
                "name": "Jeanne Dupont",
                "email": "jeanne.dupont@example.org",
                "phone": "",
                "message": "Merci de me rappeler.",
            },
        )

    case = Case.objects.get()
    message = Message.objects.get(case=case, direction="inbound")
    attachment = Attachment.objects.get(message=message)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "portal:tracking", args=["villebois", case.tracking_token]
    )
    assert case.subject == "Où demander un acte de naissance ?"
    assert case.department == departments["etat-civil"]
    assert case.topic.slug == "acte-naissance"
    # The citizen's words and the articles shown; the assistant's passages only in the attachment.
    assert message.text.startswith(
        "Merci de me rappeler.\n\nQuestions asked to the online assistant:\n"
        "- Où demander un acte de naissance ?\n- Et pour mon fils né à Lyon ?\n\n"
        "Articles the assistant showed:\n"
    )
    assert f"/portail/villebois/aide/articles/{knowledge['birth'].pk}/" in message.text
    assert message.text.endswith("The whole exchange is attached (echange-assistant.txt).")
    assert "Assistant:" not in message.text
    assert attachment.filename == "echange-assistant.txt"
    with attachment.file.open() as kept:
        exchange = kept.read().decode("utf-8")
    assert "Citizen: Et pour mon fils né à Lyon ?" in exchange
    assert "Assistant: " in exchange
    assert mailoutbox[0].to == ["jeanne.dupont@example.org"]
    assert case.reference in mailoutbox[0].body
    assert client.session.get(f"guichet.assistant.{case.organization_id}") is None


def test_handover_without_a_contact_is_refused_and_creates_nothing(client, knowledge):
    ask(client, "Où demander un acte de naissance ?")

    response = client.post(HANDOVER, {"nonce": str(uuid.uuid4()), "name": "Jeanne"})

    assert response.status_code == 400
    assert "Give an email address or a phone number" in response.content.decode()
    assert Case.objects.count() == 0


def test_handover_without_an_exchange_still_works(client, town, departments):
    response = client.post(
        HANDOVER, {"nonce": str(uuid.uuid4()), "name": "Paul", "phone": "06 12 34 56 78"}
    )

    case = Case.objects.get()
    assert response.status_code == 302
    assert case.subject == "Question to an agent"
    assert case.department == departments["accueil"]
    assert Attachment.objects.count() == 0


def test_articles_are_readable_on_their_organizations_portal_only(client, knowledge):
    shared = client.get(f"/portail/villebois/aide/articles/{knowledge['identity'].pk}/")
    foreign = client.get(f"/portail/villebois/aide/articles/{knowledge['foreign'].pk}/")
    internal = client.get(f"/portail/villebois/aide/articles/{knowledge['internal'].pk}/")
    own_elsewhere = client.get(f"/portail/montval/aide/articles/{knowledge['birth'].pk}/")

    assert shared.status_code == 200
    assert "Source : service-public.fr, DILA — Licence Ouverte 2.0" in shared.content.decode()
    assert foreign.status_code == internal.status_code == own_elsewhere.status_code == 404


def test_the_exchange_is_kept_per_organization(client, knowledge):
    ask(client, "Où demander un acte de naissance ?")

    montval = client.get("/portail/montval/aide/").content.decode()

    assert "Où demander un acte de naissance ?" not in montval


def test_start_again_forgets_the_exchange(client, knowledge):
    ask(client, "Où demander un acte de naissance ?")

    client.post("/portail/villebois/aide/recommencer/")

    assert "Où demander un acte de naissance ?" not in client.get(ASSISTANT).content.decode()


def test_unknown_organization_is_a_404(client, knowledge):
    assert client.get("/portail/nowhere/aide/").status_code == 404
    assert client.post("/portail/nowhere/aide/agent/", {}).status_code == 404
