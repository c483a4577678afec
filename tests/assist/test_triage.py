import pytest

from guichet.assist.errors import AssistError, ModelUnavailable, NotTrained
from guichet.assist.triage import (
    ColdStartClassifier,
    EnsembleClassifier,
    FrenchTfidfClassifier,
    LabelDescription,
    load_model,
    make_classifier,
    predict,
    save_model,
)

TEXTS = [
    "Je souhaite un extrait d'acte de naissance",
    "Copie intégrale de l'acte de naissance de mon fils",
    "Demande d'acte de mariage",
    "Un nid-de-poule dangereux rue Victor Hugo",
    "La chaussée est abîmée devant l'école",
    "Trottoir défoncé avenue de la gare",
]
LABELS = ["etat-civil"] * 3 + ["voirie"] * 3


@pytest.fixture
def trained():
    model = FrenchTfidfClassifier()
    model.fit(TEXTS, LABELS)
    return model


def test_french_model_generalises_to_inflections(trained):
    prediction = predict(trained, "NAISSANCES : actes à demander")
    assert prediction.label == "etat-civil"
    assert prediction.model == "fr-tfidf-logreg"
    assert [label for label, _ in prediction.alternatives] == ["etat-civil", "voirie"]
    assert prediction.confidence == prediction.alternatives[0][1] > 0.5


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty text"),
        (None, "empty text"),
        (b"\x00\x01\x02\x03", "empty text"),
        ("#### //// 1234", "not readable text"),
    ],
)
def test_bad_input_gets_no_label(trained, text, reason):
    prediction = predict(trained, text)
    assert (prediction.label, prediction.confidence, prediction.reason) == (None, 0.0, reason)


def test_huge_and_foreign_text_still_get_an_answer(trained):
    assert predict(trained, "chaussée abîmée " * 50_000).label == "voirie"
    assert predict(trained, "Hello, my birth certificate please").label in {"etat-civil", "voirie"}


def test_training_needs_two_labels():
    with pytest.raises(AssistError, match="at least two labels"):
        FrenchTfidfClassifier().fit(TEXTS[:3], LABELS[:3])


def test_predicting_before_training_is_an_error():
    with pytest.raises(NotTrained):
        predict(FrenchTfidfClassifier(), "acte de naissance")


def test_saved_model_predicts_the_same(trained, tmp_path):
    save_model(trained, tmp_path / "model.pkl")
    loaded = load_model(tmp_path / "model.pkl")
    text = "trottoir abîmé"
    assert predict(loaded, text) == predict(trained, text)


def test_missing_or_damaged_model_file_is_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable, match="no trained model"):
        load_model(tmp_path / "missing.pkl")
    (tmp_path / "bad.pkl").write_bytes(b"garbage")
    with pytest.raises(ModelUnavailable, match="cannot be read"):
        load_model(tmp_path / "bad.pkl")


def test_cold_start_uses_label_descriptions(embedder):
    # Given no history, only what each topic is about
    model = ColdStartClassifier(
        [
            LabelDescription("etat-civil", "État civil", "Actes de naissance, mariage, décès"),
            LabelDescription("voirie", "Voirie", "Chaussées, trottoirs, nids-de-poule"),
        ],
        embedder=embedder,
    )
    # When a message arrives
    prediction = predict(model, "Le trottoir devant chez moi est dangereux")
    # Then it goes to the topic whose description it matches
    assert prediction.label == "voirie"
    assert model.classes == ["etat-civil", "voirie"]


def test_cold_start_fit_knows_only_label_names(embedder):
    model = ColdStartClassifier(embedder=embedder)
    model.fit(["anything", "else"], ["Logement", "Travail"])
    assert predict(model, "Mon logement est insalubre").label == "Logement"


def test_ensemble_averages_its_members(embedder):
    first, second = FrenchTfidfClassifier(), FrenchTfidfClassifier()
    ensemble = EnsembleClassifier("both", [first, second])
    ensemble.fit(TEXTS, LABELS)
    proba = ensemble.predict_proba(["acte de naissance"])
    assert proba.shape == (1, 2)
    assert proba[0].sum() == pytest.approx(1.0)


def test_unknown_classifier_name():
    with pytest.raises(AssistError, match="unknown classification model 'nope'"):
        make_classifier("nope")


def test_ensemble_without_the_embedding_model_answers_with_the_others(
    embedder, broken_embedder, caplog
):
    from guichet.assist.triage import EmbeddingClassifier

    # Given an ensemble trained while the embedding model worked
    tfidf = FrenchTfidfClassifier()
    dense = EmbeddingClassifier(embedder=embedder)
    ensemble = EnsembleClassifier("both", [tfidf, dense])
    ensemble.fit(TEXTS, LABELS)
    # When the embedding model is gone at prediction time
    dense.embedder = broken_embedder
    prediction = predict(ensemble, "trottoir défoncé")
    # Then the TF-IDF model answers alone, and the failure is logged
    alone = predict(tfidf, "trottoir défoncé")
    assert (prediction.label, prediction.alternatives) == ("voirie", alone.alternatives)
    assert "triage without e5-logreg" in caplog.text
