"""Villebois requests — Accueil: what no topic covers (noise, opening hours, the village hall)."""

from __future__ import annotations

from guichet.demo.requests import RequestTemplate as R

RECEPTION: tuple[R, ...] = (
    R(
        key="neighbour-noise",
        topic="",
        department="accueil",
        subjects=("Nuisances sonores", "Bruit du voisinage tous les week-ends"),
        bodies=(
            "Depuis plusieurs semaines, mes voisins du {num} {street} font la fête jusqu'à 3 h du "
            "matin presque tous les week-ends. J'ai essayé de leur parler, sans succès. Que puis-je "
            "faire ?",
        ),
        informal=(
            "bonjour, le bar de la place fait de la musique jusqua 2h du mat, on en peut plus. "
            "merci de faire qqchose",
        ),
        sms=("Bonjour musique très forte {street} depuis 23h, impossible de dormir",),
        calls=(
            "Appel de {civility} {last} : se plaint de bruit répété chez ses voisins {street} "
            "(fêtes le week-end). Souhaite une médiation.",
        ),
        answers=(
            "Nous avons transmis votre signalement à la police municipale, qui passera dans le "
            "secteur. Vous pouvez aussi solliciter gratuitement le conciliateur de justice, qui "
            "tient une permanence en mairie le premier mardi du mois.",
        ),
        notes=("Transmis à la police municipale (tranquillité publique).",),
        weight=0.6,
    ),
    R(
        key="barking-dog",
        topic="",
        department="accueil",
        subjects=("Aboiements incessants", "Chien qui aboie toute la journée"),
        bodies=(
            "Le chien de mes voisins aboie toute la journée quand ils sont absents. C'est "
            "insupportable, je travaille de nuit et je ne peux pas dormir.",
        ),
        answers=(
            "Un agent de la police municipale va rencontrer vos voisins pour leur rappeler la "
            "réglementation. Si la gêne persiste, le conciliateur de justice peut vous recevoir "
            "en mairie.",
        ),
        weight=0.3,
    ),
    R(
        key="opening-hours",
        topic="",
        department="accueil",
        subjects=("Horaires d'ouverture de la mairie", "Mairie ouverte le samedi ?"),
        bodies=(
            "Pourriez-vous m'indiquer les horaires d'ouverture de la mairie le samedi matin ?",
        ),
        informal=("bonjour la mairie est ouverte le samedi ?",),
        sms=("Bonjour la mairie est ouverte samedi matin ?",),
        calls=("Appel de {civility} {last} : demande les horaires d'ouverture du samedi.",),
        answers=(
            "La mairie est ouverte du lundi au vendredi de 8 h 30 à 12 h et de 13 h 30 à 17 h 30, "
            "et le samedi de 9 h à 12 h pour l'état civil uniquement.",
        ),
        weight=0.6,
    ),
    R(
        key="village-hall",
        topic="",
        department="accueil",
        subjects=("Location de la salle des fêtes", "Réservation de salle"),
        bodies=(
            "Nous souhaiterions louer la salle des fêtes pour un anniversaire le {date}. Est-elle "
            "disponible et quel est le tarif pour les habitants de Villebois ?",
        ),
        answers=(
            "La salle des fêtes est disponible le {date}. Le tarif pour les habitants est de "
            "250 € le week-end, plus une caution de 500 €. Un contrat de location vous sera "
            "envoyé.",
        ),
        weight=0.5,
    ),
)
