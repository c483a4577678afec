"""Shared by the triage tests: a town's history of resolved requests to train on."""

from __future__ import annotations

import pytest
from django.utils import timezone

from guichet.assist.training import forget_loaded_models
from guichet.cases.lifecycle import Status
from guichet.cases.models import Case
from guichet.intake.pipeline import receive

BIRTH = [
    "Je souhaite une copie intégrale pour mon fils né le 3 mars 2010 à Villebois.",
    "Il me faut la copie intégrale de ma fille, née en 2015, pour son passeport.",
    "Pouvez-vous m'envoyer une copie intégrale, je suis né à Villebois en 1980 ?",
    "Copie intégrale demandée pour mon dossier de mariage, née à Villebois en 1990.",
    "Mon fils est né à la maternité de Villebois, je voudrais sa copie intégrale.",
    "Bonjour, copie intégrale svp, née le 12 juin 1975 à Villebois, merci.",
]
ROADS = [
    "Un trou énorme dans la rue des Lilas abîme les voitures depuis une semaine.",
    "La rue des Lilas est pleine de trous, ma voiture a crevé hier soir.",
    "Il y a un trou dangereux devant l'école, rue Victor Hugo, les voitures l'évitent.",
    "Le bitume de la rue du Moulin est défoncé, plein de trous après la pluie.",
    "Ma voiture est tombée dans un trou rue des Lilas, la roue est abîmée.",
    "Des trous partout sur la route de la gare, les voitures font des écarts.",
]


@pytest.fixture
def data_dir(settings, tmp_path):
    """Models saved in a temporary GUICHET_DATA_DIR, none loaded from an earlier test."""
    settings.DATA_DIR = tmp_path
    forget_loaded_models()
    yield tmp_path
    forget_loaded_models()


def resolved_history(organization, email_inbound, departments, *, prefix="h"):
    """Twelve requests received, given their right topic by an agent and resolved."""
    topics = {t.slug: t for t in organization.topics.all()}
    made = []
    for index, (texts, slug) in enumerate(((BIRTH, "acte-naissance"), (ROADS, "nid-de-poule"))):
        for number, text in enumerate(texts):
            reception = receive(
                organization,
                email_inbound(
                    external_id=f"{prefix}{index}-{number}",
                    email_message_id=f"{prefix}{index}-{number}@example.org",
                    sender_address=f"{prefix}{index}{number}@example.org",
                    subject="Demande",
                    text=text,
                ),
            )
            made.append(reception.case)
            Case.objects.filter(pk=reception.case.pk).update(
                topic=topics[slug],
                department=topics[slug].department,
                status=Status.RESOLVED,
                resolved_at=timezone.now(),
            )
    return made
