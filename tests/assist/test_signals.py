import pytest

from guichet.assist.signals import tone, urgency


@pytest.mark.parametrize(
    ("text", "level", "kinds"),
    [
        ("Je n'en peux plus, je veux en finir.", "critical", ("self_harm",)),
        ("J'ai des idées SUICIDAIRES depuis mon licenciement", "critical", ("self_harm",)),
        ("I want to kill myself", "critical", ("self_harm",)),
        ("Si rien ne bouge je vais tout casser à la mairie", "critical", ("threat",)),
        ("Mon conjoint me frappe, violences conjugales", "critical", ("violence",)),
        ("Forte odeur de gaz dans la cage d'escalier", "high", ("emergency",)),
        ("C'est urgent : nous sommes expulsés demain", "high", ("emergency",)),
        ("Demande d'acte de naissance pour mon fils", "normal", ()),
        ("Le feu rouge du carrefour est en panne", "normal", ()),
        ("Une tuerie ce festival !", "normal", ()),
    ],
)
def test_urgency_levels(text, level, kinds):
    result = urgency(text)
    assert result.level == level
    assert result.kinds == kinds
    assert result.raises_priority is (level != "normal")


def test_urgency_reports_the_phrases_found_and_keeps_the_most_serious_level():
    result = urgency("URGENT : il m'a frappée hier soir")
    assert result.level == "critical"
    assert result.kinds == ("violence", "emergency")
    assert result.matches == ("m a frappee", "urgent")


@pytest.mark.parametrize("text", [None, "", b"\x00\xff\xfe", "x" * 200_000])
def test_urgency_of_bad_input_is_normal(text):
    assert urgency(text).level == "normal"


def test_aggressive_tone_gives_its_reasons():
    result = tone("VOUS ÊTES DES INCAPABLES, BANDE DE NULS !!! Répondez ???")
    assert result.aggressive is True
    assert result.reasons == (
        "insult: incapables, bande de, nuls",
        "capitals",
        "exclamation marks",
    )


def test_a_firm_complaint_is_not_aggressive():
    result = tone("Je conteste fermement cette amende, qui me semble injustifiée.")
    assert result.aggressive is False
    assert result.reasons == ()


def test_a_threat_is_aggressive():
    assert tone("Vous allez le regretter").reasons == ("threat",)
