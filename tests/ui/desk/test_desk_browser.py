"""The desk in a real browser at laptop size: sign in, filter the queue (htmx), open a case, reply
with and without an error, look at the citizen; axe-core finds no accessibility violation."""

from __future__ import annotations

import pytest

from guichet.cases.lifecycle import Status
from guichet.conversations.models import Direction, Message

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


def test_an_agent_works_a_case_in_a_browser(
    live_server, civil_agent, email_case, make_case, browser, axe
):

    urgent = make_case("etat-civil", subject="Urgent : acte de décès", priority=4)
    make_case("etat-civil", subject="Ancienne demande", status=Status.CLOSED)
    check = axe.check

    page = browser.new_page(
        viewport={"width": 1366, "height": 768},
        locale="en-GB",
        extra_http_headers={"Accept-Language": "en"},
    )
    page.goto(f"{live_server.url}/desk/")
    check(page, "login")
    page.fill("#id_username", "claire")
    page.fill("#id_password", "motdepasse-solide-42")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    check(page, "queue")
    first_row_before = page.locator("tbody th[scope=row]").first.inner_text()

    # htmx swaps the results and keeps the address in step with the filters.
    page.select_option("#id_sort", "priority")
    page.wait_for_function("location.search.includes('sort=priority')")
    page.wait_for_function(
        "reference => document.querySelector('tbody th[scope=row]').innerText.trim() === reference",
        arg=urgent.reference,
    )
    first_row_after = page.locator("tbody th[scope=row]").first.inner_text()
    check(page, "queue sorted")

    page.click(f"text={email_case.reference}")
    page.wait_for_url(f"**/demandes/{email_case.reference}/")
    check(page, "case")
    page.click("summary:has-text('Reception details')")
    reception = page.locator("details.reception").inner_text()
    check(page, "case with reception details")

    page.click("#reply button[type=submit]")
    page.wait_for_load_state()
    focused_after_error = page.evaluate("document.activeElement.id")
    check(page, "case with an error")

    page.fill("#id_reply-text", "Bonjour, votre extrait part ce jour.")
    page.click("#reply button[type=submit]")
    page.wait_for_url(f"**/demandes/{email_case.reference}/#timeline")
    flash = page.locator(".flash").inner_text()

    page.click(".citizen-name a")
    page.wait_for_url(f"**/usagers/{email_case.citizen_id}/")
    check(page, "citizen")

    assert first_row_before == email_case.reference
    assert first_row_after == urgent.reference
    assert "Routed to a department" in reception
    assert focused_after_error == "error-summary"
    assert flash == "Your reply is saved and being sent on Email."
    assert (
        Message.objects.filter(
            case=email_case, direction=Direction.OUTBOUND, is_automatic=False
        ).count()
        == 1
    )
    axe.assert_clean()


def test_a_supervisor_merges_a_duplicate_in_a_browser(
    live_server, supervisor, citizen, town, browser, axe
):
    from django.test import Client

    from guichet.citizens.models import CitizenMerge, ContactKind, ContactPoint
    from tests.factories import CitizenFactory

    duplicate = CitizenFactory(organization=town, display_name="J. Dupont")
    ContactPoint.objects.create(
        organization=town, citizen=duplicate, kind=ContactKind.PHONE, value="+33798765432"
    )
    session = Client()
    session.force_login(supervisor)
    check = axe.check

    context = browser.new_context(
        viewport={"width": 1366, "height": 768},
        locale="en-GB",
        extra_http_headers={"Accept-Language": "en"},
    )
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": session.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/desk/usagers/{citizen.pk}/")
    page.fill("#id_q", "07 98 76 54 32")
    page.click(".merge-panel button[type=submit]")
    page.wait_for_url("**q=07**")
    check(page, "search results")
    page.click("text=Merge J. Dupont into this record…")
    page.wait_for_url(f"**/fusion/?source={duplicate.pk}")
    check(page, "confirm")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    focused_after_error = page.evaluate("document.activeElement.id")
    check(page, "confirm with an error")
    page.fill("#id_reason", "Même personne, nouveau numéro")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/usagers/{citizen.pk}/")
    flash = page.locator(".flash").inner_text()

    assert focused_after_error == "error-summary"
    assert flash == "J. Dupont was merged into this record."
    assert CitizenMerge.objects.get().source == duplicate
    axe.assert_clean()
