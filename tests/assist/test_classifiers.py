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
