"""Personal-data patterns (no spaCy here: the names are tested once in test_real_models.py)."""

import logging

import pytest

from guichet.assist import pii
from guichet.assist.errors import ModelUnavailable
from guichet.assist.pii import PiiDetector


def found(text):
    return [(e.type, e.text) for e in PiiDetector(use_ner=False).detect(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Écrivez à jean.martin+mairie@exemple.fr svp",
            [("EMAIL", "jean.martin+mairie@exemple.fr")],
        ),
        (
            "Appelez le 06 12 34 56 78 ou le +33 1 42 76 40 40",
            [("PHONE", "06 12 34 56 78"), ("PHONE", "+33 1 42 76 40 40")],
        ),
        ("Mon numéro de sécu : 2 69 05 49 588 157 80", [("NIR", "2 69 05 49 588 157 80")]),
        (
            "IBAN FR76 3000 6000 0112 3456 7890 189 merci",
            [("IBAN", "FR76 3000 6000 0112 3456 7890 189")],
        ),
        ("ma carte 4111 1111 1111 1111 a été débitée", [("CARD", "4111 1111 1111 1111")]),
        ("passeport n° 18AB12345", [("PASSPORT", "18AB12345")]),
        ("numéro fiscal 30 23 217 600 053", [("TAX_ID", "30 23 217 600 053")]),
        ("SIREN 732 829 320", [("TAX_ID", "732 829 320")]),
        (
            "J'habite 12 bis rue des Lilas 75011 Paris depuis 2019",
            [("ADDRESS", "12 bis rue des Lilas 75011 Paris")],
        ),
    ],
)
def test_identifiers_are_found(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Mon numéro de sécu : 2 69 05 49 588 157 81",  # wrong key
        "IBAN FR76 3000 6000 0112 3456 7890 188",  # wrong checksum
        "ma carte 4111 1111 1111 1112",  # fails Luhn
        "SIREN 732 829 321",  # fails Luhn
        "Le dossier 123456789012 est clos",  # 12 digits, no identity-card context
    ],
)
def test_invalid_numbers_are_not_personal_data(text):
    assert found(text) == []


def test_identity_card_needs_its_name_nearby():
    assert found("carte nationale d'identité n° 880692310285") == [("ID_CARD", "880692310285")]


def test_mask_replaces_personal_data_and_keeps_the_rest(monkeypatch):
    # Given masking without the spaCy pipeline (names are tested with the real model)
    monkeypatch.setattr(pii, "_full_detector", pii._patterns_detector)
    text = "Contact : jean@exemple.fr, 06 12 34 56 78, FR76 3000 6000 0112 3456 7890 189."
    assert pii.mask(text) == "Contact : [EMAIL], [PHONE], [IBAN]."


def test_mask_without_spacy_still_masks_identifiers_and_warns(monkeypatch, caplog):
    class NoSpacy(PiiDetector):
        def detect(self, text):
            raise ModelUnavailable("fr_core_news_sm is not installed")

    monkeypatch.setattr(pii, "_full_detector", NoSpacy)
    monkeypatch.setattr(pii, "_fallback_warned", False)
    with caplog.at_level(logging.WARNING, logger="guichet.assist.pii"):
        masked = pii.mask("Écrire à jean@exemple.fr")
    assert masked == "Écrire à [EMAIL]"
    assert "personal-data masking without names" in caplog.text


@pytest.mark.parametrize("text", ["", "\x00\x01", "€" * 50_000])
def test_mask_of_odd_text_does_not_fail(monkeypatch, text):
    monkeypatch.setattr(pii, "_full_detector", pii._patterns_detector)
    assert pii.mask(text) == text
