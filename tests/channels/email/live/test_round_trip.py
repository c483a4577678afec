"""Tried as a citizen and an agent would: the citizen writes from an ordinary mail client, the town
hall's mailbox is polled, the acknowledgement and the agent's answer leave through a real SMTP
server and land in the citizen's mailbox, the citizen answers from there and the answer threads
into the same request."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from guichet.cases.actions import do_reply_case
from guichet.cases.models import Case
from guichet.channels.email.addresses import reply_address
from guichet.channels.email.imap import poll_account
from guichet.conversations.models import DeliveryStatus, Direction, Message
from tests.channels.email.live.conftest import citizen_mail, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


class Sink:
    """An SMTP server that keeps what it receives (the town hall's outgoing relay)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 2.0.0 Queued"


@pytest.fixture
def smtp_relay(settings) -> Iterator[Sink]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    try:
        yield sink
    finally:
        controller.stop()


def read_mailbox(dovecot, user) -> list[EmailMessage]:
    with dovecot.mailbox(user) as mailbox:
        mailbox.folder.set("INBOX")
        return [
            email.message_from_bytes(m.obj.as_bytes(), policy=policy.default)
            for m in mailbox.fetch(mark_seen=True)
        ]


def test_citizen_writes_agent_answers_citizen_replies_and_it_threads(
    dovecot, make_account, civil_agent, smtp_relay, django_capture_on_commit_callbacks
):
    account = make_account()  # the town hall's mailbox, mairie@villebois.fr
    citizen = dovecot.add_user()  # Jeanne's own mailbox at her provider

    # Jeanne writes to the town hall from her mail client.
    dovecot.deliver(
        account.username,
        citizen_mail(
            "Demande d'acte de naissance",
            message_id="jeanne-1@example.org",
            body="Bonjour, je voudrais un extrait d'acte de naissance. Jeanne Dupont",
        ),
        sender="jeanne.dupont@example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = poll_account(account)
    assert (report.fetched, report.new_cases) == (1, 1)
    case = Case.objects.get()
    assert case.department.slug == "etat-civil"

    # The acknowledgement leaves through the SMTP relay, addressed to Jeanne.
    assert len(smtp_relay.received) == 1
    sender, recipients, acknowledgement = smtp_relay.received[0]
    assert (sender, recipients) == ("etat-civil@villebois.fr", ["jeanne.dupont@example.org"])
    dovecot.deliver(citizen, acknowledgement, sender=sender)

    # An agent answers from the desk; the answer leaves the same way.
    with django_capture_on_commit_callbacks(execute=True):
        do_reply_case(case, "Pour quelle date de naissance ?", actor=civil_agent, then="wait")
    assert len(smtp_relay.received) == 2
    sender, recipients, answer = smtp_relay.received[1]
    assert recipients == ["jeanne.dupont@example.org"]
    dovecot.deliver(citizen, answer, sender=sender)

    # In Jeanne's mailbox: the acknowledgement (automatic) and the answer, threaded on hers.
    ack, reply = read_mailbox(dovecot, citizen)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert case.reference in ack["Subject"]
    assert reply["Auto-Submitted"] is None
    assert reply["In-Reply-To"] == "<jeanne-1@example.org>"
    assert reply["From"] == "Ville de Villebois <etat-civil@villebois.fr>"
    # The reply address carries the request's signed token.
    assert reply["Reply-To"] == reply_address(
        "etat-civil@villebois.fr", case.organization_id, case.pk
    )
    assert "Pour quelle date de naissance ?" in reply.get_body(("plain",)).get_content()

    # Jeanne answers from her client: "Re:", her client's quoting, the reply headers.
    answer_back = EmailMessage()
    answer_back["From"] = "Jeanne Dupont <jeanne.dupont@example.org>"
    answer_back["To"] = reply["Reply-To"]
    answer_back["Subject"] = "Re: " + reply["Subject"]
    answer_back["Message-ID"] = "<jeanne-2@example.org>"
    answer_back["In-Reply-To"] = reply["Message-ID"]
    answer_back["References"] = f"{reply['References'] or ''} {reply['Message-ID']}".strip()
    answer_back.set_content(
        "Le 3 mars 1990.\n\nLe lun. 3 nov. 2026 à 10:12, Ville de Villebois a écrit :\n"
        "> Pour quelle date de naissance ?\n"
    )
    dovecot.deliver(
        account.username,
        answer_back.as_bytes(policy=policy.SMTP),
        sender="jeanne.dupont@example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = poll_account(account)

    # It lands in the same request, which is open again; nothing new is acknowledged.
    assert (report.fetched, report.new_cases, report.threaded) == (1, 0, 1)
    assert Case.objects.count() == 1
    case.refresh_from_db()
    assert case.status == "open"
    directions = list(
        Message.objects.filter(case=case)
        .order_by("created_at", "pk")
        .values_list("direction", "is_automatic")
    )
    assert directions == [
        (Direction.INBOUND, False),
        (Direction.OUTBOUND, True),
        (Direction.OUTBOUND, False),
        (Direction.INBOUND, False),
    ]
    assert set(
        Message.objects.filter(case=case, direction=Direction.OUTBOUND).values_list(
            "delivery_status", flat=True
        )
    ) == {DeliveryStatus.SENT}
    assert len(smtp_relay.received) == 2
