"""Every action of the case page: the happy path, and the refusals that leave nothing changed."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guichet.audit.models import AuditEntry
from guichet.cases.lifecycle import Status
from guichet.cases.models import Case, CaseEvent, EventKind, Priority
from guichet.conversations.models import Attachment, DeliveryStatus, Direction, Message
from tests.factories import make_member
from tests.ui.desk.conftest import PDF

pytestmark = pytest.mark.django_db


def url(name: str, case: Case) -> str:
    return reverse(f"desk:case_{name}", args=[case.reference])


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def snapshot(case: Case) -> tuple:
    """Everything an action could change on a case."""
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.status,
        fresh.priority,
        fresh.topic_id,
        fresh.department_id,
        fresh.assignee_id,
        fresh.updated_at,
        CaseEvent.objects.filter(case=case).count(),
        Message.objects.filter(case=case).count(),
        Attachment.objects.count(),
    )


# ---------------------------------------------------------------------------------------------
# Reply


def test_reply_by_email_is_threaded_and_sent_on_commit(
    client, civil_agent, email_case, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(civil_agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("reply", email_case),
            {
                "reply-text": "Bonjour, voici votre extrait.",
                "reply-channel": "email",
                "reply-then": "",
            },
        )

    assert response.status_code == 302
    assert response["Location"] == f"/desk/demandes/{email_case.reference}/#timeline"
    assert flash(response) == ["Your reply is saved and being sent on Email."]
    reply = Message.objects.get(case=email_case, direction=Direction.OUTBOUND, is_automatic=False)
    assert reply.text == "Bonjour, voici votre extrait."
    assert reply.author == civil_agent
    assert reply.delivery_status == DeliveryStatus.SENT
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["jeanne.dupont@example.org"]
    assert email.subject == f"Re: Demande d'acte de naissance [{email_case.reference}]"
    assert email.extra_headers["In-Reply-To"] == "<msg-1@example.org>"
    assert email.extra_headers["References"] == "<msg-1@example.org>"
    assert "Bonjour, voici votre extrait." in email.body
    email_case.refresh_from_db()
    assert email_case.status == Status.OPEN
    assert email_case.first_response_at is not None


def test_reply_with_attachments_and_then_wait(
    client, civil_agent, email_case, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(civil_agent)
    files = [
        SimpleUploadedFile("extrait.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("notice.txt", "Pièces à fournir".encode(), content_type="text/plain"),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("reply", email_case),
            {
                "reply-text": "Voici les documents.",
                "reply-channel": "email",
                "reply-then": "wait",
                "reply-attachments": files,
            },
        )

    assert response.status_code == 302
    reply = Message.objects.get(case=email_case, direction=Direction.OUTBOUND, is_automatic=False)
    assert sorted(a.filename for a in reply.attachments.all()) == ["extrait.pdf", "notice.txt"]
    assert all(a.is_available for a in reply.attachments.all())
    assert sorted(name for name, _content, _type in mailoutbox[0].attachments) == [
        "extrait.pdf",
        "notice.txt",
    ]
    email_case.refresh_from_db()
    assert email_case.status == Status.WAITING


def test_reply_then_resolve(client, civil_agent, email_case):
    client.force_login(civil_agent)

    client.post(
        url("reply", email_case),
        {"reply-text": "C'est fait.", "reply-channel": "email", "reply-then": "resolve"},
    )

    email_case.refresh_from_db()
    assert email_case.status == Status.RESOLVED


def test_reply_with_a_disguised_file_is_refused_and_nothing_is_stored(
    client, civil_agent, email_case, mailoutbox
):
    client.force_login(civil_agent)
    before = snapshot(email_case)
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 64, content_type="image/jpeg")

    response = client.post(
        url("reply", email_case),
        {"reply-text": "Voici.", "reply-channel": "email", "reply-attachments": [fake]},
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "photo.jpg: the file claims to be image/jpeg" in body
    assert 'id="id_reply-attachments_error"' in body
    assert snapshot(email_case) == before
    assert mailoutbox == []


def test_empty_reply_and_unknown_channel_are_refused(client, civil_agent, email_case):
    client.force_login(civil_agent)
    before = snapshot(email_case)

    empty = client.post(url("reply", email_case), {"reply-text": "  ", "reply-channel": "email"})
    sms = client.post(url("reply", email_case), {"reply-text": "Bonjour", "reply-channel": "sms"})

    assert empty.status_code == 400
    assert sms.status_code == 400
    assert 'class="error-summary"' in sms.content.decode()
    assert 'aria-invalid="true"' in sms.content.decode()
    assert snapshot(email_case) == before


def test_reply_keeps_the_typed_text_when_refused(client, civil_agent, email_case):
    client.force_login(civil_agent)

    response = client.post(
        url("reply", email_case), {"reply-text": "Mon long texte", "reply-channel": "fax"}
    )

    assert response.status_code == 400
    assert "Mon long texte</textarea>" in response.content.decode()


def test_reply_channel_defaults_to_the_one_the_citizen_last_used(client, civil_agent, email_case):
    client.force_login(civil_agent)

    body = client.get(reverse("desk:case", args=[email_case.reference])).content.decode()

    select = body[
        body.index('name="reply-channel"') : body.index(
            "</select>", body.index('name="reply-channel"')
        )
    ]
    assert '<option value="email" selected>Email</option>' in select


# ---------------------------------------------------------------------------------------------
# Note


def test_internal_note_with_a_file(client, civil_agent, civil_case, mailoutbox):
    client.force_login(civil_agent)

    response = client.post(
        url("note", civil_case),
        {
            "note-text": "Appelé la mairie annexe.",
            "note-attachments": [
                SimpleUploadedFile("compte-rendu.pdf", PDF, content_type="application/pdf")
            ],
        },
    )

    assert response.status_code == 302
    assert flash(response) == ["Internal note added."]
    note = Message.objects.get(case=civil_case)
    assert (note.direction, note.text, note.author) == (
        Direction.NOTE,
        "Appelé la mairie annexe.",
        civil_agent,
    )
    assert [a.filename for a in note.attachments.all()] == ["compte-rendu.pdf"]
    assert CaseEvent.objects.filter(case=civil_case, kind=EventKind.NOTE_ADDED).count() == 1
    assert mailoutbox == []


def test_empty_note_is_refused(client, civil_agent, civil_case):
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    response = client.post(url("note", civil_case), {"note-text": ""})

    assert response.status_code == 400
    assert snapshot(civil_case) == before


# ---------------------------------------------------------------------------------------------
# Assignment


def test_assign_to_me(client, civil_agent, civil_case):
    client.force_login(civil_agent)

    response = client.post(url("assign", civil_case), {"assign-assignee": str(civil_agent.pk)})

    assert response.status_code == 302
    assert flash(response) == ["The request is assigned to you."]
    civil_case.refresh_from_db()
    assert civil_case.assignee == civil_agent
    assert civil_case.status == Status.OPEN


def test_assign_to_a_colleague_then_unassign(client, civil_agent, civil_case, town, departments):
    colleague = make_member(
        town, departments=[departments["etat-civil"]], first_name="Paul", last_name="Martin"
    )
    client.force_login(civil_agent)

    response = client.post(url("assign", civil_case), {"assign-assignee": str(colleague.pk)})

    assert flash(response) == ["The request is assigned to Paul Martin."]
    civil_case.refresh_from_db()
    assert civil_case.assignee == colleague

    response = client.post(url("assign", civil_case), {"assign-assignee": ""})
    assert flash(response)[-1] == "The request is no longer assigned."
    civil_case.refresh_from_db()
    assert civil_case.assignee is None


def test_assigning_someone_of_another_department_is_refused(
    client, civil_agent, roads_agent, other_agent, civil_case
):
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    for user in (roads_agent, other_agent):
        response = client.post(url("assign", civil_case), {"assign-assignee": str(user.pk)})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    assert snapshot(civil_case) == before


# ---------------------------------------------------------------------------------------------
# Transfer


def test_transfer_with_a_reason_leaves_the_agents_queue(
    client, civil_agent, civil_case, departments
):
    civil_case.assignee = civil_agent
    civil_case.save()
    client.force_login(civil_agent)

    response = client.post(
        url("transfer", civil_case),
        {
            "transfer-department": departments["voirie"].pk,
            "transfer-reason": "Concerne la chaussée",
        },
    )

    # The agent does not work in Voirie: back to the queue rather than to a page they cannot see.
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:queue")
    assert flash(response) == [
        "The request is transferred to Voirie.",
        "The request is no longer in your departments.",
    ]
    civil_case.refresh_from_db()
    assert (civil_case.department, civil_case.assignee) == (departments["voirie"], None)
    event = CaseEvent.objects.get(case=civil_case, kind=EventKind.TRANSFERRED)
    assert event.data["reason"] == "Concerne la chaussée"


def test_transfer_without_reason_is_refused(client, civil_agent, civil_case, departments):
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    response = client.post(
        url("transfer", civil_case),
        {"transfer-department": departments["voirie"].pk, "transfer-reason": " "},
    )

    assert response.status_code == 400
    assert "Reason for the transfer: This field is required." in response.content.decode()
    assert snapshot(civil_case) == before


def test_transfer_to_another_organizations_department_is_refused(
    client, civil_agent, civil_case, other_town
):
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    response = client.post(
        url("transfer", civil_case),
        {"transfer-department": other_town.departments.get().pk, "transfer-reason": "essai"},
    )

    assert response.status_code == 400
    assert snapshot(civil_case) == before


# ---------------------------------------------------------------------------------------------
# Status


def test_allowed_transition(client, civil_agent, civil_case):
    client.force_login(civil_agent)

    response = client.post(
        url("transition", civil_case),
        {"transition-transition": "resolve", "transition-reason": "fait"},
    )

    assert response.status_code == 302
    assert flash(response) == ["The request is now “Resolved”."]
    civil_case.refresh_from_db()
    assert civil_case.status == Status.RESOLVED
    event = CaseEvent.objects.get(case=civil_case, kind=EventKind.STATUS_CHANGED)
    assert event.data == {
        "from": "new",
        "to": "resolved",
        "transition": "resolve",
        "reason": "fait",
    }


def test_forbidden_transition_shows_an_error_and_changes_nothing(client, civil_agent, civil_case):
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    response = client.post(url("transition", civil_case), {"transition-transition": "reopen"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "The action could not be done" in body
    assert "“Reopen” is not possible while the request is “New”." in body
    assert snapshot(civil_case) == before


def test_unknown_transition_is_refused(client, civil_agent, civil_case):
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    response = client.post(url("transition", civil_case), {"transition-transition": "explode"})

    assert response.status_code == 400
    assert snapshot(civil_case) == before


def test_reply_then_a_follow_up_not_allowed_now_changes_nothing(client, civil_agent, civil_case):
    civil_case.status = Status.RESOLVED
    civil_case.save()
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    response = client.post(
        url("reply", civil_case),
        {"reply-text": "Bonjour", "reply-channel": "email", "reply-then": "wait"},
    )

    assert response.status_code == 400
    assert snapshot(civil_case) == before


# ---------------------------------------------------------------------------------------------
# Priority and topic


def test_set_priority(client, civil_agent, civil_case):
    client.force_login(civil_agent)

    response = client.post(url("priority", civil_case), {"priority-priority": str(Priority.URGENT)})

    assert flash(response) == ["Priority set to Urgent."]
    civil_case.refresh_from_db()
    assert civil_case.priority == Priority.URGENT


def test_unknown_priority_is_refused(client, civil_agent, civil_case):
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    assert client.post(url("priority", civil_case), {"priority-priority": "9"}).status_code == 400
    assert (
        client.post(url("priority", civil_case), {"priority-priority": "high"}).status_code == 400
    )
    assert snapshot(civil_case) == before


def test_correct_the_topic_keeps_the_department(client, civil_agent, civil_case, town):
    pothole = town.topics.get(slug="nid-de-poule")
    client.force_login(civil_agent)

    response = client.post(url("topic", civil_case), {"topic-topic": pothole.pk})

    assert flash(response) == ["Topic set to Nid-de-poule."]
    civil_case.refresh_from_db()
    assert (civil_case.topic, civil_case.department.slug) == (pothole, "etat-civil")


def test_topic_of_another_organization_is_refused(client, civil_agent, civil_case, other_town):
    from tests.factories import TopicFactory

    foreign_topic = TopicFactory(department=other_town.departments.get())
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    assert (
        client.post(url("topic", civil_case), {"topic-topic": foreign_topic.pk}).status_code == 400
    )
    assert snapshot(civil_case) == before


# ---------------------------------------------------------------------------------------------
# Denials: someone who may not see the case gets the "not found" page, whatever the action


ACTIONS = {
    "reply": {"reply-text": "Bonjour", "reply-channel": "email"},
    "note": {"note-text": "note"},
    "assign": {"assign-assignee": ""},
    "transfer": {"transfer-department": "0", "transfer-reason": "x"},
    "transition": {"transition-transition": "close"},
    "priority": {"priority-priority": "4"},
    "topic": {"topic-topic": ""},
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_an_agent_of_another_department_gets_404_and_nothing_changes(
    client, roads_agent, civil_case, action, mailoutbox
):
    client.force_login(roads_agent)
    before = snapshot(civil_case)
    data = dict(ACTIONS[action])
    if action == "assign":
        data["assign-assignee"] = str(roads_agent.pk)

    response = client.post(url(action, civil_case), data)

    assert response.status_code == 404
    assert snapshot(civil_case) == before
    assert mailoutbox == []


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_an_agent_of_another_organization_gets_404_and_nothing_changes(
    client, other_agent, civil_case, action
):
    client.force_login(other_agent)
    before = snapshot(civil_case)

    response = client.post(url(action, civil_case), ACTIONS[action])

    assert response.status_code == 404
    assert snapshot(civil_case) == before


def test_actions_refuse_get(client, civil_agent, civil_case):
    client.force_login(civil_agent)

    for action in ACTIONS:
        assert client.get(url(action, civil_case)).status_code == 405


def test_actions_are_not_audited_as_views(client, civil_agent, civil_case):
    client.force_login(civil_agent)

    client.post(url("priority", civil_case), {"priority-priority": "3"})

    assert AuditEntry.objects.filter(action="case.viewed").count() == 0


def test_an_action_error_is_shown_on_the_page_not_a_500(
    client, civil_agent, civil_case, monkeypatch
):
    from guichet.cases.actions import CaseActionError
    from guichet.ui.desk.views import case as case_views

    def refuse(case, priority, *, actor):
        case.priority = priority  # a half-done change in memory must not reach the page
        raise CaseActionError("This department is not active.")

    monkeypatch.setattr(case_views, "do_set_priority", refuse)
    client.force_login(civil_agent)
    before = snapshot(civil_case)

    response = client.post(url("priority", civil_case), {"priority-priority": "4"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "This department is not active." in body
    assert "<dd>Normal</dd>" in body
    assert snapshot(civil_case) == before


def test_an_assignee_outside_the_department_is_shown_and_cannot_be_reassigned(
    client, civil_agent, roads_agent, civil_case
):
    civil_case.assignee = roads_agent
    civil_case.save()
    client.force_login(civil_agent)

    body = client.get(reverse("desk:case", args=[civil_case.reference])).content.decode()
    assert f'<option value="{roads_agent.pk}" selected>{roads_agent}</option>' in body

    before = snapshot(civil_case)
    response = client.post(url("assign", civil_case), {"assign-assignee": str(roads_agent.pk)})

    assert response.status_code == 400
    assert f"{roads_agent} does not work in this department." in response.content.decode()
    assert snapshot(civil_case) == before
