"""The request form: a citizen's request becomes a routed, acknowledged case; bad input keeps nothing."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from guichet.cases.models import Case
from guichet.citizens.models import ContactPoint
from guichet.conversations.models import Attachment, Direction, Message
from guichet.intake import pipeline
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.ui.portal.forms import MESSAGE_MAX_LENGTH
from tests.factories import TopicFactory
from tests.ui.portal.utils import PDF, pdf_upload, tracking_path, zip_bomb_named_pdf

URL = "/portail/villebois/demande/"


def assert_nothing_stored():
    assert Case.objects.count() == 0
    assert InboundRecord.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_form_offers_active_public_topics_and_the_unknown_choice(client, town, departments):
    TopicFactory(
        organization=town, department=departments["voirie"], name="Interne", is_public=False
    )
    TopicFactory(
        organization=town, department=departments["voirie"], name="Ancien", is_active=False
    )

    response = client.get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["topic"].choices) == [
        ("", "I don't know / other"),
        ("acte-naissance", "Acte de naissance"),
        ("nid-de-poule", "Nid-de-poule"),
    ]
    html = response.content.decode()
    assert 'autocomplete="name"' in html
    assert 'autocomplete="email"' in html
    assert 'autocomplete="tel"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'name="nonce" value="{form.initial["nonce"]}"' in html
    assert "Your personal data" in html
    assert "mairie@villebois.fr" in html
    assert 'aria-describedby="id_subject_helptext"' in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_request_becomes_a_routed_case_with_an_acknowledgement(
    client, town, departments, request_data, django_capture_on_commit_callbacks, mailoutbox
):
    data = request_data(attachments=[pdf_upload()])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, data)

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == tracking_path(case)
    assert case.department == departments["etat-civil"]
    assert case.topic.slug == "acte-naissance"
    assert case.subject == "Acte de naissance pour mon fils"
    assert case.channel == "portal"
    assert case.citizen.display_name == "Jeanne Dupont"
    assert sorted(
        ContactPoint.objects.filter(citizen=case.citizen).values_list("kind", "value")
    ) == [
        ("email", "jeanne.dupont@example.org"),
        ("phone", "+33612345678"),
    ]
    record = InboundRecord.objects.get()
    assert record.external_id == data["nonce"]
    assert record.status == RecordStatus.PROCESSED
    assert record.raw_file.name.endswith(".json")
    raw = json.loads(record.raw_file.read().decode("utf-8"))
    assert raw["form"] == "request"
    assert raw["email"] == "jeanne.dupont@example.org"
    assert raw["attachments"][0]["filename"] == "justificatif.pdf"
    inbound = Message.objects.get(case=case, direction=Direction.INBOUND)
    assert inbound.sender_address == "jeanne.dupont@example.org"
    attachment = Attachment.objects.get()
    assert attachment.message == inbound
    assert attachment.content_type == "application/pdf"
    assert attachment.file.read() == PDF
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["jeanne.dupont@example.org"]
    assert case.reference in mailoutbox[0].body
    assert f"http://127.0.0.1:8000{tracking_path(case)}" in mailoutbox[0].body

    page = client.get(response["Location"])
    confirmation = [str(m) for m in page.context["messages"]]
    assert confirmation == [
        f"Your request has been sent. Its reference is {case.reference}. We have sent an "
        "acknowledgement to jeanne.dupont@example.org. Keep the link to this page: it is private "
        "and lets you follow your request."
    ]


@pytest.mark.django_db
def test_unknown_topic_is_classified_from_the_text(
    client, town, departments, request_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, request_data(topic="", subject="Un nid de poule rue des Lilas"))

    case = Case.objects.get()
    assert case.topic.slug == "nid-de-poule"
    assert case.department == departments["voirie"]


@pytest.mark.django_db
def test_phone_only_request_gets_no_email_and_is_told_to_keep_the_link(
    client, town, request_data, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, request_data(email="", phone="+32 470 12 34 56"), follow=True)

    case = Case.objects.get()
    assert (
        Message.objects.get(case=case, direction=Direction.INBOUND).sender_address == "+32470123456"
    )
    assert mailoutbox == []
    assert [str(m) for m in response.context["messages"]] == [
        f"Your request has been sent. Its reference is {case.reference}. Keep the link to this page "
        "(add it to your bookmarks): it is private and lets you follow your request."
    ]


@pytest.mark.django_db
def test_double_submit_of_the_same_form_creates_one_case(
    client, town, request_data, django_capture_on_commit_callbacks, mailoutbox
):
    data = request_data()

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, data)
        second = client.post(URL, data)

    case = Case.objects.get()
    assert InboundRecord.objects.count() == 1
    assert first["Location"] == second["Location"] == tracking_path(case)
    assert len(mailoutbox) == 1
    page = client.get(second["Location"])
    assert [str(m) for m in page.context["messages"]][-1].startswith(
        f"This form had already been sent: here is your request {case.reference}."
    )


@pytest.mark.django_db
def test_same_form_sent_again_with_other_content_is_a_new_request(
    client, town, request_data, django_capture_on_commit_callbacks
):
    data = request_data()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, data)
        client.post(URL, {**data, "message": "Finalement, deux extraits s'il vous plaît."})

    assert Case.objects.count() == 2
    assert InboundRecord.objects.filter(external_id=data["nonce"]).count() == 1


def _long(n):
    return "a" * n


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"message": ""}, "message", "Write your message."),
        ({"message": "   "}, "message", "Write your message."),
        (
            {"message": _long(MESSAGE_MAX_LENGTH + 1)},
            "message",
            "Your message is 10001 characters long; 10000 at most are accepted. Shorten it or "
            "attach a document.",
        ),
        ({"subject": ""}, "subject", "Give your request a subject."),
        ({"subject": _long(201)}, "subject", "The subject is 201 characters long; 200 at most."),
        ({"name": ""}, "name", "Enter your name."),
        (
            {"email": "", "phone": ""},
            "email",
            "Give an email address or a phone number, so that we can answer you.",
        ),
        ({"email": "jeanne@"}, "email", "Enter an email address in the form name@example.fr."),
        (
            {"phone": "01 23"},
            "phone",
            "This phone number is not valid. Write it with its 10 digits, for example 06 12 34 56 78, "
            "or with the country code, for example +32 470 12 34 56.",
        ),
        (
            {"phone": "appelez-moi"},
            "phone",
            "This phone number is not valid. Write it with its 10 digits, for example 06 12 34 56 78, "
            "or with the country code, for example +32 470 12 34 56.",
        ),
        ({"topic": "etat-civil-secret"}, "topic", None),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_and_nothing_is_stored(
    client, town, request_data, overrides, field, error
):
    response = client.post(URL, request_data(**overrides))

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [field]
    if error is not None:
        assert form.errors[field] == [error]
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert f'href="#id_{field}"' in html
    assert f'id="id_{field}_error"' in html
    assert "aria-invalid" in html
    assert_nothing_stored()


@pytest.mark.django_db
def test_an_invalid_form_keeps_its_nonce_so_the_corrected_submission_is_one_request(
    client, town, request_data
):
    data = request_data(message="")
    response = client.post(URL, data)

    assert f'name="nonce" value="{data["nonce"]}"' in response.content.decode()


def _file_errors(response):
    assert response.status_code == 200
    return response.context["form"].errors["attachments"]


@pytest.mark.django_db
def test_too_many_files_are_refused(client, town, request_data):
    files = [pdf_upload(f"piece-{n}.pdf") for n in range(6)]

    response = client.post(URL, request_data(attachments=files))

    assert _file_errors(response) == ["You sent 6 files; 5 at most are accepted."]
    assert_nothing_stored()


@pytest.mark.django_db
def test_zip_bomb_named_pdf_is_refused(client, town, request_data):
    response = client.post(URL, request_data(attachments=[pdf_upload(), zip_bomb_named_pdf()]))

    assert _file_errors(response) == [
        "facture.pdf: the file claims to be application/pdf but its content is application/zip."
    ]
    assert_nothing_stored()


@pytest.mark.django_db
def test_oversized_file_is_refused(client, town, request_data, settings):
    settings.GUICHET_ATTACHMENT_MAX_BYTES = 1_048_576
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * 2_000_000, content_type="application/pdf")

    response = client.post(URL, request_data(attachments=[pdf_upload(), big]))

    assert _file_errors(response) == ["scan.pdf: the file is 1.9 MB, above the 1.0 MB limit."]
    assert_nothing_stored()


@pytest.mark.django_db
def test_files_over_the_total_limit_are_refused(client, town, request_data, settings):
    settings.GUICHET_MESSAGE_ATTACHMENTS_MAX_BYTES = 1_048_576
    files = [
        SimpleUploadedFile(name, PDF + b"0" * 600_000, content_type="application/pdf")
        for name in ("a.pdf", "b.pdf")
    ]

    response = client.post(URL, request_data(attachments=files))

    assert _file_errors(response) == ["Together the files weigh 1.1 MB, above the 1 MB limit."]
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (
            SimpleUploadedFile(
                "programme.exe", b"MZ" + b"\x90" * 200, content_type="application/x-msdownload"
            ),
            "programme.exe: files of type application/x-msdownload are not accepted.",
        ),
        (
            SimpleUploadedFile(
                "page.html", b"<html><script>alert(1)</script></html>", content_type="text/html"
            ),
            "page.html: files of type text/html are not accepted.",
        ),
        (
            SimpleUploadedFile("vide.pdf", b"", content_type="application/pdf"),
            "vide.pdf: the file is empty.",
        ),
    ],
)
@pytest.mark.django_db
def test_disallowed_files_are_refused(client, town, request_data, upload, error):
    response = client.post(URL, request_data(attachments=[upload]))

    assert _file_errors(response) == [error]
    assert_nothing_stored()


@pytest.mark.django_db
def test_request_form_of_an_unknown_organization_is_a_404(client, town, request_data):
    assert client.get("/portail/nulle-part/demande/").status_code == 404
    response = client.post("/portail/nulle-part/demande/", request_data())

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert_nothing_stored()


@pytest.mark.django_db
def test_a_request_the_pipeline_cannot_process_is_kept_and_announced(
    client, town, request_data, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(run):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(pipeline, "STEPS", (("identify", broken),))

    response = client.post(URL, request_data())

    record = InboundRecord.objects.get()
    assert record.status == RecordStatus.FAILED
    assert Case.objects.count() == 0
    assert response.status_code == 302
    assert response["Location"].startswith("/portail/villebois/demande/recue/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your message has been received" in html
    assert "will be processed shortly" in html
    assert "VIL-" not in html
    assert page["Cache-Control"] == "private, no-store"

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.retry_now(record)
    record.refresh_from_db()

    later = client.get(response["Location"])
    assert later.status_code == 302
    assert later["Location"] == tracking_path(record.case)


@pytest.mark.django_db
def test_a_tampered_received_link_is_a_404(client, town):
    response = client.get("/portail/villebois/demande/recue/1:abc:def/")

    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
