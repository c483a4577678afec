"""The knowledge search index of an organization, over the assist context's retrieval.

This module is the only one that talks to `guichet.assist.retrieval`: if its API changes, only this
file changes. An organization's index covers its own articles, FAQ entries and active templates
plus those of the libraries shared with it (within their validity dates). It is built lazily in
each process, kept in memory and identified by a *content signature* (counts and last changes of
the three kinds of items): when the content changes, the next search builds it again. Passage
vectors of the dense model are cached on disk by text hash (`GUICHET_KNOWLEDGE_DIR`), so a rebuild
only embeds what changed; `rebuild_knowledge_index_task` (enqueued on commit after each change)
does that work in a worker so that web processes find the vectors ready.

Three signals come with each hit, computed here rather than from fused scores (reciprocal rank
fusion gives ranks, not a confidence): `coverage`, the share of the question's French terms
found in the item, `title_match`, whether the question names the item's title (at least two of
its terms, or all of a shorter title), and `labels`, the item's topics (or theme), used to detect
ambiguity and to prefer a case's topic.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max

from guichet.assist.errors import AssistError
from guichet.assist.retrieval import Document, Retriever, make_retriever
from guichet.assist.text import analyze, question_terms
from guichet.knowledge.models import Article, Audience, FaqEntry, ReplyTemplate

logger = logging.getLogger(__name__)

ARTICLE = "article"
FAQ = "faq"
TEMPLATE = "template"
KINDS = (ARTICLE, FAQ, TEMPLATE)
FALLBACK_RETRIEVER = "lexical-fr"
# The part of an item whose terms count for `coverage`: its title and beginning, where what it is
# about is said (analysing whole guides at each question would cost seconds).
COVERAGE_CHARS = 3_000
# Retrieval models that need no passage vectors (built at once, nothing to warm up).
LEXICAL_RETRIEVERS = frozenset({"lexical-fr", "bm25-fr", "baseline-bm25"})
PASSAGE_CHARS = 500
TITLE_MATCH_TERMS = 2


@dataclass(frozen=True)
class IndexedItem:
    kind: str
    pk: int
    title: str
    text: str
    labels: tuple[str, ...] = ()
    # Shown to citizens by the portal assistant (not templates, not agents-only articles).
    public: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"


@dataclass(frozen=True)
class KnowledgeHit:
    kind: str
    pk: int
    title: str
    score: float
    coverage: float
    labels: tuple[str, ...]
    # The question shares at least `TITLE_MATCH_TERMS` French terms with the item's title (all of
    # them for a shorter title): what an item is about is in its title; a word met only in its
    # body, or one common word of the title ("délai", "demande"), is weak evidence.
    title_match: bool = False


@dataclass
class KnowledgeIndex:
    """A built retriever over some items. Tests build one over a handful of items directly."""

    items: Sequence[IndexedItem]
    retriever_name: str = ""
    cache_dir: Path | None = None
    signature: str = ""
    # False while a dense model's vectors are being computed (lexical search meanwhile).
    complete: bool = True
    _retriever: Retriever | None = field(default=None, repr=False)
    _by_key: dict[str, IndexedItem] = field(default_factory=dict, repr=False)
    _terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    _title_terms: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def build(self) -> KnowledgeIndex:
        self._by_key = {item.key: item for item in self.items}
        documents = [Document(item.key, item.title, item.text) for item in self.items]
        name = self.retriever_name or settings.GUICHET_KNOWLEDGE_RETRIEVER
        try:
            retriever = make_retriever(name, self.cache_dir)
            retriever.build(documents)
        except AssistError as exc:
            # The dense model could not load: lexical search still answers.
            logger.warning("knowledge search falls back to %s: %s", FALLBACK_RETRIEVER, exc)
            retriever = make_retriever(FALLBACK_RETRIEVER, None)
            retriever.build(documents)
        self._retriever = retriever
        return self

    def __len__(self) -> int:
        return len(self.items)

    def _item_terms(self, item: IndexedItem) -> frozenset[str]:
        terms = self._terms.get(item.key)
        if terms is None:
            terms = frozenset(analyze(f"{item.title}\n{item.text[:COVERAGE_CHARS]}"))
            self._terms[item.key] = terms
        return terms

    def _item_title_terms(self, item: IndexedItem) -> frozenset[str]:
        """The title's terms as a question's are counted (`question_terms`: without request
        words such as "information", which a question's terms never hold)."""
        terms = self._title_terms.get(item.key)
        if terms is None:
            terms = frozenset(question_terms(item.title))
            self._title_terms[item.key] = terms
        return terms

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        kinds: Iterable[str] = KINDS,
        label: str = "",
        public_only: bool = False,
    ) -> list[KnowledgeHit]:
        """The best items for `query`, best first; only of `kinds`, of `label` if given, and only
        what citizens may read with `public_only`."""
        if self._retriever is None:
            self.build()
        assert self._retriever is not None  # noqa: S101 — built just above
        wanted = set(kinds)
        query_terms = question_terms(query[:1000])
        if not query_terms or not self.items:
            return []
        hits: list[KnowledgeHit] = []
        for hit in self._retriever.search(query, k=max(50, k * 10)):
            item = self._by_key.get(hit.id)
            if item is None or item.kind not in wanted or (label and label not in item.labels):
                continue
            if public_only and not item.public:
                continue
            found = query_terms & self._item_terms(item)
            if not found:
                continue  # a dense neighbour sharing no word with the question is noise here
            hits.append(
                KnowledgeHit(
                    item.kind,
                    item.pk,
                    item.title,
                    hit.score,
                    round(len(found) / len(query_terms), 3),
                    item.labels,
                    self._title_match(query_terms, item),
                )
            )
            if len(hits) == k:
                break
        return hits

    def _title_match(self, query_terms: set[str], item: IndexedItem) -> bool:
        title = self._item_title_terms(item)
        return bool(title) and len(query_terms & title) >= min(TITLE_MATCH_TERMS, len(title))

    def labelled(self, label: str, *, kinds: Iterable[str] = KINDS) -> list[KnowledgeHit]:
        """Every item of `kinds` carrying `label` (e.g. the reply templates of a case's topic),
        in index order, as hits with no score: what the search did not find can still be
        offered."""
        wanted = set(kinds)
        return [
            KnowledgeHit(item.kind, item.pk, item.title, 0.0, 0.0, item.labels)
            for item in self.items
            if item.kind in wanted and label in item.labels
        ]


