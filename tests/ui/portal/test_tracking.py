"""The private tracking page: what the citizen sees of their request, and writing on it."""

from __future__ import annotations

import re
import uuid

import pytest

from guichet.cases.actions import UploadedFile, do_add_note, do_reply_case, do_transition_case
from guichet.cases.lifecycle import Status
from guichet.cases.models import Case
from guichet.channels.portal.inbound import PortalRequest, build_request_message
from guichet.citizens.models import ContactKind, ContactPoint
from guichet.conversations.models import Attachment, Direction, Message
from guichet.intake.models import InboundRecord
from guichet.intake.pipeline import receive
from tests.factories import CaseFactory, CitizenFactory
from tests.ui.portal.utils import PDF, pdf_upload, tracking_path, zip_bomb_named_pdf


def reply_data(message="Voici la pièce demandée.", **extra):
    return {"nonce": str(uuid.uuid4()), "message": message, **extra}


def without_csrf(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def public_texts(case):
    return list(
        Message.objects.filter(case=case)
        .public()
        .order_by("created_at", "pk")
        .values_list("text", flat=True)
    )


@pytest.mark.django_db
def test_tracking_page_shows_the_request_and_the_public_exchange(client, portal_case, civil_agent):
    do_add_note(portal_case, "Dossier incomplet, voir avec le service.", actor=civil_agent)
    do_reply_case(portal_case, "Merci de nous envoyer votre livret de famille.", actor=civil_agent)
    portal_case.refresh_from_db()

    response = client.get(tracking_path(portal_case))

    assert response.status_code == 200
    html = response.content.decode()
    assert portal_case.reference in html
    assert "Acte de naissance" in html
    assert "État civil" in html
    assert "Being handled" in html
    assert "A member of staff is working on your request." in html
    assert "Answer expected by" in html
    assert "Je souhaite un extrait d&#x27;acte de naissance." in html
    assert "Merci de nous envoyer votre livret de famille." in html
    assert "Ville de Villebois answered" in html
    assert "Automatic message from Ville de Villebois" in html
    assert "Dossier incomplet" not in html
    assert [m.direction for m in response.context["exchange"]] == [
        Direction.INBOUND,
        Direction.OUTBOUND,
        Direction.OUTBOUND,
    ]
    attachment = Attachment.objects.get(message__case=portal_case)
    assert (
        f"/portail/villebois/suivi/{portal_case.tracking_token}/documents/{attachment.pk}/" in html
    )
    assert response.context["request"].organization == portal_case.organization


@pytest.mark.django_db
def test_tracking_pages_are_private(client, portal_case):
    response = client.get(tracking_path(portal_case))

    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in response.content.decode()


@pytest.mark.django_db
def test_unknown_token_is_an_invalid_link(client, portal_case):
    response = client.get(f"/portail/villebois/suivi/{'x' * 32}/")

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert portal_case.reference not in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_token_of_another_organization_case_is_an_invalid_link(client, town, other_town):
    citizen = CitizenFactory(organization=other_town)
    foreign = CaseFactory(citizen=citizen, subject="Demande confidentielle de Montval")

    response = client.get(f"/portail/villebois/suivi/{foreign.tracking_token}/")
    unknown = client.get(f"/portail/villebois/suivi/{'y' * 32}/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Demande confidentielle" not in html
    assert foreign.reference not in html
    assert without_csrf(html).replace(foreign.tracking_token, "") == without_csrf(
        unknown.content.decode()
    ).replace("y" * 32, "")
    assert client.get(tracking_path(foreign)).status_code == 200


@pytest.mark.django_db
def test_token_under_an_unknown_organization_is_an_invalid_link(client, portal_case):
    response = client.get(f"/portail/nulle-part/suivi/{portal_case.tracking_token}/")

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()


@pytest.mark.django_db
def test_citizen_reply_threads_into_the_case_and_appears_on_the_page(
    client, portal_case, django_capture_on_commit_callbacks, mailoutbox
):
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            tracking_path(portal_case), reply_data(attachments=[pdf_upload("livret.pdf")])
        )

    assert response.status_code == 302
    assert response["Location"] == tracking_path(portal_case)
    assert Case.objects.count() == 1
    reply = Message.objects.filter(case=portal_case, direction=Direction.INBOUND).latest("pk")
    assert reply.text == "Voici la pièce demandée."
    assert reply.channel == "portal"
    assert reply.sender_address == "jeanne.dupont@example.org"
    assert list(reply.attachments.values_list("filename", flat=True)) == ["livret.pdf"]
    assert mailoutbox == []  # no new acknowledgement for a reply on an open request
    page = client.get(response["Location"])
    assert "Voici la pièce demandée." in page.content.decode()
    assert [str(m) for m in page.context["messages"]] == ["Your message has been sent."]


@pytest.mark.django_db
def test_double_submitted_reply_is_recorded_once(
    client, portal_case, django_capture_on_commit_callbacks
):
    data = reply_data()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(tracking_path(portal_case), data)
        client.post(tracking_path(portal_case), data)

    assert public_texts(portal_case).count("Voici la pièce demandée.") == 1


@pytest.mark.django_db
def test_reply_of_a_phone_only_citizen_is_identified_by_the_phone(
    client, town, django_capture_on_commit_callbacks
):
    inbound = build_request_message(
        PortalRequest(
            subject="Trottoir", text="Un trou dans le trottoir.", name="Paul", phone="0612345678"
        ),
        nonce=str(uuid.uuid4()),
    )
    case = receive(town, inbound).case

    with django_capture_on_commit_callbacks(execute=True):
        client.post(tracking_path(case), reply_data("Il est toujours là."))

    reply = Message.objects.filter(case=case, direction=Direction.INBOUND).latest("pk")
    assert reply.sender_address == "+33612345678"
    assert reply.text == "Il est toujours là."


@pytest.mark.django_db
def test_reply_on_a_resolved_case_reopens_it(
    client, portal_case, civil_agent, django_capture_on_commit_callbacks
):
    do_transition_case(portal_case, "resolve", actor=civil_agent)
    assert (
        "If you write to us, it will be reopened."
        in client.get(tracking_path(portal_case)).content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(tracking_path(portal_case), reply_data("Ce n'est pas réglé."))

    portal_case.refresh_from_db()
    assert response["Location"] == tracking_path(portal_case)
    assert portal_case.status == Status.OPEN
    assert portal_case.resolved_at is None
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_reply_on_a_closed_case_opens_a_follow_up_and_redirects_to_it(
    client, portal_case, civil_agent, django_capture_on_commit_callbacks, mailoutbox
):
    do_transition_case(portal_case, "close", actor=civil_agent)
    page = client.get(tracking_path(portal_case)).content.decode()
    assert (
        "This request is closed. If you write to us, your message will open a new request" in page
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(tracking_path(portal_case), reply_data("J'ai encore une question."))

    follow_up = Case.objects.exclude(pk=portal_case.pk).get()
    portal_case.refresh_from_db()
    assert portal_case.status == Status.CLOSED
    assert follow_up.follows == portal_case
    assert follow_up.citizen == portal_case.citizen
    assert response["Location"] == tracking_path(follow_up)
    assert public_texts(follow_up)[0] == "J'ai encore une question."
    assert len(mailoutbox) == 1
    assert follow_up.reference in mailoutbox[0].body
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        f"Your request {portal_case.reference} was closed, so your message opened a new request: "
        f"{follow_up.reference}. Keep the link to this page: it is the private link of your new request."
    ]
    assert portal_case.reference in page.content.decode()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (reply_data(""), "Write your message."),
        (
            reply_data("a" * 10_001),
            "Your message is 10001 characters long; 10000 at most are accepted. Shorten it or attach a document.",
        ),
        (
            reply_data(attachments=[zip_bomb_named_pdf()]),
            "facture.pdf: the file claims to be application/pdf but its content is application/zip.",
        ),
    ],
)
@pytest.mark.django_db
def test_bad_reply_is_refused_and_nothing_is_stored(client, portal_case, data, error):
    messages_before = Message.objects.count()
    records_before = InboundRecord.objects.count()
    attachments_before = Attachment.objects.count()

    response = client.post(tracking_path(portal_case), data)

    assert response.status_code == 200
    assert error in [e for errors in response.context["form"].errors.values() for e in errors]
    assert 'id="error-summary"' in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    assert Message.objects.count() == messages_before
    assert InboundRecord.objects.count() == records_before
    assert Attachment.objects.count() == attachments_before


