import logging

import pytest

from guichet.assist.errors import AssistError, ModelUnavailable, NotTrained
from guichet.assist.retrieval import (
    BM25Retriever,
    DenseRetriever,
    Document,
    Hit,
    HybridRetriever,
    _french_bm25,
    make_retriever,
)

ARTICLES = [
    Document(
        "naissance", "Déclaration de naissance", "Déclarer la naissance d'un enfant en mairie."
    ),
    Document("passeport", "Passeport", "Demander ou renouveler un passeport biométrique."),
    Document("voirie", "Nids-de-poule", "Signaler un nid-de-poule sur la chaussée."),
    Document("licenciement", "Licenciement abusif", "Contester son licenciement aux prud'hommes."),
]


def test_french_bm25_matches_inflections_and_missing_accents():
    # Given the French lexical index
    retriever = _french_bm25()
    report = retriever.build(ARTICLES)
    # When a citizen writes a verb without accents
    hits = retriever.search("comment declarer mon bebe ne hier", k=2)
    # Then the article about the declaration comes first
    assert report.documents == 4
    assert [hit.id for hit in hits] == ["naissance"]


def test_baseline_bm25_needs_the_exact_word():
    retriever = make_retriever("baseline-bm25")
    retriever.build(ARTICLES)
    assert retriever.search("declarer", k=3) == []
    assert [hit.id for hit in retriever.search("licenciement", k=3)] == ["licenciement"]


def test_hybrid_fuses_the_rankings(embedder):
    retriever = HybridRetriever("hybrid", [_french_bm25(), DenseRetriever(embedder)])
    retriever.build(ARTICLES)
    # Both members rank the passport article first (1/61 each); no other article shares a term
    assert retriever.search("renouveler mon passeport", k=2) == [Hit("passeport", round(2 / 61, 6))]


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01", "x" * 100_000, "%%%%"])
def test_bad_queries_return_a_list(embedder, query):
    retriever = HybridRetriever("hybrid", [_french_bm25(), DenseRetriever(embedder)])
    retriever.build(ARTICLES)
    assert isinstance(retriever.search(query), list)


def test_search_on_an_empty_index_finds_nothing(embedder):
    retriever = HybridRetriever("hybrid", [_french_bm25(), DenseRetriever(embedder)])
    retriever.build([])
    assert retriever.search("passeport") == []


def test_search_before_build_is_an_error():
    with pytest.raises(NotTrained):
        _french_bm25().search("passeport")


def test_hybrid_falls_back_to_lexical_search_when_the_model_is_missing(broken_embedder, caplog):
    # Given a hybrid retriever whose embedding model cannot be loaded
    retriever = HybridRetriever("hybrid", [_french_bm25(), DenseRetriever(broken_embedder)])
    # When the index is built
    with caplog.at_level(logging.ERROR, logger="guichet.assist.retrieval"):
        retriever.build(ARTICLES)
    # Then search still works on BM25 alone, and the administrator is told why
    assert retriever.degraded is True
    assert [hit.id for hit in retriever.search("passeport", k=1)] == ["passeport"]
    assert "search without dense-e5" in caplog.text


def test_no_model_at_all_is_an_error(broken_embedder):
    retriever = HybridRetriever("hybrid", [DenseRetriever(broken_embedder)])
    with pytest.raises(ModelUnavailable):
        retriever.build(ARTICLES)


def test_article_vectors_are_cached_by_content(embedder, tmp_path):
    # Given an index built once with a cache
    DenseRetriever(embedder, tmp_path).build(ARTICLES)
    assert embedder.calls == 4
    # When it is rebuilt with one article edited
    edited = [*ARTICLES[:3], Document("licenciement", "Licenciement", "Nouveau texte.")]
    report = DenseRetriever(embedder, tmp_path).build(edited)
    # Then only the edited article is embedded again
    assert report.embedded == 1
    assert embedder.calls == 5


def test_a_damaged_cache_is_rebuilt(embedder, tmp_path):
    (tmp_path / f"passages-{embedder.name}.npz").write_bytes(b"not a numpy file")
    report = DenseRetriever(embedder, tmp_path).build(ARTICLES)
    assert report.embedded == 4


def test_unknown_model_name():
    with pytest.raises(AssistError, match="unknown retrieval model 'nope'"):
        make_retriever("nope")


def test_bm25_ids_follow_the_documents():
    retriever = BM25Retriever("x", lambda d: d.title.lower().split(), str.split)
    retriever.build(ARTICLES)
    hits = retriever.search("passeport licenciement")
    assert sorted(hit.id for hit in hits) == ["licenciement", "passeport"]


def test_lexical_fr_ranks_the_item_whose_title_names_the_question_first():
    documents = [
        Document(
            "voyage",
            "Voyager à l'étranger avec un enfant",
            "Renouvellement de la carte d'identité avant le départ : pensez au renouvellement "
            "de la carte d'identité de l'enfant, le renouvellement de la carte prend du temps.",
        ),
        Document(
            "cni",
            "Renouvellement de la carte d'identité",
            "Où s'adresser, quelles pièces apporter, combien de temps faut-il compter, que faire "
            "en cas de perte, de vol ou de changement d'adresse, et les tarifs du timbre fiscal "
            "selon les situations et l'âge du demandeur au moment de la demande en mairie.",
        ),
        Document("urbanisme", "Permis de construire", "Construire une maison ou un garage."),
    ]
    question = "renouvellement carte d'identité"
    words_only = _french_bm25()
    words_only.build(documents)
    with_titles = make_retriever("lexical-fr")
    with_titles.build(documents)

    assert [hit.id for hit in words_only.search(question, k=2)] == ["voyage", "cni"]
    assert [hit.id for hit in with_titles.search(question, k=2)] == ["cni", "voyage"]
