"""The personal-data warning in a real browser: the error summary takes the focus, axe-core finds
no violation, and "Send anyway" sends the reply."""

from __future__ import annotations

import pytest

from guichet.conversations.models import Direction, Message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = "Votre IBAN FR76 3000 6000 0112 3456 7890 189 est bien enregistré."


def test_agent_is_warned_then_confirms(live_server, civil_agent, make_case, browser, axe):
    case = make_case("etat-civil", subject="Remboursement", channel="sms")
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
    page.goto(f"{live_server.url}/desk/demandes/{case.reference}/")

    page.fill("#id_reply-text", TEXT)
    page.select_option("#id_reply-channel", "sms")
    page.click("#reply button[type=submit]")
    page.wait_for_load_state()

    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "bank account number (IBAN)" in page.locator("#error-summary").inner_text()
    axe.check(page, "case with a personal-data warning")
    assert not Message.objects.filter(case=case, direction=Direction.OUTBOUND).exists()

    page.click("#reply button:has-text('Send anyway')")
    page.wait_for_url(f"**/demandes/{case.reference}/#timeline")
    assert list(
        Message.objects.filter(case=case, direction=Direction.OUTBOUND).values_list(
            "text", flat=True
        )
    ) == [TEXT]