@pytest.mark.django_db
def test_attachment_download_requires_the_token(client, portal_case, other_town):
    attachment = Attachment.objects.get(message__case=portal_case)
    path = f"{tracking_path(portal_case)}documents/{attachment.pk}/"

    response = client.get(path)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="livret.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert (
        client.get(f"/portail/villebois/suivi/{'z' * 32}/documents/{attachment.pk}/").status_code
        == 404
    )
    assert (
        client.get(
            f"/portail/montval/suivi/{portal_case.tracking_token}/documents/{attachment.pk}/"
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_attachment_of_another_case_or_of_a_note_is_not_served(
    client, portal_case, civil_agent, town
):
    note = do_add_note(
        portal_case,
        "Pièce interne.",
        actor=civil_agent,
        files=[UploadedFile("interne.pdf", "application/pdf", PDF)],
    )
    internal = note.attachments.get()
    other_case = receive(
        town,
        build_request_message(
            PortalRequest(
                subject="Autre",
                text="Autre demande",
                name="Luc",
                email="luc@example.org",
                attachments=(),
            ),
            nonce=str(uuid.uuid4()),
        ),
    ).case
    stranger = Attachment.objects.create(
        organization=town,
        message=Message.objects.get(case=other_case, direction=Direction.INBOUND),
        filename="secret.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )

    for attachment in (internal, stranger):
        response = client.get(f"{tracking_path(portal_case)}documents/{attachment.pk}/")
        assert response.status_code == 404
    assert "interne.pdf" not in client.get(tracking_path(portal_case)).content.decode()


@pytest.mark.django_db
def test_citizen_without_email_or_phone_cannot_write_on_the_page(client, town):
    citizen = CitizenFactory(organization=town)
    ContactPoint.objects.create(
        organization=town,
        citizen=citizen,
        kind=ContactKind.OTHER,
        channel="chat",
        value="session-42",
    )
    case = CaseFactory(citizen=citizen)

    page = client.get(tracking_path(case))
    response = client.post(tracking_path(case), reply_data())

    assert page.context["can_reply"] is False
    assert "You cannot write on this page for this request." in page.content.decode()
    assert response.status_code == 200
    assert Message.objects.count() == 0
    assert InboundRecord.objects.count() == 0
