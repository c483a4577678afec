"""Routing on the desk in a real browser: two agents choose their presence in the header, a new
request is offered to the right one, accepted, and the next one waits until she is free; axe-core
finds no accessibility violation on the way."""

from __future__ import annotations

import pytest

from guichet.routing.models import ItemState, RoutingItem
from tests.routing.conftest import capacity, skill

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "motdepasse-solide-42"  # the factories' test password


def _sign_in(browser, live_server, user):
    page = browser.new_page(locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    page.goto(f"{live_server.url}/desk/connexion/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#routing-state")
    return page


def test_two_agents_presence_offer_and_waiting(
    live_server, town, civil_agent, roads_agent, make_routed_case, browser, axe
):
    skill(civil_agent, town, "topic", "acte-naissance", 4)
    capacity(civil_agent, town, "email", 1)
    skill(roads_agent, town, "topic", "nid-de-poule", 4)
    claire = _sign_in(browser, live_server, civil_agent)
    marc = _sign_in(browser, live_server, roads_agent)
    for page in (claire, marc):
        page.select_option("#routing-state", "available")
        page.click(".routing-presence button")
        page.wait_for_selector("#routing-state option[value=available][selected]", state="attached")
    axe.check(claire, "desk with the routing bar")

    first, _item = make_routed_case()  # État civil: offered to Claire, not to Marc
    second, waiting = make_routed_case()
    claire.reload()
    claire.wait_for_selector(".routing-offers li")
    offers = claire.locator(".routing-offers").inner_text()
    axe.check(claire, "desk with an offer")
    marc.reload()
    marc.wait_for_selector("#routing-state")
    marc_offers = marc.locator(".routing-offers").inner_text()

    claire.click(".routing-offers button:has-text('Accept')")
    claire.wait_for_url(f"**/desk/demandes/{first.reference}/")
    axe.check(claire, "case after accepting")

    assert first.reference in offers
    assert second.reference not in offers  # her capacity is one written request
    assert marc_offers.strip() == ""
    first.refresh_from_db()
    assert first.assignee == civil_agent
    assert RoutingItem.objects.get(pk=waiting.pk).state == ItemState.WAITING
    axe.assert_clean()
