"""The portal in a real browser: a citizen makes a request and writes on its tracking page, and
axe-core finds no accessibility violation on the way."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_request_and_reply_in_a_browser_are_accessible(live_server, town, other_town, browser, axe):
    check = axe.check

    page = browser.new_page(locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    page.goto(f"{live_server.url}/")
    check(page, "home")
    page.click("text=Ville de Villebois")
    check(page, "organization")
    page.click("text=Make a request")
    check(page, "form")

    page.click("button[type=submit]")
    focused_after_error = page.evaluate("document.activeElement.id")
    title_after_error = page.title()
    check(page, "form with errors")

    page.fill("#id_subject", "Acte de naissance")
    page.fill("#id_message", "Bonjour, un extrait d'acte de naissance pour mon fils.")
    page.fill("#id_name", "Jeanne Dupont")
    page.fill("#id_email", "jeanne.dupont@example.org")
    page.click("button[type=submit]")
    tracking_url = page.url
    confirmation = page.locator(".flash").inner_text()
    check(page, "tracking")

    page.fill("#id_message", "Une précision : il est né à Villebois.")
    page.click("form.portal-form button[type=submit]")
    after_reply = page.locator(".flash").inner_text()
    exchange = page.locator(".exchange").inner_text()
    check(page, "tracking after reply")

    assert focused_after_error == "error-summary"
    assert title_after_error.startswith("Error: Make a request")
    assert "/portail/villebois/suivi/" in tracking_url
    assert confirmation.startswith("Your request has been sent. Its reference is VIL-")
    assert after_reply == "Your message has been sent."
    assert "Une précision : il est né à Villebois." in exchange
    axe.assert_clean()
