"""Writing to the audit journal."""

from __future__ import annotations

from typing import Any

from django.db import models

from guichet.audit.models import AuditEntry


def record_audit(
    action: str,
    obj: models.Model,
    *,
    actor: Any = None,
    actor_label: str = "",
    organization_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; `obj` is the record acted upon (or viewed)."""
    if organization_id is None:
        organization_id = getattr(obj, "organization_id", None)
    return AuditEntry.objects.create(
        organization_id=organization_id,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=actor_label or (str(actor) if actor is not None else ""),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )
