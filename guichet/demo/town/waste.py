"""Villebois requests — Déchets et environnement: dumping, collection, bins, bulky waste."""

from __future__ import annotations

from guichet.demo.requests import RequestTemplate as R

WASTE: tuple[R, ...] = (
    R(
        key="illegal-dumping",
        topic="depots-sauvages",
        department="dechets",
        subjects=("Dépôt sauvage {place}", "Déchets abandonnés {place}", "Encore un dépôt sauvage"),
        bodies=(
            "Je vous signale un dépôt sauvage {place} : un matelas, des sacs poubelles éventrés et "
            "des pots de peinture. Ça attire les rats.",
            "Encore des déchets abandonnés {place} ce week-end : cartons, pneus et un vieux "
            "frigo. Ne pourrait-on pas installer une caméra ?",
        ),
        informal=(
            "c'est une honte, ils ont encore tout jeté {place}, des sacs partout. faites quelque "
            "chose\n{first}",
            "Bonjour depot sauvage pres du stade encore une fois, matelas + sacs. Merci",
        ),
        sms=(
            "Bonjour, dépôt sauvage {place} : matelas et sacs poubelles. {first}",
            "sacs poubelles partout {place} depuis samedi",
        ),
        calls=(
            "Appel de {civility} {last} : dépôt sauvage {place} (électroménager, sacs). Signale "
            "que c'est récurrent le week-end.",
        ),
        answers=(
            "Le dépôt {place} a été enlevé ce matin par l'équipe propreté. Des indices permettant "
            "d'identifier l'auteur ont été transmis à la police municipale : l'amende peut aller "
            "jusqu'à 1 500 €.",
        ),
        updates=("Merci pour votre signalement. L'enlèvement est programmé sous 48 heures.",),
        notes=(
            "Courrier retrouvé dans les sacs, transmis à la police municipale.",
            "Enlèvement programmé avec la benne mercredi.",
        ),
        weight=2.5,
        report=True,
        urgent=0.1,
    ),
    R(
        key="asbestos",
        topic="depots-sauvages",
        department="dechets",
        subjects=("Gravats et amiante {place}", "Plaques d'amiante abandonnées"),
        bodies=(
            "Quelqu'un a déversé des gravats et des plaques qui ressemblent à de l'amiante {place}. "
            "Des enfants jouent à côté, c'est inquiétant.",
        ),
        calls=(
            "Appel de {civility} {last} : plaques ondulées (amiante ?) et gravats déposés "
            "{place}. Inquiet(e) pour les enfants du quartier.",
        ),
        answers=(
            "Une entreprise spécialisée est intervenue pour retirer les plaques amiantées en "
            "toute sécurité. Merci de votre vigilance.",
        ),
        updates=(
            "La zone a été balisée. Les plaques suspectes doivent être retirées par une entreprise "
            "agréée : l'intervention est commandée.",
        ),
        notes=("Suspicion d'amiante : ne pas toucher, devis entreprise agréée demandé.",),
        weight=0.5,
        report=True,
        urgent=0.6,
    ),
    R(
        key="missed-collection",
        topic="collecte-bacs",
        department="dechets",
        subjects=("Poubelle non ramassée", "Collecte non effectuée {street}"),
        bodies=(
            "Notre poubelle n'a pas été ramassée mardi, alors qu'elle était sortie la veille au "
            "soir comme d'habitude, {street}. Les voisins ont eu le même problème.",
        ),
        informal=(
            "bonjour, le camion est pas passé pour les poubelles ce matin {street}. ca deborde. "
            "merci",
        ),
        sms=("Bonjour les poubelles n'ont pas été ramassées {street} ce matin",),
        calls=(
            "Appel de {civility} {last} : bac d'ordures ménagères non collecté {street}. Demande "
            "un passage de rattrapage.",
        ),
        answers=(
            "La collecte n'a pas pu se faire à cause de véhicules mal garés. Un passage de "
            "rattrapage est prévu demain matin ; laissez votre bac sorti.",
        ),
        notes=("Prestataire prévenu, rattrapage demain.",),
        weight=1.5,
    ),
    R(
        key="broken-bin",
        topic="collecte-bacs",
        department="dechets",
        subjects=("Bac jaune cassé", "Bac volé", "Demande d'un nouveau bac"),
        bodies=(
            "Le couvercle de notre bac jaune s'est cassé lors de la dernière collecte. Est-il "
            "possible de le faire remplacer ? Nous habitons au {num} {street}.",
            "Nous venons d'emménager au {num} {street} et il n'y a pas de bac pour les ordures "
            "ménagères. Comment en obtenir un ?",
        ),
        sms=("Bonjour, mon bac a été volé, comment en avoir un autre ? {num} {street}",),
        answers=(
            "Un nouveau bac vous sera livré jeudi par notre prestataire. Si vous avez un ancien "
            "bac abîmé, laissez-le sur le trottoir : il sera récupéré en même temps.",
        ),
        notes=("Commande de bac passée au prestataire (240 L).",),
        weight=1.0,
    ),
    R(
        key="bulky-waste",
        topic="encombrants-dechetterie",
        department="dechets",
        subjects=("Enlèvement des encombrants", "Rendez-vous encombrants"),
        bodies=(
            "Je voudrais faire enlever un vieux canapé et une machine à laver. Quand a lieu le "
            "prochain ramassage des encombrants {street} ?",
        ),
        informal=("bonjour c quand les encombrants dans ma rue ? {street}. merci",),
        sms=("Bonjour, quand passent les encombrants {street} ?",),
        answers=(
            "L'enlèvement des encombrants se fait sur rendez-vous. Nous vous proposons un "
            "passage le {date} : sortez vos objets la veille au soir devant chez vous.",
        ),
        weight=1.0,
    ),
    R(
        key="recycling-centre-badge",
        topic="encombrants-dechetterie",
        department="dechets",
        subjects=("Badge d'accès à la déchetterie", "Badge déchetterie perdu"),
        bodies=("J'ai perdu mon badge d'accès à la déchetterie. Comment en obtenir un nouveau ?",),
        answers=(
            "Un nouveau badge d'accès vous sera envoyé par courrier. La déchetterie est ouverte "
            "du mardi au samedi, et le dimanche matin pour les végétaux.",
        ),
        weight=0.5,
    ),
)
