"""One poller at a time per mailbox: the lease taken by a poll, renewed per batch, released at the
end, and taken over when a poller died holding it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.cases.models import Case
from guichet.channels.email.imap import poll_account
from guichet.channels.email.leases import acquire_lease, release_lease, renew_lease
from guichet.channels.models import ChannelAccount
from tests.channels.email.live.conftest import citizen_mail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def test_a_mailbox_being_read_is_skipped_then_polled_once_released(
    dovecot, mail_user, make_account
):
    dovecot.deliver(mail_user, citizen_mail("Demande 1", message_id="l1@example.org"))
    account = make_account(processed_folder="")
    other = acquire_lease(account)  # `mailboxes watch` in another process is reading it
    assert other is not None

    skipped = poll_account(ChannelAccount.objects.get(pk=account.pk))

    assert (skipped.busy, skipped.error, skipped.fetched) == (True, "", 0)
    assert skipped.summary().endswith("skipped, another poller is reading this mailbox")
    assert Case.objects.count() == 0
    stored = ChannelAccount.objects.get(pk=account.pk)
    assert (stored.last_polled_at, stored.last_uid) == (None, 0)  # nothing recorded as a poll

    release_lease(account, other)
    polled = poll_account(ChannelAccount.objects.get(pk=account.pk))

    assert (polled.busy, polled.fetched, polled.new_cases) == (False, 1, 1)
    released = ChannelAccount.objects.get(pk=account.pk)
    assert (released.poll_lease_owner, released.poll_lease_until) == ("", None)


def test_a_lease_left_by_a_dead_poller_expires_and_is_taken_over(dovecot, mail_user, make_account):
    dovecot.deliver(mail_user, citizen_mail("Demande 1", message_id="l2@example.org"))
    account = make_account(processed_folder="")
    dead = acquire_lease(account)
    assert dead is not None
    ChannelAccount.objects.filter(pk=account.pk).update(
        poll_lease_until=timezone.now() - timedelta(seconds=1)
    )

    report = poll_account(ChannelAccount.objects.get(pk=account.pk))

    assert (report.busy, report.fetched, report.new_cases) == (False, 1, 1)
    # The dead poller, coming back, has lost its lease: it cannot renew it or release another's.
    assert renew_lease(account, dead) is False
    taker = acquire_lease(account)
    assert taker is not None
    release_lease(account, dead)
    assert ChannelAccount.objects.get(pk=account.pk).poll_lease_owner == taker


def test_a_lease_lost_mid_poll_stops_the_poll_at_the_next_batch(
    dovecot, mail_user, make_account, monkeypatch
):
    for n in range(1, 4):
        dovecot.deliver(mail_user, citizen_mail(f"Demande {n}", message_id=f"l3-{n}@example.org"))
    account = make_account(processed_folder="")
    from guichet.channels.email import imap

    renewals = iter([True, False])  # the poll took too long: another poller took the lease
    monkeypatch.setattr(imap, "renew_lease", lambda *args: next(renewals))

    report = poll_account(account, batch_size=1)

    assert report.fetched == 1
    assert "another poller took it over" in report.error
    assert ChannelAccount.objects.get(pk=account.pk).last_uid == 1


def test_the_lease_is_released_when_the_server_is_unreachable(make_account):
    account = make_account(host="127.0.0.1", port=1)

    report = poll_account(account)

    assert report.error
    assert report.busy is False
    assert acquire_lease(account) is not None  # released: the next poll can take it
