"""Scoring the assist models on data files: the code behind `guichet assist-evaluate`.

Each `evaluate_*` function takes rows already read and returns a JSON-ready dict; the readers
(`read_jsonl`, `read_conll`) raise `EvaluationInputError` with the file and line of a bad row.
The protocol (splits, seeds, metrics) is described in docs/assist.md.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from guichet.assist.embeddings import default_embedder
from guichet.assist.errors import AssistError
from guichet.assist.pii import ADDRESS, LOCATION, ORGANIZATION, PERSON, PiiDetector
from guichet.assist.retrieval import Document, make_retriever
from guichet.assist.triage import make_classifier, predict

DEFAULT_SEED = 42

T = TypeVar("T")


def _progress(items: Sequence[T], desc: str, enabled: bool) -> Iterable[T]:
    """`items` with a progress bar on stderr when `enabled` (stdout stays pure JSON)."""
    return tqdm(items, desc=desc, file=sys.stderr, disable=not enabled, leave=False)


class EvaluationInputError(AssistError):
    """A data file that cannot be read: missing, not JSON Lines, a row without a field."""


# --- reading -------------------------------------------------------------------------------


def read_jsonl(path: Path | str, required: Sequence[str]) -> list[dict[str, Any]]:
    source = Path(path)
    try:
        handle = source.open(encoding="utf-8")
    except OSError as exc:
        raise EvaluationInputError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    rows: list[dict[str, Any]] = []
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EvaluationInputError(
                        f"{source}, line {number}: not JSON ({exc.msg})"
                    ) from None
                if not isinstance(row, dict):
                    raise EvaluationInputError(f"{source}, line {number}: not a JSON object")
                missing = [key for key in required if key not in row]
                if missing:
                    raise EvaluationInputError(
                        f"{source}, line {number}: missing {', '.join(missing)}"
                    )
                rows.append(row)
        except UnicodeDecodeError:
            raise EvaluationInputError(f"{source}: not UTF-8 text") from None
    if not rows:
        raise EvaluationInputError(f"{source}: no rows")
    return rows


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[str, ...]
    labels: tuple[str, ...]


# A segment of a file without sentence breaks is cut after a full stop, at most this long.
MAX_SEGMENT_TOKENS = 120
_SENTENCE_END = frozenset({".", "!", "?", "…"})


def read_conll(path: Path | str, label_column: int = 1) -> list[Sentence]:
    """CoNLL / BIO: one token per line, its label in column `label_column` (0 is the token),
    columns separated by tabs or spaces; a blank line, an empty token or `-DOCSTART-` ends a
    sentence. Long runs without breaks are cut into segments after sentence-final tokens."""
    source = Path(path)
    try:
        content = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvaluationInputError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError:
        raise EvaluationInputError(f"{source}: not UTF-8 text") from None
    sentences: list[Sentence] = []
    tokens: list[str] = []
    labels: list[str] = []

    def close() -> None:
        if tokens:
            sentences.append(Sentence(tuple(tokens), tuple(labels)))
        tokens.clear()
        labels.clear()

    for number, line in enumerate(content.splitlines(), start=1):
        parts = line.split("\t") if "\t" in line else line.split()
        token = parts[0].strip() if parts else ""
        if not token or token == "-DOCSTART-":  # noqa: S105 - a CoNLL marker
            close()
            continue
        if len(parts) <= label_column:
            raise EvaluationInputError(
                f"{source}, line {number}: no label in column {label_column + 1}"
            )
        label = parts[label_column].strip() or "O"
        if label != "O" and not re.match(r"^[BIESLU]-.+", label):
            raise EvaluationInputError(f"{source}, line {number}: unknown label {label!r}")
        tokens.append(token)
        labels.append(label)
        if len(tokens) >= MAX_SEGMENT_TOKENS and (
            token in _SENTENCE_END or len(tokens) >= 2 * MAX_SEGMENT_TOKENS
        ):
            close()
    close()
    if not sentences:
        raise EvaluationInputError(f"{source}: no tokens")
    return sentences


def write_jsonl(path: Path | str, rows: Iterable[dict[str, Any]]) -> None:
    with Path(path).open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


# --- helpers -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def stratified_split(
    rows: Sequence[dict[str, Any]], test_size: float, seed: int = DEFAULT_SEED, key: str = "label"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Train and test rows: each label keeps its share in both (a label seen once stays in
    train), order shuffled with `seed`. Without `key` in the rows, a plain shuffled split."""
    if not 0 < test_size < 1:
        raise EvaluationInputError("the test share must be between 0 and 1")
    generator = random.Random(seed)  # noqa: S311 - a reproducible split, not a secret
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[str(row.get(key, ""))].append(row)
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for label in sorted(groups):
        members = list(groups[label])
        generator.shuffle(members)
        count = round(len(members) * test_size) if len(members) > 1 else 0
        test.extend(members[:count])
        train.extend(members[count:])
    generator.shuffle(train)
    generator.shuffle(test)
    return train, test


