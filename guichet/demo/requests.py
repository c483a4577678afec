"""What citizens write, and what agents answer: one template per situation, written several ways.
The town's requests are in the `town` package; the intercommunality's are here.

Placeholders filled per request (`planning.Planner.fill`): {street} {num} {place} {school} {child}
{klass} {birth_date} {birth_place} {year} {year_child} {parcel} {date} {date_month} {amount} {bill}
{age} {spouse} and the citizen's {name} {first} {last} {civility} {reach}. Formal bodies get a greeting and a closing; informal ones are sent as written (some
with the typos real messages have). Agents' texts get a greeting and a signature. Every subject,
body and answer of a template fits every other one: they describe the same situation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestTemplate:
    key: str
    # Topic the request really is about ("" when the reception answers it itself).
    topic: str
    department: str
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    informal: tuple[str, ...] = ()
    sms: tuple[str, ...] = ()
    # An agent's notes of a phone call.
    calls: tuple[str, ...] = ()
    # An agent asks the citizen for something (the request then waits for the citizen).
    asks: tuple[str, ...] = ()
    # The answer that settles the request.
    answers: tuple[str, ...] = ()
    # A holding reply: the request stays in progress.
    updates: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # The citizen's answer to an agent's question.
    citizen_answers: tuple[str, ...] = ()
    weight: float = 1.0
    # Street-issue reports also arrive through the town's mobile app (API channel).
    report: bool = False
    # Share of these requests raised to a high or urgent priority.
    urgent: float = 0.0


VAL_OMBRE_REQUESTS: tuple[RequestTemplate, ...] = (
    RequestTemplate(
        key="water-bill",
        topic="facture-eau",
        department="eau",
        subjects=("Facture d'eau anormalement élevée", "Contestation de ma facture d'eau"),
        bodies=(
            "Ma dernière facture d'eau s'élève à {bill} €, soit le triple de d'habitude. Je n'ai "
            "constaté aucune fuite. Pouvez-vous vérifier le relevé de compteur ?",
            "Je conteste la facture d'eau reçue ce mois-ci ({bill} €) : nous sommes deux dans la "
            "maison et notre consommation n'a pas changé. Le relevé de compteur me semble faux.",
        ),
        asks=(
            "Pouvez-vous nous transmettre une photo de l'index actuel de votre compteur d'eau ?",
        ),
        answers=(
            "Après contrôle, une erreur de relevé a été corrigée. Une facture rectificative vous "
            "sera adressée dans les prochains jours.",
        ),
        citizen_answers=("Bonjour, voici la photo du compteur. Cordialement,\n{name}",),
        weight=1.5,
    ),
    RequestTemplate(
        key="water-monthly",
        topic="facture-eau",
        department="eau",
        subjects=("Mensualisation", "Paiement mensuel de l'abonnement d'eau"),
        bodies=(
            "Je souhaite passer à la mensualisation pour le paiement de mon abonnement d'eau. "
            "Comment faire ?",
        ),
        answers=(
            "La mensualisation est mise en place à partir du mois prochain ; l'échéancier vous "
            "sera envoyé par courrier.",
        ),
        weight=0.7,
    ),
    RequestTemplate(
        key="water-leak",
        topic="fuite-coupure",
        department="eau",
        subjects=("Fuite d'eau sur le trottoir", "Fuite importante {street}"),
        bodies=(
            "Il y a une fuite importante au niveau du regard devant le {num} {street}, l'eau coule "
            "sur la chaussée depuis hier.",
        ),
        sms=("Bonjour grosse fuite d'eau devant le {num} {street}, ça coule sur la route",),
        answers=(
            "L'équipe d'astreinte est intervenue : la fuite sur la canalisation a été réparée.",
        ),
        notes=("Astreinte prévenue, intervention dans l'heure.",),
        weight=1.0,
        urgent=0.5,
    ),
    RequestTemplate(
        key="water-cut",
        topic="fuite-coupure",
        department="eau",
        subjects=("Coupure d'eau", "Plus d'eau depuis ce matin"),
        bodies=(
            "Nous n'avons plus d'eau depuis ce matin, {street}. Y a-t-il une coupure d'eau "
            "prévue ?",
        ),
        sms=("Bonjour plus d'eau au {num} {street} depuis ce matin, c'est normal ?",),
        answers=(
            "Une casse sur le réseau a nécessité une coupure d'eau dans votre rue. L'eau est "
            "rétablie depuis 14 h ; elle peut être un peu trouble pendant quelques heures.",
        ),
        weight=0.8,
        urgent=0.4,
    ),
    RequestTemplate(
        key="septic-tank",
        topic="assainissement",
        department="eau",
        subjects=("Contrôle de fosse septique", "Contrôle SPANC avant une vente"),
        bodies=(
            "Nous vendons notre maison et le notaire demande le rapport de contrôle de la fosse "
            "septique par le SPANC. Comment prendre rendez-vous ?",
        ),
        answers=(
            "Le technicien du SPANC peut passer le {date} entre 9 h et 12 h. Le contrôle est "
            "facturé 150 € ; le rapport vous sera envoyé sous 15 jours.",
        ),
        weight=0.6,
    ),
    RequestTemplate(
        key="sewer-connection",
        topic="assainissement",
        department="eau",
        subjects=("Raccordement au tout-à-l'égout",),
        bodies=(
            "Le réseau d'assainissement collectif arrive dans notre rue : quand devons-nous faire "
            "le raccordement et quelles aides existent ?",
        ),
        answers=(
            "Vous disposez de deux ans après la mise en service du réseau pour vous raccorder. "
            "L'agence de l'eau peut financer une partie des travaux : nous vous envoyons le "
            "dossier de demande d'aide.",
        ),
        weight=0.5,
    ),
    RequestTemplate(
        key="on-demand-transport",
        topic="",
        department="accueil",
        subjects=("Transport à la demande", "Réserver le bus du marché"),
        bodies=("Comment réserver le transport à la demande pour aller au marché le mercredi ?",),
        answers=(
            "Le transport à la demande se réserve la veille avant 17 h au 04 65 71 20 20. Le "
            "trajet coûte 2 € et le bus passe vous chercher à domicile.",
        ),
        weight=0.6,
    ),
    RequestTemplate(
        key="swimming-pool",
        topic="",
        department="accueil",
        subjects=("Horaires de la piscine intercommunale",),
        bodies=("Quels sont les horaires de la piscine intercommunale pendant les vacances ?",),
        answers=(
            "Pendant les vacances, la piscine intercommunale est ouverte tous les jours de 10 h à "
            "19 h, et jusqu'à 21 h le jeudi.",
        ),
        weight=0.4,
    ),
)
