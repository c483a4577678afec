"""parse_email on a corpus of real-world-shaped messages, then on malformed input."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from guichet.channels.base import InboundAttachment, InboundMessage
from guichet.channels.email.parser import (
    FORWARD_SEPARATOR,
    EmailParseError,
    parse_email,
)

CORPUS = Path(__file__).parent / "corpus"
# Mail clients write typographic apostrophes (U+2019); they are spelled \u2019 below.
PARIS_WINTER = timezone(timedelta(hours=1))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def parse(name: str) -> InboundMessage:
    return parse_email(corpus(name))


# --- every corpus file: identity, sender, subject, date, flags, problems ------------------------

# name: (external_id, sender_address, sender_name, subject, received_at, auto_submitted, problems)
CORPUS_HEADERS = {
    "outlook_acte_naissance.eml": (
        "PAXPR08MB1234A1B2C3D4E5F6@PAXPR08MB1234.eurprd08.prod.outlook.com",
        "helene.dupont@outlook.fr",
        "Hélène Dupont",
        "Demande d'acte de naissance",
        datetime(2026, 11, 3, 9, 14, 22, tzinfo=UTC),
        False,
        (),
    ),
    "gmail_reply_nid_de_poule.eml": (
        "CAH7w2P9xYk+Qb3=fZ8sR1mVh4Lq0Jt6Dn2Ku5Ae@mail.gmail.com",
        "jean.martin.69@gmail.com",
        "Jean Martin",
        "Re: Nid-de-poule rue des Tilleuls",
        datetime(2026, 11, 3, 11, 30, 54, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "thunderbird_flowed_permis.eml": (
        "8f3e2c1a-7b6d-4e5f-9a0b-1c2d3e4f5a6b@laposte.net",
        "p.lefebvre@laposte.net",
        "Pierre Lefebvre",
        "Question permis de construire pour une veranda",
        datetime(2026, 11, 4, 18, 2, 41, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "apple_mail_related_photo.eml": (
        "9D8C7B6A-5F4E-4D3C-2B1A-0F9E8D7C6B5A@icloud.com",
        "claire.moreau@icloud.com",
        "Claire Moreau",
        "Lampadaire en panne rue Pasteur",
        datetime(2026, 11, 5, 8, 47, 13, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "iphone_encombrants.eml": (
        "A1B2C3D4-E5F6-4789-ABCD-EF0123456789@orange.fr",
        "sophie.bernard@orange.fr",
        "Sophie Bernard",
        "Encombrants",
        datetime(2026, 11, 6, 19, 22, 5, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "html_only_cantine.eml": (
        "1762513533.4242.1.JavaMail.webmail@sfr.fr",
        "nadia.petit@sfr.fr",
        "",
        "Inscription cantine",
        datetime(2026, 11, 7, 12, 5, 33, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "windows1252_facture_eau.eml": (
        "000101dc5012$3a4b5c60$6d7e8f90$@free.fr",
        "r.lambert@free.fr",
        "Robert Lambert",
        "Contestation facture d\u2019eau",
        datetime(2026, 11, 8, 10, 0, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "iso885915_stationnement.eml": (
        "5f1e2d3c.4b5a.6978.8a9b@wanadoo.fr",
        "emile.roux@wanadoo.fr",
        "Emile Roux",
        "Carte de stationnement résident",
        datetime(2026, 11, 9, 16, 40, 12, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "wrong_charset_utf8_declared_ascii.eml": (
        "20261110065500.GA4242@example.org",
        "luc.garnier@example.org",
        "Luc Garnier",
        "Horaires de la déchèterie",  # raw UTF-8 in the header (RFC 6532): no problem
        datetime(2026, 11, 10, 7, 55, tzinfo=PARIS_WINTER),
        False,
        ("charset 'us-ascii' declared but text/plain part is UTF-8, decoded as utf-8",),
    ),
    "wrong_charset_latin1_declared_utf8.eml": (
        "6a7b8c9d0e1f@example.com",
        "amisduparc@example.com",
        "Association Les Amis du Parc",
        "Demande de salle",
        datetime(2026, 11, 11, 14, 20, tzinfo=PARIS_WINTER),
        False,
        ("charset 'utf-8' does not match text/plain part, decoded as windows-1252 (detected)",),
    ),
    "no_charset.eml": (
        "form-20261112210311-77@quartier-nord.example",
        "formulaire@quartier-nord.example",
        "",
        "Signalement depuis le site du comite de quartier",
        datetime(2026, 11, 12, 21, 3, 11, tzinfo=PARIS_WINTER),
        False,
        ("no charset declared in text/plain part, decoded as utf-8",),
    ),
    "rfc2047_subject_sender.eml": (
        "rfc2047-test-0001@example.fr",
        "anais.leger@example.fr",
        "Anaïs Léger",
        "Inscription à l'école maternelle de Chloé « Les Petits Pas »",
        datetime(2026, 11, 13, 9, 30, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "rfc2231_attachment_declaration.eml": (
        "e3b0c442-98fc-1c14-9afb-f4c8996fb924@example.fr",
        "marc.fontaine@example.fr",
        "Marc Fontaine",
        "Dossier de declaration prealable - abri de jardin",
        datetime(2026, 11, 14, 11, 11, 11, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "auto_reply_absence.eml": (
        "PAXPR08MB1234F9E8D7C6B5A4@PAXPR08MB1234.eurprd08.prod.outlook.com",
        "helene.dupont@outlook.fr",
        "Hélène Dupont",
        "Réponse automatique : [VIL-2026-000123] Votre demande a bien été enregistrée",
        datetime(2026, 11, 3, 9, 20, 1, tzinfo=UTC),
        True,
        (),
    ),
    "bounce_dsn.eml": (
        "20261103091502.4B7F611C0E2@mx1.mairie-villeneuve.fr",
        "mailer-daemon@mx1.mairie-villeneuve.fr",
        "Mail Delivery System",
        "Undelivered Mail Returned to Sender",
        datetime(2026, 11, 3, 10, 15, 2, tzinfo=PARIS_WINTER),
        True,
        (),
    ),
    "mailing_list.eml": (
        "cr-reunion-20261104@listes.example.org",
        "collectif-gare@listes.example.org",
        "Collectif Quartier Gare",
        "[collectif-gare] Compte rendu de la reunion du 4 novembre",
        datetime(2026, 11, 4, 22, 10, tzinfo=PARIS_WINTER),
        True,
        (),
    ),
    "broken_mime_no_closing_boundary.eml": (
        "broken-mime-4711@example.com",
        "karim.haddad@example.com",
        "Karim Haddad",
        "Attestation de domicile",
        datetime(2026, 11, 5, 13, 37, tzinfo=PARIS_WINTER),
        False,
        (
            "truncated base64 (application/pdf part)",
            "closing MIME boundary missing (multipart/mixed part)",
        ),
    ),
    "no_message_id.eml": (
        "sha256:" + hashlib.sha256(corpus("no_message_id.eml")).hexdigest(),
        "gilles.perrin@example.net",
        "Gilles Perrin",
        "Bruit de chantier le dimanche",
        datetime(2026, 11, 16, 8, 5, tzinfo=PARIS_WINTER),
        False,
        ("no Message-ID, identified by a hash of the raw bytes",),
    ),
    "reply_with_reference.eml": (
        "CAH7w2P-reply-000123@mail.gmail.com",
        "jean.martin.69@gmail.com",
        "Jean Martin",
        "RE: [VIL-2026-000123] Votre demande a bien ete enregistree",
        datetime(2026, 11, 18, 17, 45, 10, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "forwarded_rfc822.eml": (
        "fwd-humidite-2026@example.fr",
        "isabelle.caron@example.fr",
        "Isabelle Caron",
        "Fwd: Humidite dans le logement",
        datetime(2026, 11, 20, 10, 2, tzinfo=PARIS_WINTER),
        False,
        (),
    ),
    "long_references_header.eml": (
        "long-refs-0001@example.org",
        "paul.blanc@example.org",
        "Paul Blanc",
        "Re: Re: Re: Eclairage public",
        datetime(2026, 11, 21, 9, 0, tzinfo=PARIS_WINTER),
        False,
        ("References header lists 2500 messages, kept the first and the last 99",),
    ),
    "raw_8bit_headers.eml": (
        "raw-8bit-0042@example.fr",
        "valerie.noel@example.fr",
        "Valérie Noël",
        "Problème de ramassage des déchets verts",
        datetime(2026, 11, 22, 15, 15, 15, tzinfo=PARIS_WINTER),
        False,
        ("non-ASCII bytes in From header, decoded as windows-1252",),
    ),
}


def test_the_table_covers_the_whole_corpus():
    assert sorted(CORPUS_HEADERS) == sorted(path.name for path in CORPUS.glob("*.eml"))


@pytest.mark.parametrize("name", sorted(CORPUS_HEADERS))
def test_corpus_headers(name):
    expected = CORPUS_HEADERS[name]
    external_id, sender, sender_name, subject, received_at, automatic, problems = expected

    message = parse(name)

    assert message.channel == "email"
    assert message.external_id == external_id
    expected_message_id = "" if external_id.startswith("sha256:") else external_id
    assert message.email_message_id == expected_message_id
    assert message.sender_address == sender
    assert message.sender_name == sender_name
    assert message.subject == subject
    assert message.received_at == received_at
    assert message.received_at.utcoffset() == received_at.utcoffset()
    assert message.auto_submitted is automatic
    assert message.problems == problems
    assert message.raw == corpus(name)
    assert message.raw_filename == "message.eml"


# --- bodies, attachments and threading, client by client ----------------------------------------


def test_outlook_text_comes_from_the_plain_part_and_html_is_cleaned():
    message = parse("outlook_acte_naissance.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Je souhaiterais obtenir une copie intégrale de mon acte de naissance "
        "(née le 14 février 1987 à Villeneuve).\n"
        "Pourriez-vous me l'envoyer à mon adresse : 12 allée des Peupliers, 69000 Lyon ?\n\n"
        "Je vous remercie par avance.\n\n"
        "Cordialement,\n"
        "Hélène Dupont"
    )
    assert message.html.startswith("<div>\n<p>Bonjour,</p>")
    assert "<p><b>Hélène Dupont</b></p>" in message.html
    for leftover in ("<style", "MsoNormal", "<!--", "<o:p>", "<xml", "Cambria"):
        assert leftover not in message.html
    assert message.recipients == ("contact@mairie-villeneuve.fr",)
    assert message.attachments == ()
    assert message.in_reply_to == ()
    assert message.references == ()


def test_gmail_reply_separates_the_french_quote_and_keeps_threading():
    message = parse("gmail_reply_nid_de_poule.eml")

    assert message.in_reply_to == ("case-vil-2026-000117.1762161120@mairie-villeneuve.fr",)
    assert message.references == ("case-vil-2026-000117.1762161120@mairie-villeneuve.fr",)
    assert message.recipients == ("contact@mairie-villeneuve.fr",)
    assert message.text.startswith("Bonjour,\n\nMerci pour votre réponse rapide.")
    assert message.text.endswith("Bien cordialement,\nJean Martin")
    # The quoted history is kept beside the new text, whole.
    assert message.quoted_text.startswith(
        "Le lun. 3 nov. 2026 à 10:12, Mairie de Villeneuve <contact@mairie-villeneuve.fr> "
        "a écrit :\n\n> Bonjour Monsieur Martin,\n>\n"
        "> Votre signalement a bien été transmis aux services techniques.\n"
    )
    assert (
        '<a href="mailto:contact@mairie-villeneuve.fr" rel="noopener noreferrer nofollow">'
        in message.html
    )
    assert (
        '<blockquote style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204, 204, 204);'
        'padding-left:1ex">Bonjour Monsieur Martin,<br>'
    ) in message.html
    assert message.attachments == ()


def test_thunderbird_format_flowed_is_unwrapped():
    message = parse("thunderbird_flowed_permis.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Je souhaite construire une véranda de 18 m² accolée à ma maison au 7 chemin des Vignes. "
        "Faut-il déposer un permis de construire ou une simple déclaration préalable ?\n\n"
        "From what I read, the threshold is 20 m² in zones urbaines.\n\n"
        "> Extrait du PLU : « les extensions inférieures à 20 m² sont soumises à déclaration "
        "préalable »\n\n"
        "Merci d'avance,\n\n"
        "-- \n"
        "Pierre Lefebvre\n"
        "06 12 34 56 78"
    )
    assert message.html == ""
    assert message.recipients == ("urbanisme@mairie-villeneuve.fr",)


def test_apple_mail_inline_image_is_an_inline_attachment_referenced_by_the_html():
    message = parse("apple_mail_related_photo.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Voici une photo du lampadaire cassé à l\u2019angle de la rue Pasteur et de l\u2019avenue Foch.\n\n"
        "Il ne s\u2019allume plus depuis une semaine.\n\n"
        "Claire Moreau"
    )
    assert len(message.attachments) == 1
    photo = message.attachments[0]
    # RFC 2231 file name, written by macOS with decomposed accents, given back composed (NFC).
    assert photo.filename == "Capture d\u2019écran 2026-11-05 à 08.45.10.png"
    assert photo.content_type == "image/png"
    assert photo.is_inline is True
    assert photo.content_id == "C7A1B2D3-E4F5-4A6B-8C9D-0E1F2A3B4C5D@home"
    assert photo.content.startswith(PNG_SIGNATURE)
    assert len(photo.content) == 73
    assert '<img src="cid:C7A1B2D3-E4F5-4A6B-8C9D-0E1F2A3B4C5D@home">' in message.html
    assert "apple-inline" not in message.html


def test_iphone_plain_text_with_its_signature():
    message = parse("iphone_encombrants.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Est-il possible de faire enlever un vieux canapé et une machine à laver devant chez moi "
        "(3 impasse des Lilas) ? Quel est le prochain passage des encombrants ?\n\n"
        "Merci\n\n"
        "Envoyé de mon iPhone"
    )
    assert message.html == ""
    assert message.attachments == ()


def test_html_only_mail_gets_a_text_rendering_and_loses_its_tracking_pixel():
    message = parse("html_only_cantine.eml")

    assert message.text == (
        "Madame, Monsieur,\n\n"
        "Je voudrais inscrire mon fils Lucas Petit à la cantine de l'école Jules-Ferry "
        "à partir du lundi 17 novembre.\n\n"
        "  * Classe : CE1\n"
        "  * Régime : sans porc\n\n"
        "Pouvez-vous m'indiquer les tarifs ?\n\n"
        "Bien à vous,\n"
        "Nadia Petit"
    )
    assert "<strong>Lucas Petit</strong>" in message.html
    assert (
        '<a href="https://www.mairie-villeneuve.fr/tarifs" rel="noopener noreferrer nofollow">'
        "tarifs</a>"
    ) in message.html
    for leftover in ("<script", "document.write", "open.gif", "<img", "onclick", "<title"):
        assert leftover not in message.html


def test_windows_1252_body_keeps_euro_sign_and_curly_apostrophes():
    message = parse("windows1252_facture_eau.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Ma facture d\u2019eau du 2e semestre s\u2019élève à 127,50 €, soit le double de l\u2019an dernier.\n"
        "Je conteste ce montant : aucune fuite n\u2019a été constatée, le compteur a-t-il été relevé ?"
        "\n\nSalutations,\nRobert Lambert"
    )


def test_iso_8859_15_body_reads_a4_as_the_euro_sign():
    message = parse("iso885915_stationnement.eml")

    assert "carte de stationnement résident (45 € par an) pour le quartier Saint-Étienne." in (
        message.text
    )
    assert message.text.endswith("Cordialement,\nÉmile Roux")
    assert "¤" not in message.text


def test_utf8_body_declared_us_ascii_is_read_as_utf8():
    message = parse("wrong_charset_utf8_declared_ascii.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Quels sont les horaires d'ouverture de la déchèterie pendant les fêtes ?\n"
        "Est-elle ouverte le 26 décembre ?\n\n"
        "Luc"
    )


def test_latin1_body_declared_utf8_is_detected():
    message = parse("wrong_charset_latin1_declared_utf8.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Notre association souhaite réserver la salle des fêtes le samedi 13 décembre "
        "pour notre assemblée générale.\n"
        "Pourriez-vous nous préciser les conditions de réservation et le tarif appliqué "
        "aux associations ?\n\n"
        "Très cordialement,\n"
        "Le président, François Mercier"
    )


def test_body_without_charset_or_content_type_is_read_as_utf8():
    message = parse("no_charset.eml")

    assert message.text == (
        "Nom : Thomas Girard\n"
        "Message : Le panneau « Stop » au carrefour des Écoles a été arraché par le vent."
    )


def test_rfc2047_names_in_q_and_b_and_recipients():
    message = parse("rfc2047_subject_sender.eml")

    assert message.recipients == ("education@mairie-villeneuve.fr", "jose.leger@example.fr")
    assert message.text.endswith(
        "notre fille Chloé à l'école maternelle « Les Petits Pas » pour la rentrée.\n\nAnaïs Léger"
    )


def test_rfc2231_and_rfc2047_file_names_of_pdf_attachments():
    message = parse("rfc2231_attachment_declaration.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Veuillez trouver ci-joint ma déclaration préalable pour un abri de jardin de 9 m², "
        "ainsi que le récépissé de dépôt.\n\n"
        "Marc Fontaine"
    )
    assert [
        (a.filename, a.content_type, a.is_inline, a.content_id) for a in message.attachments
    ] == [
        ("Déclaration préalable.pdf", "application/pdf", False, ""),
        ("Récépissé dépôt.pdf", "application/pdf", False, ""),
    ]
    for attachment in message.attachments:
        assert attachment.content.startswith(b"%PDF-1.4\n")
        assert attachment.content.endswith(b"%%EOF\n")
    assert b"(Declaration prealable DP 069 123 26 00042) Tj" in message.attachments[0].content


def test_out_of_office_reply_is_automatic_and_threaded():
    message = parse("auto_reply_absence.eml")

    assert message.in_reply_to == ("ack.vil-2026-000123@mairie-villeneuve.fr",)
    assert message.recipients == ("ne-pas-repondre@mairie-villeneuve.fr",)
    assert message.text == (
        "Bonjour,\n\n"
        "Je suis absente jusqu'au 12 novembre inclus, avec un accès limité à mes messages.\n\n"
        "Hélène Dupont"
    )


def test_bounce_keeps_the_report_and_appends_the_returned_message():
    message = parse("bounce_dsn.eml")

    assert message.text.startswith("This is the mail system at host mx1.mairie-villeneuve.fr.")
    assert "Recipient address\n    rejected: User unknown in virtual mailbox table" in message.text
    assert message.text.endswith(
        f"{FORWARD_SEPARATOR}\n"
        "De : Mairie de Villeneuve <ne-pas-repondre@mairie-villeneuve.fr>\n"
        "Date : Mon, 3 Nov 2026 10:15:00 +0100\n"
        "Objet : [VIL-2026-000117] Votre demande a bien été enregistree\n"
        "À : jean.martin@exemple-inexistant.fr\n\n"
        "Votre demande a bien été enregistrée sous le numéro VIL-2026-000117."
    )
    assert len(message.attachments) == 1
    report = message.attachments[0]
    assert (report.filename, report.content_type, report.is_inline) == (
        "attachment-1.txt",
        "message/delivery-status",
        False,
    )
    assert report.content.startswith(b"Reporting-MTA: dns; mx1.mairie-villeneuve.fr\n")
    assert b"\nStatus: 5.1.1\n" in report.content
    assert message.recipients == ("ne-pas-repondre@mairie-villeneuve.fr",)


def test_mailing_list_message_is_automatic_on_list_id_alone():
    message = parse("mailing_list.eml")

    assert message.text.endswith(
        "_______________________________________________\ncollectif-gare mailing list"
    )


def test_broken_mime_keeps_the_text_and_what_arrived_of_the_attachment():
    message = parse("broken_mime_no_closing_boundary.eml")

    assert message.text == (
        "Bonjour, voici mon attestation de domicile pour le dossier de carte d'identité."
    )
    assert len(message.attachments) == 1
    attachment = message.attachments[0]
    assert (attachment.filename, attachment.content_type) == ("attestation.pdf", "application/pdf")
    assert attachment.content.startswith(b"%PDF-1.4\n")
    assert len(attachment.content) == 300


def test_message_without_message_id_is_identified_by_its_bytes():
    message = parse("no_message_id.eml")

    assert message.text == (
        "Bonjour, un chantier fonctionne encore ce dimanche à 8 h rue Voltaire. Est-ce autorisé ?"
    )
    assert parse("no_message_id.eml").external_id == message.external_id


def test_reply_carries_in_reply_to_and_references_in_order():
    message = parse("reply_with_reference.eml")

    assert message.in_reply_to == ("ack.vil-2026-000123@mairie-villeneuve.fr",)
    assert message.references == (
        "CAH7w2P9xYk+Qb3=fZ8sR1mVh4Lq0Jt6Dn2Ku5Ae@mail.gmail.com",
        "case-vil-2026-000117.1762161120@mairie-villeneuve.fr",
        "ack.vil-2026-000123@mairie-villeneuve.fr",
    )
    # To, then Cc; lower-cased and each address once.
    assert message.recipients == (
        "ne-pas-repondre@mairie-villeneuve.fr",
        "voirie@mairie-villeneuve.fr",
        "jean.martin.69@gmail.com",
    )
    assert message.text.startswith("Bonjour,\n\nDeux semaines plus tard, le trou n'est toujours")


def test_forwarded_message_text_follows_a_separator_and_its_attachment_is_kept():
    message = parse("forwarded_rfc822.eml")

    assert message.text == (
        "Bonjour,\n\n"
        "Je vous transfère l'échange avec mon bailleur, qui ne répond plus depuis un mois.\n\n"
        "Isabelle Caron\n\n"
        f"{FORWARD_SEPARATOR}\n"
        "De : Office HLM Villeneuve <gestion@hlm-villeneuve.example>\n"
        "Date : Mon, 20 Oct 2026 15:30:00 +0200\n"
        "Objet : Humidité dans le logement\n"
        "À : isabelle.caron@example.fr\n\n"
        "Madame, un technicien passera constater l'humidité de votre logement."
    )
    assert [(a.filename, a.content_type, a.is_inline) for a in message.attachments] == [
        ("constat-humidite.pdf", "application/pdf", False)
    ]
    assert message.attachments[0].content.startswith(b"%PDF-1.4\n")


def test_hundred_kilobyte_references_header_keeps_root_and_latest():
    raw = corpus("long_references_header.eml")
    assert len(raw) > 100_000

    message = parse_email(raw)

    assert len(message.references) == 100
    assert message.references[0] == "thread.00000.a1b2c3d4e5@relay.example.org"
    assert message.references[1] == "thread.02401.a1b2c3d4e5@relay.example.org"
    assert message.references[-1] == "thread.02499.a1b2c3d4e5@relay.example.org"
    assert message.in_reply_to == ("thread.02499.a1b2c3d4e5@relay.example.org",)
    assert message.text == "Toujours pas de lumiere dans la rue."


def test_raw_8bit_headers_are_decoded():
    message = parse("raw_8bit_headers.eml")

    assert message.text == "Les déchets verts n'ont pas été ramassés samedi, rue de l'Étang."


# --- automatic senders -------------------------------------------------------------------------

PLAIN_BODY = b"Content-Type: text/plain; charset=utf-8\n\nBonjour\n"


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [
        (b"From: marie@example.fr\nSubject: Bonjour\n", False),
        (b"From: marie@example.fr\nAuto-Submitted: no\n", False),
        (b"From: marie@example.fr\nAuto-Submitted: auto-generated\n", True),
        (b"From: marie@example.fr\nAuto-Submitted: auto-replied; owner-email=x@y.fr\n", True),
        (b"From: marie@example.fr\nPrecedence: bulk\n", True),
        (b"From: marie@example.fr\nPrecedence: junk\n", True),
        (b"From: marie@example.fr\nPrecedence: list\n", True),
        (b"From: marie@example.fr\nPrecedence: auto_reply\n", True),
        (b"From: marie@example.fr\nPrecedence: first-class\n", False),
        (b"From: marie@example.fr\nX-Autoreply: yes\n", True),
        (b"From: marie@example.fr\nX-Autorespond: Vacances\n", True),
        (b"From: marie@example.fr\nList-Unsubscribe: <mailto:unsub@example.fr>\n", True),
        (b"From: marie@example.fr\nList-Id: <quartier.example.fr>\n", True),
        (b"From: MAILER-DAEMON (Mail Delivery System)\n", True),
        (b"From: postmaster@example.fr\n", True),
        (b"From: <>\n", True),
        (b"From: marie@example.fr\nReturn-Path: <>\n", True),
        (b"From: marie@example.fr\nReturn-Path: <marie@example.fr>\n", False),
        # Outlook's X-Auto-Response-Suppress alone is ordinary mail ...
        (b"From: marie@example.fr\nX-Auto-Response-Suppress: OOF\nSubject: Permis\n", False),
        (b"From: marie@example.fr\nX-Auto-Response-Suppress: All\nSubject: Permis\n", False),
        # ... and an out-of-office subject alone is not proof either ...
        (b"From: marie@example.fr\nSubject: Automatic reply: Permis\n", False),
        # ... together they are.
        (
            b"From: marie@example.fr\nX-Auto-Response-Suppress: OOF\nSubject: Absent du bureau\n",
            True,
        ),
        (
            b"From: marie@example.fr\nX-Auto-Response-Suppress: DR, OOF, AutoReply\n"
            b"Subject: Automatic reply: Permis\n",
            True,
        ),
    ],
)
def test_automatic_senders(headers, automatic):
    message = parse_email(headers + PLAIN_BODY)

    assert message.auto_submitted is automatic


def test_multipart_report_is_automatic_even_from_an_ordinary_address():
    raw = (
        b"From: marie@example.fr\n"
        b"Content-Type: multipart/report; report-type=disposition-notification; boundary=r\n\n"
        b"--r\nContent-Type: text/plain\n\nLu.\n"
        b"--r\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/"
        b"MDN-sent-manually; displayed\n--r--\n"
    )

    message = parse_email(raw)

    assert message.auto_submitted is True
    assert message.text == "Lu."
    assert [(a.filename, a.content_type) for a in message.attachments] == [
        ("attachment-1.bin", "message/disposition-notification")
    ]


# --- senders, dates and subjects from damaged headers ------------------------------------------


def test_sender_falls_back_to_reply_to_when_from_is_missing():
    message = parse_email(b"Reply-To: Marie Curie <Marie@Example.FR>\n" + PLAIN_BODY)

    assert (message.sender_address, message.sender_name) == ("marie@example.fr", "Marie Curie")
    assert message.problems == (
        "From header missing, sender taken from Reply-To",
        "no Message-ID, identified by a hash of the raw bytes",
    )


def test_sender_falls_back_to_return_path_when_from_is_unusable():
    message = parse_email(
        b"From: Marie Curie\nReturn-Path: <marie.curie@example.fr>\nMessage-ID: <a@b>\n"
        + PLAIN_BODY
    )

    assert message.sender_address == "marie.curie@example.fr"
    assert message.problems == ("From unusable, sender taken from Return-Path",)
    assert message.auto_submitted is False


def test_no_sender_at_all_is_recorded():
    message = parse_email(b"Subject: Bonjour\nMessage-ID: <a@b>\n" + PLAIN_BODY)

    assert (message.sender_address, message.sender_name) == ("", "")
    assert message.problems == ("no usable sender address",)


def test_display_name_equal_to_the_address_is_dropped():
    message = parse_email(b'From: "marie@example.fr" <Marie@example.fr>\n' + PLAIN_BODY)

    assert (message.sender_address, message.sender_name) == ("marie@example.fr", "")


def test_address_in_a_comment_form_gives_its_name():
    message = parse_email(b"From: marie@example.fr (Marie Curie)\n" + PLAIN_BODY)

    assert (message.sender_address, message.sender_name) == ("marie@example.fr", "Marie Curie")


def test_unreadable_date_is_none_with_a_problem():
    message = parse_email(
        b"From: a@example.fr\nMessage-ID: <a@b>\nDate: le 3 novembre vers midi\n" + PLAIN_BODY
    )

    assert message.received_at is None
    assert message.problems == ("unreadable Date header ignored",)


def test_missing_date_is_none_without_problem():
    message = parse_email(b"From: a@example.fr\nMessage-ID: <a@b>\n" + PLAIN_BODY)

    assert message.received_at is None
    assert message.problems == ()


def test_date_with_unknown_zone_is_taken_as_utc():
    message = parse_email(
        b"From: a@example.fr\nDate: Mon, 3 Nov 2026 09:14:22 -0000\n" + PLAIN_BODY
    )

    assert message.received_at == datetime(2026, 11, 3, 9, 14, 22, tzinfo=UTC)
    assert message.received_at.tzinfo is UTC


def test_subject_is_folded_and_capped_at_300_characters():
    words = b" ".join([b"demande"] * 60)  # 479 characters

    message = parse_email(b"From: a@example.fr\nSubject:  " + words + b"\n\t suite\n" + PLAIN_BODY)

    assert message.subject == " ".join(["demande"] * 60)[:300]
    assert len(message.subject) == 300
    assert "subject of 485 characters truncated to 300" in message.problems


def test_message_id_is_stripped_of_brackets_and_whitespace():
    message = parse_email(
        b"From: a@example.fr\nMessage-ID:\n <abc.def\n @example.fr> (Exim)\n" + PLAIN_BODY
    )

    assert message.email_message_id == "abc.def@example.fr"
    assert message.external_id == "abc.def@example.fr"


def test_message_ids_without_brackets_are_still_read():
    message = parse_email(
        b"From: a@example.fr\nIn-Reply-To: abc@example.fr\nReferences: r1@x r2@x r1@x\n"
        + PLAIN_BODY
    )

    assert message.in_reply_to == ("abc@example.fr",)
    assert message.references == ("r1@x", "r2@x")


def test_whole_from_encoded_with_the_address_inside():
    message = parse_email(
        b"From: =?utf-8?Q?Ma=C3=AFa_Dupr=C3=A9_=3Cmaia@example.fr=3E?=\n" + PLAIN_BODY
    )

    assert (message.sender_address, message.sender_name) == ("maia@example.fr", "Maïa Dupré")


# --- bodies from damaged MIME ------------------------------------------------------------------


def test_unknown_charset_is_detected():
    raw = (
        b"From: a@example.fr\nMessage-ID: <a@b>\n"
        b"Content-Type: text/plain; charset=x-unknown\n\n"
        + "Le problème persiste depuis l'été, merci de votre aide.".encode("cp1252")
    )

    message = parse_email(raw)

    assert message.text == "Le problème persiste depuis l'été, merci de votre aide."
    assert message.problems == (
        "charset 'x-unknown' unknown in text/plain part, decoded as windows-1252 (detected)",
    )


def test_bytes_to_bytes_codec_as_charset_is_unknown():
    raw = b"From: a@example.fr\nMessage-ID: <a@b>\nContent-Type: text/plain; charset=base64\n\n"

    message = parse_email(raw + "Déjà vu".encode())

    assert message.text == "Déjà vu"
    assert message.problems == ("charset 'base64' unknown in text/plain part, decoded as utf-8",)


def test_latin1_label_decodes_windows_1252_bytes():
    raw = b"From: a@example.fr\nMessage-ID: <a@b>\nContent-Type: text/plain; charset=iso-8859-1\n\n"

    message = parse_email(raw + "Total : 15 € — merci".encode("cp1252"))

    assert message.text == "Total : 15 € — merci"
    assert message.problems == ()


def test_multipart_whose_boundary_never_appears_is_read_as_text():
    raw = (
        b"From: a@example.fr\nMessage-ID: <a@b>\n"
        b"Content-Type: multipart/mixed; boundary=never\n\nLe texte est quand m\xc3\xaame l\xc3\xa0.\n"
    )

    message = parse_email(raw)

    assert message.text == "Le texte est quand même là."
    assert message.problems == (
        "no charset declared in text/plain part, decoded as utf-8",
        "MIME boundary never found, body read as text (multipart/mixed part)",
        "multipart without parts (multipart/mixed part)",
    )


def test_binary_garbage_body_never_raises_and_holds_no_nul():
    raw = b"From: a@example.fr\nMessage-ID: <a@b>\n\n" + bytes(range(256)) * 4

    message = parse_email(raw)

    assert "\x00" not in message.text
    assert message.sender_address == "a@example.fr"
    assert len(message.problems) == 1
    assert message.problems[0].startswith("no charset declared in text/plain part, decoded as ")


def test_nul_and_control_characters_are_removed_from_headers():
    raw = b"From: Ma\x00rie <marie@example.fr>\nSubject: Bon\x00jour\x07 !\n" + PLAIN_BODY

    message = parse_email(raw)

    assert message.subject == "Bon jour !"
    assert message.sender_name == "Ma rie"


def test_huge_header_line_is_survived():
    raw = b"From: " + b"a" * 200_000 + b"\nMessage-ID: <a@b>\n" + PLAIN_BODY

    message = parse_email(raw)

    assert message.sender_address == ""
    assert message.text == "Bonjour"
    assert message.problems == ("no usable sender address",)


def test_deeply_nested_multiparts_are_survived():
    nesting = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (level, level)
        for level in range(3000)
    )
    raw = b"From: a@example.fr\nMessage-ID: <a@b>\n" + nesting + b"Content-Type: text/plain\n\nx\n"

    message = parse_email(raw)

    assert message.sender_address == "a@example.fr"
    assert message.problems[0] == "MIME structure unreadable (RecursionError), body kept as text"


def test_parts_nested_deeper_than_the_limit_are_ignored():
    nesting = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (level, level)
        for level in range(30)
    )
    raw = b"From: a@example.fr\nMessage-ID: <a@b>\n" + nesting + b"Content-Type: text/plain\n\nx\n"

    message = parse_email(raw)

    assert message.text == ""
    assert "MIME parts nested deeper than 20 levels ignored" in message.problems


def test_attachment_without_a_name_gets_one_from_its_type():
    raw = (
        b"From: a@example.fr\nContent-Type: multipart/mixed; boundary=m\n\n"
        b"--m\nContent-Type: text/plain\n\nCi-joint.\n"
        b"--m\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
        b"--m\nContent-Type: image/jpeg\nContent-Disposition: attachment\n\n\xff\xd8\xff\n"
        b"--m--\n"
    )

    message = parse_email(raw)

    assert message.text == "Ci-joint."
    assert [(a.filename, a.content_type, a.content) for a in message.attachments] == [
        ("attachment-1.pdf", "application/pdf", b"%PDF-1.4\n"),
        ("attachment-2.jpg", "image/jpeg", b"\xff\xd8\xff"),
    ]


def test_attachment_file_name_loses_its_windows_path_and_raw_utf8_survives():
    raw = (
        b"From: a@example.fr\nContent-Type: multipart/mixed; boundary=m\n\n"
        b"--m\nContent-Type: text/plain\n\nCi-joint.\n"
        b'--m\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="C:\\\\'
        b'Users\\\\Marie\\\\Re\xcc\x81sume\xcc\x81 \xc3\xa9t\xc3\xa9.pdf"\n\n%PDF\n'
        b"--m--\n"
    )

    message = parse_email(raw)

    assert [a.filename for a in message.attachments] == ["Résumé été.pdf"]


def test_text_part_with_a_file_name_is_an_attachment():
    raw = (
        b"From: a@example.fr\nContent-Type: multipart/mixed; boundary=m\n\n"
        b"--m\nContent-Type: text/plain\n\nVoir la liste.\n"
        b'--m\nContent-Type: text/plain; name="liste.txt"\nContent-Disposition: inline; '
        b'filename="liste.txt"\n\n1. pain\n'
        b"--m--\n"
    )

    message = parse_email(raw)

    assert message.text == "Voir la liste."
    assert [(a.filename, a.content_type, a.content) for a in message.attachments] == [
        ("liste.txt", "text/plain", b"1. pain")
    ]


def test_html_part_charset_from_its_meta_tag():
    raw = (
        b"From: a@example.fr\nMessage-ID: <a@b>\nContent-Type: text/html\n\n"
        b'<html><head><meta charset="windows-1252"></head><body><p>Co\xfbt : 12 \x80</p></body>'
        b"</html>"
    )

    message = parse_email(raw)

    assert message.text == "Coût : 12 €"
    assert message.html == "<p>Coût : 12 €</p>"
    assert message.problems == ()


def test_empty_plain_alternative_yields_to_the_html():
    raw = (
        b"From: a@example.fr\nContent-Type: multipart/alternative; boundary=a\n\n"
        b"--a\nContent-Type: text/plain\n\n\n"
        b"--a\nContent-Type: text/html\n\n<p>Le vrai message</p>\n"
        b"--a--\n"
    )

    message = parse_email(raw)

    assert message.text == "Le vrai message"
    assert message.html == "<p>Le vrai message</p>"


def test_leading_garbage_line_before_the_headers_is_skipped():
    raw = b"\x01\x02 export v2\nFrom: a@example.fr\nMessage-ID: <a@b>\n" + PLAIN_BODY

    message = parse_email(raw)

    assert message.sender_address == "a@example.fr"
    assert message.text == "Bonjour"
    assert message.problems == ("unreadable lines before the headers, skipped",)


@pytest.mark.parametrize("raw", [b"", b"  \r\n\r\n\t", bytes(range(256)) * 4, b"\x00" * 100])
def test_what_is_not_an_email_raises(raw):
    with pytest.raises(EmailParseError, match=r"^not an email: "):
        parse_email(raw)


def test_result_is_the_typed_contract():
    message = parse("rfc2231_attachment_declaration.eml")

    assert isinstance(message, InboundMessage)
    assert all(isinstance(a, InboundAttachment) for a in message.attachments)
    payload = message.to_payload()
    assert payload["attachments"][0] == {
        "filename": "Déclaration préalable.pdf",
        "content_type": "application/pdf",
        "is_inline": False,
        "content_id": "",
    }
    assert InboundMessage.from_payload(payload).subject == message.subject


def test_bounce_carries_its_delivery_report():
    message = parse("bounce_dsn.eml")
    report = message.delivery_report
    assert report is not None
    assert (report.action, report.status, report.recipient) == (
        "failed",
        "5.1.1",
        "jean.martin@exemple-inexistant.fr",
    )
    assert report.original_message_id == "ack.vil-2026-000117@mairie-villeneuve.fr"
    assert report.diagnostic.startswith(
        "550 5.1.1 <jean.martin@exemple-inexistant.fr>: Recipient address rejected"
    )
    assert parse("outlook_acte_naissance.eml").delivery_report is None
