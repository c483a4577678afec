"""Writes on citizen records: identity resolution and the audited merge of two records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone

from guichet.audit.actions import record_audit
from guichet.citizens.identity import NormalisedContact
from guichet.citizens.models import Citizen, CitizenMerge, ContactPoint
from guichet.core.scopes import access_scope

if TYPE_CHECKING:
    from guichet.organizations.models import Organization


class CitizenAccessDenied(PermissionError):
    pass


class MergeNotAllowed(ValueError):
    pass


@dataclass
class Resolution:
    citizen: Citizen
    created: bool
    matched_on: str = ""
    # Contact points given by the citizen that already belong to someone else: likely duplicates.
    other_owners: dict[str, int] = field(default_factory=dict)
    # New contact points not added to the citizen's record (see `known_citizen`).
    unattached: list[str] = field(default_factory=list)
    # The values among the given contact points that are the citizen's once resolved (already
    # theirs or attached now): callers may rely on these without reading them again.
    owned: frozenset[str] = frozenset()


class CitizenStore(Protocol):
    """Where `resolve_citizen` reads and writes citizen records. `DATABASE` reads and writes at
    once; the inbound pipeline's batches keep the rows in memory and write a batch's rows
    together (`guichet.intake.batch`)."""

    def owners(
        self, organization_id: int, contacts: list[NormalisedContact]
    ) -> tuple[dict[NormalisedContact, int], dict[int, Citizen]]:
        """Who owns each of `contacts` already, and those owners' records."""
        ...

    def create_citizen(self, citizen: Citizen) -> None: ...

    def rename_citizen(self, citizen: Citizen) -> None:
        """Store the `display_name` just set on `citizen`."""
        ...

    def attach(self, point: ContactPoint) -> bool:
        """Store a new contact point; False if someone else owns it meanwhile."""
        ...

    def forget_citizen(self, citizen: Citizen) -> None:
        """Drop a record created a moment ago that lost a race (it has nothing attached)."""
        ...

    def seen(self, citizen: Citizen, values: list[str], at: datetime) -> None:
        """The citizen wrote from these contact points at `at`."""
        ...


def _owners(
    organization_id: int, contacts: list[NormalisedContact]
) -> tuple[dict[NormalisedContact, int], dict[int, Citizen]]:
    """Who owns each of `contacts` already, and those owners' records (read in the same query)."""
    found: dict[NormalisedContact, int] = {}
    citizens: dict[int, Citizen] = {}
    values = {c.value for c in contacts}
    rows = ContactPoint.objects.filter(
        organization_id=organization_id, value__in=values
    ).select_related("citizen")
    wanted = set(contacts)
    for point in rows:
        key = NormalisedContact(point.kind, point.value, point.channel)
        if key in wanted:
            found[key] = point.citizen_id
            citizens[point.citizen_id] = point.citizen
    return found, citizens


class DatabaseCitizenStore:
    """`CitizenStore` on the database, one statement at a time."""

    def owners(
        self, organization_id: int, contacts: list[NormalisedContact]
    ) -> tuple[dict[NormalisedContact, int], dict[int, Citizen]]:
        return _owners(organization_id, contacts)

    def create_citizen(self, citizen: Citizen) -> None:
        citizen.save(force_insert=True)

    def rename_citizen(self, citizen: Citizen) -> None:
        citizen.save(update_fields=["display_name"])

    def attach(self, point: ContactPoint) -> bool:
        try:
            with transaction.atomic():
                point.save(force_insert=True)
        except IntegrityError:
            return False
        return True

    def forget_citizen(self, citizen: Citizen) -> None:
        citizen.delete()

    def seen(self, citizen: Citizen, values: list[str], at: datetime) -> None:
        ContactPoint.objects.filter(citizen=citizen, value__in=values).update(last_seen_at=at)


DATABASE = DatabaseCitizenStore()


