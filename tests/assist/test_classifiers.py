from guichet.assist.classifiers import KeywordClassifier, TopicProfile

TOPICS = [
    TopicProfile(
        1, "acte-naissance", "Acte de naissance", ("acte de naissance", "extrait de naissance")
    ),
    TopicProfile(2, "nid-de-poule", "Nid-de-poule", ("nid de poule", "chaussée", "trottoir")),
    TopicProfile(3, "encombrants", "Encombrants", ("encombrants", "dépôt sauvage")),
]


def classify(subject, text):
    return KeywordClassifier().classify(TOPICS, subject, text)


def test_keywords_match_without_accents_or_case():
    result = classify("CHAUSSEE abîmée", "Il y a un NID-DE-POULE devant chez moi")
    assert result.topic_id == 2
    assert result.confidence == 1.0
    assert result.method == "keywords-v1"
    assert "keyword: nid de poule" in result.reasons


def test_whole_words_only():
    # "trottoirs" is not "trottoir" and "acte" alone is not "acte de naissance"
    assert classify("", "Un acte de bravoure sur les trottoirs").topic_id is None


def test_subject_weighs_more_and_confidence_reflects_ambiguity():
    result = classify("Dépôt sauvage", "près du trottoir")
    assert result.topic_id == 3
    assert 0.5 < result.confidence < 1.0


def test_nothing_recognised():
    result = classify("Bonjour", "Une question")
    assert (result.topic_id, result.confidence) == (None, 0.0)


def test_model_classifier_maps_slugs_to_topics(tmp_path):
    from guichet.assist.classifiers import ModelClassifier
    from guichet.assist.triage import FrenchTfidfClassifier, save_model

    # Given a model trained on the topics' slugs
    model = FrenchTfidfClassifier()
    model.fit(
        ["extrait de naissance", "copie d'acte de naissance", "trou dans la route", "route abîmée"],
        ["acte-naissance", "acte-naissance", "nid-de-poule", "nid-de-poule"],
    )
    save_model(model, tmp_path / "triage.pkl")
    # When a message is classified
    result = ModelClassifier(tmp_path / "triage.pkl").classify(TOPICS, "", "la route est abîmée")
    # Then the topic comes from the model
    assert result.topic_id == 2
    assert result.method == "fr-tfidf-logreg"
    assert result.reasons[0].startswith("model: nid-de-poule ")


def test_model_classifier_without_its_file_falls_back_to_rules(tmp_path, caplog):
    from guichet.assist.classifiers import ModelClassifier

    classifier = ModelClassifier(tmp_path / "missing.pkl")
    result = classifier.classify(TOPICS, "Encombrants", "")
    assert (result.topic_id, result.method) == (3, "keywords-v1")
    assert "triage falls back to keyword rules" in caplog.text
