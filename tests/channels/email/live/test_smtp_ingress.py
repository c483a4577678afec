"""The SMTP ingress on a real socket: a mail server relays to `guichet smtp-ingress`, which accepts
the organization's addresses only, refuses what is too large, and answers 250 once stored."""

from __future__ import annotations

import os
import signal
import smtplib
import threading
import time
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from guichet.cases.models import Case
from guichet.channels.email import smtp_ingress
from guichet.channels.models import ChannelAccount
from guichet.intake.models import InboundRecord, RecordStatus
from tests.channels.email.live.conftest import citizen_mail, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_BYTES = 30_000


@pytest.fixture
def ingress() -> Iterator[int]:
    port = free_port()
    controller = smtp_ingress.make_controller("127.0.0.1", port, max_bytes=MAX_BYTES)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def send(port: int, raw: bytes, recipients: list[str]) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail("relais@villebois.fr", recipients, raw)


def test_accepts_the_organization_addresses_and_refuses_others(ingress, town, departments):
    ChannelAccount.objects.create(
        organization=town,
        name="Urbanisme",
        address="urbanisme@villebois.fr",
        host="imap.villebois.fr",
        username="urbanisme",
        password="secret",
    )
    # The organization's address, a +tag variant in another letter case, a department's address
    # and a mailbox address are accepted; every message is stored before the 250.
    assert (
        send(
            ingress, citizen_mail("Première", message_id="s1@example.org"), ["mairie@villebois.fr"]
        )
        == {}
    )
    assert (
        send(
            ingress,
            citizen_mail("Deuxième", message_id="s2@example.org", to="Mairie+Urgent@Villebois.FR"),
            ["Mairie+Urgent@Villebois.FR"],
        )
        == {}
    )
    assert (
        send(
            ingress,
            citizen_mail("Troisième", message_id="s3@example.org", to="mairie@villebois.fr"),
            ["etat-civil+accueil@villebois.fr"],
        )
        == {}
    )
    assert (
        send(
            ingress,
            citizen_mail("Quatrième", message_id="s4@example.org"),
            ["urbanisme@villebois.fr"],
        )
        == {}
    )
    assert sorted(Case.objects.values_list("subject", flat=True)) == [
        "Deuxième",
        "Première",
        "Quatrième",
        "Troisième",
    ]
    # The envelope recipient routes like a header would: the civil-status address.
    assert Case.objects.get(subject="Troisième").department == departments["etat-civil"]
    assert InboundRecord.objects.get(external_id="s3@example.org").payload["recipients"] == [
        "mairie@villebois.fr",
        "etat-civil+accueil@villebois.fr",
        "etat-civil@villebois.fr",
    ]

    # Unknown addresses are refused with 550 5.1.1, another organization's domain too.
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(
            ingress,
            citizen_mail("Perdu", message_id="s5@example.org"),
            ["inconnu@villebois.fr", "mairie@montval.fr"],
        )
    assert refused.value.recipients == {
        "inconnu@villebois.fr": (550, b"5.1.1 No such recipient here"),
        "mairie@montval.fr": (550, b"5.1.1 No such recipient here"),
    }
    # With one good recipient among bad ones, the message goes to the good one only.
    assert send(
        ingress,
        citizen_mail("Mixte", message_id="s6@example.org"),
        ["inconnu@villebois.fr", "mairie@villebois.fr"],
    ) == {"inconnu@villebois.fr": (550, b"5.1.1 No such recipient here")}
    assert Case.objects.count() == 5
    assert not InboundRecord.objects.filter(external_id="s5@example.org").exists()


def test_size_limit_and_unreadable_data(ingress, town):
    big = citizen_mail("Trop gros", message_id="big@example.org", attachment=b"%" * MAX_BYTES)
    # Announced with SIZE in MAIL FROM (smtplib does it when the server offers SIZE).
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        send(ingress, big, ["mairie@villebois.fr"])
    assert refused.value.smtp_code == 552
    # Sent without announcing its size: refused at the end of DATA.
    with smtplib.SMTP("127.0.0.1", ingress, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size")
        assert client.mail("relais@villebois.fr")[0] == 250
        assert client.rcpt("mairie@villebois.fr")[0] == 250
        code, _ = client.data(big)
    assert code == 552
    assert not InboundRecord.objects.exists()

    # Bytes that are not an email are accepted and kept aside for an administrator.
    assert send(ingress, b"nothing but a line of text\r\n", ["mairie@villebois.fr"]) == {}
    record = InboundRecord.objects.get()
    assert (record.status, record.failed_step) == (RecordStatus.HELD, "parse")
    assert record.error == "not an email: no header field found (received by the SMTP ingress)"


def test_a_failure_answers_451_and_the_retry_is_stored_once(ingress, town, monkeypatch):
    raw = citizen_mail("Réessayée", message_id="retry@example.org")

    def broken(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(smtp_ingress, "receive", broken)
    with pytest.raises(smtplib.SMTPDataError) as failed:
        send(ingress, raw, ["mairie@villebois.fr"])
    assert failed.value.smtp_code == 451
    assert not InboundRecord.objects.exists()

    # The sending server retries later; the same message twice is stored once.
    monkeypatch.undo()
    assert send(ingress, raw, ["mairie@villebois.fr"]) == {}
    assert send(ingress, raw, ["mairie@villebois.fr"]) == {}
    assert InboundRecord.objects.count() == 1
    assert Case.objects.get().subject == "Réessayée"


def test_the_command_serves_until_stopped(town):
    port = free_port()
    out = StringIO()
    results: list[object] = []

    def relay() -> None:
        # Once the command says it listens (its stop signal is in place), send, then stop it.
        for _ in range(200):
            if "listening" in out.getvalue():
                break
            time.sleep(0.05)
        else:
            return
        try:
            message = citizen_mail("Par la commande", message_id="cmd@example.org")
            results.append(send(port, message, ["mairie@villebois.fr"]))
        except Exception as exc:
            results.append(exc)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=relay)
    thread.start()
    call_command("smtp-ingress", "--port", str(port), stdout=out)
    thread.join(timeout=10)

    assert results == [{}]
    assert out.getvalue() == (
        f"SMTP ingress listening on 127.0.0.1:{port} (messages up to 37748736 bytes; "
        "Ctrl-C to stop)\nStopped.\n"
    )
    assert Case.objects.get().subject == "Par la commande"