# ---------------------------------------------------------------------------------------------
# Passages


_LINE = re.compile(r"\s*\n\s*")


def best_passage(text: str, query: str, max_chars: int = PASSAGE_CHARS) -> str:
    """The run of consecutive lines of `text` (about `max_chars` long) that holds the most of
    the question's distinct terms; the beginning when none matches."""
    lines = [line.strip() for line in _LINE.split(text[: COVERAGE_CHARS * 4]) if line.strip()]
    if not lines:
        return ""
    terms = question_terms(query[:1000])
    line_terms = [terms & set(analyze(line)) for line in lines]
    best_start, best_end, best_score = 0, 0, -1
    for start in range(len(lines)):
        found: set[str] = set()
        length = 0
        end = start
        while end < len(lines) and (end == start or length + len(lines[end]) <= max_chars):
            found |= line_terms[end]
            length += len(lines[end]) + 1
            end += 1
        # Prefer a window that starts on a matching line: it reads as the answer's beginning.
        score = len(found) * 2 + (1 if line_terms[start] else 0)
        if score > best_score:
            best_start, best_end, best_score = start, end, score
    passage = "\n".join(lines[best_start:best_end])
    if len(passage) > max_chars * 2:
        passage = passage[: max_chars * 2].rsplit(" ", 1)[0] + " …"
    return passage


# ---------------------------------------------------------------------------------------------
# The organization's index


