"""`guichet assist-evaluate TASK ...`: score the assist models on data files, print JSON.

    guichet assist-evaluate classification --train F (--test F | --cv K) [--model NAME | --baseline]
    guichet assist-evaluate retrieval --kb F --queries F [--model NAME | --baseline] [--no-cache]
    guichet assist-evaluate pii --test F [--model NAME | --baseline] [--label-column N]
    guichet assist-evaluate split --input F --train-out F --test-out F [--test-size 0.2]

The same code as the product runs (guichet.assist); the protocol is in docs/assist.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.assist import evaluation
from guichet.assist.errors import AssistError
from guichet.assist.evaluation import BASELINE_PII, PII_MODELS
from guichet.assist.retrieval import (
    BASELINE_RETRIEVER,
    DEFAULT_RETRIEVER,
    RETRIEVERS,
    default_cache_dir,
)
from guichet.assist.triage import BASELINE_CLASSIFIER, CLASSIFIERS, DEFAULT_CLASSIFIER

# `--model baseline` (or `--baseline`) names the simple baseline of each task.
BASELINES = {
    "classification": BASELINE_CLASSIFIER,
    "retrieval": BASELINE_RETRIEVER,
    "pii": BASELINE_PII,
}


def _add_model(parser: CommandParser, names: list[str], default: str, baseline: str) -> None:
    parser.add_argument(
        "--model",
        choices=[*names, "baseline"],
        default=default,
        help=f"default: {default}; 'baseline' is {baseline}",
    )
    parser.add_argument(
        "--baseline", action="store_true", help=f"score the simple baseline ({baseline})"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars on stderr")


class Command(BaseCommand):
    help = (
        "Score the language models (triage, search, personal data) on data files and print the "
        "figures as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        tasks = parser.add_subparsers(dest="task", required=True, metavar="TASK")

        classification = tasks.add_parser(
            "classification", help="text classification: JSONL rows {text, label}"
        )
        classification.add_argument("--train", required=True, type=Path, help="training rows")
        classification.add_argument("--test", type=Path, help="rows to score")
        classification.add_argument(
            "--cv", type=int, help="instead of --test: stratified K-fold cross-validation"
        )
        _add_model(classification, list(CLASSIFIERS), DEFAULT_CLASSIFIER, BASELINE_CLASSIFIER)
        classification.add_argument("--seed", type=int, default=evaluation.DEFAULT_SEED)

        retrieval = tasks.add_parser(
            "retrieval",
            help="search: KB rows {id, title, text} and query rows {query, relevant: [ids]}",
        )
        retrieval.add_argument("--kb", required=True, type=Path, help="knowledge-base rows")
        retrieval.add_argument("--queries", required=True, type=Path, help="query rows")
        _add_model(retrieval, list(RETRIEVERS), DEFAULT_RETRIEVER, BASELINE_RETRIEVER)
        retrieval.add_argument(
            "--cache-dir",
            type=Path,
            help="where article vectors are kept (default: GUICHET_DATA_DIR/assist-cache)",
        )
        retrieval.add_argument(
            "--no-cache", action="store_true", help="embed every article again, keep nothing"
        )

        pii = tasks.add_parser("pii", help="personal data: a CoNLL / BIO file")
        pii.add_argument("--test", required=True, type=Path, help="one token and label a line")
        _add_model(pii, list(PII_MODELS), PII_MODELS[0], BASELINE_PII)
        pii.add_argument(
            "--label-column",
            type=int,
            default=2,
            help="column of the gold label, the token being column 1 (default: 2)",
        )

        split = tasks.add_parser(
            "split", help="cut a JSONL file in train and test files (stratified on 'label')"
        )
        split.add_argument("--input", required=True, type=Path)
        split.add_argument("--train-out", required=True, type=Path)
        split.add_argument("--test-out", required=True, type=Path)
        split.add_argument("--test-size", type=float, default=0.2)
        split.add_argument("--seed", type=int, default=evaluation.DEFAULT_SEED)
        split.add_argument("--stratify", default="label", help="field whose shares are kept")

    def handle(self, *args: Any, **options: Any) -> None:
        task = options["task"]
        if task in BASELINES and (options.get("baseline") or options.get("model") == "baseline"):
            options["model"] = BASELINES[task]
        options["progress"] = not options.get("quiet", True)
        try:
            result = getattr(self, f"_{options['task']}")(options)
        except AssistError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

    def _classification(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["test"] and options["cv"]:
            raise CommandError("give --test or --cv, not both")
        train = evaluation.read_jsonl(options["train"], ("text", "label"))
        test = (
            evaluation.read_jsonl(options["test"], ("text", "label")) if options["test"] else None
        )
        return evaluation.evaluate_classification(
            train,
            test,
            options["model"],
            cv=options["cv"],
            seed=options["seed"],
            progress=options["progress"],
        )

    def _retrieval(self, options: dict[str, Any]) -> dict[str, Any]:
        kb = evaluation.read_jsonl(options["kb"], ("id",))
        queries = evaluation.read_jsonl(options["queries"], ("query", "relevant"))
        cache_dir: Path | None = None
        if not options["no_cache"]:
            cache_dir = options["cache_dir"] or default_cache_dir()
        return evaluation.evaluate_retrieval(
            kb, queries, options["model"], cache_dir=cache_dir, progress=options["progress"]
        )

    def _pii(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["label_column"] < 2:
            raise CommandError("--label-column counts from 1, the token; labels start at 2")
        sentences = evaluation.read_conll(options["test"], options["label_column"] - 1)
        return evaluation.evaluate_pii(sentences, options["model"], progress=options["progress"])

    def _split(self, options: dict[str, Any]) -> dict[str, Any]:
        rows = evaluation.read_jsonl(options["input"], ())
        train, test = evaluation.stratified_split(
            rows, options["test_size"], options["seed"], options["stratify"]
        )
        evaluation.write_jsonl(options["train_out"], train)
        evaluation.write_jsonl(options["test_out"], test)
        return {
            "train": str(options["train_out"]),
            "test": str(options["test_out"]),
            "train_rows": len(train),
            "test_rows": len(test),
            "seed": options["seed"],
            "stratify": options["stratify"],
        }
