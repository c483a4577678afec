"""`guichet mailboxes list|poll|test|watch` and the periodic task, against the real Dovecot."""

from __future__ import annotations

import os
import signal
import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection

from guichet.cases.models import Case
from guichet.channels.email.imap import PollReport, watch_account
from guichet.channels.models import ChannelAccount
from guichet.channels.tasks import poll_mailboxes_task
from guichet.core.periodic import PERIODIC_JOBS
from guichet.intake.models import InboundRecord
from tests.channels.email.live.conftest import citizen_mail, free_port

pytestmark = pytest.mark.e2e


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("mailboxes", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return out.getvalue(), err.getvalue(), exc.code
    return out.getvalue(), err.getvalue(), 0


@pytest.mark.django_db
def test_list_poll_and_test(dovecot, mail_user, make_account, other_town):
    account = make_account()
    broken = make_account(name="Cassée", port=free_port(), is_active=True)
    make_account(organization=other_town, name="Mairie", address="mairie@montval.fr")
    dovecot.deliver(mail_user, citizen_mail("Question", message_id="cmd1@example.org"))

    out, err, code = run("poll", "--organization", "villebois")
    assert code == 1
    assert out.splitlines() == [
        "villebois/Mairie: 1 fetched, 1 new, 0 threaded, 0 duplicate, 0 delivery report, "
        "0 kept aside, 0 error"
    ]
    assert err == f"villebois/Cassée: failed: connection refused by 127.0.0.1:{broken.port}\n"

    out, _, _ = run("list", "--organization", "villebois")
    lines = out.splitlines()
    assert lines[0].startswith(
        f"villebois/Cassée <mairie@villebois.fr> active {mail_user}@127.0.0.1:{broken.port} "
        "folder='INBOX' last_uid=0 uidvalidity=- polled="
    )
    assert lines[1] == f"    last error: connection refused by 127.0.0.1:{broken.port}"
    stored = ChannelAccount.objects.get(pk=account.pk)
    assert lines[2].startswith(
        f"villebois/Mairie <mairie@villebois.fr> active {mail_user}@127.0.0.1:{dovecot.imap_port} "
        f"folder='INBOX' last_uid=1 uidvalidity={stored.uidvalidity} polled=20"
    )
    assert len(lines) == 3

    out, _, code = run("test", "Mairie", "--organization", "villebois")
    assert code == 0
    assert out == (
        f"villebois/Mairie: connected to 127.0.0.1:{dovecot.imap_port} as {mail_user}: folder "
        "'INBOX' holds 0 messages (IDLE supported)\n"
    )
    with pytest.raises(CommandError, match=r"^villebois/Cassée: connection refused by"):
        run("test", "Cassée")
    with pytest.raises(CommandError, match=r"Several organizations have a mailbox named 'Mairie'"):
        run("test", "Mairie")
    with pytest.raises(
        CommandError, match=r"^No mailbox named 'Boîte'; known: 'Cassée', 'Mairie'$"
    ):
        run("poll", "Boîte", "--organization", "villebois")
    with pytest.raises(CommandError, match=r"^No organization with the short name 'nulle'"):
        run("list", "--organization", "nulle")


@pytest.mark.django_db
def test_the_periodic_task_polls_every_active_mailbox(dovecot, make_account):
    assert any(
        job.task_path == "guichet.channels.tasks.poll_mailboxes_task" and job.every_seconds == 60
        for job in PERIODIC_JOBS
    )
    broken = make_account(name="Cassée", port=free_port())
    good = make_account()
    make_account(name="Éteinte", is_active=False)
    dovecot.deliver(good.username, citizen_mail("Par la tâche", message_id="task@example.org"))

    result = poll_mailboxes_task.enqueue().return_value

    # The broken mailbox came first and did not stop the other one.
    assert result == {"accounts": 2, "fetched": 1, "failed": 1}
    assert Case.objects.get().subject == "Par la tâche"
    assert ChannelAccount.objects.get(pk=broken.pk).last_error.startswith("connection refused")
    assert ChannelAccount.objects.get(name="Éteinte").last_polled_at is None


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            # SQLite's shared in-memory test database locks a table while the watch thread
            # writes it; PostgreSQL does not. Look again.
            pass
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_watch_wakes_up_on_new_mail_with_idle(dovecot, mail_user, make_account):
    account = make_account()
    stop = threading.Event()
    reports: list[PollReport] = []

    def watch():
        try:
            # A minute between polls without IDLE: only IDLE can bring the mail in in time.
            watch_account(account, stop, fallback_interval=60, on_report=reports.append)
        finally:
            connection.close()

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        assert wait_until(lambda: len(reports) == 1)  # the first poll, on start
        time.sleep(0.3)  # IDLE is entered
        delivered = time.monotonic()
        dovecot.deliver(mail_user, citizen_mail("Par IDLE", message_id="idle@example.org"))
        assert wait_until(lambda: InboundRecord.objects.exists(), timeout=8)
        assert time.monotonic() - delivered < 8
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert Case.objects.get().subject == "Par IDLE"
    assert [r.fetched for r in reports] == [0, 1]


@pytest.mark.django_db(transaction=True)
def test_the_watch_command_runs_until_stopped(dovecot, mail_user, make_account):
    make_account()
    out = StringIO()

    def deliver_then_stop():
        # SIGTERM only once the command has said it watches: its handler is in place then.
        if not wait_until(lambda: "Watching" in out.getvalue()):
            return
        try:
            dovecot.deliver(mail_user, citizen_mail("Surveillée", message_id="w@example.org"))
            wait_until(lambda: "1 fetched" in out.getvalue())
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=deliver_then_stop)
    helper.start()
    call_command("mailboxes", "watch", stdout=out)
    helper.join(timeout=10)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Watching villebois/Mairie (Ctrl-C to stop)"
    assert lines[1].startswith("villebois/Mairie: 1 fetched, 1 new")
    assert lines[-1] == "Stopped."
    assert Case.objects.get().subject == "Surveillée"
