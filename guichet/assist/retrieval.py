"""Search over a knowledge base: lexical (BM25), dense (sentence vectors) and the hybrid of both.

Models (`RETRIEVERS`):
- `baseline-bm25`: BM25 (bm25s, Lucene variant, k1=1.5, b=0.75) over title + text, words of two
  letters or more, lower-cased — no French analysis. The baseline the figures are compared with.
- `bm25-fr`: the same BM25 over French terms (`guichet.assist.text.analyze`: elisions, stop words,
  Snowball stems, accents folded), the title counted three times.
- `dense-e5`: cosine between the question's e5 vector and each article's vector (its title and
  first lines, `PASSAGE_LEAD` characters), vectors cached on disk.
- `hybrid-fr-e5` (the product's default): reciprocal rank fusion (k=60) of the top 100 of
  `bm25-fr` and of `dense-e5`.
- `lexical-fr`: reciprocal rank fusion of `bm25-fr` and of French BM25 over the titles alone, the
  best search without vectors (the knowledge base's fallback while vectors are computed). The
  dense model already reads mostly the title, so the hybrid does not take the title ranking too
  (measured: it lowers the hybrid's recall, docs/assist.md).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from guichet.assist.embeddings import Embedder, EmbeddingCache, default_embedder
from guichet.assist.errors import AssistError, ModelUnavailable, NotTrained
from guichet.assist.text import analyze, clean_text

logger = logging.getLogger(__name__)

# The longest part of an article indexed by the lexical models (the longest service-public.fr
# guide is 235,000 characters; the first 100,000 hold what a question can match).
DOCUMENT_CHARS = 100_000
QUERY_CHARS = 1_000
# What the dense model reads of an article: its title and first lines (an embedding of a whole
# article costs seconds; the title and lead say what it is about).
PASSAGE_LEAD = 150
# Candidates each model hands to the fusion, and the fusion's constant (Cormack et al., 2009).
FUSION_DEPTH = 100
RRF_K = 60
TITLE_WEIGHT = 3

_BASELINE_WORD = re.compile(r"\b\w\w+\b")


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass(frozen=True)
class IndexReport:
    documents: int
    build_s: float
    # Passage vectors computed during this build (the others came from the on-disk cache).
    embedded: int = 0


class Retriever(Protocol):
    name: str

    def build(self, documents: Sequence[Document]) -> IndexReport: ...

    def search(self, query: str, k: int = 10) -> list[Hit]: ...


def baseline_terms(text: str) -> list[str]:
    """bm25s's default tokenisation: lower-cased words of two characters or more."""
    return _BASELINE_WORD.findall(text.lower())


def french_document_terms(document: Document) -> list[str]:
    return analyze(document.title) * TITLE_WEIGHT + analyze(document.text[:DOCUMENT_CHARS])


def baseline_document_terms(document: Document) -> list[str]:
    return baseline_terms(f"{document.title}\n{document.text[:DOCUMENT_CHARS]}")


