"""The citizen page (360° view) and the merge of duplicate records."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from guichet.cases.models import Case
from guichet.citizens.models import Citizen, CitizenMerge, ContactKind, ContactPoint
from tests.factories import CaseFactory, CitizenFactory

pytestmark = pytest.mark.django_db


def citizen_url(citizen) -> str:
    return reverse("desk:citizen", args=[citizen.pk])


def merge_url(citizen) -> str:
    return reverse("desk:citizen_merge", args=[citizen.pk])


@pytest.fixture
def duplicate(town):
    person = CitizenFactory(organization=town, display_name="J. Dupont")
    ContactPoint.objects.create(
        organization=town, citizen=person, kind=ContactKind.PHONE, value="+33798765432"
    )
    CaseFactory(
        citizen=person,
        department=town.departments.get(slug="etat-civil"),
        subject="Ancienne demande",
    )
    return person


def test_citizen_page_shows_contacts_visible_cases_and_conversations(
    client, civil_agent, email_case, make_case
):
    make_case("voirie", subject="Trottoir abîmé")
    client.force_login(civil_agent)

    response = client.get(citizen_url(email_case.citizen))

    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "<h1>Jeanne Dupont</h1>" in body
    assert "jeanne.dupont@example.org" in body
    assert f'href="/desk/demandes/{email_case.reference}/">{email_case.reference}</a>' in body
    assert "Trottoir" not in body
    assert "1 other request in departments you do not work in." in body
    assert "<h3>Email</h3>" in body
    # Agents do not merge records.
    assert "Merge a duplicate record" not in body


def test_citizen_page_formats_phones_nationally(client, civil_agent, citizen, make_case):
    make_case("etat-civil")
    client.force_login(civil_agent)

    body = client.get(citizen_url(citizen)).content.decode()

    assert "06 12 34 56 78" in body
    assert "+33612345678" not in body


def test_citizen_of_another_organization_is_not_found(client, other_agent, citizen):
    client.force_login(other_agent)

    response = client.get(citizen_url(citizen))

    assert response.status_code == 404
    assert "Jeanne" not in response.content.decode()
    assert client.get(reverse("desk:citizen", args=[987654])).status_code == 404


def test_supervisor_searches_a_duplicate_by_phone_and_by_name(
    client, supervisor, citizen, duplicate, other_town
):
    CitizenFactory(organization=other_town, display_name="J. Dupont d'ailleurs")
    client.force_login(supervisor)

    by_phone = html.unescape(
        client.get(citizen_url(citizen), {"q": "07 98 76 54 32"}).content.decode()
    )
    by_name = html.unescape(client.get(citizen_url(citizen), {"q": "dupont"}).content.decode())

    link = f'href="/desk/usagers/{citizen.pk}/fusion/?source={duplicate.pk}"'
    assert "Merge a duplicate record into this one" in by_phone
    assert link in by_phone
    assert link in by_name
    assert "d'ailleurs" not in by_name
    # The record itself is never offered.
    assert f"?source={citizen.pk}" not in by_name


def test_merge_confirm_step_then_merge(client, supervisor, citizen, duplicate):
    client.force_login(supervisor)

    confirm = client.get(merge_url(citizen), {"source": duplicate.pk})

    assert confirm.status_code == 200
    body = html.unescape(confirm.content.decode())
    assert "The record “J. Dupont” will be merged into “Jeanne Dupont”" in body
    assert "07 98 76 54 32" in body
    assert Citizen.objects.get(pk=duplicate.pk).merged_into is None

    response = client.post(
        merge_url(citizen), {"source": duplicate.pk, "reason": "Même personne (appel)"}
    )

    assert response.status_code == 302
    assert response["Location"] == citizen_url(citizen)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == citizen
    merge = CitizenMerge.objects.get()
    assert (merge.source, merge.target, merge.actor, merge.reason) == (
        duplicate,
        citizen,
        supervisor,
        "Même personne (appel)",
    )
    assert Case.objects.filter(citizen=duplicate).count() == 0
    assert ContactPoint.objects.filter(citizen=citizen, value="+33798765432").exists()
    # The tombstone points to the record kept.
    body = client.get(citizen_url(duplicate)).content.decode()
    assert "This record was merged into another one" in body
    assert f'href="/desk/usagers/{citizen.pk}/"' in body


def test_merge_needs_a_reason(client, administrator, citizen, duplicate):
    client.force_login(administrator)

    response = client.post(merge_url(citizen), {"source": duplicate.pk, "reason": "  "})

    assert response.status_code == 400
    assert "Reason for the merge: This field is required." in response.content.decode()
    assert CitizenMerge.objects.count() == 0
    assert Citizen.objects.get(pk=duplicate.pk).merged_into is None


def test_merge_with_a_record_of_another_organization_or_itself_is_refused(
    client, supervisor, citizen, other_town
):
    foreign = CitizenFactory(organization=other_town)
    client.force_login(supervisor)

    for source in (foreign, citizen):
        response = client.post(merge_url(citizen), {"source": source.pk, "reason": "essai"})
        assert response.status_code == 400
        assert "This record cannot be merged" in response.content.decode()
    assert client.get(merge_url(citizen), {"source": "99999999999999999999999"}).status_code == 400
    assert CitizenMerge.objects.count() == 0
    assert Citizen.objects.filter(merged_into__isnull=False).count() == 0


def test_an_agent_cannot_merge(client, civil_agent, citizen, duplicate, make_case):
    make_case("etat-civil")  # the agent handles one of the citizen's requests
    client.force_login(civil_agent)

    assert client.get(merge_url(citizen), {"source": duplicate.pk}).status_code == 403
    response = client.post(merge_url(citizen), {"source": duplicate.pk, "reason": "Même personne"})

    assert response.status_code == 403
    assert (
        "Only supervisors and administrators can merge citizen records" in response.content.decode()
    )
    assert CitizenMerge.objects.count() == 0
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert Case.objects.filter(citizen=duplicate).count() == 1
    # Nor do they see the search form.
    assert (
        "Merge a duplicate record"
        not in client.get(citizen_url(citizen), {"q": "dupont"}).content.decode()
    )


def test_a_supervisor_of_another_organization_cannot_reach_the_merge(
    client, other_town, citizen, duplicate
):
    from guichet.organizations.models import Role
    from tests.factories import make_member

    foreign_supervisor = make_member(other_town, role=Role.SUPERVISOR)
    client.force_login(foreign_supervisor)

    response = client.post(merge_url(citizen), {"source": duplicate.pk, "reason": "x"})

    assert response.status_code == 404
    assert CitizenMerge.objects.count() == 0


def test_agents_see_only_citizens_of_their_departments_requests(
    client, civil_agent, roads_agent, citizen, make_case
):
    from guichet.audit.models import AuditEntry

    make_case("etat-civil")
    client.force_login(roads_agent)
    assert client.get(citizen_url(citizen)).status_code == 404
    client.force_login(civil_agent)
    assert client.get(citizen_url(citizen)).status_code == 200
    entry = AuditEntry.objects.get(action="citizen.viewed")
    assert (entry.actor, entry.object_id) == (civil_agent, str(citizen.pk))
