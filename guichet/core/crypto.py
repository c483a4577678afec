"""Secrets at rest (channel credentials): Fernet encryption with keys from the settings.

`GUICHET_ENCRYPTION_KEYS` lists Fernet keys, newest first (rotation: add a new key in front, re-save
the rows, drop the old key). Without it, one key is derived from SECRET_KEY, so a single-server
install needs no extra setting; changing SECRET_KEY then makes stored secrets unreadable, which the
admin reports instead of failing.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


class SecretUnreadable(ValueError):
    """A stored secret cannot be decrypted with the configured keys."""


def derive_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"guichet-secrets", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    materials = [k.encode() for k in keys] or [derive_key(secret_key)]
    return MultiFernet([Fernet(k) for k in materials])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.GUICHET_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plain: str) -> str:
    return PREFIX + fernet().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("not an encrypted value")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("the encryption keys changed since this secret was saved") from None


class EncryptedTextField(models.TextField[str, str]):
    """A text column stored encrypted; reads give the plain text back. An empty value stays empty."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        try:
            return decrypt(value)
        except SecretUnreadable:
            # Kept readable as an empty secret: the account's test shows the error to the admin.
            return ""
