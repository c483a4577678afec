"""The case page: header, timeline across channels, reception details, the citizen's 360° panel,
isolation and the audit of views."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from guichet.audit.models import AuditEntry
from guichet.cases.actions import (
    do_add_note,
    do_assign_case,
    do_reply_case,
    do_set_priority,
    do_transfer_case,
    do_transition_case,
)
from guichet.cases.lifecycle import Transition
from guichet.cases.models import EventKind
from guichet.conversations.models import Attachment, Message
from tests.factories import CaseFactory, CitizenFactory
from tests.ui.desk.conftest import add_events

pytestmark = pytest.mark.django_db


def case_url(case) -> str:
    return reverse("desk:case", args=[case.reference])


def page(client, case) -> str:
    response = client.get(case_url(case))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def without_tokens(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_case_url_uses_the_reference(civil_case):
    assert case_url(civil_case) == f"/desk/demandes/{civil_case.reference}/"


def test_header_shows_the_case_facts(client, civil_agent, email_case):
    client.force_login(civil_agent)

    body = page(client, email_case)

    header = body[
        body.index('<header class="case-header">') : body.index(
            "</header>", body.index('<header class="case-header">')
        )
    ]
    assert (
        f'<span class="reference">{email_case.reference}</span> — Demande d\'acte de naissance'
        in header
    )
    assert '<span class="badge badge-new">New</span>' in header
    assert "<dd>Normal</dd>" in header
    assert "<dd>Acte de naissance</dd>" in header
    assert "<dd>État civil</dd>" in header
    assert "nobody" in header
    assert "<dd>Email</dd>" in header


def test_timeline_shows_messages_attachments_and_reception_details(client, civil_agent, email_case):
    client.force_login(civil_agent)

    body = page(client, email_case)

    timeline = body[body.index('id="timeline"') : body.index('id="reply"')]
    # The citizen's message, its formatted version (sanitised HTML, rendered as HTML) and files.
    assert "Jeanne Dupont wrote on Email" in timeline
    assert "Bonjour, je voudrais un extrait d'acte de naissance. Cordialement." in timeline
    assert "<summary>Formatted version</summary>" in timeline
    assert "<strong>extrait</strong>" in timeline
    pdf = Attachment.objects.get(filename="justificatif.pdf")
    assert f'<a href="/desk/pieces-jointes/{pdf.pk}/" download>justificatif.pdf</a>' in timeline
    refused = Attachment.objects.get(filename="virus.exe")
    assert refused.refused_reason
    assert f"refused: {refused.refused_reason}" in timeline
    assert f"/desk/pieces-jointes/{refused.pk}/" not in timeline
    # The acknowledgement sent back.
    assert "Automatic acknowledgement on Email" in timeline
    # Reception: six steps, grouped with the message, with the routing reasons.
    reception = timeline[
        timeline.index('<details class="reception">') : timeline.index(
            "</details>", timeline.index('<details class="reception">')
        )
    ]
    assert (
        "Reception details — Department: État civil (rule: the department that handles the recognised topic)."
        in reception
    )
    for title in (
        "Stored as received",
        "Citizen identified",
        "Attached to a request",
        "Topic recognised",
        "Routed to a department",
        "Acknowledgement",
    ):
        assert f"<strong>{title}</strong>" in reception
    assert "Topic: Acte de naissance (confidence 100 %)" in reception
    assert "Why: keyword: acte de naissance" in reception
    # Reasons are written in the organization's language (French) when the message is processed.
    assert re.search(r"Why: .*Acte de naissance.* État civil", reception)
    assert f"Request {email_case.reference}: a new request was opened." in reception
    assert timeline.count('<details class="reception">') == 1


def test_timeline_orders_notes_replies_and_events(
    client, civil_agent, roads_agent, email_case, departments
):
    do_assign_case(email_case, civil_agent, actor=civil_agent)
    do_add_note(email_case, "Vérifier le livret de famille.", actor=civil_agent)
    do_reply_case(email_case, "Voici votre extrait.", actor=civil_agent, then=Transition.WAIT)
    do_set_priority(email_case, 4, actor=civil_agent)
    do_transition_case(email_case, Transition.RESOLVE, actor=civil_agent, reason="envoyé")
    client.force_login(civil_agent)

    body = page(client, email_case)

    timeline = body[body.index('id="timeline"') : body.index('id="reply"')]
    expected_in_order = [
        "Jeanne Dupont wrote on Email",
        "Automatic acknowledgement on Email",
        f"Assigned to {civil_agent}",
        "Status changed from “New” to “In progress”",
        f"Internal note by {civil_agent}",
        f"{civil_agent} replied on Email",
        "Status changed from “In progress” to “Waiting for the citizen”",
        "Priority changed from Normal to Urgent",
        "Status changed from “Waiting for the citizen” to “Resolved”",
    ]
    positions = [timeline.index(text) for text in expected_in_order]
    assert positions == sorted(positions)
    assert "Reason: envoyé" in timeline
    assert '<li class="entry entry-note">' in timeline
    assert '<span class="badge badge-note">Internal</span>' in timeline
    # The note is not shown twice (its "note added" event is folded into it).
    assert timeline.count("Vérifier le livret de famille.") == 1

    do_transfer_case(email_case, departments["voirie"], actor=civil_agent, reason="mauvais service")
    client.force_login(roads_agent)
    body = page(client, email_case)
    assert "Transferred from État civil to Voirie" in body
    assert "Reason: mauvais service" in body


def test_delivery_failure_is_on_the_timeline(
    client, civil_agent, civil_case, django_capture_on_commit_callbacks
):
    # The citizen has no address on SMS: delivery through the relay waits; on email it fails
    # when there is no address at all.
    civil_case.citizen.contact_points.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        do_reply_case(civil_case, "Bonjour", actor=civil_agent, channel="email")
    client.force_login(civil_agent)

    body = page(client, civil_case)

    assert "Delivery failed on Email" in body
    assert "Error: no address to write to" in body
    assert Message.objects.get(case=civil_case).delivery_status == "failed"


def test_citizen_panel_shows_contacts_visible_cases_and_counts_the_others(
    client, civil_agent, civil_case, make_case, town
):
    other_visible = make_case("etat-civil", subject="Mariage")
    make_case("voirie", subject="Trottoir abîmé")
    make_case("voirie", subject="Lampadaire")
    stranger = CitizenFactory(organization=town, display_name="Autre Personne")
    CaseFactory(citizen=stranger, department=civil_case.department, subject="Pas le même usager")
    client.force_login(civil_agent)

    body = page(client, civil_case)

    panel = body[body.index('id="citizen-title"') : body.index('id="actions-title"')]
    assert f'<a href="/desk/usagers/{civil_case.citizen_id}/">Jeanne Dupont</a>' in panel
    assert "jeanne.dupont@example.org" in panel
    assert "06 12 34 56 78" in panel
    assert "+33612345678" not in panel
    assert f"{other_visible.reference}</a> Mariage" in panel
    assert "2 other requests in departments you do not work in." in panel
    assert "Trottoir" not in body
    assert "Lampadaire" not in body
    assert "Pas le même usager" not in body


def test_citizen_panel_lists_conversations_by_channel(client, civil_agent, email_case):
    client.force_login(civil_agent)

    body = page(client, email_case)

    panel = body[body.index("Conversations by channel") : body.index('id="actions-title"')]
    assert "<h4>Email</h4>" in panel
    assert "this request — Demande d'acte de naissance" in panel


def test_only_allowed_transitions_and_colleagues_of_the_department_are_offered(
    client, civil_agent, roads_agent, supervisor, civil_case
):
    client.force_login(civil_agent)

    body = page(client, civil_case)

    actions = body[body.index('id="actions-title"') :]
    for value in ("open", "wait", "resolve", "close"):
        assert f'name="transition-transition" value="{value}"' in actions
    assert 'value="reopen"' not in actions
    assignee_select = actions[
        actions.index('name="assign-assignee" id=') : actions.index(
            "</select>", actions.index('name="assign-assignee" id=')
        )
    ]
    assert f'value="{civil_agent.pk}"' in assignee_select
    assert f'value="{supervisor.pk}"' in assignee_select
    assert f'value="{roads_agent.pk}"' not in assignee_select
    assert "Assign to me" in actions
    # Transfer: the other departments only.
    transfer = actions[
        actions.index('name="transfer-department"') : actions.index(
            "</select>", actions.index('name="transfer-department"')
        )
    ]
    assert "Voirie" in transfer
    assert "Accueil" in transfer
    assert "État civil" not in transfer


def test_a_case_of_another_department_or_organization_is_not_found(
    client, roads_agent, other_agent, civil_case, foreign_case
):
    client.force_login(roads_agent)
    response = client.get(case_url(civil_case))
    assert response.status_code == 404
    assert civil_case.subject not in response.content.decode()
    nonexistent = client.get(reverse("desk:case", args=["VIL-2099-999999"]))
    assert nonexistent.status_code == 404
    # Same page: no way to tell "exists elsewhere" from "does not exist".
    assert without_tokens(nonexistent).replace(
        "VIL-2099-999999", civil_case.reference
    ) == without_tokens(response)

    client.force_login(other_agent)
    assert client.get(case_url(civil_case)).status_code == 404
    assert client.get(case_url(foreign_case)).status_code == 200


def test_an_agent_sees_a_case_assigned_to_them_in_another_department(
    client, roads_agent, civil_case
):
    civil_case.assignee = roads_agent
    civil_case.save()
    client.force_login(roads_agent)

    assert client.get(case_url(civil_case)).status_code == 200


def test_viewing_a_case_is_audited(client, civil_agent, roads_agent, civil_case):
    client.force_login(civil_agent)
    client.get(case_url(civil_case))

    entry = AuditEntry.objects.get(action="case.viewed")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        civil_agent,
        "cases.case",
        str(civil_case.pk),
    )

    client.force_login(roads_agent)
    client.get(case_url(civil_case))
    assert AuditEntry.objects.filter(action="case.viewed").count() == 1


def test_case_page_query_count_does_not_grow_with_the_timeline(
    client, civil_agent, email_case, email_inbound, town, django_assert_num_queries
):
    from guichet.intake.pipeline import receive

    client.force_login(civil_agent)
    with django_assert_num_queries(21) as small:
        client.get(case_url(email_case))

    for index in range(10):
        receive(
            town,
            email_inbound(
                external_id=f"reply-{index}@example.org",
                email_message_id=f"reply-{index}@example.org",
                in_reply_to=("msg-1@example.org",),
                subject=f"Re: [{email_case.reference}] précision {index}",
            ),
        )
        do_reply_case(email_case, f"Réponse {index}", actor=civil_agent)
        do_add_note(email_case, f"Note {index}", actor=civil_agent)
    add_events(email_case, 10)
    assert Message.objects.filter(case=email_case).count() >= 32
    assert email_case.events.filter(kind=EventKind.PIPELINE).count() == 66

    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(case_url(email_case))
    assert response.content.decode().count('<details class="reception">') == 11