def stratified_folds(labels: Sequence[str], k: int, seed: int = DEFAULT_SEED) -> list[list[int]]:
    """`k` folds of row indices; each label's rows dealt round-robin after a seeded shuffle."""
    if k < 2:
        raise EvaluationInputError("cross-validation needs at least 2 folds")
    if k > len(labels):
        raise EvaluationInputError(f"{k} folds for {len(labels)} rows")
    generator = random.Random(seed)  # noqa: S311 - reproducible folds, not a secret
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    folds: list[list[int]] = [[] for _ in range(k)]
    position = 0
    for label in sorted(by_label):
        members = by_label[label]
        generator.shuffle(members)
        for index in members:
            folds[position % k].append(index)
            position += 1
    return folds


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --- classification ------------------------------------------------------------------------


def _texts_labels(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[str]]:
    texts = [r["text"] if isinstance(r["text"], str) else str(r["text"] or "") for r in rows]
    return texts, [str(r["label"]) for r in rows]


def _train_and_predict(
    model_name: str,
    train: Sequence[dict[str, Any]],
    test: Sequence[dict[str, Any]],
    progress: bool = False,
) -> tuple[list[str], float, list[float], list[float]]:
    texts, labels = _texts_labels(train)
    model = make_classifier(model_name)
    started = time.perf_counter()
    model.fit(texts, labels)
    train_s = time.perf_counter() - started
    # Texts embedded while training (or in an earlier fold) must not make predictions look
    # faster than they are: the query memory is emptied before timing.
    default_embedder().forget_queries()
    predictions: list[str] = []
    latencies: list[float] = []
    confidences: list[float] = []
    for text in _progress(_texts_labels(test)[0], "predicting", progress):
        started = time.perf_counter()
        prediction = predict(model, text)
        latencies.append(time.perf_counter() - started)
        predictions.append(prediction.label or "")
        confidences.append(prediction.confidence)
    return predictions, train_s, latencies, confidences


# The thresholds reported by `auto_routing_curve`: the values an administrator would consider.
CURVE_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def auto_routing_curve(
    gold: Sequence[str],
    predicted: Sequence[str],
    confidences: Sequence[float],
    thresholds: Sequence[float] = CURVE_THRESHOLDS,
) -> list[dict[str, float]]:
    """What a confidence threshold would do: for each threshold, the share of messages routed
    automatically (confidence at or above it, as the pipeline decides) and the accuracy of those;
    the rest go to the human triage queue."""
    curve: list[dict[str, float]] = []
    total = len(gold)
    for threshold in thresholds:
        kept = [
            truth == guess
            for truth, guess, confidence in zip(gold, predicted, confidences, strict=True)
            if guess and confidence >= threshold
        ]
        curve.append(
            {
                "threshold": threshold,
                "auto_share": round(len(kept) / total, 4) if total else 0.0,
                "auto_accuracy": round(sum(kept) / len(kept), 4) if kept else 0.0,
            }
        )
    return curve


