"""The in-memory `IntakeStore` of a batch (`ingest_batch`): set-based reads and writes.

The rules stay in `guichet.intake.steps` and the actions; this store only changes where they read
and write. For one batch of one organization it

- reads what the batch's messages will ask for in a fixed number of queries (`preload`): the
  owners of their contact points, the cases named by their signed reply addresses, reply headers
  and references, those citizens' recent active cases, the conversations of all these cases and
  the acknowledgements sent to the senders in the last hour;
- answers each lookup from those rows plus the rows the batch's earlier messages created (two
  messages of one citizen in one batch are identified and threaded together); a lookup outside
  what was read (a relayed sender, say) is read from the database then, and kept;
- keeps new rows and changes in memory and writes them per table at the end (`write`): one
  `bulk_create` per table, one `bulk_update` per set of changed fields, the references taken from
  one `ReferenceBlock` per year.

Primary keys are taken from the database before the rows are written (`_Ids`: a block of the
table's sequence, one statement per table and batch), because the steps record and compare them
(the identify step notes the citizen's id, the acknowledge step the message's).

Each message runs in a journal (`begin`/`commit`/`rollback`): a message that fails leaves nothing
in memory, as its savepoint leaves nothing in the database. What the store does not do in memory
raises `NeedsDatabase`: the pipeline undoes the message, writes what the batch holds, forgets what
it read, and runs the message again on `DATABASE` (delivery reports take that path too).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import Case as When_
from django.db.models import Model, Value, When
from django.utils import timezone

from guichet.assist.models import Prediction
from guichet.cases.lifecycle import ACTIVE_STATUSES, Status
from guichet.cases.models import Case, CaseEvent
from guichet.cases.references import ReferenceBlock, find_references
from guichet.channels.base import InboundMessage
from guichet.channels.email.addresses import case_id_from_addresses
from guichet.citizens.identity import InvalidContactPoint, NormalisedContact, normalise_contact
from guichet.citizens.models import Citizen, ContactPoint
from guichet.conversations.actions import schedule_deliveries
from guichet.conversations.models import Attachment, Conversation, Direction, Message
from guichet.intake.models import InboundRecord
from guichet.intake.relays import find_real_sender
from guichet.intake.stores import DATABASE, PROCESSED_FIELDS, mark_processed
from guichet.organizations.models import Organization


class NeedsDatabase(Exception):
    """This message is processed on the database, one statement at a time (see module doc)."""


def supported() -> bool:
    """The databases whose sequences `_Ids` can reserve: PostgreSQL, and SQLite 3.35+."""
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and bool(
        connection.features.can_return_columns_from_insert
    )


_SPARE: dict[tuple[str, str], list[int]] = {}
"""PostgreSQL: ids a batch reserved and did not use, for the next batch of this process (a
sequence never gives them to anyone else, and `nextval` is not undone by a rollback)."""


class _Ids:
    """Primary keys reserved in the tables' sequences, handed out one at a time. The ids a batch
    does not use are given back (`give_back`), so a batch leaves no gap in the ids."""

    def __init__(self, size: int) -> None:
        self.size = max(size, 1)
        self._free: dict[type[Model], list[int]] = {}

    def take(self, model: type[Model], store: BatchStore) -> int:
        free = self._free.get(model)
        if not free:
            spare = _SPARE.pop(_spare_key(model), None) if _is_postgresql() else None
            # (A new request writes two messages: the citizen's and the acknowledgement.)
            count = self.size * 2 if model is Message else self.size
            free = self._free[model] = spare or _reserve(model, count)
            if not _is_postgresql():
                # Reserved inside a message's savepoint: on SQLite, rolled back with it.
                def drop() -> None:
                    self._free.pop(model, None)

                store._undo.append(drop)
        pk = free.pop(0)
        store._undo.append(lambda: free.insert(0, pk))
        return pk

    def give_back(self) -> None:
        """Return the ids not used (within the batch's transaction)."""
        for model, free in self._free.items():
            if not free:
                continue
            if _is_postgresql():
                _SPARE[_spare_key(model)] = free
                continue
            # SQLite: the batch's transaction holds the write lock, so the sequence was moved by
            # this batch alone; it goes back to the last id used.
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = %s WHERE name = %s AND seq = %s",
                    [min(free) - 1, model._meta.db_table, max(free)],
                )
        self._free = {}


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _spare_key(model: type[Model]) -> tuple[str, str]:
    return (f"{connection.alias}:{connection.settings_dict['NAME']}", model._meta.db_table)


