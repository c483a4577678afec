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


def _increment(organization_id: int, year: int, by: int = 1) -> int | None:
    """Add `by` to the counter and return its new value (None when there is no counter yet).
    With `by=0` it only locks the counter row and reads it.

    One `UPDATE ... RETURNING` statement where the database has it (PostgreSQL, SQLite 3.35+),
    an update then a read elsewhere."""
    counters = ReferenceCounter.objects.filter(organization_id=organization_id, year=year)
    connection = connections[router.db_for_write(ReferenceCounter)]
    if not _has_update_returning(connection):
        if not counters.update(value=F("value") + by):
            return None
        return counters.values_list("value", flat=True).get()
    quote = connection.ops.quote_name
    meta = ReferenceCounter._meta
    column = {field.name: quote(str(field.column)) for field in meta.concrete_fields}
    value = column["value"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {value} = {value} + %s "  # noqa: S608 — names only
            f"WHERE {column['organization']} = %s AND {column['year']} = %s RETURNING {value}",
            [by, organization_id, year],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


class ReferenceBlock:
    """References of one organization and year handed out in memory, for a caller that opens
    many cases in one transaction (the inbound pipeline's batches): the counter row is locked and
    read once (`take` the first time), the numbers follow one another in memory, and the counter
    is moved past the last one given in one statement (`write`). The row stays locked until the
    transaction ends, as with `next_reference`, so nobody else can take a number in between.

    Numbers are only taken in memory: `write` must run in the same transaction before any other
    reference of this organization and year is taken (`next_reference` or another block)."""

    def __init__(self, organization: Organization, year: int) -> None:
        self.organization = organization
        self.year = year
        self._last: int | None = None  # the counter's value in the database, once read
        self.taken = 0

    def take(self) -> str:
        if self._last is None:
            self._last = _lock_and_read(self.organization, self.year)
        self.taken += 1
        return format_reference(
            self.organization.reference_prefix, self.year, self._last + self.taken
        )

    def write(self) -> None:
        """Move the counter past the numbers taken (within the caller's transaction)."""
        if self.taken:
            _increment(self.organization.pk, self.year, self.taken)
            assert self._last is not None  # noqa: S101 — set by the first `take`
            self._last += self.taken
            self.taken = 0


def _lock_and_read(organization: Organization, year: int) -> int:
    """The counter's value, its row locked until the transaction ends (created at 0 if needed)."""
    with transaction.atomic(savepoint=False):
        value = _increment(organization.pk, year, 0)
        if value is None:
            try:
                with transaction.atomic():
                    ReferenceCounter.objects.create(organization=organization, year=year, value=0)
                value = 0
            except IntegrityError:  # another transaction created it meanwhile
                value = _increment(organization.pk, year, 0)
        if value is None:
            value = ReferenceCounter.objects.get(organization=organization, year=year).value
    return value


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
