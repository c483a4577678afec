"""Background tasks of the channels context."""

from __future__ import annotations

import logging

from django_tasks import task

from guichet.channels.email.imap import poll_account
from guichet.channels.email.unrouted import purge_unrouted_mail
from guichet.channels.models import AccountKind, ChannelAccount

logger = logging.getLogger(__name__)

# One run stops starting new batches after this long, so that the next run (every 60 s) does not
# overlap it: a large backlog is worked through run after run, resuming at the stored UID.
POLL_TIME_BUDGET_SECONDS = 45.0


@task()
def poll_mailboxes_task() -> dict[str, int]:
    """Poll every active IMAP mailbox, one after the other; one failing mailbox (unreachable,
    wrong password) is reported on its account and does not stop the others."""
    accounts = list(
        ChannelAccount.objects.filter(is_active=True, kind=AccountKind.IMAP)
        .select_related("organization", "department")
        .order_by("pk")
    )
    totals = {"accounts": len(accounts), "fetched": 0, "failed": 0}
    budget = POLL_TIME_BUDGET_SECONDS / max(len(accounts), 1)
    for account in accounts:
        try:
            report = poll_account(account, time_budget=max(budget, 5.0))
        except Exception:  # poll_account reports its own failures; this is a bug, logged in full
            logger.exception("poll of mailbox %s failed", account.pk)
            totals["failed"] += 1
            continue
        totals["fetched"] += report.fetched
        if report.error:
            totals["failed"] += 1
    return totals


@task()
def purge_unrouted_mail_task() -> int:
    """Delete mail for no organization kept longer than `GUICHET_UNROUTED_RETENTION_DAYS`."""
    return purge_unrouted_mail()
