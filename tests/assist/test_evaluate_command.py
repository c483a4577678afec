import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from guichet.assist.evaluation import (
    classification_scores,
    gold_spans,
    percentile,
    read_conll,
    stratified_folds,
)

CLASSIFICATION_ROWS = [
    {"text": "acte de naissance de mon fils", "label": "etat-civil"},
    {"text": "copie d'acte de naissance", "label": "etat-civil"},
    {"text": "extrait d'acte de mariage", "label": "etat-civil"},
    {"text": "nid de poule sur la route", "label": "voirie"},
    {"text": "la route est abîmée", "label": "voirie"},
    {"text": "trottoir défoncé", "label": "voirie"},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return str(path)


def run(*args):
    out = StringIO()
    call_command("assist-evaluate", *args, "--quiet", stdout=out)
    return json.loads(out.getvalue())


def test_classification_baseline_prints_the_metrics(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", CLASSIFICATION_ROWS)
    test = write_jsonl(
        tmp_path / "test.jsonl",
        [
            {"text": "acte de naissance", "label": "etat-civil"},
            {"text": "route abîmée", "label": "voirie"},
        ],
    )
    result = run("classification", "--train", train, "--test", test, "--baseline")
    assert result["model"] == "baseline-tfidf-logreg"
    assert (result["accuracy"], result["macro_f1"]) == (1.0, 1.0)
    assert result["per_class_f1"] == {"etat-civil": 1.0, "voirie": 1.0}
    assert set(result) >= {"train_s", "predict_p50_ms", "predict_p99_ms"}
    assert (result["train_rows"], result["test_rows"]) == (6, 2)


def test_classification_cross_validation(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", CLASSIFICATION_ROWS)
    result = run("classification", "--train", train, "--cv", "3", "--model", "fr-tfidf-logreg")
    assert result["protocol"] == "stratified 3-fold cross-validation, seed 42"
    assert result["test_rows"] == 6


def test_retrieval_baseline(tmp_path):
    kb = write_jsonl(
        tmp_path / "kb.jsonl",
        [
            {"id": "a", "title": "Passeport", "text": "Renouveler un passeport."},
            {"id": "b", "title": "Naissance", "text": "Déclarer une naissance."},
            {"id": "c", "title": "Voirie", "text": "Signaler un nid-de-poule."},
        ],
    )
    queries = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"query": "passeport perdu", "relevant": ["a"]},
            {"query": "naissance", "relevant": ["b"]},
            {"query": "trou route", "relevant": ["c"]},
            {"query": "déclarer un nid-de-poule", "relevant": ["c"]},
        ],
    )
    result = run("retrieval", "--kb", kb, "--queries", queries, "--model", "baseline")
    assert result["model"] == "baseline-bm25"
    assert result["recall_at_1"] == 0.75  # "trou route" shares no word with any article
    assert result["recall_at_5"] == 0.75
    assert result["mrr_at_10"] == 0.75
    assert result["documents"] == 3
    assert set(result) >= {"query_p50_ms", "query_p99_ms", "index_build_s"}


def test_pii_patterns_on_a_bio_file(tmp_path):
    conll = tmp_path / "test.bio"
    conll.write_text(
        "Écrire\tO\nà\tO\njean@exemple.fr\tB-EMAIL\n.\tO\n\n"
        "Appeler\tO\nle\tO\n06\tB-PHONE\n12\tI-PHONE\n34\tI-PHONE\n56\tI-PHONE\n78\tI-PHONE\n",
        "utf-8",
    )
    result = run("pii", "--test", str(conll), "--model", "patterns")
    assert result["per_type"]["EMAIL"]["f1"] == 1.0
    assert result["per_type"]["PHONE"]["f1"] == 1.0
    assert result["overall"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "line 1: not JSON"),
        ('{"text": "x"}\n', "line 1: missing label"),
        ("[1, 2]\n", "line 1: not a JSON object"),
        ("\n\n", "no rows"),
    ],
)
def test_bad_files_are_command_errors(tmp_path, content, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, "utf-8")
    with pytest.raises(CommandError, match=message):
        run("classification", "--train", str(bad), "--cv", "2")


def test_missing_file_and_binary_file_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        run("classification", "--train", str(tmp_path / "nope.jsonl"), "--cv", "2")
    binary = tmp_path / "binary.bio"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CommandError, match="not UTF-8 text"):
        run("pii", "--test", str(binary))


def test_test_and_cv_together_are_refused(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", CLASSIFICATION_ROWS)
    with pytest.raises(CommandError, match="--test or --cv"):
        run("classification", "--train", train, "--test", train, "--cv", "2")


def test_scores_count_a_missing_prediction_as_wrong():
    scores = classification_scores(["a", "a", "b"], ["a", "", "b"])
    assert scores == {
        "accuracy": 0.6667,
        "macro_f1": round((2 / 3 + 1.0) / 2, 4),
        "per_class_f1": {"a": round(2 / 3, 4), "b": 1.0},
    }


def test_folds_keep_each_label_spread():
    folds = stratified_folds(["a"] * 4 + ["b"] * 2, 2)
    assert sorted(len(f) for f in folds) == [3, 3]
    assert sorted(i for f in folds for i in f) == list(range(6))


def test_percentile_is_nearest_rank():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 99) == 5.0


def test_gold_spans_merge_first_and_last_names():
    assert gold_spans(["B-PER_PRENOM", "B-PER_NOM", "O", "B-LOC", "I-LOC"]) == [
        (0, 2, "PER"),
        (3, 5, "LOC"),
    ]


def test_read_conll_cuts_sentences(tmp_path):
    source = tmp_path / "x.conll"
    source.write_text("-DOCSTART- O\n\nMarie B-PER\nvit O\n\nà O\nParis B-LOC\n", "utf-8")
    sentences = read_conll(source)
    assert [s.tokens for s in sentences] == [("Marie", "vit"), ("à", "Paris")]
