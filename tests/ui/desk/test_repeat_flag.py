"""The case page flags a request whose citizen wrote three times in ten days about it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.cases.actions import append_event
from guichet.cases.models import Case
from guichet.cases.repeats import REPEAT_CONTACT
from guichet.conversations.models import Conversation, Direction, Message

pytestmark = pytest.mark.django_db

FLAG = "Contact no. 3 in 10 days on this request"


def inbound(case: Case, days_ago: float) -> None:
    conversation, _created = Conversation.objects.get_or_create(
        organization=case.organization, citizen=case.citizen, case=case, channel="email"
    )
    Message.objects.create(
        organization=case.organization,
        conversation=conversation,
        case=case,
        channel="email",
        direction=Direction.INBOUND,
        text="Toujours pas de réponse ?",
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def page(client, case: Case) -> str:
    response = client.get(reverse("desk:case", args=[case.reference]))
    assert response.status_code == 200
    return response.content.decode()


def test_third_contact_in_ten_days_is_flagged(client, civil_agent, civil_case):
    client.force_login(civil_agent)
    inbound(civil_case, 9)
    inbound(civil_case, 4)
    assert "in 10 days on this request" not in page(client, civil_case)

    inbound(civil_case, 0)
    append_event(civil_case, REPEAT_CONTACT, data={"contacts": 3, "days": 10})

    html = page(client, civil_case)
    # in the header and, once, on the timeline
    start = html.index('<header class="case-header">')
    header = html[start : html.index("</header>", start)]
    assert f'<p class="case-flag repeat-flag"><strong>{FLAG}</strong></p>' in header
    assert html.count(f'<article aria-label="{FLAG}">') == 1


def test_old_contacts_raise_no_flag(client, civil_agent, civil_case):
    client.force_login(civil_agent)
    for days in (20, 12, 11):
        inbound(civil_case, days)
    inbound(civil_case, 1)
    assert "in 10 days on this request" not in page(client, civil_case)
