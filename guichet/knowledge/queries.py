"""Reads of the knowledge base: suggestions for a case, articles readable on the portal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from guichet.cases.models import Case
from guichet.conversations.models import Direction, Message
from guichet.knowledge.models import Article, Audience, FaqEntry, ReplyTemplate
from guichet.knowledge.search import (
    ARTICLE,
    FAQ,
    TEMPLATE,
    KnowledgeHit,
    best_passage,
    index_for,
)
from guichet.knowledge.variables import TemplateValues, render_template

SUGGESTED_TEMPLATES = 3
SUGGESTED_ARTICLES = 3
# What of the latest message is searched with (its subject and beginning say what it is about).
QUERY_CHARS = 1000
EXCERPT_CHARS = 400
# Suggestions covering less than this share of the best one's coverage are noise (a template
# that shares only "dossier" with the message).
RELATIVE_COVERAGE = 0.5


@dataclass(frozen=True)
class Suggestion:
    kind: str
    pk: int
    title: str
    # The text inserted into the reply box: the filled template, or the article's excerpt.
    text: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseSuggestions:
    query: str
    templates: list[Suggestion]
    articles: list[Suggestion]


def case_query(case: Case) -> str:
    """The text suggestions are searched for: the case's latest message from the citizen (its
    subject and text), or the case's subject when there is none."""
    latest = (
        Message.objects.filter(case=case, direction=Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .only("subject", "text")
        .first()
    )
    if latest is None:
        return case.subject
    return f"{latest.subject}\n{latest.text}"[:QUERY_CHARS]


def template_values(case: Case, agent: Any) -> TemplateValues:
    return TemplateValues(
        # "Bonjour Madame, Monsieur," rather than "Bonjour ," when the name is unknown.
        citizen_name=case.citizen.display_name or _("Madam, Sir"),
        reference=case.reference,
        due_date=case.due_at,
        agent_name=str(agent),
        organization=case.organization.name,
    )


def article_insert(title: str, excerpt: str, link: str) -> str:
    return "\n".join(part for part in (title, excerpt, link) if part)


def _relevant(hits: list[KnowledgeHit]) -> list[KnowledgeHit]:
    if not hits:
        return hits
    best = max(hit.coverage for hit in hits)
    return [hit for hit in hits if hit.coverage >= best * RELATIVE_COVERAGE]


def suggestions_for(case: Case, agent: Any, *, article_link: Any) -> CaseSuggestions:
    """The best reply templates (filled for this case) and articles or FAQ entries for the case's
    latest message. `article_link(kind, pk)` gives the address inserted with an article."""
    query = case_query(case)
    index = index_for(case.organization_id)
    template_hits = _relevant(index.search(query, k=SUGGESTED_TEMPLATES * 3, kinds=(TEMPLATE,)))
    article_hits = _relevant(index.search(query, k=SUGGESTED_ARTICLES * 3, kinds=(ARTICLE, FAQ)))
    if case.topic is not None:
        # Items of the case's own topic first (a stable sort keeps the search order otherwise).
        topic = case.topic.name
        template_hits.sort(key=lambda hit: topic not in hit.labels)
        article_hits.sort(key=lambda hit: topic not in hit.labels)
    template_hits = template_hits[:SUGGESTED_TEMPLATES]
    article_hits = article_hits[:SUGGESTED_ARTICLES]
    values = template_values(case, agent)
    available = case.organization_id
    templates_by_pk = ReplyTemplate.objects.available_to(available).in_bulk(
        [h.pk for h in template_hits]
    )
    templates = [
        Suggestion(TEMPLATE, t.pk, t.name, render_template(t.body, values), hit.labels)
        for hit in template_hits
        if (t := templates_by_pk.get(hit.pk)) is not None
    ]
    article_ids = [h.pk for h in article_hits if h.kind == ARTICLE]
    faq_ids = [h.pk for h in article_hits if h.kind == FAQ]
    articles_by_pk = (
        Article.objects.available_to(available).in_bulk(article_ids) if article_ids else {}
    )
    faq_by_pk = FaqEntry.objects.available_to(available).in_bulk(faq_ids) if faq_ids else {}
    articles: list[Suggestion] = []
    for hit in article_hits:
        if hit.kind == ARTICLE and (article := articles_by_pk.get(hit.pk)) is not None:
            excerpt = best_passage(article.body, query, EXCERPT_CHARS)
            text = article_insert(article.title, excerpt, article_link(ARTICLE, article.pk))
            articles.append(Suggestion(ARTICLE, article.pk, article.title, text, hit.labels))
        elif hit.kind == FAQ and (entry := faq_by_pk.get(hit.pk)) is not None:
            articles.append(Suggestion(FAQ, entry.pk, entry.question, entry.answer, hit.labels))
    return CaseSuggestions(query, templates, articles)


def portal_article(organization_id: int, pk: int) -> Article | None:
    """An article the organization's portal may show: its own or a shared one, currently valid
    and meant for the public."""
    return (
        Article.objects.available_to(organization_id)
        .current()
        .exclude(audience=Audience.AGENTS)
        .filter(pk=pk)
        .first()
    )
