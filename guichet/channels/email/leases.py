"""One poller at a time per mailbox.

The periodic job, a `guichet mailboxes watch` process and an administrator's "Poll now" may all
want to read the same mailbox. Reading it twice at once is harmless for the data (intake is
idempotent, `last_uid` only moves forward) but wasteful and noisy: the same messages fetched twice,
two sessions moving the same messages. So a poll first takes the mailbox's *lease*: a conditional
UPDATE that succeeds only when no lease is held or the one held has expired, which is atomic on
SQLite and PostgreSQL alike without row locks. The lease is renewed at every batch and released at
the end; a poller that dies without releasing it holds it at most `GUICHET_POLL_LEASE_SECONDS`.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from guichet.channels.models import ChannelAccount


def _until() -> object:
    return timezone.now() + timedelta(seconds=settings.GUICHET_POLL_LEASE_SECONDS)


def acquire_lease(account: ChannelAccount) -> str | None:
    """Take the account's poll lease; the owner token to renew and release it, or None when
    another poller holds it."""
    owner = secrets.token_hex(16)
    taken = (
        ChannelAccount.objects.filter(pk=account.pk)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lte=timezone.now()))
        .update(poll_lease_owner=owner, poll_lease_until=_until())
    )
    return owner if taken else None


def renew_lease(account: ChannelAccount, owner: str) -> bool:
    """Extend the lease; False when it was lost (expired and taken by another poller)."""
    return bool(
        ChannelAccount.objects.filter(pk=account.pk, poll_lease_owner=owner).update(
            poll_lease_until=_until()
        )
    )


def release_lease(account: ChannelAccount, owner: str) -> None:
    ChannelAccount.objects.filter(pk=account.pk, poll_lease_owner=owner).update(
        poll_lease_owner="", poll_lease_until=None
    )
