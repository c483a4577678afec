"""Which templates and articles the desk offers for a message: the case's topic first, other
topics only when the message names what their title is about, never an item that merely shares
a word of its body with the message."""

from __future__ import annotations

from guichet.knowledge.queries import rank_articles, rank_templates
from guichet.knowledge.search import ARTICLE, TEMPLATE, IndexedItem, KnowledgeIndex

ENROLMENT = IndexedItem(
    TEMPLATE,
    1,
    "Inscription scolaire : pièces à fournir",
    "Merci de transmettre le livret de famille et un justificatif de domicile.",
    ("Inscription scolaire",),
)
FAMILY_BOOK = IndexedItem(
    TEMPLATE,
    2,
    "Duplicata du livret de famille",
    "Le duplicata est délivré par la mairie du mariage ou de la naissance du premier enfant.",
    ("Livret de famille",),
)
FAMILY_BOOK_DELAY = IndexedItem(
    TEMPLATE,
    3,
    "Délivrance : délai d'envoi",
    "Votre document part par courrier sous huit jours.",
    ("Livret de famille",),
)
HOLDING = IndexedItem(TEMPLATE, 4, "Réponse d'attente", "Nous traitons votre demande.", ())
ROADS = IndexedItem(
    TEMPLATE,
    5,
    "Voirie : intervention programmée",
    "Une équipe de la voirie passera dans la rue signalée.",
    ("Chaussée et trottoirs",),
)
PARKING_FINE = IndexedItem(
    ARTICLE,
    6,
    "Amende pour stationnement gênant",
    "Un véhicule garé dans la rue sur un trottoir est en stationnement gênant.",
    ("Stationnement",),
)
LOST_BOOK_ARTICLE = IndexedItem(
    ARTICLE,
    7,
    "Livret de famille : perte ou vol",
    "En cas de perte du livret de famille, un second livret peut être demandé.",
    ("Livret de famille",),
)

INDEX = KnowledgeIndex(
    [ENROLMENT, FAMILY_BOOK, FAMILY_BOOK_DELAY, HOLDING, ROADS, PARKING_FINE, LOST_BOOK_ARTICLE],
    retriever_name="bm25-fr",
).build()


def templates_for(message: str, topic: str) -> list[int]:
    hits = INDEX.search(message, k=12, kinds=(TEMPLATE,))
    of_topic = INDEX.labelled(topic, kinds=(TEMPLATE,)) if topic else []
    return [hit.pk for hit in rank_templates(hits, topic, of_topic)]


def articles_for(message: str, topic: str) -> list[int]:
    return [hit.pk for hit in rank_articles(INDEX.search(message, k=9, kinds=(ARTICLE,)), topic)]


def test_the_case_topic_s_templates_come_first_even_those_the_search_missed():
    message = "Bonjour, j'ai perdu mon livret de famille, comment en avoir un autre ?"

    # "Délivrance : délai d'envoi" shares no word with the message: offered for its topic.
    # "Inscription scolaire" names the family book in its body only: not offered.
    assert templates_for(message, "Livret de famille") == [2, 3]


def test_without_a_topic_only_templates_named_by_the_message_and_general_ones():
    message = "Livret de famille perdu : que faire ? Nous traitons cela vite, votre demande ?"

    assert templates_for(message, "") == [2, 4]


def test_a_template_sharing_one_common_title_word_is_not_offered():
    # "délai" is one word of a four-term title: not enough to say the message is about it.
    assert 3 not in templates_for("Quel délai pour ma réponse sur les travaux ?", "")


def test_articles_are_offered_only_when_the_message_names_their_subject():
    assert articles_for("Nid-de-poule dans la rue devant chez moi, sur le trottoir", "") == []
    assert articles_for("Perte du livret de famille", "") == [7]


def test_articles_of_the_case_topic_come_first():
    hits = [
        hit
        for hit in INDEX.search("livret de famille et amende de stationnement gênant", k=9)
        if hit.kind == ARTICLE
    ]
    assert {hit.pk for hit in hits} == {6, 7}

    ranked = rank_articles(hits, "Livret de famille")

    assert ranked[0].pk == 7


def test_a_polite_question_covers_as_much_as_a_terse_one():
    terse = INDEX.search("livret de famille perdu", kinds=(ARTICLE,))
    polite = INDEX.search(
        "Bonjour Madame, je voudrais savoir comment faire, j'ai perdu mon livret de famille. "
        "Merci, cordialement",
        kinds=(ARTICLE,),
    )

    assert [(hit.pk, hit.coverage) for hit in polite] == [(hit.pk, hit.coverage) for hit in terse]
    assert terse[0].pk == 7
    assert terse[0].coverage == 0.667  # "livret", "famille"; "perdu" is not "perte"


def _hit(pk, coverage, labels=(), title_match=False, kind=ARTICLE):
    from guichet.knowledge.search import KnowledgeHit

    return KnowledgeHit(kind, pk, f"item {pk}", 1.0, coverage, labels, title_match)


def test_items_that_may_not_be_offered_do_not_set_the_bar():
    # The body of item 1 covers the whole message, but its title is not what the message is
    # about: it is not offered, and must not make item 2 (named by the message) look weak.
    body_only = _hit(1, 1.0, ("Stationnement",))
    named = _hit(2, 0.333, ("Stationnement",), title_match=True)

    assert [hit.pk for hit in rank_articles([body_only, named], "")] == [2]
    body_only_template = _hit(1, 1.0, ("Urbanisme",), kind=TEMPLATE)
    holding = _hit(3, 0.333, (), kind=TEMPLATE)
    assert [hit.pk for hit in rank_templates([body_only_template, holding], "Voirie", [])] == [3]


def test_request_words_in_a_title_do_not_prevent_a_match():
    index = KnowledgeIndex(
        [
            IndexedItem(TEMPLATE, 1, "Information voirie", "Les travaux de voirie.", ("Voirie",)),
            IndexedItem(TEMPLATE, 2, "Demande d'information", "Votre demande.", ()),
        ],
        retriever_name="bm25-fr",
    ).build()

    hits = {hit.pk: hit for hit in index.search("Bonjour, des informations sur la voirie ?")}

    assert hits[1].title_match is True
