"""Writes on the knowledge base: imports, and the re-indexing every change schedules on commit."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from guichet.knowledge.models import (
    Article,
    Audience,
    FaqEntry,
    KnowledgeItem,
    Library,
    ReplyTemplate,
)
from guichet.organizations.models import Organization, Topic


class BadLine(ValueError):
    """A line that cannot be imported; the message says why."""


def organizations_seeing(*, organization_id: int | None, library_id: int | None) -> list[int]:
    if organization_id is not None:
        return [organization_id]
    if library_id is None:
        return []
    library = Library.objects.filter(pk=library_id).first()
    if library is None:
        return []
    if library.shared_with_all:
        return list(Organization.objects.values_list("pk", flat=True))
    return list(library.organizations.values_list("pk", flat=True))


def schedule_reindex(*, organization_id: int | None = None, library_id: int | None = None) -> None:
    """Rebuild the search index of every organization that sees the changed content, once the
    transaction commits (the task warms the passage-vector cache; web processes notice the change
    by the content signature)."""
    from guichet.knowledge.tasks import rebuild_knowledge_index_task

    def enqueue() -> None:
        for pk in organizations_seeing(organization_id=organization_id, library_id=library_id):
            rebuild_knowledge_index_task.enqueue(pk)

    transaction.on_commit(enqueue)


def after_item_change(item: KnowledgeItem) -> None:
    schedule_reindex(organization_id=item.organization_id, library_id=item.library_id)


# ---------------------------------------------------------------------------------------------
# Import from JSONL rows


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class Owner:
    organization: Organization | None = None
    library: Library | None = None

    @property
    def filters(self) -> dict[str, Any]:
        if self.organization is not None:
            return {"organization": self.organization, "library": None}
        return {"organization": None, "library": self.library}


def _text(row: dict[str, Any], *names: str, required: bool = False, limit: int = 0) -> str:
    for name in names:
        value = row.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise BadLine(f"{name!r} must be a string")
        value = value.strip()
        if limit and len(value) > limit:
            raise BadLine(f"{name!r} is longer than {limit} characters")
        if value:
            return value
    if required:
        raise BadLine(f"{' or '.join(repr(n) for n in names)} is missing or empty")
    return ""


def _date(row: dict[str, Any], name: str) -> datetime.date | None:
    value = row.get(name)
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise BadLine(f"{name!r} is not a date (YYYY-MM-DD): {value!r}") from None


def _topics(row: dict[str, Any], owner: Owner, topics: dict[str, Topic]) -> list[Topic]:
    slugs = row.get("topics") or []
    if isinstance(slugs, str):
        slugs = [slugs]
    if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
        raise BadLine("'topics' must be a list of topic short names")
    if slugs and owner.organization is None:
        raise BadLine("'topics' are an organization's; shared content uses 'theme'")
    unknown = [slug for slug in slugs if slug not in topics]
    if unknown:
        raise BadLine(f"unknown topics: {', '.join(unknown)}")
    return [topics[slug] for slug in slugs]


def _kind(row: dict[str, Any]) -> str:
    kind = row.get("kind") or ("faq" if "question" in row else "article")
    if kind not in ("article", "faq", "template"):
        raise BadLine(f"unknown kind {kind!r} (article, faq or template)")
    return str(kind)


def _fields(row: dict[str, Any], kind: str) -> dict[str, Any]:
    common = {"theme": _text(row, "theme", limit=200)}
    if kind == "faq":
        return {
            **common,
            "question": _text(row, "question", required=True, limit=500),
            "answer": _text(row, "answer", required=True),
            "valid_from": _date(row, "valid_from"),
            "valid_until": _date(row, "valid_until"),
        }
    if kind == "template":
        return {
            **common,
            "name": _text(row, "name", "title", required=True, limit=200),
            "body": _text(row, "body", "text", required=True),
        }
    audience = _text(row, "audience") or Audience.EVERYONE
    if audience not in Audience.values:
        raise BadLine(f"unknown audience {audience!r} ({', '.join(Audience.values)})")
    return {
        **common,
        "title": _text(row, "title", required=True, limit=300),
        "body": _text(row, "body", "text", required=True),
        "summary": _text(row, "summary", "description"),
        "audience": audience,
        "source_url": _text(row, "source_url", "url", limit=500),
        "attribution": _text(row, "attribution", limit=300),
        "valid_from": _date(row, "valid_from"),
        "valid_until": _date(row, "valid_until"),
    }


MODELS: dict[str, type[Article] | type[FaqEntry] | type[ReplyTemplate]] = {
    "article": Article,
    "faq": FaqEntry,
    "template": ReplyTemplate,
}


def _import_row(row: Any, owner: Owner, topics: dict[str, Topic]) -> bool:
    """Create or update the item of one row; True when it was created."""
    if not isinstance(row, dict):
        raise BadLine("a line must hold a JSON object")
    source_id = row.get("id")
    if not isinstance(source_id, (str, int)) or not str(source_id).strip():
        raise BadLine("'id' is missing: it identifies the item when the file is imported again")
    source_id = str(source_id).strip()
    if len(source_id) > 200:
        raise BadLine("'id' is longer than 200 characters")
    kind = _kind(row)
    model = MODELS[kind]
    values = _fields(row, kind)
    chosen_topics = _topics(row, owner, topics)
    item = model.objects.filter(source_id=source_id, **owner.filters).first()
    created = item is None
    if item is None:
        item = model(source_id=source_id, **owner.filters)
    for name, value in values.items():
        setattr(item, name, value)
    try:
        item.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise BadLine("; ".join(exc.messages)) from None
    item.save()
    item.topics.set(chosen_topics)
    return created


def import_rows(
    rows: Iterable[tuple[int, Any]],
    *,
    organization: Organization | None = None,
    library: Library | None = None,
) -> ImportReport:
    """Import (line number, parsed JSON or an exception) pairs into the organization or the
    library. Each line is its own savepoint: a bad line is reported with its number and the others
    are kept. Importing the same file again updates the items (matched on `id`)."""
    if (organization is None) == (library is None):
        raise ValueError("import into either an organization or a library")
    owner = Owner(organization, library)
    topics = (
        {t.slug: t for t in Topic.objects.filter(organization=organization)}
        if organization is not None
        else {}
    )
    report = ImportReport()
    for line, row in rows:
        if isinstance(row, Exception):
            report.errors.append((line, str(row)))
            continue
        try:
            with transaction.atomic():
                created = _import_row(row, owner, topics)
        except BadLine as exc:
            report.errors.append((line, str(exc)))
        except DatabaseError as exc:
            report.errors.append((line, f"the database refused it: {exc}"))
        else:
            if created:
                report.created += 1
            else:
                report.updated += 1
    if report.imported:
        schedule_reindex(
            organization_id=organization.pk if organization else None,
            library_id=library.pk if library else None,
        )
    return report


def shared_library(slug: str, name: str = "") -> Library:
    """The library `slug`, created (shared with every organization) if it does not exist."""
    library, _created = Library.objects.get_or_create(
        slug=slug, defaults={"name": name or slug, "shared_with_all": True}
    )
    return library


def iter_jsonl(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object or the parse error) for each non-blank line."""
    import json

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, BadLine(f"not valid JSON: {exc.msg} (column {exc.colno})")
