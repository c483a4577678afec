"""Human-friendly case references: PREFIX-YEAR-NUMBER, unique per organization (VIL-2026-000123)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from guichet.cases.models import ReferenceCounter

if TYPE_CHECKING:
    from guichet.organizations.models import Organization

REFERENCE_PATTERN = re.compile(r"\b([A-Z]{2,6})-(\d{4})-(\d{6})\b")


def format_reference(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


def next_reference(organization: Organization, when: datetime | None = None) -> str:
    """Take the next number of the organization's yearly counter (safe under concurrency: the
    counter row is incremented in place, which locks it until the transaction ends)."""
    year = timezone.localtime(when or timezone.now()).year
    with transaction.atomic():
        updated = ReferenceCounter.objects.filter(organization=organization, year=year).update(
            value=F("value") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    ReferenceCounter.objects.create(organization=organization, year=year, value=1)
            except IntegrityError:
                ReferenceCounter.objects.filter(organization=organization, year=year).update(
                    value=F("value") + 1
                )
        value = ReferenceCounter.objects.get(organization=organization, year=year).value
    return format_reference(organization.reference_prefix, year, value)


def find_references(text: str, prefix: str) -> list[str]:
    """References of this organization mentioned in `text`, in order, without repeats."""
    seen: list[str] = []
    for match in REFERENCE_PATTERN.finditer(text or ""):
        if match.group(1) == prefix and match.group(0) not in seen:
            seen.append(match.group(0))
    return seen
