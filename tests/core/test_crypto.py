import pytest

from guichet.core.crypto import PREFIX, SecretUnreadable, decrypt, encrypt


def test_round_trip_and_never_plain(settings):
    stored = encrypt("motdepasse-imap")
    assert stored.startswith(PREFIX)
    assert "motdepasse-imap" not in stored
    assert decrypt(stored) == "motdepasse-imap"
    assert encrypt("motdepasse-imap") != stored  # a fresh IV every time


def test_rotation_keeps_old_secrets_readable(settings):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.GUICHET_ENCRYPTION_KEYS = [old]
    stored = encrypt("secret")
    settings.GUICHET_ENCRYPTION_KEYS = [new, old]
    assert decrypt(stored) == "secret"
    settings.GUICHET_ENCRYPTION_KEYS = [new]
    with pytest.raises(SecretUnreadable):
        decrypt(stored)


@pytest.mark.django_db
def test_channel_account_password_is_encrypted_in_the_database(town):
    from django.db import connection

    from guichet.channels.models import ChannelAccount

    account = ChannelAccount.objects.create(
        organization=town,
        name="Mairie",
        address="mairie@villebois.fr",
        host="imap.example",
        username="mairie",
        password="s3cret-imap",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM channels_channelaccount WHERE id = %s", [account.pk])
        (raw,) = cursor.fetchone()
    assert raw.startswith(PREFIX)
    assert "s3cret" not in raw
    assert ChannelAccount.objects.get(pk=account.pk).password == "s3cret-imap"
