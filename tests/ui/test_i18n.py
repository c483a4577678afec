"""French by default, English shipped, and a complete French catalogue."""

import gettext
import re
from pathlib import Path

import pytest

import guichet

LOCALE = Path(guichet.__file__).parent / "locale"


@pytest.mark.django_db
def test_pages_are_french_by_default_and_english_on_request(client, town):
    french = client.get("/portail/villebois/demande/")
    english = client.get("/portail/villebois/demande/", HTTP_ACCEPT_LANGUAGE="en")
    assert french.status_code == english.status_code == 200
    assert '<html lang="fr"' in french.content.decode()
    assert "Faire une demande" in french.content.decode()
    assert '<html lang="en"' in english.content.decode()
    assert "Make a request" in english.content.decode()


@pytest.mark.django_db
def test_desk_login_is_french(client):
    page = client.get("/desk/connexion/").content.decode()
    assert "Se connecter" in page
    assert "Mot de passe" in page


def po_entries(path):
    text = path.read_text()
    return re.findall(r'^msgid "(.*)"\n((?:".*"\n)*)msgstr "(.*)"\n((?:".*"\n)*)', text, flags=re.M)


def test_french_catalogue_is_complete_and_compiled():
    po = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
    entries = [e for e in po_entries(po) if e[0] or e[1]]  # skip the header
    untranslated = [e[0] or e[1] for e in entries if not (e[2] or e[3])]
    assert untranslated == []
    assert "#, fuzzy" not in po.read_text()
    compiled = gettext.GNUTranslations((LOCALE / "fr" / "LC_MESSAGES" / "django.mo").open("rb"))
    assert compiled.gettext("Reply to the citizen") == "Répondre à l'usager"
    # Every singular entry of the .po is in the .mo: the compiled file is not stale.
    compiled_ids = {
        (key[0] if isinstance(key, tuple) else key).split("\x04")[-1]
        for key in compiled._catalog  # the only way to list compiled messages
    }
    source_ids = {unquote(first, more) for first, more, _msgstr, _more in entries}
    assert source_ids - compiled_ids == set()


def unquote(first, more):
    parts = [first, *re.findall(r'^"(.*)"$', more, flags=re.M)]
    return "".join(
        part.encode().decode("unicode_escape").encode("latin-1").decode() for part in parts
    )
