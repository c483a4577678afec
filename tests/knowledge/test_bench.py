"""bench/knowledge_assistant.py runs and prints its figures (the figures themselves are in
docs/knowledge.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_prints_its_figures(tmp_path):
    kb = tmp_path / "kb.jsonl"
    queries = tmp_path / "queries.jsonl"
    kb.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {
                    "id": "F1",
                    "title": "Passeport : perte",
                    "text": "Déclarer la perte du passeport.",
                },
                {"id": "F2", "title": "Carte électorale", "text": "Inscription sur les listes."},
                {"id": "F3", "title": "Carte grise : perte", "text": "Perte de la carte grise."},
            ]
        ),
        encoding="utf-8",
    )
    queries.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {"query": "passeport perdu", "relevant": ["F1"]},
                {"query": "carte", "relevant": ["F2"]},
                {"query": "impôts locaux", "relevant": []},
            ]
        ),
        encoding="utf-8",
    )

    done = subprocess.run(  # noqa: S603 — our own script, fixed arguments
        [
            sys.executable,
            "bench/knowledge_assistant.py",
            "--kb",
            str(kb),
            "--queries",
            str(queries),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )

    figures = json.loads(done.stdout)
    assert (figures["articles"], figures["questions"]) == (3, 3)
    assert (figures["answer_rate"], figures["answer_precision"]) == (0.333, 1.0)
    assert (figures["clarify_rate"], figures["clarify_then_right_rate"]) == (0.333, 1.0)
    assert figures["handover_rate"] == 0.333
    assert figures["right_article_rate"] == 0.667
    assert set(figures) == {
        "model",
        "articles",
        "questions",
        "index_build_s",
        "answer_rate",
        "answer_precision",
        "clarify_rate",
        "clarify_then_right_rate",
        "handover_rate",
        "right_article_rate",
        "decision_p50_ms",
        "decision_p99_ms",
    }
