"""Where email to import comes from: .eml files, mbox archives, Maildirs, folders of them.

`iter_email_sources` turns the paths an administrator gives (to `guichet ingest-email`, say) into
raw messages, each with a label that says where it came from: `path/to/file.eml`,
`archive.mbox#12` (the 12th message, counting from 1) or `Maildir/cur/1762161120.M1P2.host:2,S`.

- a `.eml` file is one message; any other file whose first line starts with "From " is an mbox;
  any other file is taken as one message (the parser will say if it is not one);
- a directory with `cur/`, `new/` and `tmp/` is a Maildir: the messages of `cur/` then `new/`
  (`tmp/` holds deliveries in progress);
- any other directory is searched recursively, in name order, for `.eml` files, mboxes and
  Maildirs; hidden entries (".git", ".DS_Store") are skipped.

mboxes are read with the stdlib `mailbox` module. Maildir files are listed directly rather than
through `mailbox.Maildir`, whose keys hide the file names that make useful labels.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MBOX_MARKER = b"From "
MAILDIR_FOLDERS = ("cur", "new", "tmp")


class EmailSourceError(Exception):
    """A path given to import mail from cannot be read; the message says which and why."""


@dataclass(frozen=True)
class EmailSource:
    label: str
    raw: bytes


def iter_email_sources(paths: Sequence[str | Path]) -> Iterator[EmailSource]:
    """Each message found under `paths`, in the order given (see the module docstring).

    Every path is checked before the first message is produced, so a typo fails at once with
    `EmailSourceError`; a file that becomes unreadable later fails when it is reached.
    """
    checked = [_checked(path) for path in paths]
    return (source for path in checked for source in _sources(path))


def count_email_sources(paths: Sequence[str | Path]) -> int:
    """How many messages `iter_email_sources(paths)` will produce, for a progress bar total.

    Exact and cheap: files are listed, not read, except mboxes, whose "From " lines are counted
    in one pass without parsing (the rule `mailbox.mbox` itself splits messages on).
    """
    return sum(_count(_checked(path)) for path in paths)


def _checked(path: str | Path) -> Path:
    location = Path(path)
    try:
        if location.is_dir():
            next(location.iterdir(), None)  # a directory we may not list fails here
        else:
            with location.open("rb"):
                pass
    except FileNotFoundError:
        raise EmailSourceError(f"{location}: no such file or directory") from None
    except PermissionError:
        raise EmailSourceError(f"{location}: permission denied") from None
    except OSError as exc:
        raise EmailSourceError(f"{location}: cannot be read ({exc.strerror})") from None
    return location


def _sources(path: Path) -> Iterator[EmailSource]:
    if path.is_dir():
        if _is_maildir(path):
            yield from _maildir_sources(path)
        else:
            for entry in _entries(path):
                yield from _sources(entry)
        return
    if path.suffix.lower() != ".eml" and _is_mbox(path):
        yield from _mbox_sources(path)
    else:
        yield EmailSource(str(path), _read(path))


def _count(path: Path) -> int:
    if path.is_dir():
        if _is_maildir(path):
            return len(_maildir_files(path))
        return sum(_count(entry) for entry in _entries(path))
    if path.suffix.lower() != ".eml" and _is_mbox(path):
        try:
            with path.open("rb") as mbox_file:
                return sum(1 for line in mbox_file if line.startswith(MBOX_MARKER))
        except OSError as exc:
            raise EmailSourceError(f"{path}: cannot be read ({exc.strerror})") from None
    return 1


def _entries(directory: Path) -> list[Path]:
    """What a plain directory holds for import: .eml files, mboxes and sub-directories."""
    try:
        children = sorted(directory.iterdir(), key=lambda child: child.name)
    except OSError as exc:
        raise EmailSourceError(f"{directory}: cannot be listed ({exc.strerror})") from None
    entries = []
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir() or child.suffix.lower() == ".eml" or _is_mbox(child):
            entries.append(child)
    return entries


def _is_maildir(directory: Path) -> bool:
    return all((directory / folder).is_dir() for folder in MAILDIR_FOLDERS)


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as candidate:
            return candidate.read(len(MBOX_MARKER)) == MBOX_MARKER
    except OSError as exc:
        raise EmailSourceError(f"{path}: cannot be read ({exc.strerror})") from None


def _maildir_files(maildir: Path) -> list[Path]:
    files = []
    for folder in ("cur", "new"):
        try:
            names = sorted(entry.name for entry in (maildir / folder).iterdir())
        except OSError as exc:
            raise EmailSourceError(
                f"{maildir / folder}: cannot be listed ({exc.strerror})"
            ) from None
        files += [maildir / folder / name for name in names if not name.startswith(".")]
    return [file for file in files if file.is_file()]


def _maildir_sources(maildir: Path) -> Iterator[EmailSource]:
    for file in _maildir_files(maildir):
        yield EmailSource(str(file), _read(file))


def _mbox_sources(path: Path) -> Iterator[EmailSource]:
    try:
        archive = mailbox.mbox(path, create=False)
    except OSError as exc:
        raise EmailSourceError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        for number, key in enumerate(archive.iterkeys(), start=1):
            yield EmailSource(f"{path}#{number}", archive.get_bytes(key))
    except OSError as exc:
        raise EmailSourceError(f"{path}: cannot be read ({exc.strerror})") from None
    finally:
        archive.close()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EmailSourceError(f"{path}: cannot be read ({exc.strerror})") from None