def _reserve(model: type[Model], count: int) -> list[int]:
    table = model._meta.db_table
    column = str(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return sorted(int(row[0]) for row in cursor.fetchall())
        # SQLite: AUTOINCREMENT keeps the highest id ever given in `sqlite_sequence`, which may be
        # written like any table; moving it on reserves the ids (as `nextval` would).
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s RETURNING seq",
            [count, table],
        )
        row = cursor.fetchone()
        if row is None:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {quoted}")  # noqa: S608
            last = int(cursor.fetchone()[0]) + count
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last])
        else:
            last = int(row[0])
    return list(range(last - count + 1, last + 1))


# Fields whose value of this exact type is what the database driver is given as it is:
# `get_db_prep_save` returns it unchanged (skipped: a third of the inserts' time). Exact classes
# only, so that a subclass preparing its values otherwise (an encrypted field) is never skipped.
_PLAIN_TYPES: dict[type[Any], type[Any]] = {
    models.CharField: str,
    models.TextField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}


def insert_rows(model: type[Model], objs: Sequence[Model]) -> None:
    """`bulk_create` for a batch's new rows: one `INSERT` run for all of them (`executemany`),
    each value prepared as `bulk_create` prepares it (`pre_save`, `get_db_prep_save`), without
    compiling a statement with a placeholder per value (half the time of a batch's inserts went
    there). Rows with an id (reserved by the store) are written with it; rows without get theirs
    from the database and are not told it (none is read again: the timeline events, the triage
    predictions). No signal is sent, as with `bulk_create`."""
    with_pk = [obj for obj in objs if obj.pk is not None]
    without_pk = [obj for obj in objs if obj.pk is None]
    meta = model._meta
    quote = connection.ops.quote_name
    for rows, skip_pk in ((with_pk, False), (without_pk, True)):
        if not rows:
            continue
        fields: list[Any] = [
            f for f in meta.concrete_fields if not f.generated and not (skip_pk and f.primary_key)
        ]
        for row in rows:
            # as `bulk_create`: a related object given before it had its id lends it now
            unsaved: Any = row  # (a private method the stubs do not declare)
            unsaved._prepare_related_fields_for_save(operation_name="bulk_create")
        plain = [_PLAIN_TYPES.get(type(f)) for f in fields]
        values = [
            [
                value
                if type(value := f.pre_save(obj, True)) is kind
                else f.get_db_prep_save(value, connection)
                for f, kind in zip(fields, plain, strict=True)
            ]
            for obj in rows
        ]
        columns = ", ".join(quote(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 — names only
        with connection.cursor() as cursor:
            cursor.executemany(sql, values)
        for obj in rows:
            obj._state.adding = False
            obj._state.db = connection.alias


def update_rows(model: type[Model], objs: Sequence[Model], fields: list[str]) -> None:
    """Store `fields` of `objs`: one `UPDATE ... WHERE id = %s` run for all of them
    (`executemany`). Django's `bulk_update` writes one statement with a `CASE WHEN` per field
    and row, whose compilation costs more than the rows it saves for a batch's hundred rows."""
    meta = model._meta
    concrete: list[Any] = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in concrete)
    pk_column = str(meta.pk.column)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 — names only
        f"WHERE {quote(pk_column)} = %s"
    )
    rows = [
        [
            *(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in concrete),
            obj.pk,
        ]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _senders(organization: Organization, inbound: InboundMessage) -> list[NormalisedContact]:
    """The contact points `_identify` will resolve for `inbound` (as far as can be told before)."""
    addresses = [inbound.sender_address]
    if organization.is_relay_sender(inbound.sender_address):
        real = find_real_sender(
            inbound.reply_to, inbound.subject, inbound.text, organization.is_relay_sender
        )
        if real is not None:
            addresses.append(real.address)
    found = []
    for address in (*addresses, *inbound.extra_contacts):
        for channel in (inbound.channel, None):
            try:
                found.append(
                    normalise_contact(address, channel=channel)
                    if channel
                    else normalise_contact(address)
                )
            except InvalidContactPoint:
                continue
    return found


class BatchStore:
    """`IntakeStore` of one batch of one organization, in memory (see the module doc)."""

    def __init__(self, organization: Organization, inbounds: list[InboundMessage]) -> None:
        self.organization = organization
        self._inbounds = inbounds
        self._ids = _Ids(len(inbounds))
        self._undo: list[Callable[[], None]] = []
        self._handed: set[int] = set()  # id() of the objects snapshotted in this message
        self._forget()

    # --- state --------------------------------------------------------------------------------

    def _forget(self) -> None:
        """Drop what was read and written (after `write`): the next lookups read again."""
        # Rows read or created, one instance per row (an identity map).
        self._citizens: dict[int, Citizen] = {}
        self._cases: dict[int, Case | None] = {}  # None: read, no such case
        self._points: dict[tuple[str, str, str], ContactPoint] = {}
        self._points_read: set[str] = set()  # values whose points were all read
        self._by_reference: dict[str, Case] = {}
        self._references_read: set[str] = set()
        self._sent: dict[str, list[tuple[datetime, int | None]]] = defaultdict(list)
        self._ids_read: set[str] = set()  # Message-IDs whose messages were all read
        self._recent_read: set[int] = set()  # citizens whose recent active cases were read
        self._conversations: dict[int, list[Conversation]] = {}  # by case, once all read
        self._acks: dict[str, list[datetime]] = {}  # automatic messages sent, by address
        self._blocks: dict[int, ReferenceBlock] = {}
        # What `write` writes.
        self._new: dict[type[Model], list[Model]] = {
            Citizen: [],
            ContactPoint: [],
            Case: [],
            Conversation: [],
            Message: [],
        }
        self._new_ids: set[tuple[type[Model], int]] = set()
        self._changed: dict[tuple[type[Model], int], tuple[Model, frozenset[str]]] = {}
        self._links: list[tuple[int, Message]] = []
        self._predictions: list[Prediction] = []  # (guichet.intake.triage)
        self._deliveries: list[Message] = []
        self._records: dict[int, InboundRecord] = {}

    def begin(self) -> None:
        self._undo = []
        self._handed = set()

    def commit(self) -> None:
        self._undo = []
        self._handed = set()

    def rollback(self) -> None:
        """Undo what the message did in memory (its savepoint undid the rest)."""
        for undo in reversed(self._undo):
            undo()
        self.commit()

    def _hand(self, obj: Model) -> None:
        """`obj` goes to the steps, which may change it: keep how it was for `rollback`."""
        if id(obj) in self._handed:
            return
        self._handed.add(id(obj))
        saved = copy.copy(obj.__dict__)

        def restore() -> None:
            obj.__dict__.clear()
            obj.__dict__.update(saved)

        self._undo.append(restore)

    def _add(self, obj: Model) -> None:
        model = type(obj)
        if model is not ContactPoint:
            obj.pk = self._ids.take(model, self)
            self._new_ids.add((model, obj.pk))
        rows = self._new[model]
        rows.append(obj)
        self._undo.append(lambda: rows.remove(obj))
        self._handed.add(id(obj))

    def _is_new(self, obj: Model) -> bool:
        # (A new contact point has no id: nothing refers to it.)
        return obj.pk is None or (type(obj), obj.pk) in self._new_ids

    def _set(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        """`mapping[key] = value`, undone by `rollback`."""
        missing = object()
        before = mapping.get(key, missing)
        mapping[key] = value

        def undo() -> None:
            if before is missing:
                mapping.pop(key, None)
            else:
                mapping[key] = before

        self._undo.append(undo)

    def _append(self, items: list[Any], item: Any) -> None:
        items.append(item)
        self._undo.append(lambda: items.remove(item))

    def _change(self, obj: Model, fields: Iterable[str]) -> None:
        if self._is_new(obj):
            return  # written with its current values
        key = (type(obj), obj.pk)
        known = self._changed.get(key)
        self._set(self._changed, key, (obj, (known[1] if known else frozenset()) | set(fields)))

    def pending_record(self, pk: int) -> InboundRecord | None:
        """The record processed in this batch and not written yet, if it is one."""
        return self._records.get(pk)

    def _check(self, organization: Organization | int) -> None:
        pk = organization if isinstance(organization, int) else organization.pk
        if pk != self.organization.pk:
            raise NeedsDatabase("another organization")

    # --- reading ------------------------------------------------------------------------------

    def preload(self) -> None:
        """Read what the batch's messages will ask for, in a fixed number of queries."""
        organization, inbounds = self.organization, self._inbounds
        contacts = [c for inbound in inbounds for c in _senders(organization, inbound)]
        self._read_points({c.value for c in contacts})
        self._read_acks({c.value for c in contacts})
        case_ids: set[int] = set()
        references: set[str] = set()
        message_ids: set[str] = set()
        for inbound in inbounds:
            token = case_id_from_addresses(inbound.recipients, organization.pk)
            case_ids.update(i for i in (token, inbound.case_id) if i is not None)
            for text in (inbound.subject, inbound.text[:5000]):
                references.update(find_references(text, organization.reference_prefix))
            message_ids.update([i for i in (*inbound.in_reply_to, *inbound.references) if i][-50:])
        self._read_cases_by_id(case_ids)
        self._read_references(references)
        self._read_message_ids(message_ids)
        self._read_recent({p.citizen_id for p in self._points.values()})
        self._read_conversations([pk for pk, case in self._cases.items() if case is not None])

    def _case(self, case: Case) -> Case:
        """The one instance of this case row (read with its citizen)."""
        known = self._cases.get(case.pk)
        if known is not None:
            return known
        case.organization = self.organization
        case.citizen = self._citizen(case.citizen)
        self._cases[case.pk] = case
        if case.reference:
            self._by_reference[case.reference] = case
        return case

    def _citizen(self, citizen: Citizen) -> Citizen:
        return self._citizens.setdefault(citizen.pk, citizen)

    def _cases_query(self) -> Any:
        return Case.objects.filter(organization=self.organization).select_related("citizen")

    def _read_points(self, values: set[str]) -> None:
        values -= self._points_read
        if not values:
            return
        for point in ContactPoint.objects.filter(
            organization=self.organization, value__in=values
        ).select_related("citizen"):
            point.citizen = self._citizen(point.citizen)
            self._points.setdefault((point.kind, point.channel, point.value), point)
        self._points_read |= values

    def _read_acks(self, addresses: set[str]) -> None:
        addresses -= set(self._acks)
        if not addresses:
            return
        since = timezone.now() - timedelta(hours=1)
        for address in addresses:
            self._acks[address] = []
        for address, at in Message.objects.filter(
            organization=self.organization,
            direction=Direction.OUTBOUND,
            is_automatic=True,
            recipient_address__in=addresses,
            created_at__gte=since,
        ).values_list("recipient_address", "created_at"):
            self._acks[address].append(at)

    def _read_cases_by_id(self, ids: set[int]) -> None:
        ids -= set(self._cases)
        if not ids:
            return
        for case in self._cases_query().filter(pk__in=ids):
            self._case(case)
        for pk in ids:
            self._cases.setdefault(pk, None)

    def _read_references(self, references: set[str]) -> None:
        references -= self._references_read
        if not references:
            return
        for case in self._cases_query().filter(reference__in=references):
            self._case(case)
        self._references_read |= references

    def _read_message_ids(self, ids: set[str]) -> None:
        ids -= self._ids_read
        if not ids:
            return
        rows = Message.objects.filter(
            organization=self.organization, email_message_id__in=ids
        ).values_list("email_message_id", "created_at", "case_id")
        for message_id, at, case_id in rows:
            self._sent[message_id].append((at, case_id))
        self._read_cases_by_id({case_id for _id, _at, case_id in rows if case_id is not None})
        self._ids_read |= ids

    def _read_recent(self, citizen_ids: set[int]) -> None:
        citizen_ids -= self._recent_read
        if not citizen_ids:
            return
        since = timezone.now() - timedelta(days=settings.GUICHET_SUGGESTED_LINK_DAYS)
        for case in self._cases_query().filter(
            citizen_id__in=citizen_ids, status__in=ACTIVE_STATUSES, updated_at__gte=since
        ):
            self._case(case)
        self._recent_read |= citizen_ids

    def _read_conversations(self, case_ids: list[int]) -> None:
        wanted = [pk for pk in case_ids if pk not in self._conversations]
        if not wanted:
            return
        for pk in wanted:
            self._conversations[pk] = []
        for conversation in Conversation.objects.filter(case_id__in=wanted):
            self._conversations[conversation.case_id].append(conversation)

    # --- CitizenStore -------------------------------------------------------------------------

    def owners(
        self, organization_id: int, contacts: list[NormalisedContact]
    ) -> tuple[dict[NormalisedContact, int], dict[int, Citizen]]:
        self._check(organization_id)
        self._read_points({c.value for c in contacts})
        found: dict[NormalisedContact, int] = {}
        citizens: dict[int, Citizen] = {}
        for contact in contacts:
            point = self._points.get((contact.kind, contact.channel, contact.value))
            if point is not None:
                found[contact] = point.citizen_id
                citizens[point.citizen_id] = self._citizens[point.citizen_id]
                self._hand(citizens[point.citizen_id])
        return found, citizens

    def create_citizen(self, citizen: Citizen) -> None:
        self._add(citizen)
        self._set(self._citizens, citizen.pk, citizen)
        self._recent_read.add(citizen.pk)  # (a new citizen has no case yet)

    def rename_citizen(self, citizen: Citizen) -> None:
        self._change(citizen, ["display_name"])

    def attach(self, point: ContactPoint) -> bool:
        self._read_points({point.value})
        key = (point.kind, point.channel, point.value)
        if key in self._points:
            return False
        self._add(point)
        self._set(self._points, key, point)
        return True

    def forget_citizen(self, citizen: Citizen) -> None:
        raise NeedsDatabase("identity race")

    def seen(self, citizen: Citizen, values: list[str], at: datetime) -> None:
        wanted = set(values)
        for point in self._points.values():
            if point.citizen_id == citizen.pk and point.value in wanted:
                self._hand(point)
                point.last_seen_at = at
                self._change(point, ["last_seen_at"])

    # --- CaseStore ----------------------------------------------------------------------------

    def next_reference(self, organization: Organization, when: datetime) -> str:
        self._check(organization)
        year = timezone.localtime(when).year
        block = self._blocks.get(year)
        if block is None:
            # Taken in a message's savepoint (the counter row is locked, maybe created there):
            # if the message is rolled back, so is the block.
            block = ReferenceBlock(organization, year)
            self._set(self._blocks, year, block)
        reference = block.take()

        def give_back() -> None:
            block.taken -= 1

        self._undo.append(give_back)
        return reference

    def create_case(self, case: Case) -> None:
        self._add(case)
        self._set(self._cases, case.pk, case)
        self._set(self._by_reference, case.reference, case)
        self._set(self._conversations, case.pk, [])

    def update_case(self, case: Case, fields: list[str]) -> None:
        self._change(case, fields)

    # --- ConversationStore --------------------------------------------------------------------

    def find_conversation(
        self, case: Case, channel: str, contact_value: str
    ) -> Conversation | None:
        self._read_conversations([case.pk])
        found = [
            c
            for c in self._conversations[case.pk]
            if c.channel == channel and (not contact_value or c.contact_value == contact_value)
        ]
        if not found:
            return None
        conversation = max(found, key=lambda c: c.last_message_at)
        self._hand(conversation)
        return conversation

    def create_conversation(self, conversation: Conversation) -> None:
        self._add(conversation)
        self._append(self._conversations.setdefault(conversation.case_id, []), conversation)

    def update_conversation(self, conversation: Conversation, fields: list[str]) -> None:
        self._change(conversation, fields)

    def create_message(self, message: Message) -> None:
        self._add(message)
        if message.email_message_id:
            self._append(
                self._sent[message.email_message_id], (message.created_at, message.case_id)
            )
        if message.direction == Direction.OUTBOUND and message.is_automatic:
            self._read_acks({message.recipient_address})
            self._append(self._acks[message.recipient_address], message.created_at)

    def link_attachments(self, inbound_record: InboundRecord, message: Message) -> None:
        self._append(self._links, (inbound_record.pk, message))

    def citizen_address(self, case: Case, channel: str) -> str:
        raise NeedsDatabase("the citizen's address is looked up")

    def last_inbound_with_id(self, conversation: Conversation) -> Message | None:
        raise NeedsDatabase("the conversation's messages are looked up")

    def create_prediction(self, prediction: Prediction) -> None:
        self._append(self._predictions, prediction)

    def schedule_delivery(self, message: Message) -> None:
        self._append(self._deliveries, message)

    # --- IntakeStore --------------------------------------------------------------------------

    def _by_id(self, organization: Organization, case_id: int) -> Case | None:
        self._check(organization)
        self._read_cases_by_id({case_id})
        case = self._cases.get(case_id)
        if case is not None:
            self._hand(case)
        return case

    def token_case(self, organization: Organization, case_id: int) -> Case | None:
        return self._by_id(organization, case_id)

    def case_by_id(self, organization: Organization, case_id: int) -> Case | None:
        return self._by_id(organization, case_id)

    def case_of_messages(self, organization: Organization, email_ids: list[str]) -> Case | None:
        self._check(organization)
        self._read_message_ids(set(email_ids))
        sent = [row for message_id in set(email_ids) for row in self._sent.get(message_id, ())]
        if not sent:
            return None
        _at, case_id = max(sent, key=lambda row: row[0])
        return None if case_id is None else self._by_id(organization, case_id)

    def cases_with_references(
        self, organization: Organization, references: list[str]
    ) -> list[Case]:
        self._check(organization)
        self._read_references(set(references))
        cases = sorted(
            (self._by_reference[r] for r in set(references) if r in self._by_reference),
            key=lambda c: c.pk,
        )
        for case in cases:
            self._hand(case)
        return cases

    def recent_case(
        self, organization: Organization, citizen_id: int, topic_id: int, since: datetime
    ) -> Case | None:
        self._check(organization)
        self._read_recent({citizen_id})
        found = [
            c
            for c in self._cases.values()
            if c is not None
            and c.citizen_id == citizen_id
            and c.topic_id == topic_id
            and c.status in ACTIVE_STATUSES
            and c.updated_at >= since
        ]
        if not found:
            return None
        case = max(found, key=lambda c: c.updated_at)
        self._hand(case)
        return case

    def reopen_or_resume(self, case: Case, *, label: str) -> None:
        if case.status not in (Status.RESOLVED, Status.WAITING):
            return  # nothing to change
        if self._is_new(case):
            raise NeedsDatabase("a case of this batch changes status")
        # A status change of a case read from the database: written at once by the action
        # (inside the message's savepoint), as on `DATABASE`.
        DATABASE.reopen_or_resume(case, label=label)

    def acknowledgements_since(
        self, organization: Organization, address: str, since: datetime
    ) -> int:
        self._check(organization)
        self._read_acks({address})
        return sum(1 for at in self._acks[address] if at >= since)

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
            raise NeedsDatabase("the events are written at once")
        self._hand(record)
        mark_processed(record, case, steps)
        self._set(self._records, record.pk, record)
        return events

    # --- writing ------------------------------------------------------------------------------

    def write(self) -> None:
        """Write what the batch holds, per table, within the caller's transaction; then forget
        what was read (`DATABASE` may write next)."""
        for block in self._blocks.values():
            block.write()
        self._ids.give_back()
        for created, rows in self._new.items():
            insert_rows(created, rows)
        insert_rows(Prediction, self._predictions)
        by_fields: dict[tuple[type[Model], frozenset[str]], list[Model]] = defaultdict(list)
        for (model, _pk), (obj, fields) in self._changed.items():
            by_fields[(model, fields)].append(obj)
        for (model, fields), objs in by_fields.items():
            update_rows(model, objs, sorted(fields))
        if self._links:
            Attachment.objects.filter(
                inbound_record_id__in=[record_id for record_id, _m in self._links],
                message__isnull=True,
            ).update(
                message_id=When_(
                    *(When(inbound_record_id=r, then=Value(m.pk)) for r, m in self._links)
                )
            )
        if self._records:
            update_rows(InboundRecord, list(self._records.values()), PROCESSED_FIELDS)
        schedule_deliveries(self._deliveries)
        self._forget()
        self.commit()

    def reread(self) -> None:
        """After a message processed on `DATABASE`: read the batch's needs again."""
        self._forget()
        self.preload()
