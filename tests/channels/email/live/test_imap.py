"""Live IMAP polling against a real Dovecot: mail delivered over LMTP, fetched by UID, handed to the
pipeline, moved or flagged on the server; restarts, UIDVALIDITY changes and bad messages."""

from __future__ import annotations

import logging

import pytest

from guichet.cases.models import Case
from guichet.channels.email.imap import (
    PROCESSED_KEYWORD,
    TOO_LARGE_KEYWORD,
    MailboxError,
    check_account,
    poll_account,
)
from guichet.channels.models import ChannelAccount
from guichet.conversations.models import Direction, Message
from guichet.intake.models import InboundRecord, RecordStatus
from tests.channels.email.live.conftest import CORPUS, PASSWORD, citizen_mail, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def folder_flags(dovecot, user, folder):
    """{Subject: flags} of every message in `folder`, read without marking anything."""
    with dovecot.mailbox(user) as mailbox:
        mailbox.folder.set(folder)
        return {
            message.subject: set(message.flags)
            for message in mailbox.fetch(mark_seen=False, headers_only=True)
        }


def test_a_mailbox_of_real_world_mail(
    dovecot, mail_user, make_account, django_capture_on_commit_callbacks, mailoutbox
):
    # Given the corpus delivered into the town hall's mailbox by the mail server.
    corpus = sorted(CORPUS.glob("*.eml"))
    for path in corpus:
        dovecot.deliver(mail_user, path.read_bytes())
    account = make_account()

    # When Guichet polls it.
    with django_capture_on_commit_callbacks(execute=True):
        report = poll_account(account)

    # Then every message is in a request, the reply threaded, the bounce recorded as a bounce.
    assert report.error == ""
    assert report.fetched == len(corpus)
    assert (report.duplicates, report.held, report.errors) == (0, 0, 0)
    assert report.threaded == 1
    assert report.delivery_reports == 1
    assert report.new_cases == len(corpus) - 2
    assert Case.objects.count() == len(corpus) - 2
    assert InboundRecord.objects.filter(status=RecordStatus.PROCESSED).count() == len(corpus)
    pothole = Case.objects.get(subject="Re: Nid-de-poule rue des Tilleuls")
    assert pothole.department.slug == "voirie"
    assert pothole.messages.filter(direction=Direction.INBOUND).count() == 2
    birth = Case.objects.get(subject="Demande d'acte de naissance")
    assert birth.department.slug == "etat-civil"
    # The out-of-office reply is filed, never acknowledged; an ordinary request is, once.
    absence = Case.objects.get(subject__startswith="Réponse automatique")
    assert not absence.messages.filter(direction=Direction.OUTBOUND).exists()
    assert birth.messages.filter(direction=Direction.OUTBOUND, is_automatic=True).count() == 1
    acknowledged = Message.objects.filter(direction=Direction.OUTBOUND, is_automatic=True)
    assert len(mailoutbox) == acknowledged.count()
    assert "helene.dupont@outlook.fr" in {m.to[0] for m in mailoutbox}

    # On the server: the inbox is empty, everything is in the processed folder, read and marked.
    with dovecot.mailbox(mail_user) as mailbox:
        assert mailbox.folder.status("INBOX")["MESSAGES"] == 0
        uidvalidity = mailbox.folder.status("INBOX")["UIDVALIDITY"]
        assert mailbox.folder.status("Traité")["MESSAGES"] == len(corpus)
    flags = folder_flags(dovecot, mail_user, "Traité")
    assert all({"\\Seen", PROCESSED_KEYWORD} <= f for f in flags.values())
    stored = ChannelAccount.objects.get(pk=account.pk)
    assert (stored.last_uid, stored.uidvalidity, stored.last_error) == (
        len(corpus),
        uidvalidity,
        "",
    )
    assert stored.last_polled_at is not None

    # A second poll finds nothing new and creates nothing.
    again = poll_account(stored)
    assert (again.fetched, again.new_cases, again.error) == (0, 0, "")
    assert Case.objects.count() == len(corpus) - 2
    assert InboundRecord.objects.count() == len(corpus)


