"""Where the steps of the inbound pipeline read and write.

The rules (identify, thread, classify, route, acknowledge) are written once, in
`guichet.intake.steps`, against an `IntakeStore`:

- `DATABASE` (`DatabaseStore`) reads and writes the database at once, one statement at a time:
  `receive`, retries, and the messages of a batch that cannot be processed in memory;
- a batch's `BatchStore` (`guichet.intake.batch`) answers the same questions from what it read
  for the whole batch plus what the batch's earlier messages wrote, and keeps the new rows in
  memory until it writes them together.

An `IntakeStore` is a `CitizenStore`, a `CaseStore` and a `ConversationStore` (the stores of the
actions the steps call) with the lookups the steps make themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from django.utils import timezone

from guichet.cases.actions import CaseStore, DatabaseCaseStore, reopen_or_resume_for_citizen
from guichet.cases.lifecycle import ACTIVE_STATUSES
from guichet.cases.models import Case, CaseEvent
from guichet.citizens.actions import CitizenStore, DatabaseCitizenStore
from guichet.conversations.actions import ConversationStore, DatabaseConversationStore
from guichet.conversations.models import Direction, Message
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.organizations.models import Organization


class IntakeStore(CitizenStore, CaseStore, ConversationStore, Protocol):
    def token_case(self, organization: Organization, case_id: int) -> Case | None:
        """The organization's case `case_id` (named by a signed reply address), with its citizen."""
        ...

    def case_by_id(self, organization: Organization, case_id: int) -> Case | None:
        """The organization's case `case_id` (named by a trusted channel: the tracking page)."""
        ...

    def case_of_messages(self, organization: Organization, email_ids: list[str]) -> Case | None:
        """The case of the most recent message of the organization with one of these email
        Message-IDs."""
        ...

    def cases_with_references(
        self, organization: Organization, references: list[str]
    ) -> list[Case]:
        """The organization's cases with these references, the most recent first."""
        ...

    def recent_case(
        self, organization: Organization, citizen_id: int, topic_id: int, since: datetime
    ) -> Case | None:
        """The citizen's active case on the topic updated most recently, since `since`."""
        ...

    def reopen_or_resume(self, case: Case, *, label: str) -> None:
        """`reopen_or_resume_for_citizen`: the citizen wrote on the case."""
        ...

    def acknowledgements_since(
        self, organization: Organization, address: str, since: datetime
    ) -> int:
        """How many automatic messages went to `address` since `since`."""
        ...

    def finish(
        self,
        record: InboundRecord,
        case: Case | None,
        steps: list[dict[str, Any]],
        events: list[CaseEvent],
        *,
        defer_events: bool,
    ) -> list[CaseEvent]:
        """Store the processed record and its timeline events. `defer_events`: the caller writes
        the events later (see `_Batch.defer_events`); returns those left for it to write."""
        ...


def mark_processed(record: InboundRecord, case: Case | None, steps: list[dict[str, Any]]) -> None:
    """Set what a processed record holds (not saved)."""
    record.status = RecordStatus.PROCESSED
    record.case = case
    record.steps = steps
    record.failed_step = ""
    record.error = ""
    record.next_attempt_at = None
    record.processed_at = timezone.now()


def save_processed(record: InboundRecord, case: Case | None, steps: list[dict[str, Any]]) -> None:
    """`mark_processed`, saved."""
    mark_processed(record, case, steps)
    record.save(update_fields=PROCESSED_FIELDS)


PROCESSED_FIELDS = [
    "status",
    "case",
    "steps",
    "failed_step",
    "error",
    "next_attempt_at",
    "processed_at",
]


class DatabaseStore(DatabaseCitizenStore, DatabaseCaseStore, DatabaseConversationStore):
    """`IntakeStore` on the database, one statement at a time."""

    def token_case(self, organization: Organization, case_id: int) -> Case | None:
        return (
            Case.objects.filter(organization=organization, pk=case_id)
            .select_related("citizen")
            .first()
        )

    def case_by_id(self, organization: Organization, case_id: int) -> Case | None:
        return Case.objects.filter(organization=organization, pk=case_id).first()

    def case_of_messages(self, organization: Organization, email_ids: list[str]) -> Case | None:
        found = (
            Message.objects.filter(organization=organization, email_message_id__in=email_ids)
            .select_related("case")
            .order_by("-created_at")
            .first()
        )
        return found.case if found else None

    def cases_with_references(
        self, organization: Organization, references: list[str]
    ) -> list[Case]:
        return list(Case.objects.filter(organization=organization, reference__in=references))

    def recent_case(
        self, organization: Organization, citizen_id: int, topic_id: int, since: datetime
    ) -> Case | None:
        return (
            Case.objects.filter(
                organization=organization,
                citizen_id=citizen_id,
                topic_id=topic_id,
                status__in=ACTIVE_STATUSES,
                updated_at__gte=since,
            )
            .order_by("-updated_at")
            .first()
        )

    def reopen_or_resume(self, case: Case, *, label: str) -> None:
        reopen_or_resume_for_citizen(case, label=label)

    def acknowledgements_since(
        self, organization: Organization, address: str, since: datetime
    ) -> int:
        return Message.objects.filter(
            organization=organization,
            direction=Direction.OUTBOUND,
            is_automatic=True,
            recipient_address=address,
            created_at__gte=since,
        ).count()

    def finish(
        self,
        record: InboundRecord,
        case: Case | None,
        steps: list[dict[str, Any]],
        events: list[CaseEvent],
        *,
        defer_events: bool,
    ) -> list[CaseEvent]:
        if not defer_events:
            CaseEvent.objects.bulk_create(events)
            events = []
        save_processed(record, case, steps)
        return events


DATABASE = DatabaseStore()
