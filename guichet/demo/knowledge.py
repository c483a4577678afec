"""The demo's knowledge base: real service-public.fr articles and the town's reply templates.

A selection of a few hundred fiches of service-public.fr's guide "Vos droits et démarches"
(`../shared/data/kb_service_public.jsonl` beside the repository, Licence Ouverte 2.0) on the demo's
topics goes into a shared library read by both demo organizations, each article keeping its
attribution. The file is optional: without it the demo is built without articles, and says so.
Villebois gets about ten reply templates in French for its topics.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import guichet
from guichet.knowledge.actions import ImportReport, import_rows
from guichet.knowledge.models import Library
from guichet.organizations.models import Organization

KB_FILE = (
    Path(guichet.__file__).resolve().parent.parent.parent / "shared/data/kb_service_public.jsonl"
)
LIBRARY_SLUG = "service-public"
LIBRARY_NAME = "Service-Public.fr (DILA)"
ATTRIBUTION = "Source : service-public.fr, DILA — Licence Ouverte 2.0"
MAX_ARTICLES = 300
AUDIENCE_PATHS = {
    "particuliers": "particuliers",
    "professionnels": "professionnels-entreprises",
    "associations": "associations",
}

# Themes of the selection (free labels of the shared library) and the words that put a fiche in
# them, by its title; the first theme that matches wins.
THEMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Carte d'identité et passeport", ("carte d'identité", "passeport", "titre d'identité")),
    ("Livret de famille", ("livret de famille",)),
    ("Mariage et PACS", ("mariage", "pacs")),
    (
        "Actes d'état civil",
        (
            "acte de naissance",
            "acte de décès",
            "acte d'état civil",
            "état civil",
            "changement de nom",
        ),
    ),
    ("Élections", ("listes électorales", "carte électorale")),
    (
        "Urbanisme",
        (
            "permis de construire",
            "déclaration préalable",
            "certificat d'urbanisme",
            "plan local d'urbanisme",
            "cadastre",
            "abri de jardin",
            "clôture",
        ),
    ),
    ("Stationnement et voirie", ("stationnement", "fourrière", "trottoir", "voirie")),
    ("Déchets", ("déchets", "encombrants", "déchetterie", "ordures")),
    ("École et périscolaire", ("école", "cantine", "périscolaire", "scolarité")),
    ("Petite enfance", ("crèche", "assistante maternelle", "garde d'enfant", "mode de garde")),
    ("Aides sociales et logement", ("rsa", "logement social", "hébergement d'urgence", "hlm")),
    ("Seniors", ("personnes âgées", "apa", "aspa", "portage")),
    ("Eau et assainissement", ("eau potable", "assainissement", "facture d'eau")),
)


def theme_of(title: str) -> str:
    lowered = f" {title.lower()} "
    for theme, words in THEMES:
        for word in words:
            if f" {word}" in lowered or f"({word}" in lowered or f"'{word}" in lowered:
                return theme
    return ""


def source_url(fiche_id: str) -> str:
    fiche, _sep, audience = fiche_id.partition("|")
    path = AUDIENCE_PATHS.get(audience, "particuliers")
    return f"https://www.service-public.fr/{path}/vosdroits/{fiche}"


def selected_rows(path: Path, limit: int = MAX_ARTICLES) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, import row) of the fiches for individuals on the demo's themes."""
    count = 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if count >= limit:
                return
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if row.get("audience") != "particuliers":
                continue
            theme = theme_of(str(row.get("title", "")))
            if not theme:
                continue
            count += 1
            yield (
                number,
                {
                    "id": row["id"],
                    "title": row["title"],
                    "summary": row.get("description", ""),
                    "text": row["text"],
                    "audience": "particuliers",
                    "url": source_url(str(row["id"])),
                    "attribution": ATTRIBUTION,
                    "theme": theme,
                },
            )