def test_flagged_in_place_a_restart_neither_skips_nor_reimports(
    dovecot, mail_user, make_account, mailoutbox, django_capture_on_commit_callbacks
):
    for n in range(1, 4):
        dovecot.deliver(mail_user, citizen_mail(f"Demande {n}", message_id=f"r{n}@example.org"))
    account = make_account(processed_folder="")

    # A poll cut short after two messages (as a crash or a time budget would).
    first = poll_account(account, max_messages=2)
    assert (first.fetched, first.new_cases, first.more_pending) == (2, 2, True)
    flags = folder_flags(dovecot, mail_user, "INBOX")
    assert flags["Demande 1"] >= {"\\Seen", PROCESSED_KEYWORD}
    assert flags["Demande 2"] >= {"\\Seen", PROCESSED_KEYWORD}
    assert "\\Seen" not in flags["Demande 3"]
    assert PROCESSED_KEYWORD not in flags["Demande 3"]

    # A new process reads the account from the database and goes on where the first stopped.
    dovecot.deliver(mail_user, citizen_mail("Demande 4", message_id="r4@example.org"))
    restarted = ChannelAccount.objects.get(pk=account.pk)
    assert restarted.last_uid == 2
    second = poll_account(restarted)
    assert (second.fetched, second.new_cases, second.duplicates) == (2, 2, 0)
    assert sorted(Case.objects.values_list("subject", flat=True)) == [
        "Demande 1",
        "Demande 2",
        "Demande 3",
        "Demande 4",
    ]

    # A crash after the pipeline stored messages but before their UID was: fetched again,
    # recognised, nothing created twice, no second acknowledgement.
    ChannelAccount.objects.filter(pk=account.pk).update(last_uid=1)
    sent_before = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        third = poll_account(ChannelAccount.objects.get(pk=account.pk))
    assert (third.fetched, third.duplicates, third.new_cases) == (3, 3, 0)
    assert Case.objects.count() == 4
    assert InboundRecord.objects.count() == 4
    assert len(mailoutbox) == sent_before
    assert ChannelAccount.objects.get(pk=account.pk).last_uid == 4


def test_messages_processed_but_not_moved_are_moved_at_the_next_poll(
    dovecot, mail_user, make_account
):
    # A stop came after two messages were processed and flagged, before their batch was moved.
    for n in (1, 2, 3):
        dovecot.deliver(mail_user, citizen_mail(f"Demande {n}", message_id=f"m{n}@example.org"))
    with dovecot.mailbox(mail_user) as mailbox:
        mailbox.folder.set("INBOX")
        uidvalidity = mailbox.folder.status("INBOX")["UIDVALIDITY"]
        mailbox.client.uid("STORE", "1:2", "+FLAGS", f"(\\Seen {PROCESSED_KEYWORD})")
    account = make_account(uidvalidity=uidvalidity, last_uid=2)

    report = poll_account(account)

    # Only the third is fetched; the first two join it in the processed folder.
    assert (report.fetched, report.new_cases, report.errors) == (1, 1, 0)
    assert folder_flags(dovecot, mail_user, "INBOX") == {}
    assert sorted(folder_flags(dovecot, mail_user, "Traité")) == [
        "Demande 1",
        "Demande 2",
        "Demande 3",
    ]


def test_uidvalidity_change_reads_the_folder_again(dovecot, mail_user, make_account):
    with dovecot.mailbox(mail_user) as mailbox:
        mailbox.folder.create("Demandes")
        for n in (1, 2):
            mailbox.append(citizen_mail(f"Demande {n}", message_id=f"v{n}@example.org"), "Demandes")
        old_validity = mailbox.folder.status("Demandes")["UIDVALIDITY"]
    account = make_account(folder="Demandes", processed_folder="")
    assert poll_account(account).new_cases == 2

    # The folder is deleted and recreated (a restore, a migration): its UIDs start again.
    with dovecot.mailbox(mail_user) as mailbox:
        mailbox.folder.delete("Demandes")
        mailbox.folder.create("Demandes")
        for n in (1, 2, 3):
            mailbox.append(citizen_mail(f"Demande {n}", message_id=f"v{n}@example.org"), "Demandes")
        new_validity = mailbox.folder.status("Demandes")["UIDVALIDITY"]
    assert new_validity != old_validity

    report = poll_account(ChannelAccount.objects.get(pk=account.pk))
    assert report.uidvalidity_reset is True
    assert (report.fetched, report.duplicates, report.new_cases) == (3, 2, 1)
    assert report.details[0] == (
        f"UIDVALIDITY of Demandes changed from {old_validity} to {new_validity}: "
        "the folder is read again from the start"
    )
    stored = ChannelAccount.objects.get(pk=account.pk)
    assert (stored.uidvalidity, stored.last_uid) == (new_validity, 3)
    assert Case.objects.count() == 3


