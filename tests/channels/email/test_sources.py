"""iter_email_sources and count_email_sources over files, mboxes, Maildirs and folders."""

from __future__ import annotations

import mailbox
import os
from email.message import EmailMessage
from pathlib import Path

import pytest

from guichet.channels.email.parser import parse_email
from guichet.channels.email.sources import (
    EmailSource,
    EmailSourceError,
    count_email_sources,
    iter_email_sources,
)


def message(subject: str, body: str = "Bonjour.\n") -> EmailMessage:
    email = EmailMessage()
    email["From"] = "marie@example.fr"
    email["To"] = "contact@mairie-villeneuve.fr"
    email["Subject"] = subject
    email["Message-ID"] = f"<{subject.replace(' ', '-')}@example.fr>"
    email.set_content(body)
    return email


def subjects(sources: list[EmailSource]) -> list[str]:
    return [parse_email(source.raw).subject for source in sources]


def make_mbox(path, *emails: EmailMessage) -> None:
    archive = mailbox.mbox(path)
    try:
        for email in emails:
            archive.add(email)
        archive.flush()
    finally:
        archive.close()


def test_single_eml_file(tmp_path):
    path = tmp_path / "demande.eml"
    path.write_bytes(message("Acte de naissance").as_bytes())

    sources = list(iter_email_sources([path]))

    assert sources == [EmailSource(str(path), path.read_bytes())]
    assert count_email_sources([path]) == 1


def test_eml_file_given_as_a_string(tmp_path):
    path = tmp_path / "demande.eml"
    path.write_bytes(message("Acte de naissance").as_bytes())

    assert [s.label for s in iter_email_sources([str(path)])] == [str(path)]


def test_directory_is_searched_recursively_in_name_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2-voirie.eml").write_bytes(message("Voirie").as_bytes())
    (tmp_path / "a-urbanisme.EML").write_bytes(message("Urbanisme").as_bytes())
    (tmp_path / "c-etat-civil.eml").write_bytes(message("Etat civil").as_bytes())
    (tmp_path / "notes.txt").write_text("pas un message")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "old.eml").write_bytes(message("Cache").as_bytes())

    sources = list(iter_email_sources([tmp_path]))

    assert [s.label for s in sources] == [
        str(tmp_path / "a-urbanisme.EML"),
        str(tmp_path / "b" / "2-voirie.eml"),
        str(tmp_path / "c-etat-civil.eml"),
    ]
    assert subjects(sources) == ["Urbanisme", "Voirie", "Etat civil"]
    assert count_email_sources([tmp_path]) == 3


def test_mbox_yields_each_message_numbered_from_one(tmp_path):
    path = tmp_path / "archive.mbox"
    make_mbox(
        path,
        message("Premier"),
        # A body line starting with "From " is escaped by the mbox writer, not a new message.
        message("Deuxieme", "Bonjour,\nFrom my window I see the pothole.\n"),
        message("Troisieme"),
    )

    sources = list(iter_email_sources([path]))

    assert [s.label for s in sources] == [f"{path}#1", f"{path}#2", f"{path}#3"]
    assert subjects(sources) == ["Premier", "Deuxieme", "Troisieme"]
    assert parse_email(sources[1].raw).text == "Bonjour,\n>From my window I see the pothole."
    assert not sources[0].raw.startswith(b"From ")  # the envelope line is not the message
    assert count_email_sources([path]) == 3


def test_file_starting_with_from_is_an_mbox_whatever_its_name(tmp_path):
    path = tmp_path / "Inbox"
    make_mbox(path, message("Un"), message("Deux"))

    assert [s.label for s in iter_email_sources([path])] == [f"{path}#1", f"{path}#2"]
    assert count_email_sources([path]) == 2


def test_other_single_file_is_one_message(tmp_path):
    path = tmp_path / "1762161120.M1P2.host"
    path.write_bytes(message("Sans extension").as_bytes())

    sources = list(iter_email_sources([path]))

    assert [s.label for s in sources] == [str(path)]
    assert subjects(sources) == ["Sans extension"]
    assert count_email_sources([path]) == 1


def test_maildir_yields_cur_then_new_and_skips_tmp(tmp_path):
    root = tmp_path / "Maildir"
    maildir = mailbox.Maildir(root)
    read = mailbox.MaildirMessage(message("Lu"))
    read.set_subdir("cur")
    read.set_flags("S")
    read_key = maildir.add(read)
    unread_key = maildir.add(message("Non lu"))
    (root / "tmp" / "1762161120.in-progress.host").write_bytes(message("En cours").as_bytes())
    maildir.close()

    sources = list(iter_email_sources([root]))

    assert [s.label for s in sources] == [
        str(root / "cur" / f"{read_key}:2,S"),
        str(root / "new" / unread_key),
    ]
    assert subjects(sources) == ["Lu", "Non lu"]
    assert count_email_sources([root]) == 2


def test_directory_holding_an_mbox_and_a_maildir(tmp_path):
    make_mbox(tmp_path / "a-archive.mbox", message("Archive 1"), message("Archive 2"))
    maildir = mailbox.Maildir(tmp_path / "b-Maildir")
    maildir.add(message("Maildir"))
    maildir.close()
    (tmp_path / "c.eml").write_bytes(message("Fichier").as_bytes())

    sources = list(iter_email_sources([tmp_path]))

    assert subjects(sources) == ["Archive 1", "Archive 2", "Maildir", "Fichier"]
    assert [s.label.removeprefix(str(tmp_path)) for s in sources] == [
        "/a-archive.mbox#1",
        "/a-archive.mbox#2",
        f"/b-Maildir/new/{os.listdir(tmp_path / 'b-Maildir' / 'new')[0]}",
        "/c.eml",
    ]
    assert count_email_sources([tmp_path]) == 4


def test_several_paths_keep_their_order(tmp_path):
    first = tmp_path / "z.eml"
    second = tmp_path / "a.eml"
    first.write_bytes(message("Z").as_bytes())
    second.write_bytes(message("A").as_bytes())

    assert subjects(list(iter_email_sources([first, second]))) == ["Z", "A"]
    assert count_email_sources([first, second]) == 2


def test_empty_directory_yields_nothing(tmp_path):
    assert list(iter_email_sources([tmp_path])) == []
    assert count_email_sources([tmp_path]) == 0


def test_missing_path_fails_before_any_message(tmp_path):
    existing = tmp_path / "ok.eml"
    existing.write_bytes(message("OK").as_bytes())
    missing = tmp_path / "absent.mbox"

    with pytest.raises(EmailSourceError) as error:
        iter_email_sources([existing, missing])  # not even iterated

    assert str(error.value) == f"{missing}: no such file or directory"
    with pytest.raises(EmailSourceError, match=r"absent\.mbox: no such file or directory$"):
        count_email_sources([existing, missing])


def test_unreadable_file_fails_with_a_clear_message(tmp_path, monkeypatch):
    path = tmp_path / "secret.eml"
    path.write_bytes(message("Secret").as_bytes())
    real_open = Path.open

    def refuse(self, *args, **kwargs):  # chmod 0 is no obstacle to root, who runs CI containers
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)

    with pytest.raises(EmailSourceError) as error:
        iter_email_sources([path])

    assert str(error.value) == f"{path}: permission denied"
