"""Outbound delivery survives a mail server that is down: the message stays queued and is
delivered once the server is back; a refusal of the message itself fails at once."""

import smtplib

import pytest
from django.utils import timezone

from guichet.cases.actions import do_reply_case
from guichet.cases.models import CaseEvent, EventKind
from guichet.conversations.delivery import deliver, is_transient
from guichet.conversations.models import Message
from guichet.conversations.tasks import retry_deliveries_task
from guichet.intake.pipeline import receive

pytestmark = pytest.mark.django_db


class FlakyBackend:
    """An email backend whose server is down until `up` is set."""

    up = False
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        if not FlakyBackend.up:
            raise ConnectionRefusedError(111, "Connection refused")
        FlakyBackend.sent.extend(messages)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.conversations.test_delivery.FlakyBackend"
    FlakyBackend.up = False
    FlakyBackend.sent = []
    return FlakyBackend


def test_a_reply_sent_while_the_server_is_down_is_delivered_later(
    town, civil_agent, email_inbound, flaky
):
    case = receive(town, email_inbound()).case
    reply = do_reply_case(case, "Votre acte est prêt.", actor=civil_agent)
    deliver(reply.pk)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_attempts) == ("queued", 1)
    assert reply.delivery_error.startswith("ConnectionRefusedError")
    assert reply.next_delivery_at is not None
    assert not CaseEvent.objects.filter(kind=EventKind.DELIVERY_FAILED).exists()
    # The server is back; the periodic job finds the message when its time comes.
    flaky.up = True
    Message.objects.filter(pk=reply.pk).update(next_delivery_at=timezone.now())
    assert retry_deliveries_task.call() >= 1
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    assert [m.body.split("\n")[0] for m in flaky.sent if m.subject == reply.subject] == [
        "Votre acte est prêt."
    ]


def test_attempts_are_capped(town, civil_agent, email_inbound, flaky, settings):
    settings.GUICHET_DELIVERY_MAX_ATTEMPTS = 2
    case = receive(town, email_inbound()).case
    reply = do_reply_case(case, "Bonjour", actor=civil_agent)
    deliver(reply.pk)
    assert deliver(reply.pk) is None  # its retry time has not come
    Message.objects.filter(pk=reply.pk).update(next_delivery_at=timezone.now())
    deliver(reply.pk)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_attempts) == ("failed", 2)
    assert (
        CaseEvent.objects.filter(case=case, kind=EventKind.DELIVERY_FAILED, message=reply).count()
        == 1
    )


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPResponseException(451, b"try later"), True),
        (smtplib.SMTPResponseException(550, b"no such user"), False),
        (smtplib.SMTPRecipientsRefused({"a@b.fr": (550, b"unknown")}), False),
        (smtplib.SMTPRecipientsRefused({"a@b.fr": (452, b"mailbox full")}), True),
        (ValueError("bad address"), False),
    ],
)
def test_what_is_worth_retrying(exc, transient):
    assert is_transient(exc) is transient


class SecondWorkerBackend:
    """While the first worker sends, a second one (the retry job) reaches the same message."""

    sent: list = []
    second: list = []
    message_id = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        SecondWorkerBackend.second.append(deliver(SecondWorkerBackend.message_id))
        SecondWorkerBackend.sent.extend(messages)
        return len(messages)


def test_two_workers_on_one_message_send_it_once(town, civil_agent, email_inbound, settings):
    case = receive(town, email_inbound()).case
    reply = do_reply_case(case, "Votre acte est prêt.", actor=civil_agent)
    settings.EMAIL_BACKEND = "tests.conversations.test_delivery.SecondWorkerBackend"
    SecondWorkerBackend.sent, SecondWorkerBackend.second = [], []
    SecondWorkerBackend.message_id = reply.pk

    receipt = deliver(reply.pk)

    reply.refresh_from_db()
    assert receipt.status == "sent"
    assert SecondWorkerBackend.second == [None]  # the second found the attempt claimed
    assert [m.subject for m in SecondWorkerBackend.sent] == [reply.subject]
    assert (reply.delivery_status, reply.delivery_attempts) == ("sent", 1)
    assert reply.next_delivery_at is None
