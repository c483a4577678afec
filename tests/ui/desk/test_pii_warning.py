"""An agent is warned before a reply carrying personal data goes out on an insecure channel."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from guichet.cases.models import Case, CaseEvent
from guichet.conversations.models import Direction, Message

pytestmark = pytest.mark.django_db

SENSITIVE = (
    "Bonjour, nous avons bien votre IBAN FR76 3000 6000 0112 3456 7890 189 "
    "et votre numéro 2 69 05 49 588 157 80."
)


@pytest.fixture
def sms_case(make_case):
    return make_case("etat-civil", subject="Remboursement", channel="sms")


def reply(client, case: Case, text: str, channel: str = "sms", confirmation: str | None = None):
    data = {"reply-text": text, "reply-channel": channel, "reply-then": ""}
    if confirmation is not None:
        data["reply-pii_confirmed"] = confirmation
    return client.post(reverse("desk:case_reply", args=[case.reference]), data)


def outbound(case: Case) -> list[str]:
    return list(
        Message.objects.filter(case=case, direction=Direction.OUTBOUND).values_list(
            "text", flat=True
        )
    )


def token_in(html: str) -> str:
    match = re.search(r'name="reply-pii_confirmed" value="([0-9a-f]+)"', html)
    assert match is not None
    return match.group(1)


def test_first_submit_warns_and_sends_nothing_the_second_sends(client, civil_agent, sms_case):
    client.force_login(civil_agent)
    events_before = CaseEvent.objects.filter(case=sms_case).count()

    # When the agent sends a reply with an IBAN and a NIR by SMS
    response = reply(client, sms_case, SENSITIVE)

    # Then nothing is sent, and the page says which personal data and asks to confirm
    assert response.status_code == 400
    html = response.content.decode()
    assert outbound(sms_case) == []
    assert CaseEvent.objects.filter(case=sms_case).count() == events_before
    assert (
        "This reply contains personal data (social security number, bank account number (IBAN)) "
        "and SMS is not a secure channel." in html
    )
    # in the error summary (focused by the desk script), linked to the reply field
    summary = html[
        html.index('id="error-summary"') : html.index("</div>", html.index("error-summary"))
    ]
    assert 'href="#id_reply-text"' in summary
    assert "Send anyway" in html
    assert "FR76 3000 6000 0112 3456 7890 189" in html  # the typed text is kept

    # When they confirm the same text
    response = reply(client, sms_case, SENSITIVE, confirmation=token_in(html))

    # Then it is sent
    assert response.status_code == 302
    assert outbound(sms_case) == [SENSITIVE]


def test_a_confirmation_covers_only_the_text_and_channel_warned_about(
    client, civil_agent, sms_case, settings
):
    settings.GUICHET_INSECURE_CHANNELS = ["sms", "email"]
    client.force_login(civil_agent)
    token = token_in(reply(client, sms_case, SENSITIVE).content.decode())

    # The agent changed the text after the warning: it is checked again
    changed = SENSITIVE + " Cordialement."
    assert reply(client, sms_case, changed, confirmation=token).status_code == 400
    # and the confirmation given for SMS does not cover e-mail
    assert (
        reply(client, sms_case, SENSITIVE, channel="email", confirmation=token).status_code == 400
    )
    assert outbound(sms_case) == []


def test_a_forged_confirmation_is_refused(client, civil_agent, sms_case):
    client.force_login(civil_agent)
    response = reply(client, sms_case, SENSITIVE, confirmation="0" * 64)
    assert response.status_code == 400
    assert outbound(sms_case) == []


def test_secure_channel_or_no_sensitive_data_sends_at_once(client, civil_agent, sms_case):
    client.force_login(civil_agent)
    # E-mail is secure by default
    assert reply(client, sms_case, SENSITIVE, channel="email").status_code == 302
    # The citizen's own contact details are not warned about
    own = "Nous vous rappelons au 06 12 34 56 78 ou écrivons à jeanne.dupont@example.org."
    assert reply(client, sms_case, own).status_code == 302
    assert outbound(sms_case) == [SENSITIVE, own]


def test_email_warns_when_configured_insecure(client, civil_agent, sms_case, settings):
    settings.GUICHET_INSECURE_CHANNELS = ["sms", "whatsapp", "email"]
    client.force_login(civil_agent)
    response = reply(client, sms_case, SENSITIVE, channel="email")
    assert response.status_code == 400
    assert "and Email is not a secure channel." in response.content.decode()
    assert outbound(sms_case) == []


def test_notes_are_never_blocked(client, civil_agent, sms_case):
    client.force_login(civil_agent)
    response = client.post(
        reverse("desk:case_note", args=[sms_case.reference]), {"note-text": SENSITIVE}
    )
    assert response.status_code == 302
    assert list(
        Message.objects.filter(case=sms_case, direction=Direction.NOTE).values_list(
            "text", flat=True
        )
    ) == [SENSITIVE]
