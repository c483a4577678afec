"""The assistant in a real browser, with the keyboard only: a question, its answer announced in
the live region, then a hand-over to an agent; axe-core finds no violation on the way."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_ask_then_talk_to_an_agent_with_the_keyboard(live_server, knowledge, browser, axe):
    page = browser.new_page(locale="en-GB", extra_http_headers={"Accept-Language": "en"})
    page.goto(f"{live_server.url}/portail/villebois/")
    page.click("text=A question? Ask the online assistant")
    axe.check(page, "assistant")

    page.focus("#id_question")
    page.keyboard.type("Où demander un acte de naissance ?")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#assistant-log .turn-assistant")
    log = page.locator("#assistant-log").inner_text()
    question_after = page.input_value("#id_question")
    axe.check(page, "assistant with an answer")

    page.fill("#id_question", "carte")
    page.click(".assistant-form button[type=submit]")
    page.wait_for_selector("#assistant-log .turn-choices")
    page.click("#assistant-log .turn-choices button:has-text('Élections')")
    page.wait_for_selector("#assistant-log .turn-assistant >> nth=2")
    clarified = page.locator("#assistant-log .turn-assistant").nth(2).inner_text()
    axe.check(page, "assistant after a clarification")

    page.click(".assistant-handover >> text=Talk to an agent")
    axe.check(page, "handover")
    page.fill("#id_name", "Jeanne Dupont")
    page.fill("#id_email", "jeanne.dupont@example.org")
    page.click("form.portal-form button[type=submit]")
    page.wait_for_url("**/suivi/**")
    confirmation = page.locator(".flash").inner_text()
    exchange = page.locator(".exchange").inner_text()

    assert "À la mairie du lieu de naissance" in log
    assert question_after == ""
    assert "La carte électorale est envoyée" in clarified
    assert confirmation.startswith("Your request has been sent. Its reference is VIL-")
    assert "- Où demander un acte de naissance ?" in exchange  # on the tracking page
    axe.assert_clean()
