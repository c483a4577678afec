"""Villebois requests — État civil: certificates, weddings, family booklets, identity documents."""

from __future__ import annotations

from guichet.demo.requests import RequestTemplate as R

CIVIL_STATUS: tuple[R, ...] = (
    R(
        key="birth-certificate",
        topic="actes-etat-civil",
        department="etat-civil",
        subjects=(
            "Demande d'acte de naissance",
            "Copie intégrale d'acte de naissance",
            "Extrait d'acte de naissance",
            "Acte de naissance pour mon passeport",
        ),
        bodies=(
            "Je suis né(e) le {birth_date} à {birth_place} et je dois refaire mon passeport. La "
            "préfecture me demande une copie intégrale de mon acte de naissance de moins de trois "
            "mois. Pourriez-vous me l'envoyer à mon adresse, {num} {street} ?",
            "Je souhaiterais obtenir un extrait d'acte de naissance avec filiation au nom de "
            "{first} {last}, né(e) le {birth_date} à Villebois, pour mon dossier de retraite.",
            "Pour mon dossier de PACS, j'ai besoin d'une copie intégrale de mon acte de naissance. "
            "Je suis né(e) à Villebois le {birth_date}. Merci de me l'envoyer au {num} {street}.",
        ),
        informal=(
            "bonjour jaurais besoin dun acte de naissance pour mon fils {child} né a Villebois "
            "c pour sa carte didentité. merci\n{first}",
            "Bonjour, acte de naissance svp pour {first} {last} né(e) le {birth_date}. A envoyer "
            "au {num} {street}. Merci",
        ),
        sms=(
            "Bonjour, je voudrais un acte de naissance, né(e) le {birth_date} à Villebois. "
            "{first} {last}",
        ),
        calls=(
            "Appel de {civility} {last} : souhaite une copie intégrale d'acte de naissance "
            "(né(e) le {birth_date} à Villebois). Envoi postal demandé au {num} {street}.",
        ),
        asks=(
            "Pour vous délivrer une copie intégrale, nous avons besoin des noms et prénoms de vos "
            "parents. Pourriez-vous nous les indiquer en réponse à ce message ?",
        ),
        answers=(
            "Votre acte de naissance a été envoyé ce jour par courrier au {num} {street}. Vous "
            "devriez le recevoir sous 2 à 3 jours.",
            "L'acte de naissance demandé est prêt. Nous l'avons posté ce matin ; vous pouvez "
            "aussi le retirer à l'accueil de la mairie sur présentation d'une pièce d'identité.",
        ),
        updates=(
            "Nous avons bien reçu votre demande. Une mention doit être vérifiée sur le registre "
            "avant l'envoi : comptez deux ou trois jours de plus.",
        ),
        notes=(
            "Acte retrouvé dans le registre, mention marginale à vérifier avant envoi.",
            "Filiation vérifiée, acte édité et mis sous pli.",
        ),
        citizen_answers=(
            "Bonjour,\n\nMes parents sont {spouse} {last} et Marie {last}.\n\nMerci,\n{name}",
        ),
        weight=2.5,
    ),
    R(
        key="death-certificate",
        topic="actes-etat-civil",
        department="etat-civil",
        subjects=("Acte de décès de ma mère", "Demande d'actes de décès pour la succession"),
        bodies=(
            "Ma mère est décédée le {date} à Villebois. Le notaire chargé de la succession me "
            "demande trois copies de l'acte de décès. Pouvez-vous me les adresser ?",
            "Suite au décès de mon époux le {date}, je dois transmettre des actes de décès à la "
            "banque et à la caisse de retraite. Merci de m'en envoyer trois copies.",
        ),
        calls=(
            "Appel de {civility} {last}, très éprouvé(e) : décès d'un parent le {date}. A besoin "
            "de trois actes de décès pour les démarches.",
        ),
        answers=(
            "Toutes nos condoléances. Les trois copies de l'acte de décès vous ont été envoyées par "
            "courrier ce jour. Le service « Déclarer un décès » de service-public.fr peut vous "
            "aider pour les autres démarches.",
        ),
        notes=("Copies éditées, envoi ce jour.",),
        weight=0.8,
    ),
    R(
        key="wedding",
        topic="mariage-pacs",
        department="etat-civil",
        subjects=("Dossier de mariage", "Mariage prévu le {date}", "Se marier à Villebois"),
        bodies=(
            "Mon compagnon et moi souhaitons nous marier à Villebois le {date}. Pourriez-vous nous "
            "envoyer la liste des pièces du dossier de mariage et nous indiquer les créneaux pour "
            "le déposer ?",
            "Nous souhaitons nous marier en mairie l'an prochain. Quel est le délai pour déposer "
            "le dossier de mariage, et quelles pièces faut-il fournir ?",
        ),
        asks=(
            "Merci de nous préciser si l'un de vous est de nationalité étrangère : la liste des "
            "pièces en dépend.",
        ),
        answers=(
            "Pour le dossier de mariage, il faut : copies intégrales d'actes de naissance de moins "
            "de 3 mois, justificatifs de domicile, pièces d'identité et informations sur les "
            "témoins. Le dépôt se fait sur rendez-vous le mardi ou le jeudi ; appelez l'accueil "
            "au 04 65 71 00 00 pour en fixer un.",
        ),
        notes=("Salle des mariages pré-réservée pour le {date}, 15 h.",),
        citizen_answers=(
            "Bonjour,\n\nMon futur mari est de nationalité portugaise.\n\nBien à vous,\n{name}",
        ),
        weight=0.8,
    ),
    R(
        key="pacs",
        topic="mariage-pacs",
        department="etat-civil",
        subjects=("Demande de rendez-vous pour un PACS", "PACS en mairie"),
        bodies=(
            "Nous souhaitons conclure un PACS en mairie. Quels documents faut-il fournir et "
            "faut-il prendre rendez-vous ? Nous habitons tous les deux au {num} {street}.",
        ),
        informal=(
            "Salut, on voudrait se pacser avec ma copine, c'est comment pour avoir un rdv ? merci"
            "\n{first}",
        ),
        answers=(
            "Votre rendez-vous pour l'enregistrement du PACS est fixé au {date} à 10 h 30 en "
            "mairie. Venez tous les deux avec vos pièces d'identité originales et la convention "
            "de PACS signée.",
        ),
        weight=0.6,
    ),
    R(
        key="family-booklet",
        topic="livret-famille",
        department="etat-civil",
        subjects=(
            "Perte du livret de famille",
            "Demande de duplicata du livret de famille",
            "Livret de famille perdu",
        ),
        bodies=(
            "Lors de notre déménagement, nous avons perdu notre livret de famille. Nous nous "
            "sommes mariés à Villebois en {year}. Comment obtenir un duplicata ?",
            "Notre livret de famille a disparu lors d'un cambriolage (plainte déposée). Nos "
            "enfants sont nés à Villebois. Comment en obtenir un nouveau ?",
        ),
        informal=(
            "bonjour jai perdu mon livret de famille, comment on fait pour en ravoir un ?\n"
            "{first} {last}",
        ),
        calls=(
            "Appel de {civility} {last} : livret de famille perdu, mariage célébré à Villebois en "
            "{year}. Souhaite un duplicata.",
        ),
        asks=(
            "Pour établir un duplicata, merci de nous envoyer le formulaire de demande complété "
            "(disponible sur service-public.fr) et une copie de votre pièce d'identité.",
        ),
        answers=(
            "Votre duplicata de livret de famille est prêt. Vous pouvez le retirer à l'accueil de "
            "la mairie aux heures d'ouverture, muni(e) d'une pièce d'identité.",
        ),
        notes=("Extraits demandés aux communes de naissance des enfants.",),
        citizen_answers=(
            "Bonjour,\n\nVoici le formulaire rempli et ma carte d'identité. Merci !\n\n{name}",
        ),
        weight=0.8,
    ),
    R(
        key="passport-appointment",
        topic="titres-identite",
        department="etat-civil",
        subjects=(
            "Rendez-vous pour une carte d'identité",
            "Passeport : délai pour un rendez-vous",
            "Renouvellement de CNI",
        ),
        bodies=(
            "Ma carte d'identité expire le mois prochain et je ne trouve aucun créneau sur le site "
            "pour un rendez-vous. Y a-t-il des disponibilités en mairie ?",
            "Nous partons en voyage le {date} et mon fils {child} n'a pas de passeport. Est-il "
            "encore possible d'obtenir un rendez-vous rapidement ?",
        ),
        sms=("Bonjour, je voudrais un rdv pour un passeport le plus vite possible svp",),
        calls=(
            "Appel de {civility} {last} : souhaite un rendez-vous pour un passeport avant un "
            "départ le {date}. Aucune disponibilité en ligne.",
        ),
        answers=(
            "Nous vous avons réservé un rendez-vous le {date} à 9 h 15. Pensez à apporter votre "
            "pré-demande, une photo d'identité récente et un justificatif de domicile.",
        ),
        updates=(
            "Les créneaux sont très demandés en ce moment. Nous vous avons inscrit(e) sur la liste "
            "des désistements et vous recontacterons dès qu'un rendez-vous se libère.",
        ),
        notes=("Inscrit(e) sur la liste des désistements.",),
        weight=1.4,
        urgent=0.15,
    ),
    R(
        key="id-card-ready",
        topic="titres-identite",
        department="etat-civil",
        subjects=("Ma carte d'identité est-elle arrivée ?", "Retrait de passeport"),
        bodies=(
            "J'ai reçu un SMS de l'ANTS m'indiquant que mon titre d'identité était disponible. "
            "Puis-je venir le retirer sans rendez-vous ?",
        ),
        informal=(
            "bonjour c'est pour savoir si ma carte d'identité est arrivé, j'ai reçu un sms. "
            "merci\n{first}",
        ),
        sms=("Bonjour ma carte d'identité est prête ? j'ai eu le sms de l'ANTS. {last}",),
        answers=(
            "Votre titre est bien arrivé en mairie. Vous pouvez venir le retirer sans rendez-vous "
            "du lundi au vendredi, avec votre ancien titre.",
        ),
        weight=0.8,
    ),
)
