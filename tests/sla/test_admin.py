"""SLA administration: the Marianne action on organizations, the policy form's refusal of a zero
delay, and each administrator confined to their organization."""

from __future__ import annotations

import pytest
from django.test import Client

from guichet.sla.models import SlaPolicy


@pytest.fixture
def admin_client(administrator):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(administrator)
    return client


def test_the_marianne_action_creates_the_preset_for_the_administered_organization(
    admin_client, town, other_town
):
    response = admin_client.post(
        "/admin/organizations/organization/",
        {"action": "add_marianne_preset", "_selected_action": [town.pk, other_town.pk]},
    )
    assert response.status_code == 302
    assert SlaPolicy.objects.filter(organization=town).count() == 4
    assert SlaPolicy.objects.filter(organization=other_town).count() == 0


def test_the_policy_form_refuses_a_zero_delay(admin_client, town):
    response = admin_client.post(
        "/admin/sla/slapolicy/add/",
        {
            "organization": town.pk,
            "name": "Zéro",
            "target": "answer",
            "channel": "",
            "amount": "0",
            "unit": "working_days",
            "preset": "",
            "is_active": "on",
            "created_at_0": "2026-11-24",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "The delay must be greater than zero (0 given)." in response.content.decode()
    assert SlaPolicy.objects.count() == 0


def test_the_calendar_admin_is_scoped(admin_client, town, other_town):
    from guichet.sla.models import WorkCalendar

    WorkCalendar.objects.create(organization=town, name="Mairie")
    theirs = WorkCalendar.objects.create(organization=other_town, name="Montval")
    page = admin_client.get("/admin/sla/workcalendar/").content.decode()
    assert "Mairie" in page
    assert "Montval" not in page
    assert admin_client.get(f"/admin/sla/workcalendar/{theirs.pk}/change/").status_code == 302