def classification_scores(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1 and F1 per class. The classes are those of the gold labels and of the
    predictions; an empty prediction (no label) is wrong and counts for no class."""
    classes = sorted((set(gold) | set(predicted)) - {""})
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for truth, guess in zip(gold, predicted, strict=True):
        if truth == guess:
            tp[truth] += 1
        else:
            fn[truth] += 1
            if guess:
                fp[guess] += 1
    per_class = {c: _f1(tp[c], fp[c], fn[c])[2] for c in classes}
    correct = sum(tp.values())
    return {
        "accuracy": round(correct / len(gold), 4) if gold else 0.0,
        "macro_f1": round(sum(per_class.values()) / len(per_class), 4) if per_class else 0.0,
        "per_class_f1": {c: round(f1, 4) for c, f1 in per_class.items()},
    }


def evaluate_classification(
    train_rows: Sequence[dict[str, Any]],
    test_rows: Sequence[dict[str, Any]] | None,
    model_name: str,
    *,
    cv: int | None = None,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
) -> dict[str, Any]:
    """Train on `train_rows` and score on `test_rows`; or, with `cv`, stratified k-fold
    cross-validation on `train_rows` (every row predicted once, by a model that did not see it;
    the scores are computed on all the out-of-fold predictions together)."""
    if cv:
        labels = _texts_labels(train_rows)[1]
        folds = stratified_folds(labels, cv, seed)
        gold: list[str] = []
        predicted: list[str] = []
        latencies: list[float] = []
        confidences: list[float] = []
        train_times: list[float] = []
        for fold in _progress(folds, "cross-validation folds", progress):
            held = set(fold)
            train = [row for i, row in enumerate(train_rows) if i not in held]
            test = [train_rows[i] for i in fold]
            guesses, train_s, fold_latencies, fold_confidences = _train_and_predict(
                model_name, train, test, progress
            )
            gold.extend(_texts_labels(test)[1])
            predicted.extend(guesses)
            latencies.extend(fold_latencies)
            confidences.extend(fold_confidences)
            train_times.append(train_s)
        protocol = f"stratified {cv}-fold cross-validation, seed {seed}"
        train_s = sum(train_times) / len(train_times)
        train_count = len(train_rows) - len(train_rows) // cv
    else:
        if not test_rows:
            raise EvaluationInputError("give a test file (--test) or a number of folds (--cv)")
        predicted, train_s, latencies, confidences = _train_and_predict(
            model_name, train_rows, test_rows, progress
        )
        gold = _texts_labels(test_rows)[1]
        protocol = "train on the train file, score on the test file"
        train_count = len(train_rows)
    result: dict[str, Any] = {"model": model_name, "protocol": protocol}
    result.update(classification_scores(gold, predicted))
    result.update(
        {
            "train_s": round(train_s, 3),
            "predict_p50_ms": _ms(percentile(latencies, 50)),
            "predict_p99_ms": _ms(percentile(latencies, 99)),
            "train_rows": train_count,
            "test_rows": len(gold),
            "unlabelled_predictions": predicted.count(""),
            "auto_routing": auto_routing_curve(gold, predicted, confidences),
        }
    )
    return result


# --- retrieval -----------------------------------------------------------------------------


def evaluate_retrieval(
    kb_rows: Sequence[dict[str, Any]],
    query_rows: Sequence[dict[str, Any]],
    model_name: str,
    *,
    cache_dir: Path | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Index the knowledge base, run every query, and score the top 10.

    recall_at_k is the share of queries with at least one relevant article in the first k
    results (a citizen needs one good answer); mrr_at_10 the mean of 1/rank of the first relevant
    article (0 when none is in the top 10)."""
    documents: list[Document] = []
    seen: set[str] = set()
    for row in kb_rows:
        identifier = str(row["id"])
        if identifier in seen:
            continue
        seen.add(identifier)
        documents.append(
            Document(identifier, str(row.get("title") or ""), str(row.get("text") or ""))
        )
    queries: list[tuple[str, set[str]]] = []
    for row in query_rows:
        relevant = row["relevant"]
        if isinstance(relevant, str | int):
            relevant = [relevant]
        if not isinstance(relevant, list):
            raise EvaluationInputError(f"'relevant' must be a list of ids, got {relevant!r}")
        queries.append((str(row["query"] or ""), {str(r) for r in relevant}))
    retriever = make_retriever(model_name, cache_dir, progress=progress)
    report = retriever.build(documents)
    hits_at_1 = hits_at_5 = 0
    reciprocal = 0.0
    latencies: list[float] = []
    unknown = 0
    for query, relevant in _progress(queries, "searching", progress):
        if not relevant & seen:
            unknown += 1
        started = time.perf_counter()
        ranked = [hit.id for hit in retriever.search(query, 10)]
        latencies.append(time.perf_counter() - started)
        hits_at_1 += bool(ranked[:1] and ranked[0] in relevant)
        hits_at_5 += any(identifier in relevant for identifier in ranked[:5])
        for rank, identifier in enumerate(ranked, start=1):
            if identifier in relevant:
                reciprocal += 1 / rank
                break
    count = len(queries)
    return {
        "model": model_name,
        "recall_at_1": round(hits_at_1 / count, 4),
        "recall_at_5": round(hits_at_5 / count, 4),
        "mrr_at_10": round(reciprocal / count, 4),
        "query_p50_ms": _ms(percentile(latencies, 50)),
        "query_p99_ms": _ms(percentile(latencies, 99)),
        "index_build_s": round(report.build_s, 3),
        "index_vectors_computed": report.embedded,
        "documents": len(documents),
        "queries": count,
        "queries_without_known_relevant": unknown,
    }


# --- personal data -------------------------------------------------------------------------

# Our entity types as the data sets name them: a street address is a location (LOC) there.
_SCORED_AS = {PERSON: "PER", ADDRESS: "LOC", LOCATION: "LOC", ORGANIZATION: "ORG"}


def gold_type(label_type: str) -> str:
    """A data set's entity type in a common name: PER_NOM, PER_PRENOM, PERS, PERSON -> PER;
    LOC, ADDRESS, ADRESSE, GPE -> LOC; ORG, ORGANIZATION -> ORG; others upper-cased."""
    upper = label_type.upper()
    if upper.startswith("PER"):
        return "PER"
    if upper.startswith(("LOC", "ADDR", "ADR", "GPE")):
        return "LOC"
    if upper.startswith("ORG"):
        return "ORG"
    return upper


Span = tuple[int, int, str]  # first token, last token + 1, type


def gold_spans(labels: Sequence[str]) -> list[Span]:
    """Entities of a BIO/IOB1/BIOES label sequence. Two adjacent entities of one common type
    whose original types differ (PER_PRENOM then PER_NOM: a first name and a surname) are one."""
    spans: list[list[Any]] = []  # [start, end, type]
    previous_original = ""
    for index, label in enumerate(labels):
        if label == "O":
            previous_original = ""
            continue
        prefix, original = label[0], label[2:]
        kind = gold_type(original)
        last = spans[-1] if spans else None
        if (
            last is not None
            and last[1] == index
            and last[2] == kind
            and (prefix in "IEL" or original != previous_original)
        ):
            last[1] = index + 1
        else:
            spans.append([index, index + 1, kind])
        previous_original = original
    return [(s[0], s[1], s[2]) for s in spans]


def _token_offsets(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    offsets: list[tuple[int, int]] = []
    position = 0
    for token in tokens:
        offsets.append((position, position + len(token)))
        position += len(token) + 1
    return " ".join(tokens), offsets


def predicted_spans(
    offsets: Sequence[tuple[int, int]], entities: Iterable[tuple[int, int, str]]
) -> list[Span]:
    """Character entities to token spans (every token an entity touches is in it)."""
    spans: list[Span] = []
    for start, end, kind in entities:
        touched = [i for i, (a, b) in enumerate(offsets) if a < end and b > start]
        if touched:
            spans.append((touched[0], touched[-1] + 1, kind))
    return spans


PII_MODELS = ("guichet-pii", "baseline-spacy", "patterns")
BASELINE_PII = "baseline-spacy"


def evaluate_pii(
    sentences: Sequence[Sentence], model_name: str, *, progress: bool = False
) -> dict[str, Any]:
    """Entity-level precision, recall and F1 (exact token span and type) and token-level ones,
    per type and overall (micro-averaged over the types the data set annotates: a data set
    without e-mail labels cannot say whether an e-mail found is right; such predictions are
    counted apart as `unscored_predictions`)."""
    detectors = {
        "guichet-pii": lambda: PiiDetector(),
        "baseline-spacy": lambda: PiiDetector(use_patterns=False),
        "patterns": lambda: PiiDetector(use_ner=False),
    }
    if model_name not in detectors:
        raise AssistError(
            f"unknown personal-data model {model_name!r} (known: {', '.join(detectors)})"
        )
    detector = detectors[model_name]()
    detector.detect("Bonjour, je suis Marie Martin.")  # load the models before timing
    entity_counts: dict[str, Counter[str]] = defaultdict(Counter)
    token_counts: dict[str, Counter[str]] = defaultdict(Counter)
    latencies: list[float] = []
    annotated: set[str] = set()
    token_total = 0
    for sentence in _progress(sentences, "detecting", progress):
        text, offsets = _token_offsets(sentence.tokens)
        token_total += len(sentence.tokens)
        started = time.perf_counter()
        entities = detector.detect(text)
        latencies.append(time.perf_counter() - started)
        gold = set(gold_spans(sentence.labels))
        guess = set(
            predicted_spans(
                offsets, ((e.start, e.end, _SCORED_AS.get(e.type, e.type)) for e in entities)
            )
        )
        annotated.update(kind for _, _, kind in gold)
        for span in gold | guess:
            key = "tp" if span in gold and span in guess else ("fn" if span in gold else "fp")
            entity_counts[span[2]][key] += 1
        gold_tokens = {(i, kind) for a, b, kind in gold for i in range(a, b)}
        guess_tokens = {(i, kind) for a, b, kind in guess for i in range(a, b)}
        for item in gold_tokens | guess_tokens:
            in_gold, in_guess = item in gold_tokens, item in guess_tokens
            key = "tp" if in_gold and in_guess else ("fn" if in_gold else "fp")
            token_counts[item[1]][key] += 1

    def table(counts: dict[str, Counter[str]]) -> dict[str, Any]:
        per_type: dict[str, Any] = {}
        total: Counter[str] = Counter()
        for kind in sorted(annotated):
            c = counts[kind]
            precision, recall, f1 = _f1(c["tp"], c["fp"], c["fn"])
            per_type[kind] = {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "support": c["tp"] + c["fn"],
                "predicted": c["tp"] + c["fp"],
            }
            total.update(c)
        precision, recall, f1 = _f1(total["tp"], total["fp"], total["fn"])
        return {
            "per_type": per_type,
            "overall": {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
            },
        }

    entities_table = table(entity_counts)
    return {
        "model": model_name,
        "per_type": entities_table["per_type"],
        "overall": entities_table["overall"],
        "token_level": table(token_counts),
        "unscored_predictions": {
            kind: counts["fp"]
            for kind, counts in sorted(entity_counts.items())
            if kind not in annotated
        },
        "sentences": len(sentences),
        "tokens": token_total,
        "predict_p50_ms": _ms(percentile(latencies, 50)),
        "predict_p99_ms": _ms(percentile(latencies, 99)),
    }
