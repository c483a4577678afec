"""Booking a callback in a real browser, from the organization's page and from the tracking
page, and the desk's callbacks pages: axe-core finds no accessibility violation."""

from __future__ import annotations

import pytest

from guichet.callbacks.models import Callback

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_citizen_books_a_callback_in_a_browser(live_server, town, browser, axe):
    check = axe.check
    page = browser.new_page(locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    page.goto(f"{live_server.url}/portail/villebois/")
    page.click("text=Rather be called back? Book a callback")
    check(page, "callback form")

    page.click("button[type=submit]")
    check(page, "callback form with errors")
    title_after_error = page.title()

    page.fill("#id_name", "Jeanne Dupont")
    page.fill("#id_phone", "06 12 34 56 78")
    page.select_option("#id_slot", index=1)
    page.fill("#id_reason", "Une question sur mon dossier")
    page.click("button[type=submit]")
    confirmation = page.locator(".flash").inner_text()
    check(page, "tracking after booking")

    page.click("text=Be called back about this request")
    check(page, "tracking callback page")

    assert title_after_error.startswith("Error: Be called back")
    assert confirmation.startswith("Your callback is booked: we will call +33612345678 on ")
    assert Callback.objects.count() == 1
    axe.assert_clean()


def test_an_agent_schedules_and_closes_a_callback_in_a_browser(
    live_server, civil_agent, civil_case, browser, axe
):
    check = axe.check
    page = browser.new_page(
        viewport={"width": 1366, "height": 768},
        locale="en-GB",
        extra_http_headers={"Accept-Language": "en"},
    )
    page.goto(f"{live_server.url}/desk/")
    page.fill("#id_username", "claire")
    page.fill("#id_password", "motdepasse-solide-42")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    page.goto(f"{live_server.url}/desk/demandes/{civil_case.reference}/")
    page.click("text=Schedule or see callbacks")
    check(page, "case callbacks")
    page.fill("#id_phone", "0612345678")
    page.select_option("#id_slot", index=1)
    page.click("main form button:has-text('Schedule')")
    check(page, "case callbacks after scheduling")
    page.click("nav >> text=Callbacks")
    check(page, "callbacks list")
    page.select_option("select[name=outcome]", "reached")
    page.click("form.callback-outcome button[type=submit]")
    after = page.locator(".flash").inner_text()
    check(page, "callbacks list after outcome")

    assert after == "The outcome is recorded."
    assert Callback.objects.get().status == "reached"
    axe.assert_clean()
