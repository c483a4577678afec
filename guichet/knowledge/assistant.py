"""The self-service assistant's decisions: answer, ask which topic is meant, or hand over.

- **answer** when the best article or FAQ entry holds at least `MIN_COVERAGE` of the question's
  French terms: the passage of the article that matches best (or the FAQ answer), with its source;
  with a generative endpoint configured, a short answer drafted from the top passages with
  citations, the passage staying the fallback;
- **clarify** when the items that match about as well (coverage within `CLOSE_COVERAGE` of the
  best) belong to different topics: the citizen picks one, and the search is run again within it;
- **hand over** otherwise (nothing matches well enough): the citizen is offered a human.

Pure decisions over `guichet.knowledge.search`; the portal view keeps the conversation and hands
it over through the intake pipeline.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from guichet.assist.text import clean_text
from guichet.knowledge import generation
from guichet.knowledge.models import Article, Audience, FaqEntry
from guichet.knowledge.search import ARTICLE, FAQ, KnowledgeHit, KnowledgeIndex, best_passage

MIN_COVERAGE = 0.5
CLOSE_COVERAGE = 0.15
MAX_CHOICES = 4
# How many of the best candidates are looked at for their topics.
CANDIDATES = 5
QUESTION_MAX_CHARS = 1000
GENERATION_PASSAGES = 3

ANSWER = "answer"
CLARIFY = "clarify"
HANDOVER = "handover"


@dataclass(frozen=True)
class AssistantReply:
    outcome: str
    text: str = ""
    generated: bool = False
    source_kind: str = ""
    source_pk: int = 0
    source_title: str = ""
    source_url: str = ""
    attribution: str = ""
    choices: tuple[str, ...] = ()
    topic_slug: str = ""
    # With a generated answer: the passages it may cite, [1] first, as (kind, pk, title).
    sources: tuple[tuple[str, int, str], ...] = ()


def _near_best(hits: list[KnowledgeHit]) -> list[KnowledgeHit]:
    """The hits (in retrieval order) that cover the question about as well as the best one."""
    best = max(hit.coverage for hit in hits)
    return [hit for hit in hits if hit.coverage >= best - CLOSE_COVERAGE]


def _choices(candidates: list[KnowledgeHit]) -> tuple[str, ...]:
    """The topics to offer when the two best candidates are of different topics."""
    top = candidates[:CANDIDATES]
    if len(top) < 2 or not top[0].labels or not top[1].labels:
        return ()
    if top[0].labels[0] == top[1].labels[0]:
        return ()
    labels: list[str] = []
    for hit in top:
        if hit.labels and hit.labels[0] not in labels:
            labels.append(hit.labels[0])
    return tuple(labels[:MAX_CHOICES])


def _passage(hit: KnowledgeHit, question: str, organization_id: int) -> AssistantReply:
    if hit.kind == FAQ:
        entry = FaqEntry.objects.available_to(organization_id).prefetch_related("topics")
        faq = entry.get(pk=hit.pk)
        topic = next(iter(faq.topics.all()), None)
        return AssistantReply(
            ANSWER,
            text=faq.answer,
            source_kind=FAQ,
            source_pk=faq.pk,
            source_title=faq.question,
            topic_slug=topic.slug if topic else "",
        )
    article = (
        Article.objects.available_to(organization_id)
        .exclude(audience=Audience.AGENTS)
        .prefetch_related("topics")
        .get(pk=hit.pk)
    )
    topic = next(iter(article.topics.all()), None)
    return AssistantReply(
        ANSWER,
        text=best_passage(article.body, question) or article.summary,
        source_kind=ARTICLE,
        source_pk=article.pk,
        source_title=article.title,
        source_url=article.source_url,
        attribution=article.attribution,
        topic_slug=topic.slug if topic else "",
    )


def _generated(
    reply: AssistantReply, question: str, hits: list[KnowledgeHit], organization_id: int
) -> AssistantReply | None:
    used = [reply] + [
        _passage(hit, question, organization_id) for hit in hits[1:GENERATION_PASSAGES]
    ]
    drafted = generation.draft_answer(
        question, [generation.Passage(p.source_title, p.text) for p in used]
    )
    if not drafted:
        return None
    return dataclasses.replace(
        reply,
        text=drafted,
        generated=True,
        sources=tuple((p.source_kind, p.source_pk, p.source_title) for p in used),
    )


@dataclass(frozen=True)
class Decision:
    """The outcome for a question, before anything is read from the database."""

    outcome: str
    # With ANSWER: the items to answer from, best first.
    candidates: tuple[KnowledgeHit, ...] = ()
    choices: tuple[str, ...] = ()


def decide(index: KnowledgeIndex, question: str, *, label: str = "") -> Decision:
    """Answer, clarify or hand over (see the module docstring); pure over the index."""
    question = clean_text(question, QUESTION_MAX_CHARS)
    if not question:
        return Decision(HANDOVER)
    hits = index.search(question, k=8, kinds=(ARTICLE, FAQ), label=label, public_only=True)
    if not hits or max(hit.coverage for hit in hits) < MIN_COVERAGE:
        return Decision(HANDOVER)
    candidates = _near_best(hits)
    if not label:
        choices = _choices(candidates)
        if choices:
            return Decision(CLARIFY, choices=choices)
    return Decision(ANSWER, candidates=tuple(candidates))


def reply_to(
    index: KnowledgeIndex, organization_id: int, question: str, *, label: str = ""
) -> AssistantReply:
    """What the assistant says to `question` (within the topic `label` once the citizen chose)."""
    decision = decide(index, question, label=label)
    if decision.outcome != ANSWER:
        return AssistantReply(decision.outcome, choices=decision.choices)
    question = clean_text(question, QUESTION_MAX_CHARS)
    candidates = list(decision.candidates)
    reply = _passage(candidates[0], question, organization_id)
    if generation.is_configured():
        return _generated(reply, question, candidates, organization_id) or reply
    return reply
