"""The demo's French world: two organizations, their services and topics, the people who work there,
and the pools of names, places and phrases that the requests (`requests.py`) are written with.

Everything here is fictional. Citizens' addresses use reserved example domains only; phone numbers
come from the ranges ARCEP reserves for fiction whenever the phone-number validator accepts them
(see `phone_numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "demo-guichet-2026"  # noqa: S105 — the published password of the demo accounts


@dataclass(frozen=True)
class OrganizationSpec:
    name: str
    slug: str
    reference_prefix: str
    email_address: str
    primary_color: str
    portal_intro: str
    response_days: int
    default_department: str


@dataclass(frozen=True)
class DepartmentSpec:
    slug: str
    name: str
    email_address: str
    description: str


@dataclass(frozen=True)
class TopicSpec:
    slug: str
    name: str
    department: str
    keywords: tuple[str, ...]
    description: str = ""
    response_days: int | None = None


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    # "platform" (superuser, no membership), or a Membership role.
    role: str
    organization: str = ""
    departments: tuple[str, ...] = ()
    is_staff: bool = False


# --- Ville de Villebois ----------------------------------------------------------------------

VILLEBOIS = OrganizationSpec(
    name="Ville de Villebois",
    slug="villebois",
    reference_prefix="VIL",
    email_address="mairie@villebois.fr",
    # White on #1f4e99 has a contrast of 8:1 (WCAG AA needs 4.5:1).
    primary_color="#1f4e99",
    portal_intro=(
        "Bienvenue sur le guichet en ligne de la Ville de Villebois.\n\n"
        "Une question, une démarche, un problème dans votre rue ? Écrivez-nous ici : état civil, "
        "urbanisme, voirie, écoles et cantine, action sociale, déchets... Votre demande arrive "
        "directement au bon service. Nous vous répondons sous 5 jours ouvrés et vous pouvez suivre "
        "votre demande à tout moment grâce au lien personnel que nous vous envoyons.\n\n"
        "En cas d'urgence, appelez le 112. Accueil de la mairie : du lundi au vendredi, "
        "8 h 30 - 12 h et 13 h 30 - 17 h 30."
    ),
    response_days=5,
    default_department="accueil",
)

VILLEBOIS_DEPARTMENTS = (
    DepartmentSpec(
        "accueil",
        "Accueil",
        "accueil@villebois.fr",
        "Accueil de la mairie : renseignements, orientation, demandes dont le service n'est pas "
        "encore connu.",
    ),
    DepartmentSpec(
        "etat-civil",
        "État civil",
        "etat-civil@villebois.fr",
        "Actes de naissance, mariage, décès, livret de famille, cartes d'identité et passeports.",
    ),
    DepartmentSpec(
        "urbanisme",
        "Urbanisme",
        "urbanisme@villebois.fr",
        "Permis de construire, déclarations préalables, PLU, cadastre et certificats d'urbanisme.",
    ),
    DepartmentSpec(
        "voirie",
        "Voirie et propreté",
        "voirie@villebois.fr",
        "Chaussées, trottoirs, éclairage public, stationnement et signalisation.",
    ),
    DepartmentSpec(
        "ccas",
        "Action sociale (CCAS)",
        "ccas@villebois.fr",
        "Centre communal d'action sociale : aides, RSA, logement d'urgence, seniors.",
    ),
    DepartmentSpec(
        "education",
        "Éducation et enfance",
        "education@villebois.fr",
        "Inscriptions scolaires, cantine, périscolaire, centre de loisirs et petite enfance.",
    ),
    DepartmentSpec(
        "dechets",
        "Déchets et environnement",
        "dechets@villebois.fr",
        "Collecte des déchets, bacs, encombrants, déchetterie et dépôts sauvages.",
    ),
)

VILLEBOIS_TOPICS = (
    TopicSpec(
        "actes-etat-civil",
        "Actes de naissance et de décès",
        "etat-civil",
        (
            "acte de naissance",
            "extrait de naissance",
            "extrait d'acte de naissance",
            "copie intégrale",
            "acte de décès",
            "déclaration de décès",
            "reconnaissance anticipée",
            "naissance",
            "décès",
        ),
        "Copies et extraits d'actes, déclarations de naissance et de décès.",
        response_days=3,
    ),
    TopicSpec(
        "mariage-pacs",
        "Mariage et PACS",
        "etat-civil",
        (
            "mariage",
            "se marier",
            "dossier de mariage",
            "publication des bans",
            "acte de mariage",
            "pacs",
            "pacte civil de solidarité",
            "témoins",
        ),
        "Préparer un mariage ou un PACS, obtenir un acte de mariage.",
    ),
    TopicSpec(
        "livret-famille",
        "Livret de famille",
        "etat-civil",
        ("livret de famille", "duplicata du livret", "second livret", "mise à jour du livret"),
        "Duplicata, mise à jour, perte ou vol du livret de famille.",
    ),
    TopicSpec(
        "titres-identite",
        "Carte d'identité et passeport",
        "etat-civil",
        (
            "carte d'identité",
            "carte nationale d'identité",
            "cni",
            "passeport",
            "pré-demande",
            "titre d'identité",
            "rendez-vous pour un passeport",
        ),
        "Rendez-vous, pièces à fournir et retrait des cartes d'identité et passeports.",
    ),
    TopicSpec(
        "permis-construire",
        "Permis de construire",
        "urbanisme",
        (
            "permis de construire",
            "permis d'aménager",
            "extension",
            "agrandissement",
            "surface de plancher",
            "construire une maison",
        ),
        "Dépôt et suivi des permis de construire et d'aménager.",
        response_days=10,
    ),
    TopicSpec(
        "declaration-prealable",
        "Déclaration préalable de travaux",
        "urbanisme",
        (
            "déclaration préalable",
            "clôture",
            "abri de jardin",
            "piscine",
            "ravalement",
            "panneaux solaires",
            "véranda",
            "changement de fenêtres",
        ),
        "Clôtures, abris de jardin, piscines, façades, panneaux solaires...",
        response_days=10,
    ),
    TopicSpec(
        "plu-cadastre",
        "PLU, cadastre et certificat d'urbanisme",
        "urbanisme",
        (
            "plu",
            "plan local d'urbanisme",
            "cadastre",
            "certificat d'urbanisme",
            "zonage",
            "parcelle",
            "terrain constructible",
        ),
        "Règles du plan local d'urbanisme, plans cadastraux, certificats d'urbanisme.",
    ),
    TopicSpec(
        "chaussee-trottoirs",
        "Chaussée et trottoirs",
        "voirie",
        (
            "nid-de-poule",
            "nids-de-poule",
            "chaussée",
            "trottoir",
            "trottoirs",
            "bordure",
            "affaissement",
            "route abîmée",
            "plaque d'égout",
        ),
        "Nids-de-poule, trottoirs abîmés, affaissements de chaussée.",
        response_days=3,
    ),
    TopicSpec(
        "eclairage-public",
        "Éclairage public",
        "voirie",
        (
            "éclairage public",
            "lampadaire",
            "lampadaires",
            "réverbère",
            "candélabre",
            "panne d'éclairage",
            "plongée dans le noir",
        ),
        "Lampadaires en panne, éclairage qui reste allumé de jour.",
        response_days=3,
    ),
    TopicSpec(
        "stationnement",
        "Stationnement et circulation",
        "voirie",
        (
            "stationnement",
            "voiture ventouse",
            "véhicule abandonné",
            "place handicapée",
            "ralentisseur",
            "signalisation",
            "vitesse excessive",
            "zone bleue",
            "circulation",
        ),
        "Stationnement gênant, véhicules abandonnés, signalisation, vitesse.",
    ),
    TopicSpec(
        "depots-sauvages",
        "Dépôts sauvages",
        "dechets",
        (
            "dépôt sauvage",
            "dépôts sauvages",
            "décharge sauvage",
            "déchets abandonnés",
            "sacs poubelles",
            "gravats",
            "amiante",
        ),
        "Déchets abandonnés sur la voie publique ou dans la nature.",
        response_days=2,
    ),
    TopicSpec(
        "collecte-bacs",
        "Collecte et bacs",
        "dechets",
        (
            "collecte",
            "ramassage",
            "bac",
            "poubelle",
            "conteneur",
            "tri sélectif",
            "bac jaune",
            "ordures ménagères",
        ),
        "Jours de collecte, bacs cassés ou volés, tri sélectif.",
    ),
    TopicSpec(
        "encombrants-dechetterie",
        "Encombrants et déchetterie",
        "dechets",
        ("encombrants", "déchetterie", "déchèterie", "déchets verts", "végétaux", "badge d'accès"),
        "Enlèvement des encombrants, accès à la déchetterie.",
    ),
    TopicSpec(
        "inscription-scolaire",
        "Inscription scolaire",
        "education",
        (
            "inscription scolaire",
            "inscrire mon fils",
            "inscrire ma fille",
            "école maternelle",
            "école élémentaire",
            "rentrée scolaire",
            "dérogation scolaire",
            "petite section",
        ),
        "Inscriptions à l'école maternelle et élémentaire, dérogations.",
    ),
    TopicSpec(
        "cantine-periscolaire",
        "Cantine et périscolaire",
        "education",
        (
            "cantine",
            "restauration scolaire",
            "périscolaire",
            "garderie",
            "accueil du matin",
            "centre de loisirs",
            "quotient familial",
        ),
        "Cantine, garderie, accueil de loisirs, factures et quotient familial.",
    ),
    TopicSpec(
        "petite-enfance",
        "Petite enfance (crèche)",
        "education",
        (
            "crèche",
            "multi-accueil",
            "halte-garderie",
            "assistante maternelle",
            "relais petite enfance",
            "mode de garde",
        ),
        "Places en crèche, relais petite enfance, assistantes maternelles.",
        response_days=10,
    ),
    TopicSpec(
        "aides-sociales",
        "Aides sociales, RSA et logement d'urgence",
        "ccas",
        (
            "aide sociale",
            "rsa",
            "revenu de solidarité active",
            "aide alimentaire",
            "colis alimentaire",
            "épicerie sociale",
            "aide financière",
            "logement d'urgence",
            "hébergement d'urgence",
            "expulsion",
            "domiciliation",
        ),
        "Aides du CCAS, accompagnement RSA, aide alimentaire, urgences logement.",
        response_days=3,
    ),
    TopicSpec(
        "seniors",
        "Seniors et portage de repas",
        "ccas",
        (
            "portage de repas",
            "personne âgée",
            "téléassistance",
            "maintien à domicile",
            "aide à domicile",
            "apa",
            "plan canicule",
        ),
        "Portage de repas, téléassistance, aides au maintien à domicile.",
    ),
)

# --- Communauté de communes du Val d'Ombre ---------------------------------------------------

VAL_OMBRE = OrganizationSpec(
    name="Communauté de communes du Val d'Ombre",
    slug="val-ombre",
    reference_prefix="CCVO",
    email_address="contact@val-ombre.fr",
    # White on #2e6b30 has a contrast of 6.3:1.
    primary_color="#2e6b30",
    portal_intro=(
        "La Communauté de communes du Val d'Ombre gère l'eau potable et l'assainissement de ses "
        "douze communes. Une facture, une fuite, un contrôle d'assainissement ? Écrivez-nous : "
        "nous répondons sous 7 jours ouvrés."
    ),
    response_days=7,
    default_department="accueil",
)

VAL_OMBRE_DEPARTMENTS = (
    DepartmentSpec(
        "accueil",
        "Accueil communautaire",
        "accueil@val-ombre.fr",
        "Accueil et orientation des usagers des douze communes.",
    ),
    DepartmentSpec(
        "eau",
        "Eau et assainissement",
        "eau@val-ombre.fr",
        "Abonnements, factures et relevés, fuites, assainissement collectif et non collectif.",
    ),
)

VAL_OMBRE_TOPICS = (
    TopicSpec(
        "facture-eau",
        "Facture et abonnement d'eau",
        "eau",
        ("facture d'eau", "relevé de compteur", "compteur d'eau", "abonnement", "mensualisation"),
        response_days=5,
    ),
    TopicSpec(
        "fuite-coupure",
        "Fuite ou coupure d'eau",
        "eau",
        ("fuite", "coupure d'eau", "plus d'eau", "pression", "eau trouble"),
        response_days=1,
    ),
    TopicSpec(
        "assainissement",
        "Assainissement",
        "eau",
        ("assainissement", "fosse septique", "spanc", "tout-à-l'égout", "raccordement"),
    ),
)

# --- People who work there -------------------------------------------------------------------

USERS = (
    UserSpec("admin", "Patrick", "Garnier", "platform", is_staff=True),
    UserSpec("mairie.admin", "Isabelle", "Moreau", "administrator", "villebois", is_staff=True),
    UserSpec("superviseur", "Sophie", "Lambert", "supervisor", "villebois"),
    UserSpec("accueil", "Nathalie", "Roux", "agent", "villebois", ("accueil",)),
    UserSpec("claire.etatcivil", "Claire", "Fontaine", "agent", "villebois", ("etat-civil",)),
    UserSpec("nadia.urbanisme", "Nadia", "Benali", "agent", "villebois", ("urbanisme",)),
    UserSpec("marc.voirie", "Marc", "Lefèvre", "agent", "villebois", ("voirie",)),
    UserSpec("julien.ccas", "Julien", "Mercier", "agent", "villebois", ("ccas",)),
    UserSpec("lea.education", "Léa", "Girard", "agent", "villebois", ("education",)),
    UserSpec("hugo.dechets", "Hugo", "Perrin", "agent", "villebois", ("dechets",)),
    UserSpec("agent.valombre", "Thomas", "Chevalier", "agent", "val-ombre", ("accueil", "eau")),
)

# --- Citizens --------------------------------------------------------------------------------

# fmt: off
FEMALE_FIRST_NAMES = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Céline", "Aurélie",
    "Émilie", "Julie", "Camille", "Manon", "Laura", "Sarah", "Chloé", "Inès", "Yasmina", "Fatima",
    "Brigitte", "Monique", "Jacqueline", "Hélène", "Valérie", "Stéphanie", "Élodie", "Mélanie",
    "Océane", "Lucie", "Amina", "Josiane",
)
# fmt: on
# fmt: off
MALE_FIRST_NAMES = (
    "Jean", "Michel", "Philippe", "Alain", "Patrick", "Nicolas", "Christophe", "Stéphane",
    "Sébastien", "Julien", "Thomas", "Kevin", "Maxime", "Alexandre", "Antoine", "Romain", "Karim",
    "Mehdi", "Bernard", "Gérard", "Daniel", "François", "Olivier", "Laurent", "Mathieu", "Théo",
    "Hugo", "Yannick", "Mamadou", "Loïc",
)
# fmt: on
# fmt: off
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
    "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier",
    "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Boyer", "Denis",
    "Lemoine", "Benali", "Nguyen", "Diallo", "Haddad", "Le Gall", "Kerjean", "Baron", "Carpentier",
    "Brunet", "Da Silva", "Hamon",
)
# fmt: on
EMAIL_DOMAINS = ("example.org", "example.net", "example.com", "exemple.fr")

# ARCEP reserves 06 39 98 xx xx for fiction. libphonenumber (which the pipeline uses to validate
# numbers) rejects that block, so the demo falls back to a fixed block when it is refused; the
# fallback numbers are stored in a local demo database and never called or texted.
FICTION_MOBILE_PREFIX = "06 39 98"
FALLBACK_MOBILE_PREFIX = "06 00 39"
# Fixed-line fiction ranges accepted by the validator (ARCEP: 01 99 00, 04 65 71...).
FICTION_LANDLINE_PREFIXES = ("01 99 00", "04 65 71")

# --- Places and details the texts are filled with ---------------------------------------------

# fmt: off
STREETS = (
    "rue des Tilleuls", "rue des Tilleuls", "avenue Jean-Jaurès", "rue de la République",
    "chemin des Vignes", "impasse des Lilas", "allée des Peupliers", "rue du Moulin",
    "place de l'Église", "boulevard Victor-Hugo", "rue Pasteur", "rue des Écoles", "rue du Stade",
    "route de la Garenne", "rue Jules-Ferry", "allée des Acacias", "rue de la Fontaine",
    "avenue de la Gare",
)
# fmt: on
# fmt: off
PLACES = (
    "près du stade municipal", "derrière le stade", "à l'entrée du bois de la Garenne",
    "sur le parking de la gare", "derrière la salle des fêtes", "au bout du chemin des Vignes",
    "à côté du city-stade", "le long du terrain de foot", "près des jardins familiaux",
    "au rond-point de la Croix-Blanche",
)
# fmt: on
SCHOOLS = (
    "l'école maternelle Les Coquelicots",
    "l'école élémentaire Jules-Ferry",
    "le groupe scolaire Pasteur",
    "l'école maternelle du Moulin",
)
# fmt: off
CHILD_NAMES = (
    "Lucas", "Emma", "Jade", "Louis", "Inès", "Gabriel", "Chloé", "Nathan", "Léna", "Adam", "Rose",
    "Noah", "Lina", "Jules", "Mila", "Sacha",
)
# fmt: on
CLASSES = ("petite section", "moyenne section", "CP", "CE1", "CE2", "CM1")
# fmt: off
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
    "novembre", "décembre",
)
# fmt: on
BIRTH_PLACES = ("Villebois", "Villebois", "Lyon", "Paris 14e", "Villebois", "Dijon")
PARCEL_SECTIONS = ("AB", "AC", "ZK", "BD", "ZH")

# --- Openings and closings ---------------------------------------------------------------------

GREETINGS = (
    "Bonjour,",
    "Bonjour,",
    "Madame, Monsieur,",
    "Bonjour Madame, Monsieur,",
    "Bonsoir,",
    "Bonjour à vous,",
)
CLOSINGS = (
    "Cordialement,\n{name}",
    "Bien cordialement,\n{name}",
    "Merci d'avance pour votre aide.\n{name}",
    "Je vous remercie par avance de votre retour.\nBien à vous,\n{name}",
    "Dans l'attente de votre réponse, je vous prie d'agréer mes salutations distinguées.\n{name}",
    "Merci !\n{first}",
    "Bonne journée,\n{first} {last}",
)
AGENT_SIGNOFFS = ("Bien cordialement,", "Cordialement,", "Bien à vous,", "Belle journée,")

# Citizens writing again on a case that is still open, without being asked anything.
CITIZEN_CHASERS = (
    "Bonjour,\n\nJe me permets de vous relancer : je n'ai pas eu de nouvelles depuis votre dernier "
    "message. Pouvez-vous me dire où en est ma demande ?\n\nMerci,\n{name}",
    "Bonjour,\n\nMerci pour votre réponse. Avez-vous une idée du délai ? C'est assez urgent pour "
    "nous.\n\nCordialement,\n{name}",
    "Re-bonjour,\n\nJ'ajoute une précision à ma demande : je suis joignable plutôt le matin, avant "
    "10 h.\n\n{first}",
    "bonjour, toujours rien de mon côté... merci de me tenir au courant\n{first}",
)
CITIZEN_THANKS = (
    "Bonjour,\n\nMerci beaucoup pour votre réponse rapide, c'est parfait.\n\nBonne journée,\n{name}",
    "Merci pour votre retour, bonne journée.\n{first}",
    "Bonjour,\n\nC'est noté, je vous remercie.\n\nCordialement,\n{name}",
)
# A closed request that comes back: the pipeline opens a follow-up request.
CITIZEN_RECURRENCES = (
    "Bonjour,\n\nJe reviens vers vous au sujet de ma demande précédente, qui a été clôturée : "
    "la situation n'est finalement pas réglée de mon côté. Pouvez-vous reprendre mon dossier ?"
    "\n\nCordialement,\n{name}",
    "Bonjour,\n\nSuite à votre réponse de l'autre jour, j'ai une nouvelle question sur le même "
    "sujet. Pouvez-vous me rappeler ou me répondre par mail ?\n\nMerci,\n{name}",
)
# SMS answers to a question of an agent; the reference is quoted so the message is threaded.
SMS_REPLIES = (
    "{reference} bonjour c'est ok pour moi, merci",
    "Bonjour, pour la demande {reference} : oui je serai là. Merci",
    "{reference} merci pour le retour, je passe en mairie demain",
)
TRANSFER_REASONS = (
    "Cette demande relève du service {department}.",
    "Mauvaise orientation : à traiter par le service {department}.",
    "Le motif correspond au service {department}, je transfère.",
    "Vu avec l'usager : c'est le service {department} qui est compétent.",
)
CLOSE_REASONS = (
    "Pas de retour de l'usager depuis la réponse.",
    "Demande traitée, clôture.",
    "",
    "",
)
URGENT_NOTES = (
    "Situation signalée comme urgente : traitement prioritaire.",
    "Risque pour la sécurité des personnes, priorité haute.",
)

# Used when a request's own template has none of its kind.
GENERIC_ASKS = (
    "Afin de traiter votre demande, pourriez-vous nous préciser l'adresse exacte concernée et un "
    "moyen de vous joindre en journée ?",
    "Pourriez-vous nous apporter quelques précisions ? Il nous manque des éléments pour vous "
    "répondre.",
)
GENERIC_CITIZEN_ANSWERS = (
    "Bonjour,\n\nIl s'agit du {num} {street}. Vous pouvez me joindre {reach}.\n\nCordialement,"
    "\n{name}",
    "Bonjour, voici les précisions demandées : c'est au {num} {street}. Merci\n{first}",
)
GENERIC_UPDATES = (
    "Nous avons bien pris en compte votre demande, qui est en cours de traitement. Nous revenons "
    "vers vous très prochainement.",
    "Votre demande a été transmise à l'agent chargé du secteur ; nous vous tenons informé(e).",
)
GENERIC_NOTES = (
    "Demande lue, à traiter cette semaine.",
    "Vu avec la responsable de service.",
    "Pièces vérifiées, dossier complet.",
)
SUPERVISOR_NOTES = (
    "Merci de traiter en priorité : l'élu de quartier a été sollicité sur ce sujet.",
    "Attention au délai annoncé, la demande arrive à échéance.",
)
# A citizen calls back about a request; the agent notes the reference so the call is threaded.
CALLBACK_NOTES = (
    "Rappel de {civility} {last} au sujet de la demande {reference} : {text}",
    "Nouvel appel de {civility} {last} (demande {reference}) : {text}",
)
CALLBACK_SUMMARIES = (
    "apporte les précisions demandées ({num} {street}).",
    "confirme les informations et attend notre retour.",
    "demande où en est son dossier.",
)
# When the citizen can only be reached by phone, the agent calls back and notes the call.
CALLED_BACK = (
    "Usager rappelé ce jour. Réponse donnée : « {text} »",
    "Appel sortant, échange avec {civility} {last}. Je lui ai indiqué : « {text} »",
)
