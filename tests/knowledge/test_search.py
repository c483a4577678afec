"""The knowledge index: what it finds, for whom, and when it is rebuilt."""

from __future__ import annotations

import pytest

from guichet.knowledge.actions import import_rows
from guichet.knowledge.assistant import ANSWER, CLARIFY, HANDOVER, reply_to
from guichet.knowledge.models import Article
from guichet.knowledge.search import (
    ARTICLE,
    FAQ,
    TEMPLATE,
    IndexedItem,
    KnowledgeIndex,
    best_passage,
    index_for,
)

pytestmark = pytest.mark.django_db


def test_a_tiny_index_finds_the_right_item_with_its_coverage():
    index = KnowledgeIndex(
        [
            IndexedItem(
                ARTICLE, 1, "Acte de naissance", "Demander un extrait d'acte de naissance."
            ),
            IndexedItem(ARTICLE, 2, "Nid-de-poule", "Signaler un trou dans la chaussée."),
            IndexedItem(TEMPLATE, 3, "Réponse acte", "Votre acte de naissance est envoyé."),
        ],
        retriever_name="bm25-fr",
    ).build()

    hits = index.search("extrait d'acte de naissance pour mon fils", kinds=(ARTICLE,))

    assert [(h.kind, h.pk, h.coverage) for h in hits] == [(ARTICLE, 1, 0.75)]
    assert [h.pk for h in index.search("chaussée abîmée")] == [2]
    assert index.search("") == []
    assert index.search("\x00\x01 ??? ") == []


def test_best_passage_is_the_part_that_answers():
    text = (
        "Introduction générale.\n" * 40
        + "Délai\nL'acte est envoyé sous huit jours.\n"
        + "Fin.\n" * 40
    )

    passage = best_passage(text, "quel délai pour recevoir l'acte ?", max_chars=120)

    assert "L'acte est envoyé sous huit jours." in passage
    assert best_passage("", "question") == ""


def test_the_organization_index_has_its_own_and_shared_items_only(knowledge, town, other_town):
    keys = {item.key for item in index_for(town.pk).items}
    foreign_keys = {item.key for item in index_for(other_town.pk).items}

    assert keys == {
        f"article:{knowledge['birth'].pk}",
        f"article:{knowledge['identity'].pk}",
        f"article:{knowledge['electoral'].pk}",
        f"article:{knowledge['internal'].pk}",
        f"faq:{knowledge['pothole'].pk}",
        f"template:{knowledge['birth_template'].pk}",
        f"template:{knowledge['road_template'].pk}",
    }
    assert foreign_keys == {
        f"article:{knowledge['foreign'].pk}",
        f"article:{knowledge['identity'].pk}",
        f"article:{knowledge['electoral'].pk}",
        f"template:{knowledge['foreign_template'].pk}",
    }


def test_the_index_is_rebuilt_when_content_changes_and_kept_otherwise(knowledge, town):
    first = index_for(town.pk)
    assert index_for(town.pk) is first

    import_rows(
        [(1, {"id": "new", "title": "Recensement citoyen", "text": "Le recensement à 16 ans."})],
        organization=town,
    )
    second = index_for(town.pk)
    assert second is not first
    assert [h.title for h in second.search("recensement")] == ["Recensement citoyen"]

    Article.objects.filter(source_id="new").delete()
    assert index_for(town.pk).search("recensement") == []


def test_the_assistant_answers_clarifies_or_hands_over(knowledge, town):
    index = index_for(town.pk)

    answer = reply_to(index, town.pk, "Où demander un acte de naissance ?")
    ambiguous = reply_to(index, town.pk, "carte")
    chosen = reply_to(index, town.pk, "carte", label="Élections")
    unknown = reply_to(index, town.pk, "horaires de la piscine municipale")
    empty = reply_to(index, town.pk, "   ")

    assert (answer.outcome, answer.source_kind, answer.source_pk) == (
        ANSWER,
        ARTICLE,
        knowledge["birth"].pk,
    )
    assert answer.text == knowledge["birth"].body  # short: one passage
    assert answer.topic_slug == "acte-naissance"
    assert (ambiguous.outcome, set(ambiguous.choices)) == (
        CLARIFY,
        {"Carte d'identité et passeport", "Élections"},
    )
    assert (chosen.outcome, chosen.source_pk) == (ANSWER, knowledge["electoral"].pk)
    assert chosen.attribution == "Source : service-public.fr, DILA — Licence Ouverte 2.0"
    assert unknown.outcome == HANDOVER
    assert empty.outcome == HANDOVER


def test_the_assistant_never_shows_agents_only_articles(knowledge, town):
    reply = reply_to(index_for(town.pk), town.pk, "préfecture ligne réservée")

    assert reply.outcome == HANDOVER


def test_the_assistant_answers_from_the_faq(knowledge, town):
    reply = reply_to(index_for(town.pk), town.pk, "signaler un nid-de-poule")

    assert (reply.outcome, reply.source_kind, reply.source_pk) == (
        ANSWER,
        FAQ,
        knowledge["pothole"].pk,
    )
    assert reply.topic_slug == "nid-de-poule"


@pytest.fixture
def vector_model(monkeypatch, settings):
    """A retrieval model that is not lexical (so it needs a warm-up), built like French BM25."""
    from guichet.assist import retrieval

    monkeypatch.setitem(retrieval.RETRIEVERS, "needs-vectors", retrieval.RETRIEVERS["bm25-fr"])
    settings.GUICHET_KNOWLEDGE_RETRIEVER = "needs-vectors"


def test_a_vector_model_is_warmed_up_by_a_task_and_lexical_meanwhile(
    knowledge, town, vector_model, settings
):
    from guichet.knowledge.search import build_full_index

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    from django_tasks import default_task_backend

    meanwhile = index_for(town.pk)
    again = index_for(town.pk)
    enqueued = list(default_task_backend.results)

    assert (meanwhile.complete, meanwhile._retriever.name) == (False, "lexical-fr")
    assert again is meanwhile
    assert [r.task.name for r in enqueued] == ["rebuild_knowledge_index_task"]
    assert enqueued[0].args == [town.pk]

    build_full_index(town.pk)  # what the worker does
    ready = index_for(town.pk)

    assert ready.complete is True
    assert ready.signature == meanwhile.signature
    assert (settings.GUICHET_KNOWLEDGE_DIR / "ready" / f"{town.pk}.txt").read_text() == (
        ready.signature
    )


def test_with_an_immediate_worker_the_full_index_is_used_at_once(knowledge, town, vector_model):
    index = index_for(town.pk)

    assert index.complete is True
    assert index_for(town.pk) is index
