import pytest

from guichet.channels.email.quotes import looks_like_reply, split_reply

FRENCH = """Bonjour,

C'est devant le 12 rue des Tilleuls.

Cordialement,
Paul

Le lun. 3 nov. 2026 à 10:12, Mairie de Villebois <mairie@villebois.fr> a écrit :
> Bonjour,
> Pouvez-vous préciser l'adresse ?
"""

ENGLISH = """Thanks, it is in front of number 12.

On Mon, 3 Nov 2026 at 10:12, Mairie de Villebois <mairie@villebois.fr> wrote:
> Could you tell us the address?
"""

OUTLOOK = """Bonjour,
Voici le document demandé.
Bien à vous
Hélène Dupont

De : Mairie de Villebois <mairie@villebois.fr>
Envoyé : lundi 3 novembre 2026 10:12
À : Hélène Dupont <helene.dupont@outlook.fr>
Objet : RE: Acte de naissance

Bonjour Madame, il nous manque votre justificatif.
"""


@pytest.mark.parametrize(
    ("text", "new_end", "quoted_start"),
    [
        (FRENCH, "Cordialement,\nPaul", "Le lun. 3 nov. 2026 à 10:12"),
        (ENGLISH, "it is in front of number 12.", "On Mon, 3 Nov 2026 at 10:12"),
        (OUTLOOK, "Hélène Dupont", "De : Mairie de Villebois"),
    ],
)
def test_the_new_text_is_separated_from_the_quoted_history(text, new_end, quoted_start):
    new, quoted = split_reply(text)
    assert new.endswith(new_end)
    assert quoted.startswith(quoted_start)
    # Nothing is lost: every word of the original is in one part or the other.
    assert text.split() == (new + "\n" + quoted).split()


@pytest.mark.parametrize("text", ["", "   ", "Bonjour, une simple question sans citation."])
def test_text_without_quotes_is_kept_whole(text):
    assert split_reply(text) == (text, "")


def test_what_is_a_reply():
    assert looks_like_reply("RE: Acte", (), ())
    assert looks_like_reply("Question", ("a@b",), ())
    assert looks_like_reply("AW: Frage", (), ())
    assert not looks_like_reply("Fwd: lettre du bailleur", (), ())
    assert not looks_like_reply("Demande", (), ())
