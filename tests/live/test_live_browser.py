"""In a real browser: a case created by the inbound pipeline appears on an agent's open desk
without reloading the page, and the wallboard passes axe-core.

The test server is Django's threaded WSGI server, not uvicorn: there each stream answers one poll
and ends, and the browser reconnects with Last-Event-ID (what it also does after the stream's
normal end under uvicorn), which exercises the resume path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.intake.pipeline import receive
from tests.factories import CaseFactory, CitizenFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(browser, live_server, username):
    page = browser.new_page(
        viewport={"width": 1366, "height": 768},
        locale="en-GB",
        extra_http_headers={"Accept-Language": "en"},
    )
    page.goto(f"{live_server.url}/desk/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", "motdepasse-solide-42")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    return page


def test_a_new_case_appears_on_an_open_desk_without_reload(
    live_server, settings, civil_agent, town, email_inbound, browser
):
    settings.GUICHET_LIVE_STREAM_SECONDS = 0
    settings.GUICHET_LIVE_POLL_SECONDS = 0
    page = sign_in(browser, live_server, "claire")
    # The first connection fixes the stream's position: what happens next reaches the page.
    page.wait_for_selector("body[data-live-connected]", state="attached")
    page.evaluate("window.__notReloaded = true")
    assert page.locator("#queue-results tbody th[scope=row]").count() == 0

    # The pipeline commits in its own transaction, as in a worker process.
    reference = receive(town, email_inbound()).case.reference

    page.wait_for_selector(f"#queue-results >> text={reference}", timeout=20_000)
    page.wait_for_function(
        "document.querySelector('#queue-counters').innerText.includes('1')", timeout=20_000
    )
    assert page.evaluate("window.__notReloaded") is True


def test_the_wallboard_in_a_browser(
    live_server, settings, supervisor, civil_agent, town, browser, axe
):
    settings.GUICHET_LIVE_STREAM_SECONDS = 0
    late = CaseFactory(
        citizen=CitizenFactory(organization=town),
        department=town.departments.get(slug="etat-civil"),
        due_at=timezone.now() - timedelta(days=1),
    )
    page = sign_in(browser, live_server, "sophie")
    page.goto(f"{live_server.url}/supervision/")
    page.wait_for_selector("#queues-title")
    assert page.locator(f"text={late.reference}").count() == 1
    axe.check(page, "wallboard")

    assert axe.violations == {"wallboard": []}
