"""Villebois requests — Voirie et propreté: roads, pavements, street lighting, parking and traffic."""

from __future__ import annotations

from guichet.demo.requests import RequestTemplate as R

ROADS: tuple[R, ...] = (
    R(
        key="pothole",
        topic="chaussee-trottoirs",
        department="voirie",
        subjects=(
            "Nid-de-poule {street}",
            "Trou dangereux sur la chaussée",
            "Signalement : nid-de-poule",
        ),
        bodies=(
            "Je vous signale un nid-de-poule profond sur la chaussée {street}, à hauteur du numéro "
            "{num}. Plusieurs voitures ont déjà abîmé leurs pneus et c'est dangereux pour les "
            "cyclistes, surtout la nuit.",
            "Depuis les travaux de la fibre, la chaussée s'est affaissée devant chez moi, {num} "
            "{street}. Il y a maintenant un trou de 10 cm où l'eau stagne.",
        ),
        informal=(
            "bjr ya un enorme nid de poule rue des tilleuls devant la boulangerie, ma voiture a "
            "failli y laisser une roue. c pas normal, ca fait 2 semaines !!\n{first}",
            "Bonjour, gros trou dans la route {street}, attention aux vélos. Merci de faire vite",
        ),
        sms=(
            "Bonjour, gros nid de poule {street} au niveau du {num}, c'est dangereux. {first}",
            "trou dans la chaussée {street}, une voiture a crevé ce matin",
        ),
        calls=(
            "Appel de {civility} {last} : signale un nid-de-poule profond {street} à hauteur du "
            "n° {num}. A crevé un pneu hier soir. Demande une intervention rapide.",
        ),
        asks=(
            "Pouvez-vous nous envoyer une photo et nous préciser de quel côté de la chaussée se "
            "trouve le trou ? Cela aidera l'équipe à intervenir rapidement.",
        ),
        answers=(
            "L'équipe voirie est intervenue ce matin : le trou {street} a été rebouché en enrobé "
            "à froid. Une réfection complète de la chaussée est prévue au budget de l'année "
            "prochaine. Merci pour votre signalement.",
        ),
        updates=(
            "Merci pour votre signalement. Un agent est passé constater : l'intervention est "
            "programmée dans la semaine. Un balisage a été posé en attendant.",
        ),
        notes=(
            "Constat fait sur place, trou d'environ 40 cm. Bon d'intervention émis.",
            "Zone balisée, rebouchage prévu jeudi avec l'équipe de Didier.",
        ),
        citizen_answers=(
            "Bonjour,\n\nLe trou est côté pair, juste avant le passage piéton. Je vous envoie une "
            "photo.\n\n{first}",
        ),
        weight=3.0,
        report=True,
        urgent=0.2,
    ),
    R(
        key="sidewalk",
        topic="chaussee-trottoirs",
        department="voirie",
        subjects=("Trottoir défoncé devant le {num} {street}", "Trottoir dangereux {street}"),
        bodies=(
            "Le trottoir devant le {num} {street} est complètement soulevé par les racines des "
            "arbres. Avec une poussette ou un fauteuil roulant, il faut descendre sur la route.",
            "Ma mère est tombée sur le trottoir {street} : une bordure est descellée et personne "
            "ne la voit le soir.",
        ),
        calls=(
            "Appel de {civility} {last} : trottoir soulevé par les racines devant le {num} "
            "{street}, impossible de passer avec une poussette.",
        ),
        answers=(
            "Le trottoir devant le {num} {street} a été sécurisé par un balisage et sera repris "
            "par l'entreprise la semaine prochaine.",
        ),
        updates=("Un agent passera constater l'état du trottoir dans les prochains jours.",),
        notes=("Devis de reprise du trottoir demandé à l'entreprise.",),
        weight=1.0,
        report=True,
    ),
    R(
        key="street-light",
        topic="eclairage-public",
        department="voirie",
        subjects=(
            "Lampadaire en panne {street}",
            "Éclairage public éteint",
            "Rue plongée dans le noir",
        ),
        bodies=(
            "Depuis une semaine, les lampadaires de la {street} ne s'allument plus le soir. La rue "
            "est plongée dans le noir et les enfants rentrent à pied du collège.",
            "Le lampadaire situé devant le {num} {street} est éteint depuis plusieurs jours. "
            "Pouvez-vous le faire réparer ?",
        ),
        informal=(
            "bonsoir les lampadaires sont eteint depuis 3 jours {street}, on voit rien le "
            "soir\n{first}",
        ),
        sms=("Bonsoir, plus d'éclairage {street} depuis lundi, la rue est dans le noir",),
        calls=(
            "Appel de {civility} {last} : panne d'éclairage public {street}, tout le tronçon "
            "est éteint depuis plusieurs jours.",
        ),
        answers=(
            "Le prestataire d'éclairage public est intervenu : un câble avait été endommagé. "
            "L'éclairage {street} fonctionne de nouveau depuis hier soir.",
        ),
        updates=(
            "La panne a été transmise à notre prestataire d'éclairage, qui intervient sous 5 jours "
            "ouvrés. Nous revenons vers vous dès la réparation.",
        ),
        notes=("Ticket ouvert chez le prestataire éclairage, intervention sous 5 jours.",),
        weight=2.0,
        report=True,
        urgent=0.15,
    ),
    R(
        key="abandoned-car",
        topic="stationnement",
        department="voirie",
        subjects=("Voiture ventouse {street}", "Véhicule abandonné devant chez moi"),
        bodies=(
            "Une voiture grise est stationnée devant le {num} {street} depuis plus d'un mois sans "
            "bouger, les pneus sont à plat. Il s'agit sans doute d'un véhicule abandonné.",
        ),
        sms=("Bonjour, voiture abandonnée {street} depuis 1 mois, pneus à plat",),
        answers=(
            "La police municipale a constaté le stationnement abusif et a apposé un avis. Sans "
            "déplacement sous 7 jours, le véhicule sera mis en fourrière.",
        ),
        notes=("Transmis à la police municipale pour constat.",),
        weight=0.7,
        report=True,
    ),
    R(
        key="speeding",
        topic="stationnement",
        department="voirie",
        subjects=("Demande de ralentisseur", "Vitesse excessive {street}"),
        bodies=(
            "Les voitures roulent beaucoup trop vite {street}, alors que c'est le chemin de "
            "l'école. Serait-il possible d'installer un ralentisseur ou un radar pédagogique ?",
        ),
        answers=(
            "Votre demande de ralentisseur sera étudiée à la prochaine commission circulation. En "
            "attendant, un radar pédagogique sera posé {street} pendant un mois.",
        ),
        weight=0.6,
    ),
    R(
        key="blocked-garage",
        topic="stationnement",
        department="voirie",
        subjects=("Stationnement gênant devant mon garage", "Sortie de garage bloquée"),
        bodies=(
            "Tous les matins, des parents se garent sur le trottoir devant mon garage au {num} "
            "{street}. Je ne peux plus sortir ma voiture pour aller travailler.",
        ),
        informal=(
            "bonjour, encore une fois quelqu'un garé devant ma sortie de garage !! {num} {street}. "
            "la police municipale peut passer ?",
        ),
        sms=("Bonjour voiture garée devant mon garage {num} {street}, je ne peux pas sortir",),
        answers=(
            "La police municipale passera aux heures d'entrée de l'école cette semaine et "
            "verbalisera le stationnement gênant devant votre garage.",
        ),
        updates=("La police municipale passera dans le secteur cette semaine.",),
        weight=0.6,
    ),
)