def test_bad_messages_are_kept_aside_and_the_others_ingested(
    dovecot, mail_user, make_account, settings
):
    settings.GUICHET_INBOUND_MAX_BYTES = 20_000  # hard cap: 80,000 bytes
    dovecot.deliver(mail_user, citizen_mail("Avant", message_id="before@example.org"))
    dovecot.deliver(
        mail_user,
        citizen_mail("Scan du dossier", message_id="big@example.org", attachment=b"%" * 30_000),
    )
    dovecot.deliver(
        mail_user,
        citizen_mail("Plan cadastral", message_id="huge@example.org", attachment=b"%" * 120_000),
    )
    with dovecot.mailbox(mail_user) as mailbox:
        mailbox.append(b"just some text, no header at all\r\n", "INBOX")
        mailbox.folder.set("INBOX")
        sizes = {m.uid: m.size_rfc822 for m in mailbox.fetch(mark_seen=False, headers_only=True)}
    dovecot.deliver(mail_user, citizen_mail("Après", message_id="after@example.org"))
    account = make_account()

    report = poll_account(account)

    assert report.error == ""
    assert (report.fetched, report.new_cases, report.held, report.errors) == (5, 2, 3, 0)
    assert sorted(Case.objects.values_list("subject", flat=True)) == ["Après", "Avant"]
    # Above the limit: fetched, stored whole, kept aside by the pipeline with its size.
    big = InboundRecord.objects.get(external_id="big@example.org")
    assert (big.status, big.failed_step) == (RecordStatus.HELD, "persist")
    assert big.error == "The message is 0.0 MB, above the 0.0 MB limit: kept aside."
    assert big.raw_size == sizes["2"]
    # Above four times the limit: not downloaded, its headers kept with the reason.
    huge = InboundRecord.objects.get(external_id="huge@example.org")
    assert (huge.status, huge.failed_step, huge.raw_size) == (
        RecordStatus.HELD,
        "fetch",
        sizes["3"],
    )
    assert huge.error == (
        f"The message is {sizes['3'] / 1_048_576:.1f} MB, above 0.1 MB (4 times the 0.0 MB "
        "limit): not downloaded, only its headers are kept here. It stays in the mailbox "
        f"mairie@villebois.fr, folder INBOX, UID 3, flagged {TOO_LARGE_KEYWORD}."
    )
    assert huge.payload["subject"] == "Plan cadastral"
    with huge.raw_file.open("rb") as handle:
        kept = handle.read()
    assert b"Subject: Plan cadastral" in kept
    assert b"%%%%" not in kept
    # Not an email at all: the bytes are kept with the parser's reason.
    garbage = InboundRecord.objects.get(failed_step="parse")
    assert garbage.status == RecordStatus.HELD
    assert garbage.error == "not an email: no header field found (IMAP folder INBOX, UID 4)"
    with garbage.raw_file.open("rb") as handle:
        assert handle.read() == b"just some text, no header at all\r\n"
    # The too-large one stays in the inbox for a person to see, flagged; the rest moved on.
    inbox = folder_flags(dovecot, mail_user, "INBOX")
    assert list(inbox) == ["Plan cadastral"]
    assert {"\\Flagged", TOO_LARGE_KEYWORD} <= inbox["Plan cadastral"]
    assert "\\Seen" not in inbox["Plan cadastral"]
    assert ChannelAccount.objects.get(pk=account.pk).last_uid == 5
    # Polling again neither fetches them again nor records them twice.
    again = poll_account(ChannelAccount.objects.get(pk=account.pk))
    assert (again.fetched, again.held) == (0, 0)
    assert InboundRecord.objects.count() == 5


