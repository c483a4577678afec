"""Villebois requests — Urbanisme: permits, prior declarations, local plan and land registry."""

from __future__ import annotations

from guichet.demo.requests import RequestTemplate as R

PLANNING: tuple[R, ...] = (
    R(
        key="extension-permit",
        topic="permis-construire",
        department="urbanisme",
        subjects=("Permis de construire pour une extension", "Question sur un agrandissement"),
        bodies=(
            "Nous envisageons une extension de 30 m² de notre maison au {num} {street} (parcelle "
            "{parcel}). Faut-il un permis de construire ou une déclaration suffit-elle ?",
            "Nous aimerions agrandir notre maison par une pièce de vie d'environ 45 m². Peut-on "
            "prendre rendez-vous avec l'instructeur avant de déposer le permis de construire ?",
        ),
        calls=(
            "Appel de {civility} {last} : projet d'extension au {num} {street}, demande s'il faut "
            "un permis de construire. Souhaite un rendez-vous avec l'urbanisme.",
        ),
        asks=(
            "Pour vous répondre précisément, pouvez-vous nous indiquer la surface de plancher "
            "créée et nous envoyer un croquis du projet ?",
        ),
        answers=(
            "Au-delà de 40 m² en zone urbaine du PLU, un permis de construire est nécessaire ; en "
            "dessous, une déclaration préalable suffit. Nous vous proposons un rendez-vous le "
            "{date} à 14 h avec l'instructeur pour regarder votre projet.",
        ),
        notes=("Parcelle {parcel} en zone UB, emprise au sol à vérifier.",),
        citizen_answers=(
            "Bonjour,\n\nLa surface créée serait de 35 m². Je vous envoie un croquis.\n\n{name}",
        ),
        weight=0.8,
    ),
    R(
        key="permit-follow-up",
        topic="permis-construire",
        department="urbanisme",
        subjects=("Suivi de mon permis de construire", "Permis de construire déposé le {date}"),
        bodies=(
            "J'ai déposé un permis de construire le {date} pour une maison individuelle. Je n'ai "
            "aucune nouvelle depuis : le dossier est-il complet ?",
        ),
        asks=(
            "Il manque à votre dossier le plan de masse et l'attestation RE2020. Merci de les "
            "déposer sur le guichet numérique des autorisations d'urbanisme.",
        ),
        answers=(
            "Votre dossier de permis de construire est complet. Le délai d'instruction est de deux "
            "mois : vous recevrez l'arrêté par courrier.",
        ),
        updates=(
            "Votre dossier est en cours d'instruction ; l'avis de l'architecte des bâtiments de "
            "France a été sollicité, ce qui ajoute un mois au délai.",
        ),
        notes=("Consultation ABF envoyée, délai majoré d'un mois.",),
        citizen_answers=(
            "Bonjour,\n\nC'est fait, j'ai déposé les deux pièces sur le site.\n\nCordialement,"
            "\n{name}",
        ),
        weight=0.6,
    ),
    R(
        key="fence",
        topic="declaration-prealable",
        department="urbanisme",
        subjects=(
            "Déclaration préalable pour une clôture",
            "Hauteur maximale d'une clôture",
            "Clôture de jardin",
        ),
        bodies=(
            "Je souhaite remplacer la haie de mon jardin par une clôture en panneaux rigides de "
            "1,80 m. Dois-je déposer une déclaration préalable et quelle hauteur est autorisée "
            "{street} ?",
            "Nous voulons poser une clôture entre notre terrain et celui du voisin, au {num} "
            "{street}. Faut-il une autorisation ?",
        ),
        informal=(
            "bonjour, je veux mettre un grillage autour de mon terrain, il faut une autorisation "
            "? merci\n{first}",
        ),
        calls=(
            "Appel de {civility} {last} : veut installer une clôture de 1,80 m au {num} "
            "{street}, demande si une déclaration préalable est nécessaire.",
        ),
        asks=(
            "Pouvez-vous nous préciser la référence cadastrale de votre terrain ? Les règles de "
            "clôture diffèrent selon la zone du PLU.",
        ),
        answers=(
            "Oui, une déclaration préalable est obligatoire pour une clôture à Villebois. En zone "
            "UB, la hauteur maximale est de 1,80 m sur rue. Le formulaire Cerfa 13703 est à "
            "déposer en ligne ; le délai d'instruction est d'un mois.",
        ),
        notes=("Terrain en zone UB, clôture de 1,80 m conforme.",),
        citizen_answers=("Bonjour,\n\nLa parcelle est la {parcel}.\n\nCordialement,\n{name}",),
        weight=1.0,
    ),
    R(
        key="garden-shed",
        topic="declaration-prealable",
        department="urbanisme",
        subjects=("Abri de jardin : quelle démarche ?", "Autorisation pour un abri de jardin"),
        bodies=(
            "Nous voulons installer un abri de jardin de 12 m² au fond du terrain. Faut-il une "
            "déclaration préalable ?",
        ),
        answers=(
            "Pour un abri de jardin entre 5 et 20 m², une déclaration préalable suffit. Vous "
            "pouvez la déposer sur le guichet numérique des autorisations d'urbanisme.",
        ),
        weight=0.6,
    ),
    R(
        key="solar-panels",
        topic="declaration-prealable",
        department="urbanisme",
        subjects=("Pose de panneaux solaires", "Panneaux solaires sur le toit"),
        bodies=(
            "Nous souhaitons faire poser des panneaux solaires sur notre toiture au {num} {street}. "
            "Quelles sont les démarches ?",
        ),
        answers=(
            "L'installation de panneaux solaires en toiture nécessite une déclaration préalable. "
            "Votre rue n'est pas dans le périmètre des monuments historiques : le délai est d'un "
            "mois.",
        ),
        weight=0.5,
    ),
    R(
        key="land-registry",
        topic="plu-cadastre",
        department="urbanisme",
        subjects=(
            "Terrain constructible ?",
            "Parcelle {parcel} : constructible ?",
            "Consultation du PLU",
        ),
        bodies=(
            "Nous envisageons d'acheter la parcelle {parcel} route de la Garenne. Pourriez-vous "
            "nous dire si ce terrain est constructible selon le PLU ?",
            "Avant d'acheter un terrain (parcelle {parcel}), nous aimerions connaître son zonage "
            "au plan local d'urbanisme.",
        ),
        answers=(
            "La parcelle {parcel} est classée en zone AU du plan local d'urbanisme : elle n'est "
            "constructible que dans le cadre d'une opération d'ensemble. Le règlement est "
            "consultable en ligne et en mairie.",
        ),
        notes=("Extrait du plan de zonage joint au dossier.",),
        weight=0.5,
    ),
    R(
        key="planning-certificate",
        topic="plu-cadastre",
        department="urbanisme",
        subjects=("Demande de certificat d'urbanisme", "Certificat d'urbanisme pour une vente"),
        bodies=(
            "Mon notaire a besoin d'un certificat d'urbanisme d'information pour la vente de ma "
            "maison au {num} {street}. Comment le demander ?",
        ),
        answers=(
            "Le certificat d'urbanisme d'information se demande avec le Cerfa 13410. Le délai de "
            "délivrance est d'un mois ; votre notaire peut le déposer pour vous.",
        ),
        weight=0.4,
    ),
)
