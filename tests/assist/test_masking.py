import pytest

from guichet.assist import masking
from guichet.assist.masking import mask_text, sensitive_kinds, sensitive_labels


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Écrire à jeanne.dupont@example.org", "Écrire à [EMAIL]"),
        ("Appelez le 06 12 34 56 78 svp", "Appelez le [PHONE] svp"),
        ("sécu : 2 69 05 49 588 157 80", "sécu : [NIR]"),
        ("IBAN FR76 3000 6000 0112 3456 7890 189.", "IBAN [IBAN]."),
        ("ma carte 4111 1111 1111 1111 a été débitée", "ma carte [CARD] a été débitée"),
        ("numéro fiscal 30 23 217 600 053", "numéro fiscal [TAX_ID]"),
        ("passeport 12AB34567", "passeport [PASSPORT]"),
        ("J'habite 12 rue des Lilas", "J'habite [ADDRESS]"),
    ],
)
def test_mask_text_replaces_identifiers_by_their_kind(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Madame Jeanne Dupont demande un acte de naissance",  # names need spaCy: left
        "ma carte 4111 1111 1111 1112",  # fails Luhn
        "sécu : 2 69 05 49 588 157 81",  # wrong key
        "Dossier VIL-2026-000123 traité en 1234 ms",
    ],
)
def test_mask_text_leaves_what_is_not_an_identifier(text: str) -> None:
    assert mask_text(text) == text


def test_mask_text_never_loads_spacy(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: object) -> None:
        raise AssertionError("spaCy loaded")

    monkeypatch.setattr("guichet.assist.pii.SpacyNames.load", refuse)
    masking._detector.cache_clear()
    assert mask_text("jeanne@example.org") == "[EMAIL]"


def test_mask_text_cuts_huge_text_without_leaving_part_of_an_identifier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("guichet.assist.pii.MAX_MASK_CHARS", 30)
    # The cut falls inside the address: the piece before it is dropped, not left readable.
    assert mask_text("b@example.org " + "x" * 6 + " a@example.org") == (
        "[EMAIL] xxxxxx [TRUNCATED]"
    )


def test_sensitive_kinds_leave_contact_details_out() -> None:
    text = (
        "Bonjour Mme Dupont (jeanne@example.org, 06 12 34 56 78), votre IBAN "
        "FR76 3000 6000 0112 3456 7890 189 et votre NIR 2 69 05 49 588 157 80 sont notés."
    )
    assert sensitive_kinds(text) == ["NIR", "IBAN"]
    assert sensitive_labels(["NIR", "IBAN"]) == [
        "social security number",
        "bank account number (IBAN)",
    ]
    assert sensitive_kinds("Votre demande est enregistrée, jeanne@example.org.") == []
