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


def rank_templates(
    hits: list[KnowledgeHit], topic: str, of_topic: list[KnowledgeHit]
) -> list[KnowledgeHit]:
    """The reply templates to offer, best first, from the search `hits` for the message, the
    case's `topic` (a name, "" when unknown) and all the templates `of_topic`:

    1. the templates of the case's topic: those the search found, in its order, then the others
       (the topic, set by triage or an agent, says more about the request than shared words);
    2. templates of another topic only when the message names their subject (`title_match`:
       terms of their *title*; a word met only in a template's body — "livret de famille" among
       the documents an enrolment template asks for — does not make it an answer);
    3. general templates (no topic), such as a holding reply.

    Among the templates the search found and that may be offered, those covering less than half
    as much of the message as the best of them are left out.
    """
    eligible = _relevant(
        [
            hit
            for hit in hits
            if (topic and topic in hit.labels) or not hit.labels or hit.title_match
        ]
    )
    own = [hit for hit in eligible if topic and topic in hit.labels]
    found = {hit.pk for hit in own}
    own += [hit for hit in of_topic if hit.pk not in found]
    other = [hit for hit in eligible if hit.labels and topic not in hit.labels]
    general = [hit for hit in eligible if not hit.labels]
    return own + other + general


def rank_articles(hits: list[KnowledgeHit], topic: str) -> list[KnowledgeHit]:
    """Articles and FAQ entries to offer, best first: only those whose title the message names
    (`title_match`), those of the case's topic first, less than half as good as the best of them
    left out. An article that shares only words of its body with the message — a pothole report
    and a parking-fine article both say "rue" — is noise an agent would have to read to dismiss:
    better no suggestion than a wrong one."""
    hits = _relevant([hit for hit in hits if hit.title_match])
    return sorted(hits, key=lambda hit: not (topic and topic in hit.labels))


def suggestions_for(case: Case, agent: Any, *, article_link: Any) -> CaseSuggestions:
    """The best reply templates (filled for this case) and articles or FAQ entries for the case's
    latest message. `article_link(kind, pk)` gives the address inserted with an article."""
    query = case_query(case)
    index = index_for(case.organization_id)
    topic = case.topic.name if case.topic is not None else ""
    template_hits = rank_templates(
        index.search(query, k=SUGGESTED_TEMPLATES * 4, kinds=(TEMPLATE,)),
        topic,
        index.labelled(topic, kinds=(TEMPLATE,)) if topic else [],
    )[:SUGGESTED_TEMPLATES]
    article_hits = rank_articles(
        index.search(query, k=SUGGESTED_ARTICLES * 3, kinds=(ARTICLE, FAQ)), topic
    )[:SUGGESTED_ARTICLES]
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
