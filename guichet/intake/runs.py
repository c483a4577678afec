"""What the pipeline carries while it processes messages: the run of one record through the
steps, what a batch of records shares, and the organization data read once per batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from guichet.assist.classifiers import Classification, TopicProfile
from guichet.cases.models import Case, CaseEvent
from guichet.channels.base import InboundMessage
from guichet.citizens.actions import Resolution
from guichet.conversations.models import Message
from guichet.intake.models import InboundRecord
from guichet.intake.stores import DATABASE, IntakeStore
from guichet.organizations.models import Department, Organization, Topic

if TYPE_CHECKING:
    from guichet.intake.batch import BatchStore


class PermanentFailure(Exception):
    """A step failed in a way a retry cannot fix; the record is kept aside for an administrator."""


@dataclass
class _Run:
    """State carried from step to step while one record is processed."""

    record: InboundRecord
    inbound: InboundMessage
    organization: Organization
    log: list[dict[str, Any]] = field(default_factory=list)
    resolution: Resolution | None = None
    case: Case | None = None
    message: Message | None = None
    created_case: bool = False
    classification: Classification | None = None
    # The sender as identified: the relay's address is replaced by the person it relays.
    sender_address: str = ""
    sender_name: str = ""
    # The channel the message really came on (an SMS relayed by an email gateway is an SMS).
    channel: str = ""
    # The case named by a signed reply address (mairie+c12-...@), if any.
    token_case: Case | None = None
    # Timeline events written together when the record is done (one insert).
    events: list[CaseEvent] = field(default_factory=list)
    batch: _Batch | None = None
    # Where the steps read and write: the database (`receive`), or a batch's rows kept in memory
    # (`ingest_batch`, see `guichet.intake.batch`).
    store: IntakeStore = DATABASE

    def note(self, step: str, **detail: Any) -> None:
        self.log.append({"step": step, "at": timezone.now().isoformat(), **detail})

    @property
    def setup(self) -> _Setup:
        """The organization's departments and topics, read once per batch (or per message)."""
        if self.batch is None:
            self.batch = _Batch()
        return self.batch.setup(self.organization)


@dataclass(frozen=True)
class _Setup:
    """What classifying and routing read of an organization, in two queries: its departments
    and its active topics (with their keyword profiles for the classifier)."""

    departments: dict[int, Department]
    topics: dict[int, Topic]
    profiles: tuple[TopicProfile, ...]
    by_slug: dict[str, int]

    @classmethod
    def load(cls, organization: Organization) -> _Setup:
        departments = {d.pk: d for d in Department.objects.filter(organization=organization)}
        topics = list(Topic.objects.filter(organization=organization, is_active=True))
        return cls(
            departments=departments,
            topics={t.pk: t for t in topics},
            profiles=tuple(
                TopicProfile(t.pk, t.slug, t.name, tuple(t.keyword_list())) for t in topics
            ),
            by_slug={t.slug: t.pk for t in topics},
        )


class _Batch:
    """What the messages of one batch share (`ingest_batch`; a lone message has its own).

    - each organization's `_Setup`, read at its first use: a change made by an administrator is
      seen from the next batch on;
    - the identifiers known to have no record yet, each used once (its message creates it);
    - `persisted`: the records of the batch's new messages, inserted together before the first
      is processed (`persist_new_records`), by message (`id()` of its `InboundMessage`), each
      taken once;
    - with `defer_events`, the timeline events of the processed messages, written together when
      the batch ends (nothing reads them before);
    - with `memory`, the `BatchStore` the messages are processed in (rows written together when
      the batch ends); without, they are processed on the database one statement at a time.
    """

    def __init__(self, *, defer_events: bool = False, memory: BatchStore | None = None) -> None:
        self._setups: dict[int, _Setup] = {}
        self.unknown_ids: set[tuple[str, str]] = set()
        self.persisted: dict[int, InboundRecord] = {}
        self.defer_events = defer_events
        self.events: list[CaseEvent] = []
        self.memory = memory

    def setup(self, organization: Organization) -> _Setup:
        setup = self._setups.get(organization.pk)
        if setup is None:
            setup = self._setups[organization.pk] = _Setup.load(organization)
        return setup

    def write_events(self) -> None:
        from guichet.intake.batch import insert_rows

        insert_rows(CaseEvent, self.events)
        self.events = []
