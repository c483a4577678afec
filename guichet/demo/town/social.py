"""Villebois requests — Action sociale (CCAS): RSA, food aid, emergency housing, seniors."""

from __future__ import annotations

from guichet.demo.requests import RequestTemplate as R

SOCIAL: tuple[R, ...] = (
    R(
        key="rsa",
        topic="aides-sociales",
        department="ccas",
        subjects=("Demande d'aide pour le RSA", "Aide pour remplir le dossier RSA"),
        bodies=(
            "Je viens de perdre mon emploi et je voudrais faire une demande de RSA, mais je ne "
            "m'en sors pas avec le site de la CAF. Est-ce que quelqu'un du CCAS peut m'aider ?",
        ),
        sms=(
            "Bonjour, j'ai besoin d'aide pour faire le RSA, on peut me rappeler ? {first} {last}",
        ),
        calls=(
            "Appel de {civility} {last} : fin de droits au chômage, souhaite être aidé(e) pour "
            "sa demande de RSA. Pas d'ordinateur à domicile.",
        ),
        asks=(
            "Nous vous proposons un rendez-vous avec une conseillère du CCAS le {date} à 10 h. "
            "Pouvez-vous nous confirmer votre présence ?",
        ),
        answers=(
            "Lors de votre rendez-vous, votre demande de RSA a été déposée en ligne avec vous. La "
            "CAF vous informera de sa décision ; n'hésitez pas à revenir vers nous en cas de "
            "difficulté.",
        ),
        notes=("Rendez-vous fixé avec la conseillère numérique.",),
        citizen_answers=(
            "Bonjour,\n\nOui je serai présent(e) au rendez-vous. Merci beaucoup.\n\n{first} {last}",
        ),
        weight=0.8,
    ),
    R(
        key="food-aid",
        topic="aides-sociales",
        department="ccas",
        subjects=("Aide alimentaire", "Accès à l'épicerie sociale"),
        bodies=(
            "Je suis seul(e) avec deux enfants et je n'arrive plus à finir le mois. Est-il "
            "possible d'avoir accès à l'épicerie sociale ou à une aide alimentaire ?",
        ),
        informal=(
            "bonjour je suis dans la galere, on m'a dit que la mairie pouvait aider pour manger. "
            "merci de me rappeler\n{first}",
        ),
        calls=(
            "Appel de {civility} {last} : en difficulté financière, demande une aide alimentaire. "
            "Deux enfants à charge. Rendez-vous à proposer avec une travailleuse sociale.",
        ),
        asks=(
            "Nous vous proposons un rendez-vous au CCAS le {date} à 14 h. Merci d'apporter vos "
            "trois derniers relevés de compte et votre attestation CAF.",
        ),
        answers=(
            "Une aide alimentaire d'urgence vous a été accordée : vous pouvez vous présenter à "
            "l'épicerie sociale dès mardi avec le bon remis par la conseillère.",
        ),
        notes=("Situation vue avec l'assistante sociale du Département.",),
        citizen_answers=("Bonjour, je serai là. Merci infiniment.\n{first}",),
        weight=0.8,
        urgent=0.1,
    ),
    R(
        key="energy-bill",
        topic="aides-sociales",
        department="ccas",
        subjects=("Besoin d'une aide financière", "Facture d'électricité impayée"),
        bodies=(
            "J'ai reçu une facture d'électricité de {bill} € que je ne peux pas payer. Le CCAS "
            "peut-il m'accorder une aide financière ?",
        ),
        answers=(
            "Votre dossier a été présenté à la commission du CCAS, qui vous accorde une aide "
            "financière de 150 €, versée directement au fournisseur d'énergie.",
        ),
        notes=("Dossier présenté à la commission permanente du CCAS.",),
        weight=0.5,
    ),
    R(
        key="emergency-housing",
        topic="aides-sociales",
        department="ccas",
        subjects=("Logement d'urgence", "Menace d'expulsion"),
        bodies=(
            "Mon propriétaire m'a notifié une expulsion pour la fin du mois et je n'ai aucune "
            "solution pour mes enfants. J'ai besoin d'un logement d'urgence.",
            "Après l'incendie de notre immeuble au {num} {street}, nous sommes hébergés chez des "
            "amis mais ce n'est plus possible. Pouvez-vous nous aider à trouver un hébergement "
            "d'urgence ?",
        ),
        calls=(
            "Appel de {civility} {last} : expulsion imminente, famille avec deux enfants. "
            "Demande un hébergement d'urgence. À rappeler en priorité.",
        ),
        asks=(
            "Pouvez-vous venir au CCAS demain matin à 9 h avec vos justificatifs de ressources ? "
            "Nous étudierons ensemble les solutions.",
        ),
        answers=(
            "Une place en hébergement d'urgence vous a été attribuée à partir de ce soir. Une "
            "demande de logement social a été déposée avec vous ; nous restons en contact.",
        ),
        notes=("Signalé au 115 et au service logement de la préfecture.",),
        citizen_answers=("Bonjour, je serai là demain à 9 h. Merci infiniment.\n{first}",),
        weight=0.6,
        urgent=0.7,
    ),
    R(
        key="meals-on-wheels",
        topic="seniors",
        department="ccas",
        subjects=("Portage de repas pour ma mère", "Portage de repas à domicile"),
        bodies=(
            "Ma mère, {age} ans, vit seule au {num} {street} et ne peut plus faire ses courses. "
            "Comment mettre en place le portage de repas à domicile ?",
        ),
        calls=(
            "Appel de {civility} {last}, {age} ans : souhaite le portage de repas à domicile "
            "suite à une hospitalisation. Vit seul(e) au {num} {street}.",
        ),
        answers=(
            "Le portage de repas démarrera lundi prochain : les repas sont livrés du lundi au "
            "vendredi vers 11 h. Le tarif dépend des ressources ; un formulaire sera remis à la "
            "première livraison.",
        ),
        notes=("Inscrit(e) au registre du plan canicule.",),
        weight=0.8,
    ),
    R(
        key="personal-alarm",
        topic="seniors",
        department="ccas",
        subjects=("Téléassistance pour mon père", "Boîtier de téléassistance"),
        bodies=(
            "Je souhaiterais équiper mon père, {age} ans, d'un boîtier de téléassistance suite à "
            "une chute. Le CCAS propose-t-il ce service ?",
        ),
        calls=(
            "Appel de la fille de {civility} {last} : demande des renseignements sur la "
            "téléassistance pour son parent de {age} ans.",
        ),
        answers=(
            "Le CCAS propose la téléassistance en partenariat avec un prestataire. Un technicien "
            "prendra contact avec vous pour l'installation du boîtier.",
        ),
        weight=0.4,
    ),
)
