"""Routing configuration in the admin: scoped to the administrator's organization."""

from __future__ import annotations

import pytest

from guichet.routing.models import AgentSkill
from tests.routing.conftest import skill

pytestmark = pytest.mark.django_db


def test_an_administrator_sees_and_configures_only_their_organization(
    client, town, other_town, administrator, civil_agent, other_agent
):
    skill(civil_agent, town, "topic", "acte-naissance", 4)
    skill(other_agent, other_town, "topic", "secret", 4)
    client.force_login(administrator)
    listing = client.get("/admin/routing/agentskill/").content.decode()
    assert "acte-naissance" in listing
    assert "secret" not in listing
    form = client.get("/admin/routing/agentskill/add/").content.decode()
    assert f'<option value="{civil_agent.pk}">' in form
    assert f'<option value="{other_agent.pk}">' not in form


def test_a_skill_for_someone_outside_the_organization_is_refused(
    client, town, other_town, administrator, other_agent
):
    client.force_login(administrator)
    response = client.post(
        "/admin/routing/agentskill/add/",
        {
            "organization": town.pk,
            "agent": other_agent.pk,
            "kind": "topic",
            "value": "acte-naissance",
            "proficiency": 3,
        },
    )
    assert response.status_code == 200
    assert not AgentSkill.objects.exists()


def test_plain_agents_have_no_routing_admin(client, town, civil_agent):
    civil_agent.is_staff = True
    civil_agent.save()
    client.force_login(civil_agent)
    assert client.get("/admin/routing/agentskill/").status_code == 403
