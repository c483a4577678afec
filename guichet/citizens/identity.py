"""Normalising contact points, so one citizen is found whatever way they write their address."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from guichet.citizens.models import ContactKind

_PHONE_CHARS = re.compile(r"^[+()\d\s.\-/]{2,30}$")
# Channels whose users are known by an address of their own (not an email or a phone number).
OPAQUE_ID_CHANNELS = frozenset({"whatsapp", "chat", "report"})


class InvalidContactPoint(ValueError):
    pass


@dataclass(frozen=True)
class NormalisedContact:
    kind: str
    value: str
    channel: str = ""


def normalise_email(value: str) -> str:
    address = value.strip().strip("<>").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidContactPoint(f"not an email address: {value!r}") from None
    return address


def normalise_phone(value: str, region: str | None = None) -> str:
    """E.164 form (+33612345678) of a phone number; French numbers may omit the country code."""
    text = value.strip()
    if not _PHONE_CHARS.match(text):
        raise InvalidContactPoint(f"not a phone number: {value!r}")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or settings.GUICHET_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidContactPoint(f"not a phone number: {value!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidContactPoint(f"not a valid phone number: {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_contact(value: str, *, channel: str = "") -> NormalisedContact:
    """Recognise an email address or a phone number; other text is a channel-specific identifier."""
    text = value.strip()
    if "@" in text:
        return NormalisedContact(ContactKind.EMAIL, normalise_email(text))
    if _PHONE_CHARS.match(text):
        return NormalisedContact(ContactKind.PHONE, normalise_phone(text))
    if channel not in OPAQUE_ID_CHANNELS or not text or len(text) > 320:
        raise InvalidContactPoint(f"not an email address or a phone number: {value!r}")
    return NormalisedContact(ContactKind.OTHER, text, channel)


def format_phone_for_display(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
