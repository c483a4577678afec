"""What `guichet demo` (and `guichet serve`) print: the demo accounts and what the demo holds."""

from __future__ import annotations

from collections import Counter

from django.db import DatabaseError
from django.utils import timezone

from guichet.cases.lifecycle import ACTIVE_STATUSES, Status
from guichet.cases.models import Case, Priority
from guichet.citizens.models import Citizen
from guichet.conversations.models import Message
from guichet.demo import content
from guichet.organizations.models import Membership, Organization, Role, User

ROLE_LABELS = {
    "platform": "platform administrator",
    Role.ADMINISTRATOR: "administrator",
    Role.SUPERVISOR: "supervisor",
    Role.AGENT: "agent",
}


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            "  "
            + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if number == 0:
            lines.append("  " + "  ".join("-" * width for width in widths))
    return lines


def describe_logins() -> list[str]:
    """The demo accounts that exist in the database, as lines to print (none: no lines)."""
    usernames = [spec.username for spec in content.USERS]
    try:
        users = {
            u.username: u
            for u in User.objects.filter(username__in=usernames).prefetch_related(
                "memberships__organization", "memberships__departments"
            )
        }
    except DatabaseError:
        return []
    if not users:
        return []
    rows: list[tuple[str, ...]] = [("login", "role", "departments", "organization")]
    for spec in content.USERS:
        user = users.get(spec.username)
        if user is None:
            continue
        memberships = list(user.memberships.all())
        if user.is_superuser and not memberships:
            rows.append((user.username, ROLE_LABELS["platform"], "-", "all organizations"))
            continue
        for membership in memberships:
            departments = ", ".join(sorted(d.name for d in membership.departments.all())) or "all"
            role = ROLE_LABELS.get(membership.role, membership.role)
            if user.is_staff:
                role += " (Django admin)"
            rows.append((user.username, role, departments, membership.organization.name))
    return [
        f"Demo accounts (password for all: {content.DEMO_PASSWORD}):",
        *_table(rows),
    ]


def describe_data(organizations: list[Organization]) -> list[str]:
    """A summary of what the demo holds, per organization."""
    lines: list[str] = [f"{len(organizations)} organizations, {User.objects.count()} accounts."]
    now = timezone.now()
    for organization in organizations:
        cases = Case.objects.filter(organization=organization)
        statuses = Counter(cases.values_list("status", flat=True))
        channels = Counter(cases.values_list("channel", flat=True))
        unassigned_new = cases.filter(status=Status.NEW, assignee__isnull=True).count()
        overdue = cases.filter(status__in=ACTIVE_STATUSES, due_at__lt=now).count()
        lines += [
            f"{organization.name} ({organization.slug}, references {organization.reference_prefix}-…):",
            f"  {organization.departments.count()} departments, {organization.topics.count()} topics, "
            f"{Membership.objects.filter(organization=organization).count()} members, "
            f"{Citizen.objects.filter(organization=organization).count()} citizens, "
            f"{Message.objects.filter(organization=organization).count()} messages",
            f"  {cases.count()} requests by status: "
            + ", ".join(f"{status} {statuses.get(status, 0)}" for status in Status.values),
            "  by first channel: "
            + ", ".join(f"{name} {count}" for name, count in sorted(channels.items())),
            f"  new and unassigned: {unassigned_new}; overdue: {overdue}; "
            f"high or urgent: {cases.filter(priority__gte=Priority.HIGH).count()}",
        ]
    return lines
