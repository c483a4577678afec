"""Background tasks of the knowledge context."""

from __future__ import annotations

from django_tasks import task

from guichet.knowledge.search import build_full_index


@task()
def rebuild_knowledge_index_task(organization_id: int) -> int:
    """Build the organization's search index, embedding new or edited passages into the on-disk
    cache, so that web processes take the full model up; returns the number of items indexed.
    Idempotent: vectors already cached are not computed again."""
    return len(build_full_index(organization_id))