def _top(scores: npt.NDArray[np.floating[Any]], k: int) -> list[int]:
    """Indices of the k best positive scores, best first (ties: document order)."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    candidates = np.argpartition(-scores, k - 1)[:k]
    ordered = sorted(candidates.tolist(), key=lambda i: (-float(scores[i]), i))
    return [i for i in ordered if scores[i] > 0]


class BM25Retriever:
    def __init__(
        self,
        name: str,
        document_terms: Callable[[Document], list[str]],
        query_terms: Callable[[str], list[str]],
    ) -> None:
        self.name = name
        self.document_terms = document_terms
        self.query_terms = query_terms
        self._index: Any = None
        self._ids: list[str] = []

    def build(self, documents: Sequence[Document]) -> IndexReport:
        import bm25s  # type: ignore[import-untyped]

        started = time.perf_counter()
        corpus = [self.document_terms(d) for d in documents]
        index = bm25s.BM25()
        if documents:
            # bm25s needs at least one term in its vocabulary.
            index.index([terms or ["\u2205"] for terms in corpus], show_progress=False)
        self._index = index
        self._ids = [d.id for d in documents]
        return IndexReport(len(documents), time.perf_counter() - started)

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        if self._index is None:
            raise NotTrained(f"{self.name}: build the index first")
        terms = self.query_terms(clean_text(query, QUERY_CHARS))
        if not terms or not self._ids:
            return np.zeros(len(self._ids), dtype=np.float32)
        return np.asarray(self._index.get_scores(terms), dtype=np.float32)

    def search(self, query: str, k: int = 10) -> list[Hit]:
        scores = self.scores(query)
        return [Hit(self._ids[i], float(scores[i])) for i in _top(scores, k)]


def passage_of(document: Document) -> str:
    lead = document.text[:PASSAGE_LEAD]
    return f"{document.title}. {lead}" if document.title else lead


class DenseRetriever:
    name = "dense-e5"

    def __init__(
        self,
        embedder: Embedder | None = None,
        cache_dir: Path | None = None,
        *,
        progress: bool = False,
    ) -> None:
        self.embedder: Embedder = embedder or default_embedder()
        self.cache_dir = cache_dir
        self.progress = progress
        self._vectors: npt.NDArray[np.float32] | None = None
        self._ids: list[str] = []

    def build(self, documents: Sequence[Document]) -> IndexReport:
        started = time.perf_counter()
        passages = [passage_of(d) for d in documents]
        if self.cache_dir is not None:
            cache = EmbeddingCache(self.cache_dir, self.embedder, progress=self.progress)
            vectors, embedded = cache.passages(passages)
        else:
            vectors, embedded = self._embed_without_cache(passages), len(passages)
        self._vectors = vectors
        self._ids = [d.id for d in documents]
        return IndexReport(len(documents), time.perf_counter() - started, embedded)

    def _embed_without_cache(self, passages: Sequence[str]) -> npt.NDArray[np.float32]:
        """Without a cache: in batches (one call per passage would be several times slower)."""
        if not passages:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        batch = EmbeddingCache.BATCH
        return np.concatenate(
            [
                self.embedder.passages(passages[i : i + batch])
                for i in range(0, len(passages), batch)
            ]
        )

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        if self._vectors is None:
            raise NotTrained(f"{self.name}: build the index first")
        cleaned = clean_text(query, QUERY_CHARS)
        if not cleaned or not self._ids:
            return np.zeros(len(self._ids), dtype=np.float32)
        return np.asarray(self._vectors @ self.embedder.queries([cleaned])[0], dtype=np.float32)

    def search(self, query: str, k: int = 10) -> list[Hit]:
        scores = self.scores(query)
        return [Hit(self._ids[i], float(scores[i])) for i in _top(scores, k)]


class HybridRetriever:
    """Reciprocal rank fusion: each document scores the sum of 1 / (RRF_K + rank) over the
    rankings it appears in (top `FUSION_DEPTH` of each). Ranks, not raw scores, are fused, so
    BM25's unbounded scores and cosines need no calibration.

    A member whose model cannot be loaded (`ModelUnavailable`, e.g. the embedding package is
    missing or broken) is dropped with an error in the log: search goes on with the others
    (`degraded` is then True), never fails for that reason."""

    def __init__(self, name: str, members: Sequence[BM25Retriever | DenseRetriever]) -> None:
        self.name = name
        self.members = list(members)
        self.degraded = False
        self._ids: list[str] = []

    def build(self, documents: Sequence[Document]) -> IndexReport:
        started = time.perf_counter()
        embedded = 0
        working: list[BM25Retriever | DenseRetriever] = []
        for member in self.members:
            try:
                embedded += member.build(documents).embedded
            except ModelUnavailable as exc:
                logger.error("search without %s, on the other models only: %s", member.name, exc)
                self.degraded = True
                continue
            working.append(member)
        if not working:
            raise ModelUnavailable(f"{self.name}: no search model could be loaded")
        self.members = working
        self._ids = [d.id for d in documents]
        return IndexReport(len(documents), time.perf_counter() - started, embedded)

    def search(self, query: str, k: int = 10) -> list[Hit]:
        if not self._ids:
            return []
        fused: dict[int, float] = {}
        for member in list(self.members):
            try:
                scores = member.scores(query)
            except ModelUnavailable as exc:  # pragma: no cover - a model lost after loading
                logger.error("search without %s: %s", member.name, exc)
                self.degraded = True
                continue
            for rank, index in enumerate(_top(scores, FUSION_DEPTH), start=1):
                fused[index] = fused.get(index, 0.0) + 1.0 / (RRF_K + rank)
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [Hit(self._ids[i], round(score, 6)) for i, score in best]


def _baseline() -> BM25Retriever:
    return BM25Retriever("baseline-bm25", baseline_document_terms, baseline_terms)


def _french_bm25() -> BM25Retriever:
    return BM25Retriever("bm25-fr", french_document_terms, analyze)


def title_terms(document: Document) -> list[str]:
    return analyze(document.title)


def _french_title_bm25() -> BM25Retriever:
    return BM25Retriever("bm25-fr-title", title_terms, analyze)


RETRIEVERS: dict[str, Callable[[Path | None, bool], Retriever]] = {
    "baseline-bm25": lambda cache, progress: _baseline(),
    "bm25-fr": lambda cache, progress: _french_bm25(),
    "dense-e5": lambda cache, progress: DenseRetriever(cache_dir=cache, progress=progress),
    "hybrid-fr-e5": lambda cache, progress: HybridRetriever(
        "hybrid-fr-e5", [_french_bm25(), DenseRetriever(cache_dir=cache, progress=progress)]
    ),
    "lexical-fr": lambda cache, progress: HybridRetriever(
        "lexical-fr", [_french_bm25(), _french_title_bm25()]
    ),
}
DEFAULT_RETRIEVER = "hybrid-fr-e5"
BASELINE_RETRIEVER = "baseline-bm25"


def default_cache_dir() -> Path:
    """Where article vectors are kept between builds: GUICHET_DATA_DIR/assist-cache."""
    from django.conf import settings

    return Path(settings.DATA_DIR) / "assist-cache"


def make_retriever(
    name: str = DEFAULT_RETRIEVER, cache_dir: Path | None = None, *, progress: bool = False
) -> Retriever:
    """A new, empty retriever: `build(documents)` once, then `search(query, k)` as often as
    needed (searches are read-only and may run from several threads). `cache_dir` keeps article
    vectors on disk between builds (see `default_cache_dir`); None computes them each time.
    `progress` shows a progress bar on stderr while articles are embedded."""
    try:
        factory = RETRIEVERS[name]
    except KeyError:
        raise AssistError(
            f"unknown retrieval model {name!r} (known: {', '.join(RETRIEVERS)})"
        ) from None
    return factory(cache_dir, progress)