def resolve_citizen(
    organization: Organization,
    contacts: list[NormalisedContact],
    *,
    display_name: str = "",
    known_citizen: Citizen | None = None,
    store: CitizenStore = DATABASE,
) -> Resolution:
    """Find the citizen who owns the first contact point (or any other), or create one.

    `known_citizen` is who the channel already vouches for (a reply to a signed case address): when
    none of the contact points has an owner yet, the message is theirs, but the new address is not
    added to their record (whoever the citizen forwarded our mail to may be answering); it is
    reported in `unattached` for an agent to decide.

    Contact points nobody owns yet are added to the citizen. A contact point owned by another
    citizen is left where it is and reported, so an agent can decide to merge the two records.
    `store`: where the records are read and written (see `CitizenStore`).
    """
    if not contacts:
        raise ValueError("a citizen is identified by at least one contact point")
    now = timezone.now()
    owners, owner_records = store.owners(organization.pk, contacts)
    citizen: Citizen | None = None
    matched_on = ""
    for contact in contacts:
        if contact in owners:
            citizen = owner_records[owners[contact]]
            matched_on = contact.value
            break
    if citizen is None and known_citizen is not None:
        return Resolution(
            known_citizen,
            False,
            "reply to the request's own address",
            {},
            [c.value for c in contacts],
        )
    created = citizen is None
    if citizen is None:
        citizen = Citizen(
            organization=organization, display_name=display_name[:200], created_at=now
        )
        store.create_citizen(citizen)
    elif display_name and not citizen.display_name:
        citizen.display_name = display_name[:200]
        store.rename_citizen(citizen)
    other_owners: dict[str, int] = {}
    owned: set[str] = set()
    for contact in contacts:
        owner = owners.get(contact)
        if owner is None:
            # A new citizen's points are created already seen now: no update needed below.
            attached = store.attach(
                ContactPoint(
                    organization=organization,
                    citizen=citizen,
                    kind=contact.kind,
                    channel=contact.channel,
                    value=contact.value,
                    last_seen_at=now if created else timezone.now(),
                )
            )
            if not attached and created:
                # Another process created this person a moment ago: use their record, drop ours
                # (it has nothing attached yet).
                store.forget_citizen(citizen)
                return resolve_citizen(
                    organization, contacts, display_name=display_name, store=store
                )
            if attached:
                owned.add(contact.value)
        elif owner != citizen.pk:
            other_owners[contact.value] = owner
        else:
            owned.add(contact.value)
    if not created:
        # (A new citizen has no other point than those just created, seen `now`.)
        store.seen(citizen, [c.value for c in contacts], now)
    return Resolution(citizen, created, matched_on, other_owners, owned=frozenset(owned))


def access_citizen(user: Any, citizen_id: int) -> Citizen:
    """The citizen record, if `user` belongs to its organization."""
    citizen = Citizen.objects.visible_to(user).filter(pk=citizen_id).first()
    if citizen is None:
        raise CitizenAccessDenied(citizen_id)
    return citizen


@transaction.atomic
def do_merge_citizens(source: Citizen, target: Citizen, *, actor: Any, reason: str) -> CitizenMerge:
    """Fold `source` into `target`: contact points, cases and conversations move; `source` stays as
    a tombstone pointing to `target`. Recorded in the merge log, the audit journal and the timelines.
    """
    from guichet.cases.actions import append_event
    from guichet.cases.models import Case, EventKind
    from guichet.conversations.models import Conversation

    scope = access_scope(actor)
    if source.organization_id != target.organization_id:
        raise MergeNotAllowed("records of two organizations are never merged")
    if not scope.sees_whole_organization(source.organization_id):
        raise MergeNotAllowed("only supervisors and administrators merge citizen records")
    if source.pk == target.pk:
        raise MergeNotAllowed("a record cannot be merged into itself")
    if source.merged_into_id or target.merged_into_id:
        raise MergeNotAllowed("one of the records has already been merged")
    if not reason.strip():
        raise MergeNotAllowed("a merge needs a reason")
    # Lock both rows in a stable order so two concurrent merges cannot cross.
    locked = {
        c.pk: c
        for c in Citizen.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    if any(c.merged_into_id for c in locked.values()):
        raise MergeNotAllowed("one of the records has already been merged")
    moved: dict[str, list[int]] = {
        "contact_points": list(source.contact_points.values_list("pk", flat=True)),
        "cases": list(Case.objects.filter(citizen=source).values_list("pk", flat=True)),
        "conversations": list(
            Conversation.objects.filter(citizen=source).values_list("pk", flat=True)
        ),
    }
    ContactPoint.objects.filter(pk__in=moved["contact_points"]).update(citizen=target)
    Case.objects.filter(pk__in=moved["cases"]).update(citizen=target)
    Conversation.objects.filter(pk__in=moved["conversations"]).update(citizen=target)
    if not target.display_name and source.display_name:
        target.display_name = source.display_name
        target.save(update_fields=["display_name"])
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    merge = CitizenMerge.objects.create(
        organization_id=source.organization_id,
        source=source,
        target=target,
        actor=actor,
        reason=reason.strip(),
        moved=moved,
    )
    record_audit(
        "citizen.merged",
        target,
        actor=actor,
        data={"source": source.pk, "target": target.pk, "reason": reason.strip(), "moved": moved},
    )
    for case in Case.objects.filter(pk__in=moved["cases"]):
        append_event(
            case,
            EventKind.CITIZEN_MERGED,
            actor=actor,
            data={"source": source.pk, "target": target.pk, "reason": reason.strip()},
        )
    return merge


def record_citizen_view(citizen: Citizen, *, actor: Any) -> None:
    """Who opened which citizen record (RGPD accountability)."""
    record_audit("citizen.viewed", citizen, actor=actor)
