"""The first day of a small town on Guichet, as its users would try it, in a real browser and in
French (the default language): a citizen's portal request and an email both become cases routed
to the right department; agents answer them from the desk; the citizen's email reply threads into
the same case and the portal page shows the exchange. axe-core checks each screen."""

from __future__ import annotations

from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import call_command

from guichet.cases.models import Case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "motdepasse-solide-42"


def email_from_citizen(subject, body, *, message_id, in_reply_to=None):
    mail = EmailMessage()
    mail["From"] = "Paul Martin <paul.martin@example.net>"
    mail["To"] = "mairie@villebois.fr"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
        mail["References"] = f"<{in_reply_to}>"
    mail.set_content(body)
    return mail.as_bytes()


def ingest(tmp_path, name, raw):
    path = tmp_path / name
    path.write_bytes(raw)
    out = StringIO()
    call_command("ingest-email", str(path), "--no-progress", stdout=out)
    return out.getvalue()


def sign_in(page, url, username):
    page.goto(f"{url}/desk/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/desk/")


def test_first_day(live_server, browser, axe, town, civil_agent, roads_agent, tmp_path, mailoutbox):
    url = live_server.url
    citizen = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}
    ).new_page()
    desk = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768})

    # A citizen asks for a birth certificate on the portal, in French.
    citizen.goto(f"{url}/portail/villebois/demande/")
    assert citizen.locator("html").get_attribute("lang") == "fr"
    axe.check(citizen, "portal form")
    citizen.select_option("#id_topic", "acte-naissance")
    citizen.fill("#id_subject", "Extrait d'acte de naissance")
    citizen.fill(
        "#id_message", "Bonjour, il me faut un extrait d'acte de naissance pour un passeport."
    )
    citizen.fill("#id_name", "Jeanne Dupont")
    citizen.fill("#id_email", "jeanne.dupont@example.org")
    citizen.click("form button[type=submit]")
    citizen.wait_for_url("**/portail/villebois/suivi/**")
    tracking_url = citizen.url
    axe.check(citizen, "tracking page")
    portal_case = Case.objects.get(channel="portal")
    assert portal_case.reference in citizen.locator(".flash").inner_text()
    assert portal_case.department.slug == "etat-civil"

    # Another citizen writes an email about a pothole: it is imported and routed to Voirie.
    output = ingest(
        tmp_path,
        "pothole.eml",
        email_from_citizen(
            "Nid de poule dangereux",
            "Bonjour, un nid de poule rue des Tilleuls a crevé mon pneu.",
            message_id="paul-1@example.net",
        ),
    )
    email_case = Case.objects.get(channel="email")
    assert f"-> {email_case.reference} (new request)" in output
    assert email_case.department.slug == "voirie"

    # The État civil agent sees the portal request (and not the pothole) and answers it.
    page = desk.new_page()
    sign_in(page, url, civil_agent.username)
    axe.check(page, "queue")
    queue = page.locator("main table").inner_text()
    assert portal_case.reference in queue
    assert email_case.reference not in queue
    page.click(f"text={portal_case.reference}")
    page.wait_for_url(f"**/demandes/{portal_case.reference}/")
    axe.check(page, "case page")
    page.fill(
        "#id_reply-text", "Bonjour Madame, votre extrait vous sera envoyé demain par courrier."
    )
    page.click("#reply button[type=submit]")
    page.wait_for_url(f"**/demandes/{portal_case.reference}/**")

    # The citizen sees the answer on the private tracking page.
    citizen.goto(tracking_url)
    assert "votre extrait vous sera envoyé demain" in citizen.locator("main").inner_text()

    # The Voirie agent answers the email, which leaves with threading headers...
    page.context.clear_cookies()
    sign_in(page, url, roads_agent.username)
    page.click(f"text={email_case.reference}")
    page.fill(
        "#id_reply-text", "Merci, une équipe passe cette semaine. Pouvez-vous préciser le numéro ?"
    )
    page.click("#reply button[type=submit]")
    page.wait_for_url(f"**/demandes/{email_case.reference}/**")
    answer = next(m for m in mailoutbox if "une équipe passe" in m.body)
    assert answer.to == ["paul.martin@example.net"]
    assert answer.extra_headers["In-Reply-To"] == "<paul-1@example.net>"

    # ...and the citizen's reply from his mail client lands in the same case.
    output = ingest(
        tmp_path,
        "reply.eml",
        email_from_citizen(
            "Re: numéro",
            "C'est devant le 12 rue des Tilleuls.",
            message_id="paul-2@example.net",
            in_reply_to=answer.extra_headers["Message-ID"].strip("<>"),
        ),
    )
    assert f"-> {email_case.reference} (added to the request)" in output
    page.reload()
    assert "devant le 12 rue des Tilleuls" in page.locator("#timeline").inner_text()
    assert Case.objects.count() == 2
    axe.assert_clean()
