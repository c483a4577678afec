"""Human-friendly case references: PREFIX-YEAR-NUMBER, unique per organization (VIL-2026-000123)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone

from guichet.cases.models import ReferenceCounter

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from guichet.organizations.models import Organization

REFERENCE_PATTERN = re.compile(r"\b([A-Z]{2,6})-(\d{4})-(\d{6})\b")


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def next_reference(organization: Organization, when: datetime | None = None) -> str:
    """Take the next number of the organization's yearly counter (safe under concurrency: the
    counter row is incremented in place, which locks it until the transaction ends)."""
    year = timezone.localtime(when or timezone.now()).year
    # Within the caller's transaction (the pipeline's, a case action's) no savepoint is needed:
    # an error here fails the whole transaction anyway; the creation keeps its own savepoint.
    with transaction.atomic(savepoint=False):
        value = _increment(organization.pk, year)
        if value is None:
            try:
                with transaction.atomic():
                    ReferenceCounter.objects.create(organization=organization, year=year, value=1)
                value = 1
            except IntegrityError:  # another transaction created it meanwhile
                value = _increment(organization.pk, year)
        if value is None:
            value = ReferenceCounter.objects.get(organization=organization, year=year).value
    return format_reference(organization.reference_prefix, year, value)


def _increment(organization_id: int, year: int) -> int | None:
    """Add one to the counter and return its new value (None when there is no counter yet).

    One `UPDATE ... RETURNING` statement where the database has it (PostgreSQL, SQLite 3.35+),
    an update then a read elsewhere."""
    counters = ReferenceCounter.objects.filter(organization_id=organization_id, year=year)
    connection = connections[router.db_for_write(ReferenceCounter)]
    if not _has_update_returning(connection):
        if not counters.update(value=F("value") + 1):
            return None
        return counters.values_list("value", flat=True).get()
    quote = connection.ops.quote_name
    meta = ReferenceCounter._meta
    column = {field.name: quote(str(field.column)) for field in meta.concrete_fields}
    value = column["value"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {value} = {value} + 1 "  # noqa: S608 — names only
            f"WHERE {column['organization']} = %s AND {column['year']} = %s RETURNING {value}",
            [organization_id, year],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _has_update_returning(connection: BaseDatabaseWrapper) -> bool:
    # The databases that return columns from an INSERT (PostgreSQL, SQLite 3.35+, MariaDB 10.5+)
    # are those that have UPDATE ... RETURNING, MariaDB aside: Guichet runs on the first two.
    return bool(connection.features.can_return_columns_from_insert) and connection.vendor in (
        "postgresql",
        "sqlite",
    )


def find_references(text: str, prefix: str) -> list[str]:
    """References of this organization mentioned in `text`, in order, without repeats."""
    seen: list[str] = []
    for match in REFERENCE_PATTERN.finditer(text or ""):
        if match.group(1) == prefix and match.group(0) not in seen:
            seen.append(match.group(0))
    return seen
