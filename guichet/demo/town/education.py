"""Villebois requests — Éducation et enfance: school registration, canteen, leisure centre, nursery."""

from __future__ import annotations

from guichet.demo.requests import RequestTemplate as R

EDUCATION: tuple[R, ...] = (
    R(
        key="school-registration",
        topic="inscription-scolaire",
        department="education",
        subjects=(
            "Inscription scolaire pour la rentrée",
            "Inscription à l'école après un déménagement",
            "Première inscription en maternelle",
        ),
        bodies=(
            "Nous venons d'emménager au {num} {street} et je souhaiterais inscrire notre enfant "
            "{child} en {klass} à {school}. Quels documents faut-il fournir ?",
            "Je souhaite inscrire {child}, né(e) en {year_child}, à l'école maternelle pour la "
            "rentrée scolaire de septembre. Comment se passe l'inscription ?",
        ),
        informal=(
            "bonjour je voudrai inscrire mon fils a l'ecole pour septembre il a 3 ans, comment on "
            "fait ? merci\n{first}",
        ),
        calls=(
            "Appel de {civility} {last} : souhaite inscrire {child} en {klass} à {school} "
            "suite à un déménagement. Demande la liste des pièces.",
        ),
        asks=(
            "Pour finaliser l'inscription scolaire, merci de nous transmettre un justificatif de "
            "domicile de moins de 3 mois, le livret de famille et le carnet de vaccinations.",
        ),
        answers=(
            "L'inscription de {child} est enregistrée. Le certificat d'inscription vous est envoyé "
            "par courrier ; présentez-le à la direction de l'école pour l'admission.",
        ),
        notes=("Effectifs de {school} : il reste 2 places en {klass}.",),
        citizen_answers=(
            "Bonjour,\n\nVous trouverez ci-joint le justificatif de domicile et le livret de "
            "famille. Le carnet de vaccinations suivra.\n\nCordialement,\n{name}",
        ),
        weight=1.2,
    ),
    R(
        key="school-derogation",
        topic="inscription-scolaire",
        department="education",
        subjects=("Demande de dérogation scolaire", "Changement d'école"),
        bodies=(
            "Pour des raisons de garde, nous aimerions que {child} soit scolarisé(e) à {school} "
            "plutôt que dans l'école de notre secteur. Comment faire une demande de dérogation "
            "scolaire ?",
        ),
        answers=(
            "Votre demande de dérogation sera examinée en commission le {date}. Nous vous "
            "informerons de la décision par courrier.",
        ),
        updates=("Votre dossier est complet ; il sera examiné à la prochaine commission.",),
        weight=0.5,
    ),
    R(
        key="canteen-bill",
        topic="cantine-periscolaire",
        department="education",
        subjects=("Facture de cantine", "Erreur sur la facture de restauration scolaire"),
        bodies=(
            "La facture de cantine du mois dernier s'élève à {amount} €, alors que {child} était "
            "malade une semaine et n'a pas mangé à la cantine. Pourriez-vous la corriger ?",
        ),
        calls=(
            "Appel de {civility} {last} : conteste la facture de cantine ({amount} €), enfant "
            "absent pour maladie. Enverra le certificat médical.",
        ),
        asks=(
            "Pour déduire les repas, merci de nous transmettre le certificat médical couvrant "
            "les jours d'absence de {child}.",
        ),
        answers=(
            "Après vérification, les repas de la semaine d'absence ont été déduits : un avoir de "
            "18,40 € apparaîtra sur votre prochaine facture.",
        ),
        notes=("Avoir saisi dans le logiciel de facturation.",),
        citizen_answers=(
            "Bonjour,\n\nVoici le certificat médical. Merci pour votre compréhension.\n\n{name}",
        ),
        weight=1.0,
    ),
    R(
        key="canteen-absence",
        topic="cantine-periscolaire",
        department="education",
        subjects=("Absence à la cantine", "Repas de cantine à annuler"),
        bodies=(
            "{child} sera absent(e) de la cantine toute la semaine prochaine (séjour chez ses "
            "grands-parents). Pouvez-vous annuler ses repas ?",
        ),
        sms=("Bonjour, {child} ne mangera pas à la cantine demain, malade. {last}",),
        answers=(
            "C'est noté : les repas de {child} sont annulés pour les jours indiqués et ne vous "
            "seront pas facturés.",
        ),
        weight=0.7,
    ),
    R(
        key="leisure-centre",
        topic="cantine-periscolaire",
        department="education",
        subjects=("Inscription au centre de loisirs du mercredi", "Garderie du matin"),
        bodies=(
            "Je souhaite inscrire {child} au centre de loisirs les mercredis à partir du {date}. "
            "Reste-t-il des places ?",
            "Je reprends le travail le {date} : {child} pourra-t-il être accueilli à la garderie "
            "du matin de {school} dès 7 h 30 ?",
        ),
        answers=(
            "{child} est inscrit(e) à partir du {date}. L'accueil se fait entre 7 h 30 et 9 h ; "
            "pensez à mettre à jour la fiche sanitaire sur le portail famille.",
        ),
        weight=0.8,
    ),
    R(
        key="family-quotient",
        topic="cantine-periscolaire",
        department="education",
        subjects=("Recalcul du quotient familial", "Tarif de cantine trop élevé"),
        bodies=(
            "Suite à un changement de situation, mes revenus ont baissé. Comment faire recalculer "
            "mon quotient familial pour la cantine et le périscolaire ?",
        ),
        asks=(
            "Pour recalculer votre quotient familial, merci de nous envoyer votre dernière "
            "attestation de la CAF.",
        ),
        answers=(
            "Votre quotient familial a été recalculé : le nouveau tarif s'appliquera dès la "
            "prochaine facture.",
        ),
        citizen_answers=("Bonjour, je vous joins l'attestation CAF. Bonne journée.\n{first}",),
        weight=0.5,
    ),
    R(
        key="nursery",
        topic="petite-enfance",
        department="education",
        subjects=("Demande de place en crèche", "Liste d'attente de la crèche"),
        bodies=(
            "J'attends un enfant pour le mois de {date_month} et je reprends le travail quatre mois "
            "plus tard. Comment faire une demande de place en crèche à Villebois ?",
            "Notre demande de place en crèche a été déposée il y a six mois. Avez-vous une idée de "
            "notre position sur la liste d'attente ?",
        ),
        answers=(
            "Les demandes de place en crèche sont examinées en commission d'attribution deux fois "
            "par an. Votre dossier est bien enregistré ; le relais petite enfance peut aussi vous "
            "mettre en relation avec des assistantes maternelles.",
        ),
        updates=("Votre dossier sera présenté à la prochaine commission d'attribution.",),
        weight=0.7,
    ),
)
