"""Routing on the desk: presence form, offers with Accept / Decline, "Next item", heartbeat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.routing.actions import dispatch
from guichet.routing.models import AgentPresence, ItemState, PresenceState, RoutingItem
from tests.routing.conftest import reload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """The assertions read the English texts, whatever catalogues are compiled."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


PANEL = "/desk/routage/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_desk_header_carries_the_routing_bar_with_its_heartbeat(client, claire):
    client.force_login(claire)
    response = client.get("/desk/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="routing-bar"' in html
    assert f'hx-post="{reverse("desk:routing_heartbeat")}"' in html
    assert 'hx-trigger="load, every 20s"' in html


def test_the_panel_shows_presence_and_the_offers(client, town, claire, make_routed_case):
    case, item = make_routed_case()
    dispatch(town.pk)
    client.force_login(claire)
    response = client.get(PANEL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<option value="available" selected>' in html
    assert case.reference in html
    assert reverse("desk:routing_accept", args=[item.pk]) in html
    assert reverse("desk:routing_decline", args=[item.pk]) in html
    assert 'id="routing-bar"' not in html  # the page is the panel: no second copy in the header


def test_setting_presence_from_the_desk(client, town, claire):
    client.force_login(claire)
    response = client.post("/desk/routage/presence/", {"state": "on_break"})
    assert response.status_code == 302
    assert AgentPresence.objects.get(agent=claire).state == PresenceState.ON_BREAK
    htmx = client.post("/desk/routage/presence/", {"state": "busy"}, **HTMX)
    assert htmx.status_code == 200
    assert '<option value="busy" selected>' in htmx.content.decode()


def test_an_unknown_presence_is_refused_with_a_message(client, town, claire):
    client.force_login(claire)
    response = client.post("/desk/routage/presence/", {"state": "asleep"})
    assert response.status_code == 400
    assert "Choose a presence from the list." in response.content.decode()
    assert AgentPresence.objects.get(agent=claire).state == PresenceState.AVAILABLE


def test_the_heartbeat_keeps_presence_alive(client, town, claire):
    AgentPresence.objects.filter(agent=claire).update(
        last_seen_at=timezone.now() - timedelta(seconds=100)
    )
    client.force_login(claire)
    assert client.post("/desk/routage/battement/").status_code == 204
    seen = AgentPresence.objects.get(agent=claire).last_seen_at
    assert timezone.now() - seen < timedelta(seconds=30)
    assert client.post("/desk/routage/battement/", **HTMX).status_code == 200
    assert client.get("/desk/routage/battement/").status_code == 405


def test_accepting_an_offer_opens_the_request(client, town, claire, make_routed_case):
    case, item = make_routed_case()
    dispatch(town.pk)
    client.force_login(claire)
    response = client.post(reverse("desk:routing_accept", args=[item.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:case", kwargs={"reference": case.reference})
    assert (reload(item).state, reload(case).assignee) == (ItemState.ASSIGNED, claire)


def test_accepting_someone_elses_offer_is_refused_without_side_effect(
    client, town, claire, paul, make_routed_case
):
    case, item = make_routed_case()
    dispatch(town.pk)  # offered to Claire
    client.force_login(paul)
    response = client.post(reverse("desk:routing_accept", args=[item.pk]))
    assert response.status_code == 409
    assert "This offer is no longer yours" in response.content.decode()
    assert (reload(item).agent, reload(case).assignee) == (claire, None)


def test_declining_an_offer(client, town, claire, make_routed_case):
    _case, item = make_routed_case()
    dispatch(town.pk)
    client.force_login(claire)
    response = client.post(reverse("desk:routing_decline", args=[item.pk]), **HTMX)
    assert response.status_code == 200
    assert (reload(item).state, reload(item).declined_by) == (ItemState.WAITING, [claire.pk])


def test_next_item_takes_the_best_waiting_request(client, town, claire, make_routed_case):
    case, item = make_routed_case()
    AgentPresence.objects.filter(agent=claire).update(state=PresenceState.BUSY)
    client.force_login(claire)
    response = client.post("/desk/routage/suivant/")
    assert response["Location"] == reverse("desk:case", kwargs={"reference": case.reference})
    assert (reload(item).state, reload(case).assignee) == (ItemState.ASSIGNED, claire)
    empty = client.post("/desk/routage/suivant/", follow=True)
    assert "Nothing is waiting for you right now." in empty.content.decode()


def test_next_item_on_a_break_is_refused_with_a_message(client, town, claire, make_routed_case):
    _case, item = make_routed_case()
    AgentPresence.objects.filter(agent=claire).update(state=PresenceState.ON_BREAK)
    client.force_login(claire)
    response = client.post("/desk/routage/suivant/")
    assert response.status_code == 409
    assert "Set yourself available or busy" in response.content.decode()
    assert RoutingItem.objects.get(pk=item.pk).state == ItemState.WAITING


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for url in (PANEL, "/desk/routage/battement/", "/desk/routage/suivant/"):
        response = client.post(url) if url != PANEL else client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/desk/connexion/")


def test_the_case_timeline_says_who_got_the_request_and_why(client, town, claire, make_routed_case):
    case, item = make_routed_case()
    dispatch(town.pk)
    client.force_login(claire)
    client.post(reverse("desk:routing_accept", args=[item.pk]))
    html = client.get(reverse("desk:case", kwargs={"reference": case.reference})).content.decode()
    reasons = (
        RoutingItem.objects.get(pk=item.pk)
        .case.events.filter(data__step="routing", data__action="offered")
        .get()
        .data["reasons"]
    )
    assert f"Offered to {claire}" in html
    assert f"Offer accepted by {claire}" in html
    assert all(reason in html for reason in reasons)


# --- an agent of several organizations ----------------------------------------------------------


@pytest.fixture
def shared_claire(claire, other_town):
    """Claire also works at Montval's reception."""
    from guichet.organizations.models import Membership

    membership = Membership.objects.create(user=claire, organization=other_town, role="agent")
    membership.departments.set(other_town.departments.all())
    return claire


def _montval_offer(other_town, claire):
    from tests.factories import CaseFactory, CitizenFactory
    from tests.routing.conftest import present

    present(claire, other_town)
    case = CaseFactory(
        citizen=CitizenFactory(organization=other_town),
        department=other_town.departments.get(),
        topic=None,
    )
    from guichet.routing.actions import enqueue_case

    enqueue_case(case)
    dispatch(other_town.pk)
    return case


def test_an_agent_of_two_organizations_gets_presence_and_offers_in_each(
    client, town, other_town, shared_claire, make_routed_case
):
    town_case, _item = make_routed_case()
    dispatch(town.pk)
    montval_case = _montval_offer(other_town, shared_claire)
    client.force_login(shared_claire)

    html = client.get(PANEL).content.decode()

    assert town_case.reference in html
    assert montval_case.reference in html
    assert f'id="routing-state-{town.pk}"' in html
    assert f'id="routing-state-{other_town.pk}"' in html
    assert f"My presence at {other_town.name}" in html
    assert html.count('name="organization"') == 4  # presence and next item, per organization


def test_presence_and_next_item_act_in_the_organization_named(
    client, town, other_town, shared_claire
):
    client.force_login(shared_claire)
    response = client.post(
        "/desk/routage/presence/", {"state": "on_break", "organization": other_town.pk}
    )
    assert response.status_code == 302
    states = dict(
        AgentPresence.objects.filter(agent=shared_claire).values_list("organization", "state")
    )
    assert states == {town.pk: PresenceState.AVAILABLE, other_town.pk: PresenceState.ON_BREAK}


def test_the_heartbeat_keeps_every_organizations_presence_alive(
    client, town, other_town, shared_claire
):
    from tests.routing.conftest import present

    present(shared_claire, other_town)
    AgentPresence.objects.filter(agent=shared_claire).update(
        last_seen_at=timezone.now() - timedelta(seconds=100)
    )
    client.force_login(shared_claire)
    assert client.post("/desk/routage/battement/").status_code == 204
    seen = AgentPresence.objects.filter(agent=shared_claire).values_list("last_seen_at", flat=True)
    assert len(seen) == 2
    assert all(timezone.now() - moment < timedelta(seconds=30) for moment in seen)


def test_an_organization_the_agent_does_not_work_in_is_refused_without_side_effect(
    client, town, other_town, claire
):
    client.force_login(claire)
    for url, data in (
        ("/desk/routage/presence/", {"state": "busy", "organization": other_town.pk}),
        ("/desk/routage/suivant/", {"organization": other_town.pk}),
        ("/desk/routage/presence/", {"state": "busy", "organization": "abc"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        assert "You do not work in this organization." in response.content.decode()
    assert list(
        AgentPresence.objects.filter(agent=claire).values_list("organization", "state")
    ) == [(town.pk, PresenceState.AVAILABLE)]