def test_a_message_the_server_cannot_read_is_kept_aside(dovecot, mail_user, make_account):
    for n in (1, 2, 3):
        dovecot.deliver(mail_user, citizen_mail(f"Demande {n}", message_id=f"d{n}@example.org"))
    # The second message's file is damaged in the server's store: shorter than its index says.
    (damaged,) = [
        path
        for path in (dovecot.root / "mail" / mail_user).glob("*/*,S=*")
        if b"Subject: Demande 2" in path.read_bytes()
    ]
    damaged.write_bytes(damaged.read_bytes()[:40])
    account = make_account()

    report = poll_account(account)

    assert report.error == ""
    assert (report.fetched, report.new_cases, report.held) == (3, 2, 1)
    assert sorted(Case.objects.values_list("subject", flat=True)) == ["Demande 1", "Demande 3"]
    record = InboundRecord.objects.get(status=RecordStatus.HELD)
    assert record.external_id == f"imap:{account.pk}:{report.uidvalidity}:2"
    # Dovecot drops the connection in the middle of such a FETCH: reconnected, kept aside.
    assert record.error == (
        f"The server could not send this message (connection to 127.0.0.1:{dovecot.imap_port} "
        "lost: command: UID => socket error: EOF). It stays in the mailbox mairie@villebois.fr, "
        "folder INBOX, UID 2, flagged."
    )
    with dovecot.mailbox(mail_user) as mailbox:
        mailbox.folder.set("INBOX")
        assert mailbox.client.uid("FETCH", "1:*", "(FLAGS)")[1] == [b"1 (UID 2 FLAGS (\\Flagged))"]
    assert ChannelAccount.objects.get(pk=account.pk).last_uid == 3


def test_login_failures_are_reported_without_the_password(dovecot, mail_user, make_account, caplog):
    caplog.set_level(logging.DEBUG)
    dovecot.deliver(mail_user, citizen_mail("Demande", message_id="pw@example.org"))
    account = make_account(password="mauvais-secret-91")

    report = poll_account(account)

    expected = (
        f"login refused by 127.0.0.1:{dovecot.imap_port}: "
        "[AUTHENTICATIONFAILED] Authentication failed."
    )
    assert report.error == expected
    assert report.summary() == f"villebois/Mairie: failed: {expected}"
    stored = ChannelAccount.objects.get(pk=account.pk)
    assert (stored.last_error, stored.last_uid, stored.uidvalidity) == (expected, 0, None)
    assert "mauvais-secret-91" not in caplog.text
    assert expected in caplog.text
    assert not InboundRecord.objects.exists()
    with pytest.raises(MailboxError, match=r"^login refused by"):
        check_account(stored)

    # Once the password is fixed, the error clears and the mail comes in.
    stored.password = PASSWORD
    stored.save()
    assert poll_account(stored).new_cases == 1
    assert ChannelAccount.objects.get(pk=account.pk).last_error == ""


def test_unreachable_server_and_missing_folder(dovecot, make_account):
    closed = free_port()
    report = poll_account(make_account(port=closed))
    assert report.error == f"connection refused by 127.0.0.1:{closed}"
    missing = make_account(name="Archives", folder="Archives")
    report = poll_account(missing)
    assert report.error == (
        "the folder 'Archives' cannot be opened: Mailbox doesn't exist: Archives"
    )
    assert ChannelAccount.objects.get(pk=missing.pk).last_error == report.error
    assert check_account(make_account(name="Bonne")) == (
        f"connected to 127.0.0.1:{dovecot.imap_port} as {missing.username}: folder 'INBOX' "
        "holds 0 messages (IDLE supported); the folder 'Traité' will be created"
    )


def test_the_mailbox_department_is_a_routing_hint(dovecot, mail_user, make_account, departments):
    roads = departments["voirie"]  # a department without an address of its own
    # Mail sent to the town hall's general address lands in the roads department's mailbox
    # (a forwarding rule): without a topic, it goes to that department, not to reception.
    dovecot.deliver(mail_user, citizen_mail("Une question", message_id="h1@example.org"))
    # A recognised topic still wins over the mailbox.
    dovecot.deliver(
        mail_user,
        citizen_mail(
            "Acte", message_id="h2@example.org", body="Je voudrais un extrait d'acte de naissance."
        ),
    )
    account = make_account(name="Voirie", address="boite-voirie@villebois.fr", department=roads)

    assert poll_account(account).new_cases == 2

    question = Case.objects.get(subject="Une question")
    assert question.department == roads
    route = next(s for s in question.inbound_records.get().steps if s["step"] == "route")
    assert route["rule"] == "addressed"
    assert Case.objects.get(subject="Acte").department.slug == "etat-civil"
    payload = InboundRecord.objects.get(external_id="h1@example.org").payload
    assert payload["recipients"] == ["mairie@villebois.fr", "boite-voirie@villebois.fr"]
    assert payload["department_id"] == roads.pk