TEMPLATES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "tpl-acte-naissance",
        "Acte de naissance : envoi par courrier",
        ("actes-etat-civil",),
        "Bonjour {{ citizen_name }},\n\nNous avons bien reçu votre demande d'acte de naissance "
        "(dossier {{ reference }}). L'acte vous sera envoyé par courrier à l'adresse indiquée "
        "sous 5 jours ouvrés. Pour une naissance hors de Villebois, adressez-vous à la mairie du "
        "lieu de naissance, ou faites la demande en ligne sur service-public.fr.\n\n"
        "Cordialement,\n{{ agent_name }}\n{{ organization }}",
    ),
    (
        "tpl-titre-identite-rdv",
        "Carte d'identité ou passeport : prise de rendez-vous",
        ("titres-identite",),
        "Bonjour {{ citizen_name }},\n\nLes demandes de carte d'identité et de passeport se font "
        "sur rendez-vous au service État civil. Faites d'abord votre pré-demande en ligne sur le "
        "site de l'ANTS, puis présentez-vous avec votre numéro de pré-demande, une photo d'identité "
        "de moins de 6 mois et un justificatif de domicile.\n\n"
        "Référence de votre demande : {{ reference }}.\n\nCordialement,\n{{ agent_name }}",
    ),
    (
        "tpl-mariage-dossier",
        "Mariage : constitution du dossier",
        ("mariage-pacs",),
        "Bonjour {{ citizen_name }},\n\nPour un mariage à Villebois, le dossier est à déposer au "
        "moins un mois avant la date souhaitée : pièces d'identité, actes de naissance de moins de "
        "3 mois, justificatifs de domicile et liste des témoins. Nous vous proposerons ensuite un "
        "rendez-vous pour l'audition des futurs époux.\n\nCordialement,\n{{ agent_name }}\n"
        "{{ organization }}",
    ),
    (
        "tpl-permis-pieces",
        "Permis de construire : pièces manquantes",
        ("permis-construire",),
        "Bonjour {{ citizen_name }},\n\nL'instruction de votre dossier {{ reference }} ne peut "
        "commencer : des pièces manquent. Merci de nous les transmettre avant le {{ due_date }}. "
        "Le délai d'instruction court à partir de la réception du dossier complet.\n\n"
        "Cordialement,\n{{ agent_name }}, service Urbanisme",
    ),
    (
        "tpl-declaration-prealable",
        "Déclaration préalable : délai d'instruction",
        ("declaration-prealable",),
        "Bonjour {{ citizen_name }},\n\nVotre déclaration préalable de travaux a bien été "
        "enregistrée (dossier {{ reference }}). Le délai d'instruction est d'un mois ; sans réponse "
        "de notre part à son terme, vous bénéficiez d'une décision de non-opposition.\n\n"
        "Cordialement,\n{{ agent_name }}",
    ),
    (
        "tpl-voirie-intervention",
        "Voirie : intervention programmée",
        ("chaussee-trottoirs", "eclairage-public"),
        "Bonjour {{ citizen_name }},\n\nMerci pour votre signalement {{ reference }}. Une équipe "
        "de la voirie est passée sur place et une intervention est programmée dans les prochains "
        "jours. Nous vous tiendrons informé(e) de sa réalisation.\n\nCordialement,\n"
        "{{ agent_name }}, Voirie et propreté",
    ),
    (
        "tpl-encombrants",
        "Encombrants : prise de rendez-vous",
        ("encombrants-dechetterie", "depots-sauvages"),
        "Bonjour {{ citizen_name }},\n\nLa collecte des encombrants se fait sur rendez-vous, "
        "gratuitement, une fois par mois. Vous pouvez aussi les déposer à la déchetterie "
        "intercommunale avec un justificatif de domicile.\n\nCordialement,\n{{ agent_name }}",
    ),
    (
        "tpl-bac-remplacement",
        "Bac de collecte : remplacement",
        ("collecte-bacs",),
        "Bonjour {{ citizen_name }},\n\nVotre demande de remplacement de bac ({{ reference }}) est "
        "transmise au prestataire de collecte. Le nouveau bac sera livré sous 15 jours ; laissez "
        "l'ancien bac devant votre domicile le jour de la livraison.\n\nCordialement,\n"
        "{{ agent_name }}",
    ),
    (
        "tpl-inscription-scolaire",
        "Inscription scolaire : pièces à fournir",
        ("inscription-scolaire", "cantine-periscolaire"),
        "Bonjour {{ citizen_name }},\n\nPour inscrire votre enfant, merci de nous transmettre le "
        "livret de famille, un justificatif de domicile de moins de 3 mois et le carnet de santé "
        "(vaccinations). L'inscription à la cantine et au périscolaire se fait sur le même "
        "dossier.\n\nRéférence : {{ reference }}.\n\nCordialement,\n{{ agent_name }}\n"
        "{{ organization }}",
    ),
    (
        "tpl-ccas-rendez-vous",
        "Action sociale : proposition de rendez-vous",
        ("aides-sociales", "seniors"),
        "Bonjour {{ citizen_name }},\n\nUn travailleur social du CCAS peut vous recevoir pour "
        "étudier votre situation et les aides possibles. Merci de nous indiquer vos disponibilités "
        "avant le {{ due_date }} ; pensez à apporter vos derniers justificatifs de ressources.\n\n"
        "Cordialement,\n{{ agent_name }}, CCAS de Villebois",
    ),
    (
        "tpl-accuse-generique",
        "Réponse d'attente",
        (),
        "Bonjour {{ citizen_name }},\n\nNous avons bien reçu votre demande {{ reference }} et la "
        "traitons. Vous recevrez une réponse au plus tard le {{ due_date }}.\n\nCordialement,\n"
        "{{ agent_name }}\n{{ organization }}",
    ),
)


def template_rows(organization: Organization) -> Iterator[tuple[int, dict[str, Any]]]:
    known = set(organization.topics.values_list("slug", flat=True))
    for number, (source_id, name, topics, body) in enumerate(TEMPLATES, start=1):
        yield (
            number,
            {
                "kind": "template",
                "id": source_id,
                "name": name,
                "body": body,
                "topics": [slug for slug in topics if slug in known],
            },
        )


def load_demo_knowledge(
    organizations: list[Organization], town: Organization, *, kb_file: Path = KB_FILE
) -> tuple[ImportReport | None, ImportReport, str]:
    """Import the articles (shared with `organizations`) and the town's templates; the third
    value is a notice for the person building the demo (empty when all went well)."""
    notice = ""
    articles: ImportReport | None = None
    if kb_file.is_file():
        library, _created = Library.objects.get_or_create(
            slug=LIBRARY_SLUG, defaults={"name": LIBRARY_NAME}
        )
        library.organizations.add(*organizations)
        articles = import_rows(selected_rows(kb_file), library=library)
    else:
        notice = (
            f"Knowledge base file not found ({kb_file}): the demo has reply templates but no "
            "articles."
        )
    templates = import_rows(template_rows(town), organization=town)
    return articles, templates, notice