def content_signature(organization_id: int) -> str:
    """Changes whenever an item visible to the organization is added, edited, deleted, shared or
    comes in or out of its validity dates (three aggregate queries)."""
    parts: list[str] = []
    for model in (Article, FaqEntry, ReplyTemplate):
        queryset = model.objects.available_to(organization_id).current()
        if model is ReplyTemplate:
            queryset = queryset.filter(is_active=True)
        summary = queryset.aggregate(count=Count("pk"), last=Max("updated_at"), top=Max("pk"))
        parts.append(f"{model.__name__}:{summary['count']}:{summary['last']}:{summary['top']}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _labels(item: Article | FaqEntry | ReplyTemplate) -> tuple[str, ...]:
    names = tuple(topic.name for topic in item.topics.all())
    return names or ((item.theme,) if item.theme else ())


def load_items(organization_id: int) -> list[IndexedItem]:
    """Everything the organization's index covers (six queries)."""
    articles = Article.objects.available_to(organization_id).current().prefetch_related("topics")
    entries = FaqEntry.objects.available_to(organization_id).current().prefetch_related("topics")
    templates = (
        ReplyTemplate.objects.available_to(organization_id)
        .current()
        .filter(is_active=True)
        .prefetch_related("topics")
    )
    items = [
        IndexedItem(
            ARTICLE,
            a.pk,
            a.title,
            f"{a.summary}\n{a.body}",
            _labels(a),
            public=a.audience != Audience.AGENTS,
        )
        for a in articles
    ]
    items += [
        IndexedItem(FAQ, f.pk, f.question, f.answer, _labels(f), public=True) for f in entries
    ]
    items += [IndexedItem(TEMPLATE, t.pk, t.name, t.body, _labels(t)) for t in templates]
    return items


def embeddings_dir() -> Path:
    return Path(settings.GUICHET_KNOWLEDGE_DIR) / "embeddings"


def _ready_marker(organization_id: int) -> Path:
    return Path(settings.GUICHET_KNOWLEDGE_DIR) / "ready" / f"{organization_id}.txt"


def _vectors_ready(organization_id: int, signature: str) -> bool:
    """True when a worker has embedded this very content (`build_full_index`)."""
    try:
        return _ready_marker(organization_id).read_text(encoding="utf-8").strip() == signature
    except OSError:
        return False


_indexes: dict[int, KnowledgeIndex] = {}
_warming: dict[int, str] = {}
_lock = threading.Lock()


def build_full_index(organization_id: int) -> KnowledgeIndex:
    """Build the index with the configured model, embedding what is not cached yet (slow the
    first time: the work of `rebuild_knowledge_index_task`), and mark the content as ready."""
    signature = content_signature(organization_id)
    index = KnowledgeIndex(
        load_items(organization_id), cache_dir=embeddings_dir(), signature=signature
    ).build()
    marker = _ready_marker(organization_id)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(signature, encoding="utf-8")
    with _lock:
        _indexes[organization_id] = index
    return index


def index_for(organization_id: int) -> KnowledgeIndex:
    """The organization's index, as fast as it can be had: kept in memory while the content is
    unchanged; built with the configured model when no vector has to be computed (lexical models,
    or vectors already embedded by a worker); otherwise lexical for now, with a task enqueued to
    embed the passages, and the full model taken up at the first search after it finished."""
    signature = content_signature(organization_id)
    cached = _indexes.get(organization_id)
    if cached is not None and cached.signature == signature and cached.complete:
        return cached
    name = settings.GUICHET_KNOWLEDGE_RETRIEVER
    lexical = name in LEXICAL_RETRIEVERS
    if not lexical and not _vectors_ready(organization_id, signature):
        if cached is not None and cached.signature == signature:
            return cached  # still lexical, the vectors are on their way
        _enqueue_warm_up(organization_id, signature)
        cached = _indexes.get(organization_id)
        if cached is not None and cached.signature == signature:
            return cached  # built by the task itself (immediate task backend)
        index = KnowledgeIndex(
            load_items(organization_id),
            retriever_name=FALLBACK_RETRIEVER,
            signature=signature,
            complete=False,
        ).build()
    else:
        index = KnowledgeIndex(
            load_items(organization_id), cache_dir=embeddings_dir(), signature=signature
        ).build()
    with _lock:
        _indexes[organization_id] = index
    return index


def _enqueue_warm_up(organization_id: int, signature: str) -> None:
    if _warming.get(organization_id) == signature:
        return
    _warming[organization_id] = signature
    from guichet.knowledge.tasks import rebuild_knowledge_index_task

    rebuild_knowledge_index_task.enqueue(organization_id)


def forget_indexes() -> None:
    """Drop the indexes kept in memory (tests, or after changing the retrieval model)."""
    with _lock:
        _indexes.clear()
        _warming.clear()
