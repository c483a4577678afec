"""The portal assistant's decisions measured on real questions: how often it answers, with the
right article or not, asks which topic is meant, or hands over; and how long a decision takes.

    .venv/bin/python bench/knowledge_assistant.py                       # French BM25, 500 questions
    .venv/bin/python bench/knowledge_assistant.py --model hybrid-fr-e5 --queries-limit 2150

Reads the knowledge base (`{"id", "title", "text", "description"?}` rows, by default
../shared/data/kb_service_public.jsonl) and questions with their relevant articles
(`{"query", "relevant": [ids]}`, by default ../shared/data/retrieval_queries_dev.jsonl), runs
`guichet.knowledge.assistant.decide` — the code the portal runs — over an index of all articles,
and prints one JSON document. An article's label (used for clarifications) is the part of its
title before " : " or " - ". When the assistant asks for a topic, the citizen is simulated
choosing the label of the first relevant article offered, if any.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
_LABEL = re.compile("\\s+(?::|-|\u2013)\\s+")  # colon, hyphen or en dash


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.config.settings.base")
    os.environ.setdefault("GUICHET_DATA_DIR", tempfile.mkdtemp(prefix="guichet-bench-"))
    import django

    django.setup()


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def label_of(title: str) -> str:
    return _LABEL.split(title, maxsplit=1)[0].strip()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run(kb: Path, queries: Path, model: str, limit: int, cache_dir: Path | None) -> dict[str, Any]:
    _setup_django()
    from guichet.knowledge.assistant import ANSWER, CLARIFY, decide
    from guichet.knowledge.search import ARTICLE, IndexedItem, KnowledgeIndex

    articles = _rows(kb)
    keys = [str(row["id"]) for row in articles]
    items = [
        IndexedItem(
            ARTICLE,
            number,
            str(row.get("title", "")),
            f"{row.get('description', '')}\n{row.get('text', '')}",
            (label_of(str(row.get("title", ""))),),
            public=True,
        )
        for number, row in enumerate(articles)
    ]
    started = time.perf_counter()
    index = KnowledgeIndex(items, retriever_name=model, cache_dir=cache_dir).build()
    build_s = time.perf_counter() - started

    questions = _rows(queries)[:limit]
    counts = {"answer": 0, "answer_right": 0, "clarify": 0, "clarify_then_right": 0, "handover": 0}
    durations: list[float] = []
    for row in questions:
        relevant = set(row.get("relevant", []))
        started = time.perf_counter()
        decision = decide(index, str(row["query"]))
        durations.append((time.perf_counter() - started) * 1000)
        if decision.outcome == ANSWER:
            counts["answer"] += 1
            counts["answer_right"] += keys[decision.candidates[0].pk] in relevant
        elif decision.outcome == CLARIFY:
            counts["clarify"] += 1
            offered = {label_of(articles[i]["title"]) for i, k in enumerate(keys) if k in relevant}
            chosen = next((c for c in decision.choices if c in offered), "")
            if chosen:
                then = decide(index, str(row["query"]), label=chosen)
                counts["clarify_then_right"] += bool(
                    then.outcome == ANSWER and keys[then.candidates[0].pk] in relevant
                )
        else:
            counts["handover"] += 1
    total = len(questions) or 1
    return {
        "model": model,
        "articles": len(items),
        "questions": len(questions),
        "index_build_s": round(build_s, 2),
        "answer_rate": round(counts["answer"] / total, 3),
        "answer_precision": round(counts["answer_right"] / max(counts["answer"], 1), 3),
        "clarify_rate": round(counts["clarify"] / total, 3),
        "clarify_then_right_rate": round(
            counts["clarify_then_right"] / max(counts["clarify"], 1), 3
        ),
        "handover_rate": round(counts["handover"] / total, 3),
        # Questions that end on a right article, directly or after the topic question.
        "right_article_rate": round(
            (counts["answer_right"] + counts["clarify_then_right"]) / total, 3
        ),
        "decision_p50_ms": round(statistics.median(durations), 1) if durations else 0.0,
        "decision_p99_ms": round(_percentile(durations, 0.99), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=Path, default=DATA / "kb_service_public.jsonl")
    parser.add_argument("--queries", type=Path, default=DATA / "retrieval_queries_dev.jsonl")
    parser.add_argument("--model", default="bm25-fr", help="a retrieval model of guichet.assist")
    parser.add_argument("--queries-limit", type=int, default=500)
    parser.add_argument("--cache-dir", type=Path, help="passage vectors cache (dense models)")
    args = parser.parse_args()
    for path in (args.kb, args.queries):
        if not path.is_file():
            parser.error(f"{path}: no such file")
    figures = run(args.kb, args.queries, args.model, args.queries_limit, args.cache_dir)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
