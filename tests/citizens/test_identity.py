import pytest

from guichet.citizens.identity import (
    InvalidContactPoint,
    format_phone_for_display,
    normalise_contact,
    normalise_email,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jeanne.Dupont@Example.ORG", "jeanne.dupont@example.org"),
        ("  <marc@exemple.fr> ", "marc@exemple.fr"),
    ],
)
def test_emails_are_lower_cased(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("01 42 76 40 40", "+33142764040"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_phones_are_e164(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["06 12", "not a phone", "+33 6 12 34 56 78 99 99", "abc@", "@example.org"]
)
def test_invalid_contact_points_are_refused(raw):
    with pytest.raises(InvalidContactPoint):
        normalise_contact(raw)


def test_other_identifiers_keep_their_channel():
    contact = normalise_contact("whatsapp-user-42", channel="whatsapp")
    assert (contact.kind, contact.value, contact.channel) == (
        "other",
        "whatsapp-user-42",
        "whatsapp",
    )


def test_display_format():
    assert format_phone_for_display("+33612345678") == "06 12 34 56 78"
    assert format_phone_for_display("+32470123456") == "+32 470 12 34 56"
