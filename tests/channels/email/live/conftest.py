"""Real mail servers on loopback: Debian's Dovecot (IMAP and LMTP) started from a config written
into a temporary folder, and aiosmtpd servers started inside the tests.

Locally the Dovecot tests are skipped when Dovecot is not installed; CI sets
GUICHET_REQUIRE_MAILSERVER=1 so that a missing server fails the run instead
(`apt-get install dovecot-imapd dovecot-lmtpd`, done by .ci/run).

Each test gets its own mailbox user, taken from a pool written into the passwd file before the
server starts (Dovecot looks at that file at most once a second), so tests never see each other's
mail while sharing one server for the session.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from guichet.channels.models import ChannelAccount

CORPUS = Path(__file__).parent.parent / "corpus"
PASSWORD = "mot-de-passe-imap-7f3a"
POOL_SIZE = 200
_users = itertools.count(1)


def require_mailserver(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("GUICHET_REQUIRE_MAILSERVER"):
        pytest.fail(f"mail server tests are required here but cannot run: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 15.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    output = log.read_text(errors="replace") if log.exists() else ""
    process.kill()
    pytest.fail(f"Dovecot did not open port {port}:\n{output[-3000:]}")


def _accounts() -> tuple[str, str, str, str]:
    """(mail user, mail group, internal user, login user) for this machine.

    Dovecot refuses to deliver mail as root: as root, mail belongs to `nobody` and Dovecot's own
    unprivileged users run its services; as anyone else, everything runs as that user."""
    if os.geteuid() == 0:
        internal = "dovecot" if _user_exists("dovecot") else "nobody"
        login = "dovenull" if _user_exists("dovenull") else "nobody"
        return "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name, internal, login
    me = pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(os.getegid()).gr_name
    return me.pw_name, group, me.pw_name, me.pw_name


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclass
class Dovecot:
    root: Path
    imap_port: int
    lmtp_port: int
    mail_uid: int
    mail_gid: int
    host: str = "127.0.0.1"

    @property
    def passwd(self) -> Path:
        return self.root / "passwd"

    def write_users(self) -> None:
        lines = [
            f"user{n}:{{PLAIN}}{PASSWORD}:{self.mail_uid}:{self.mail_gid}::{self.root}/mail/user{n}::"
            for n in range(1, POOL_SIZE + 1)
        ]
        self.passwd.write_text("\n".join(lines) + "\n")

    def add_user(self) -> str:
        """A mailbox nobody used yet in this session."""
        number = next(_users)
        assert number <= POOL_SIZE, "raise POOL_SIZE: more tests use a mailbox"
        return f"user{number}"

    def deliver(self, user: str, raw: bytes, *, sender: str = "expediteur@example.org") -> None:
        """Deliver through LMTP, the way a mail server hands mail to the mailbox."""
        with smtplib.LMTP(self.host, self.lmtp_port) as lmtp:
            lmtp.sendmail(sender, [user], raw)

    @contextmanager
    def mailbox(self, user: str, password: str = PASSWORD) -> Iterator[MailBoxUnencrypted]:
        with MailBoxUnencrypted(self.host, self.imap_port, timeout=10).login(
            user, password, initial_folder=None
        ) as mailbox:
            yield mailbox

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


CONFIG = """\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Wrong-password tests need no anti-brute-force pause.
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# Nor the growing pause after repeated failures from one address (the "auth penalty").
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0
  }}
}}
"""


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
    require_mailserver(
        binary is not None, "Dovecot is not installed (dovecot-imapd, dovecot-lmtpd)"
    )
    assert binary is not None
    mail_user, mail_group, internal, login = _accounts()
    root = Path(tempfile.mkdtemp(prefix="guichet-dovecot-"))
    # Dovecot's unprivileged services and the mail user must reach into the folder.
    root.chmod(0o755)
    mail = root / "mail"
    mail.mkdir()
    uid, gid = pwd.getpwnam(mail_user).pw_uid, grp.getgrnam(mail_group).gr_gid
    if os.geteuid() == 0:
        os.chown(mail, uid, gid)
    server = Dovecot(root, free_port(), free_port(), uid, gid)
    server.write_users()
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            internal=internal,
            login=login,
            mail_user=mail_user,
            mail_group=mail_group,
            imap_port=server.imap_port,
            lmtp_port=server.lmtp_port,
        )
    )
    output = (root / "stdout.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 — a fixed binary with a config we wrote
        [binary, "-F", "-c", str(root / "dovecot.conf")],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(server.imap_port, process, root / "dovecot.log")
        wait_for_port(server.lmtp_port, process, root / "dovecot.log")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mail_user(dovecot: Dovecot) -> str:
    """A fresh, empty mailbox on the shared server."""
    return dovecot.add_user()


@pytest.fixture
def make_account(town, dovecot, mail_user):
    """A ChannelAccount of the town reading `mail_user`'s mailbox on the test Dovecot."""

    def build(**overrides: object) -> ChannelAccount:
        values: dict[str, object] = {
            "organization": town,
            "name": "Mairie",
            "address": "mairie@villebois.fr",
            "host": dovecot.host,
            "port": dovecot.imap_port,
            "use_ssl": False,
            "use_starttls": False,
            "username": mail_user,
            "password": PASSWORD,
            "folder": "INBOX",
            "processed_folder": "Traité",
        }
        values.update(overrides)
        return ChannelAccount.objects.create(**values)

    return build


def citizen_mail(
    subject: str,
    *,
    message_id: str,
    body: str = "Bonjour",
    sender: str = "Jeanne Dupont <jeanne.dupont@example.org>",
    to: str = "mairie@villebois.fr",
    in_reply_to: str | None = None,
    attachment: bytes | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
        mail["References"] = f"<{in_reply_to}>"
    mail.set_content(body)
    if attachment is not None:
        mail.add_attachment(attachment, maintype="application", subtype="pdf", filename="scan.pdf")
    # As it travels over SMTP and LMTP: lines end with CRLF.
    return mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))
