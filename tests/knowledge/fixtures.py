"""Knowledge fixtures: a lexical index (no vectors to compute) under the test's own directory, and
a small knowledge base: the town's articles and templates, a shared library, another town's
private article."""

from __future__ import annotations

import pytest

from guichet.knowledge.models import Article, FaqEntry, Library, ReplyTemplate
from guichet.knowledge.search import forget_indexes

ATTRIBUTION = "Source : service-public.fr, DILA — Licence Ouverte 2.0"


@pytest.fixture(autouse=True)
def _knowledge_search(settings, tmp_path):
    settings.GUICHET_KNOWLEDGE_RETRIEVER = "bm25-fr"
    settings.GUICHET_KNOWLEDGE_DIR = tmp_path / "knowledge"
    settings.GUICHET_LLM_BASE_URL = ""
    forget_indexes()
    yield
    forget_indexes()


@pytest.fixture
def knowledge(town, other_town):
    """Articles about birth certificates (the town's, with its topic), identity cards and
    electoral cards (a library shared with everyone), a pothole FAQ entry, two templates, and
    Montval's private article that Villebois must never see."""
    topics = {t.slug: t for t in town.topics.all()}
    shared = Library.objects.create(name="Service-Public.fr", slug="sp", shared_with_all=True)
    birth = Article.objects.create(
        organization=town,
        title="Acte de naissance : demande de copie intégrale ou d'extrait",
        summary="Comment obtenir un acte de naissance.",
        body=(
            "Qui peut demander un acte de naissance ?\nToute personne majeure.\n"
            "Où s'adresser ?\nÀ la mairie du lieu de naissance, sur place, par courrier ou en "
            "ligne. L'acte de naissance est gratuit.\nDélai\nL'acte est envoyé sous quelques jours."
        ),
    )
    birth.topics.set([topics["acte-naissance"]])
    identity = Article.objects.create(
        library=shared,
        title="Carte d'identité d'un majeur : renouvellement",
        body=(
            "La carte d'identité se renouvelle en mairie sur rendez-vous.\n"
            "Pièces : photo d'identité, justificatif de domicile, ancienne carte d'identité."
        ),
        attribution=ATTRIBUTION,
        source_url="https://www.service-public.fr/particuliers/vosdroits/F1341",
        theme="Carte d'identité et passeport",
    )
    electoral = Article.objects.create(
        library=shared,
        title="Carte électorale",
        body="La carte électorale est envoyée après l'inscription sur les listes électorales.",
        attribution=ATTRIBUTION,
        theme="Élections",
    )
    internal = Article.objects.create(
        organization=town,
        title="Procédure interne : carte d'identité urgente",
        body="Appeler la préfecture sur la ligne réservée pour une carte d'identité urgente.",
        audience="agents",
        theme="Carte d'identité et passeport",
    )
    pothole = FaqEntry.objects.create(
        organization=town,
        question="Comment signaler un nid-de-poule ?",
        answer="Signalez le nid-de-poule avec son adresse : la voirie intervient sous 48 heures.",
    )
    pothole.topics.set([topics["nid-de-poule"]])
    birth_template = ReplyTemplate.objects.create(
        organization=town,
        name="Acte de naissance : envoi",
        body=(
            "Bonjour {{ citizen_name }},\nVotre acte de naissance (demande {{ reference }}) vous "
            "sera envoyé avant le {{ due_date }}.\n{{ agent_name }}, {{ organization }}"
        ),
    )
    birth_template.topics.set([topics["acte-naissance"]])
    road_template = ReplyTemplate.objects.create(
        organization=town,
        name="Voirie : intervention",
        body="Bonjour {{ citizen_name }}, le nid-de-poule sera rebouché cette semaine.",
    )
    foreign = Article.objects.create(
        organization=other_town,
        title="Montval : acte de naissance en ligne",
        body="Montval délivre l'acte de naissance en ligne uniquement.",
    )
    foreign_template = ReplyTemplate.objects.create(
        organization=other_town,
        name="Montval : acte de naissance",
        body="Bonjour {{ citizen_name }}, Montval vous répond au sujet de votre acte de naissance.",
    )
    return {
        "library": shared,
        "birth": birth,
        "identity": identity,
        "electoral": electoral,
        "internal": internal,
        "pothole": pothole,
        "birth_template": birth_template,
        "road_template": road_template,
        "foreign": foreign,
        "foreign_template": foreign_template,
    }
