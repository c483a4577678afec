"""A seed-deterministic mailbox of a town hall, as .eml files, for `bench/ingest_email.py`.

The messages are what the Ville de Villebois of the demo receives (`guichet.demo`): requests from
many citizens written from the demo's templates (every department's topics, formal and informal
French), some citizens writing again about something new, and follow-ups on earlier requests:

- answers to the acknowledgement with the reply button (Gmail, Thunderbird, Apple Mail styles):
  sent to the signed Reply-To address the acknowledgement carries, with In-Reply-To naming the
  acknowledgement and References naming the citizen's first message, the acknowledgement quoted
  below the new text;
- Outlook answers ("RE:", an Outlook header block above the quoted acknowledgement) to the plain
  address of the town hall;
- a citizen answering their own previous message (In-Reply-To: that message);
- new messages that only quote the case reference in their subject;
- out-of-office replies to an acknowledgement (Auto-Submitted);
- now and then someone quoting another person's reference (never threaded: a new request).

Bodies come as plain UTF-8, multipart/alternative with HTML (Gmail-like), HTML only, Outlook's
windows-1252 or legacy iso-8859-15; some carry a PDF or a photo. Every message has the headers a
real one has (Received, DKIM-Signature, X-Mailer...).

The pipeline's outcome is predicted while generating, so the benchmark can check it: which
messages open a request and which join one. Acknowledgement Message-IDs are made by Guichet when
the corpus is ingested (random), so answers to them quote an identifier of the same shape that
matches nothing: like a real client's, their References name the citizen's first message too.
Predicting needs what the pipeline knows: the case references and ids, given in order on a fresh
database (`ORGANIZATION_PK`, references counted from 1 in the current year), the signed reply
addresses (`SECRET_KEY` set by the benchmark) and the topic the keyword classifier finds (run here
on the parsed message, exactly as the pipeline runs it).

The mailbox is the demo town's by default. `Town.numbered(k)` is the k-th of several towns set up
alike (the same departments and topics) with addresses, slug and reference prefix of their own, as
the benchmark's parallel mode creates them (town k gets primary key k). Several mailboxes ingested
at once interleave their case ids, which the reply addresses carry: their corpora are written with
`token_case_offset`, so that those addresses name, validly signed, a case id no case has; such an
answer is then threaded by its References header (which names the citizen's first message), as
the Outlook answers are.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from html import escape
from pathlib import Path
from typing import Any

from django.utils import timezone

from guichet.assist.classifiers import KeywordClassifier, TopicProfile
from guichet.cases.references import format_reference
from guichet.channels.email.addresses import reply_address
from guichet.channels.email.parser import parse_email
from guichet.conversations.models import Channel
from guichet.demo import content
from guichet.demo.content import DepartmentSpec, OrganizationSpec
from guichet.demo.planning import Person, Plan, Planner
from guichet.demo.town import VILLEBOIS_REQUESTS
from guichet.organizations.models import Topic

MANIFEST = "manifest.json"
# The benchmark creates the town first on a fresh database: its primary key is 1.
ORGANIZATION_PK = 1
ORGANIZATION = content.VILLEBOIS
ACK_DOMAIN = "guichet.localhost"  # GUICHET_EMAIL_DOMAIN's default, in acknowledgement ids

# Share of the messages that follow up on an earlier request (once there are some).
FOLLOW_UP_SHARE = 0.3
# Which follow-ups, and how often.
FOLLOW_UP_KINDS = {
    "reply-to-ack": 38,
    "outlook-reply": 15,
    "reply-to-own": 15,
    "reference-in-subject": 25,
    "auto-reply": 4,
    "foreign-reference": 3,
}
# How the body of a new request is written, and how often.
SHAPES = {
    "plain": 38,
    "alternative": 24,
    "html-only": 8,
    "windows-1252": 14,
    "iso-8859-15": 3,
    "attachment": 13,
}
# Follow-ups choose among the most recent requests (citizens answer soon).
RECENT_CASES = 400

MAILERS = (
    ("gmail", "mail.gmail.com", ""),
    (
        "thunderbird",
        "",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0",
    ),
    ("apple", "", "Apple Mail (2.3826.300.87.4.3)"),
    ("outlook", "", "Microsoft Outlook 16.0"),
    ("orange", "", "Open-Xchange Mailer v7.10.6-Rev72"),
)
FRENCH_DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
FRENCH_MONTHS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
)  # fmt: skip
OWN_FOLLOW_UPS = (
    "Bonjour,\n\nJ'ai oublié de préciser dans mon précédent message que je suis joignable {reach}."
    "\n\nCordialement,\n{name}",
    "Re-bonjour,\n\nPetite précision : c'est bien au {num} {street}.\n\n{first}",
    "Bonjour,\n\nJe vous joins le document dont je parlais dans mon message de ce matin.\n\n{name}",
)
SUBJECT_REFERENCES = (
    "Demande {reference} - complément",
    "Ma demande n° {reference}",
    "RE: [{reference}] {subject}",
    "Suite de la demande {reference}",
    "{subject} ({reference})",
)
ABSENCE = (
    "Bonjour,\n\nJe suis absent(e) jusqu'au {date} inclus, avec un accès limité à mes messages. "
    "Je vous répondrai dès mon retour.\n\nCordialement,\n{name}",
    "Je suis en congés et je lirai votre message à mon retour.\n{first}",
)


@dataclass
class _Case:
    number: int
    citizen: str
    topic: str | None
    department_address: str
    subject: str
    first_message_id: str
    last_message_id: str
    person: Person
    fill: dict[str, str]
    template_answers: tuple[str, ...]
    references: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Town:
    """Whose mailbox is written: the organization (addresses, slug, reference prefix), its
    departments' addresses, the primary key the benchmark gives it (signed reply addresses carry
    it), and what is added to a case's number to make the case id a reply address names (0: the
    case ids are the numbers, as on a fresh database with one mailbox)."""

    organization: OrganizationSpec = ORGANIZATION
    departments: tuple[DepartmentSpec, ...] = content.VILLEBOIS_DEPARTMENTS
    pk: int = ORGANIZATION_PK
    token_case_offset: int = 0

    @classmethod
    def numbered(cls, number: int, *, token_case_offset: int = 0) -> Town:
        """The `number`-th town (1 to 26) set up like the demo town: the first is the demo town
        itself, the others `villebois-<n>` with `@villebois-<n>.fr` addresses and the prefix
        VIL<letter> (VILB, VILC...)."""
        if not 1 <= number <= 26:
            raise ValueError(f"towns are numbered from 1 to 26, not {number}")
        if number == 1:
            return cls(pk=1, token_case_offset=token_case_offset)

        def moved(address: str) -> str:
            local, _, domain = address.partition("@")
            name, _, tld = domain.rpartition(".")
            return f"{local}@{name}-{number}.{tld}"

        organization = replace(
            ORGANIZATION,
            name=f"{ORGANIZATION.name} {number}",
            slug=f"{ORGANIZATION.slug}-{number}",
            reference_prefix=ORGANIZATION.reference_prefix + chr(ord("A") + number - 1),
            email_address=moved(ORGANIZATION.email_address),
        )
        departments = tuple(
            replace(d, email_address=moved(d.email_address)) for d in content.VILLEBOIS_DEPARTMENTS
        )
        return cls(organization, departments, number, token_case_offset)

    def describe(self) -> dict[str, Any]:
        """As recorded in the manifest (a corpus is only valid for the town it was written for)."""
        return {
            "slug": self.organization.slug,
            "pk": self.pk,
            "email_address": self.organization.email_address,
            "reference_prefix": self.organization.reference_prefix,
            "token_case_offset": self.token_case_offset,
        }


DEMO_TOWN = Town()


@dataclass
class Corpus:
    path: Path
    files: list[Path]
    expected: dict[str, Any]


def generate(
    directory: Path, messages: int, *, seed: int, year: int, town: Town = DEMO_TOWN
) -> Corpus:
    """Write `messages` .eml files (000001.eml ...) and a manifest of the expected outcome."""
    directory.mkdir(parents=True, exist_ok=True)
    writer = _Writer(random.Random(seed), year, town)
    files = []
    for number in range(1, messages + 1):
        raw = writer.next_message()
        path = directory / f"{number:06d}.eml"
        path.write_bytes(raw)
        files.append(path)
    expected = {
        "seed": seed,
        "year": year,
        "messages": messages,
        "cases_created": writer.cases_created,
        "replies_threaded": messages - writer.cases_created,
        "by_kind": dict(sorted(writer.kinds.items())),
        "town": town.describe(),
    }
    (directory / MANIFEST).write_text(json.dumps(expected, indent=2, ensure_ascii=False))
    return Corpus(directory, files, expected)


def read(directory: Path, limit: int | None) -> Corpus:
    """An existing folder of .eml files (its manifest, if any, gives the expected outcome)."""
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() == ".eml")
    if limit is not None:
        files = files[:limit]
    manifest = directory / MANIFEST
    expected: dict[str, Any] = {}
    if manifest.exists():
        expected = json.loads(manifest.read_text())
        if len(files) != expected.get("messages"):
            expected = {}  # a part of the corpus: the expectations were for the whole
    return Corpus(directory, files, expected)


def topic_profiles() -> list[TopicProfile]:
    """The town's topics as the pipeline sees them (ids in creation order)."""
    return [
        TopicProfile(number, spec.slug, spec.name, tuple(_keyword_list(spec.keywords)))
        for number, spec in enumerate(content.VILLEBOIS_TOPICS, start=1)
    ]


def _keyword_list(keywords: tuple[str, ...]) -> list[str]:
    return Topic(keywords="\n".join(keywords)).keyword_list()


class _Writer:
    def __init__(self, rng: random.Random, year: int, town: Town = DEMO_TOWN) -> None:
        self.rng = rng
        self.year = year
        self.town = town
        self.organization = town.organization
        self.when = timezone.make_aware(datetime(year, 1, 5, 7, 30))
        self.planner = Planner(random.Random(rng.getrandbits(64)), self.when)
        self.departments = {d.slug: d.email_address for d in town.departments}
        self.topic_departments = {t.slug: t.department for t in content.VILLEBOIS_TOPICS}
        self.department_by_address = {d.email_address: d.slug for d in town.departments}
        self.profiles = topic_profiles()
        self.slugs = {p.topic_id: p.slug for p in self.profiles}
        self.classifier = KeywordClassifier()
        self.cases: list[_Case] = []
        self.by_citizen: dict[str, list[_Case]] = {}
        self.cases_created = 0
        self.kinds: dict[str, int] = {}

    # --- the stream -----------------------------------------------------------------------------

    def next_message(self) -> bytes:
        self.when += timedelta(seconds=self.rng.randint(5, 90))
        if self.cases and self.rng.random() < FOLLOW_UP_SHARE:
            kind = self._pick(FOLLOW_UP_KINDS)
            case = self.rng.choice(self.cases[-RECENT_CASES:])
            raw = getattr(self, "_" + kind.replace("-", "_"))(case)
        else:
            kind = "new-request"
            raw = self._new_request()
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        return raw

    def _pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    # --- new requests -------------------------------------------------------------------------

    def _new_request(self, person: Person | None = None) -> bytes:
        plan = self.planner.compose(
            self.organization.slug,
            self.organization.email_address,
            self.departments,
            VILLEBOIS_REQUESTS,
            Channel.EMAIL,
            self.when,
            person,
        )
        shape = self._pick(SHAPES)
        message_id = self._message_id(plan.person)
        message = self._body(shape, plan.text)
        self._headers(message, plan.person, plan.recipient, plan.subject, message_id)
        raw = _bytes(message)
        self._predict_new_request(raw, plan, message_id)
        return raw

    def _predict_new_request(self, raw: bytes, plan: Plan, message_id: str) -> None:
        """What the pipeline will do: a returning citizen writing on the topic of one of their
        open requests joins it (a suggested link); anything else opens a request."""
        parsed = parse_email(raw)
        found = self.classifier.classify(self.profiles, parsed.subject, parsed.text).topic_id
        topic = self.slugs[found] if found is not None else None
        citizen = plan.person.email
        same_topic = [c for c in self.by_citizen.get(citizen, []) if topic and c.topic == topic]
        if same_topic:
            case = same_topic[-1]
            case.references.append(message_id)
            case.last_message_id = message_id
            return
        if topic is not None:
            department = self.topic_departments[topic]
        else:
            department = self.department_by_address.get(plan.recipient, "accueil")
        self.cases_created += 1
        case = _Case(
            number=self.cases_created,
            citizen=citizen,
            topic=topic,
            department_address=self.departments[department],
            subject=" ".join(parsed.subject.split()),
            first_message_id=message_id,
            last_message_id=message_id,
            person=plan.person,
            fill=plan.fill,
            template_answers=plan.template.citizen_answers,
            references=[message_id],
        )
        self.cases.append(case)
        self.by_citizen.setdefault(citizen, []).append(case)

    def _body(self, shape: str, text: str) -> Message:
        if shape == "plain":
            message = EmailMessage(policy=SMTP)
            message.set_content(text)
            return message
        if shape == "alternative":
            return _alternative(text)
        if shape == "html-only":
            return MIMEText(_html(text, outlook=self.rng.random() < 0.5), "html", "utf-8")
        if shape in ("windows-1252", "iso-8859-15"):
            return _legacy_text(text, shape)
        # With an attachment: a scan or a photo, sometimes both.
        mixed = MIMEMultipart("mixed")
        mixed.attach(
            _alternative(text) if self.rng.random() < 0.5 else MIMEText(text, "plain", "utf-8")
        )
        for _ in range(1 if self.rng.random() < 0.8 else 2):
            mixed.attach(self._attachment())
        return mixed

    def _attachment(self) -> Message:
        size = self.rng.randint(8_000, 120_000)
        if self.rng.random() < 0.5:
            pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + self.rng.randbytes(size) + b"\n%%EOF\n"
            part: Message = MIMEApplication(pdf, "pdf")
            name = self.rng.choice(("justificatif.pdf", "scan_0012.pdf", "Attestation.pdf"))
        else:
            jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            part = MIMEImage(jpeg + self.rng.randbytes(size) + b"\xff\xd9", "jpeg")
            name = self.rng.choice(("IMG_4521.jpg", "photo.jpg", "20260105_101203.jpg"))
        part.add_header("Content-Disposition", "attachment", filename=name)
        return part

    # --- follow-ups ---------------------------------------------------------------------------

    def _reply_to_ack(self, case: _Case) -> bytes:
        """The citizen answers the acknowledgement with the reply button."""
        style = self.rng.choice(("gmail", "thunderbird", "apple"))
        ack_id = self._ack_id(case)
        token_address = reply_address(
            case.department_address, self.town.pk, case.number + self.town.token_case_offset
        )
        subject = f"Re: {case.subject} [{self._reference(case)}]"
        text = self._answer(case) + "\n\n" + self._quote(case, style)
        message = _alternative(text) if style == "gmail" else _plain(text)
        self._headers(
            message,
            case.person,
            token_address,
            subject,
            self._message_id(case.person),
            in_reply_to=ack_id,
            references=[case.first_message_id, ack_id],
        )
        return self._threaded(case, message)

    def _outlook_reply(self, case: _Case) -> bytes:
        ack_id = self._ack_id(case)
        subject = f"RE: Re: {case.subject} [{self._reference(case)}]"
        text = self._answer(case) + "\n\n" + self._quote(case, "outlook")
        message = _legacy_text(text, "windows-1252")
        self._headers(
            message,
            case.person,
            self.organization.email_address,
            subject,
            self._message_id(case.person),
            in_reply_to=ack_id,
            references=[case.first_message_id, ack_id],
            outlook=True,
        )
        return self._threaded(case, message)

    def _reply_to_own(self, case: _Case) -> bytes:
        text = self.rng.choice(OWN_FOLLOW_UPS).format_map(case.fill)
        message = _plain(text)
        if "joins" in text:
            mixed = MIMEMultipart("mixed")
            mixed.attach(message)
            mixed.attach(self._attachment())
            message = mixed
        self._headers(
            message,
            case.person,
            self.organization.email_address,
            f"Re: {case.subject}",
            self._message_id(case.person),
            in_reply_to=case.last_message_id,
            references=case.references[-10:],
        )
        return self._threaded(case, message)

    def _reference_in_subject(self, case: _Case) -> bytes:
        subject = self.rng.choice(SUBJECT_REFERENCES).format(
            reference=self._reference(case), subject=case.subject
        )
        message = _plain(self._answer(case))
        self._headers(
            message,
            case.person,
            self.organization.email_address,
            subject,
            self._message_id(case.person),
        )
        return self._threaded(case, message)

    def _auto_reply(self, case: _Case) -> bytes:
        ack_id = self._ack_id(case)
        fill = {**case.fill, "date": f"{self.rng.randint(6, 28)} janvier"}
        message = _plain(self.rng.choice(ABSENCE).format_map(fill))
        self._headers(
            message,
            case.person,
            case.department_address,
            f"Réponse automatique : Re: {case.subject} [{self._reference(case)}]",
            self._message_id(case.person),
            in_reply_to=ack_id,
            references=[case.first_message_id, ack_id],
        )
        message["Auto-Submitted"] = "auto-replied"
        message["X-Autoreply"] = "yes"
        return self._threaded(case, message)

    def _foreign_reference(self, case: _Case) -> bytes:
        """Someone else quotes this request's reference (a neighbour, a relative): never threaded
        into another citizen's request, it opens a request of its own."""
        person = self.planner.new_person(Channel.EMAIL)
        fill = self.planner.fill(person)
        text = (
            f"Bonjour,\n\nJe vous écris au sujet de la demande {self._reference(case)} faite par "
            f"mon voisin : nous avons le même problème au {fill['num']} {fill['street']}.\n\n"
            f"Cordialement,\n{person.name}"
        )
        message = _plain(text)
        message_id = self._message_id(person)
        subject = f"Demande {self._reference(case)}"
        self._headers(message, person, self.organization.email_address, subject, message_id)
        raw = _bytes(message)
        plan = Plan(
            self.organization.slug,
            self.when,
            Channel.EMAIL,
            person,
            VILLEBOIS_REQUESTS[0],
            fill,
            subject,
            text,
        )
        plan.recipient = self.organization.email_address
        self._predict_new_request(raw, plan, message_id)
        return raw

    def _threaded(self, case: _Case, message: Message) -> bytes:
        message_id = str(message["Message-ID"]).strip("<>")
        case.references.append(message_id)
        case.last_message_id = message_id
        return _bytes(message)

    def _answer(self, case: _Case) -> str:
        pool = case.template_answers or content.GENERIC_CITIZEN_ANSWERS
        if self.rng.random() < 0.4:
            pool = content.CITIZEN_CHASERS + content.CITIZEN_THANKS
        return self.rng.choice(pool).format_map(case.fill)

    def _quote(self, case: _Case, style: str) -> str:
        """The acknowledgement as the citizen's client quotes it below their answer."""
        reference = self._reference(case)
        ack = (
            f"Bonjour {case.person.name},\n\n{self.organization.name} a bien reçu votre demande. Sa "
            f"référence est {reference} : merci de la rappeler si vous nous écrivez à nouveau.\n\n"
            "Vous pouvez suivre votre demande et nous écrire sur cette page personnelle :\n"
            f"http://127.0.0.1:8000/portail/villebois/suivi/{self.rng.randbytes(18).hex()}/\n\n"
            f"Bien cordialement,\n{self.organization.name}"
        )
        sent = self.when - timedelta(minutes=self.rng.randint(3, 600))
        sender = f"{self.organization.name} <{case.department_address}>"
        if style == "outlook":
            return (
                "________________________________\n"
                f"De : {sender}\n"
                f"Envoyé : {sent:%d/%m/%Y %H:%M}\n"
                f"À : {case.person.name} <{case.citizen}>\n"
                f"Objet : Re: {case.subject} [{reference}]\n\n{ack}"
            )
        quoted = "\n".join(f"> {line}" if line else ">" for line in ack.splitlines())
        if style == "gmail":
            day, month = FRENCH_DAYS[sent.weekday()], FRENCH_MONTHS[sent.month - 1]
            intro = f"Le {day} {sent.day} {month} {sent.year} à {sent:%H:%M}, {sender} a écrit :"
            return f"{intro}\n\n{quoted}"
        if style == "apple":
            return f"> Le {sent:%d %m %Y} à {sent:%H:%M}, {sender} a écrit :\n>\n{quoted}"
        return f"Le {sent:%d/%m/%Y} à {sent:%H:%M}, {sender} a écrit :\n{quoted}"

    # --- headers ----------------------------------------------------------------------------

    def _headers(
        self,
        message: Message,
        person: Person,
        recipient: str,
        subject: str,
        message_id: str,
        *,
        in_reply_to: str = "",
        references: list[str] | None = None,
        outlook: bool = False,
    ) -> None:
        rng = self.rng
        domain = person.email.rpartition("@")[2]
        for hop in range(rng.randint(1, 3)):
            stamp = format_datetime(self.when + timedelta(seconds=hop))
            message["Received"] = (
                f"from mx{hop}.{domain} (mx{hop}.{domain} [192.0.2.{rng.randint(1, 254)}]) "
                f"by mx.villebois.fr (Postfix) with ESMTPS id {rng.getrandbits(40):010X} "
                f"for <{recipient}>; {stamp}"
            )
        message["DKIM-Signature"] = (
            f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1; "
            f"h=from:to:subject:date:message-id; bh={rng.randbytes(32).hex()}=; "
            f"b={rng.randbytes(96).hex()}="
        )
        name = person.name
        if outlook:
            message["From"] = formataddr((name, person.email), charset="windows-1252")
            message["Subject"] = Header(subject, "windows-1252").encode()
            message["Thread-Topic"] = Header(subject, "windows-1252").encode()
            message["Thread-Index"] = rng.randbytes(22).hex()
            message["X-MS-Has-Attach"] = ""
        elif isinstance(message, EmailMessage):
            message["From"] = formataddr((name, person.email))
            message["Subject"] = subject
        else:  # compat32 parts: encoded words written here
            message["From"] = formataddr((name, person.email), charset="utf-8")
            message["Subject"] = Header(subject, "utf-8").encode()
        message["To"] = recipient
        message["Date"] = format_datetime(self.when)
        message["Message-ID"] = f"<{message_id}>"
        if in_reply_to:
            message["In-Reply-To"] = f"<{in_reply_to}>"
        if references:
            message["References"] = " ".join(f"<{ref}>" for ref in references)
        if "MIME-Version" not in message:
            message["MIME-Version"] = "1.0"
        _mailer, _, agent = rng.choice(MAILERS)
        if agent:
            message["User-Agent" if rng.random() < 0.5 else "X-Mailer"] = agent
        message["Content-Language"] = "fr"

    def _message_id(self, person: Person) -> str:
        domain = person.email.rpartition("@")[2] or "example.org"
        return f"{self.when:%Y%m%d%H%M%S}.{self.rng.getrandbits(64):016x}@mail.{domain}"

    def _ack_id(self, case: _Case) -> str:
        """An acknowledgement's Message-ID as Guichet writes them (uuid4 hex . reference @ domain):
        the real one is random, so this one matches nothing."""
        return f"{self.rng.getrandbits(128):032x}.{self._reference(case)}@{ACK_DOMAIN}"

    def _reference(self, case: _Case) -> str:
        return format_reference(self.organization.reference_prefix, self.year, case.number)


def _plain(text: str) -> Message:
    message = EmailMessage(policy=SMTP)
    message.set_content(text)
    return message


def _legacy_text(text: str, charset_name: str) -> Message:
    """A text/plain part in a legacy 8-bit charset (quoted-printable), as Outlook and old clients
    write them; what the charset cannot hold is written as they would: a straight apostrophe for
    the typographic one, a question mark for anything else."""
    charset = Charset(charset_name)
    charset.body_encoding = QP
    if charset_name != "windows-1252":  # (which has the typographic apostrophe)
        text = text.replace("\u2019", "'")
    text = text.encode(charset_name, "replace").decode(charset_name)
    return MIMEText(text, "plain", charset)


def _alternative(text: str) -> Message:
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(text, "plain", "utf-8"))
    alternative.attach(MIMEText(_html(text, outlook=False), "html", "utf-8"))
    return alternative


def _html(text: str, *, outlook: bool) -> str:
    paragraphs = "".join(
        f'<p class="MsoNormal">{escape(block).replace(chr(10), "<br>")}</p>'
        if outlook
        else f'<div dir="ltr">{escape(block).replace(chr(10), "<br>")}</div><div><br></div>'
        for block in text.split("\n\n")
    )
    head = (
        '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:Calibri,sans-serif}</style>"
        "</head>"
        if outlook
        else ""
    )
    return f"<html>{head}<body>{paragraphs}</body></html>"


def _bytes(message: Message) -> bytes:
    return message.as_bytes(policy=SMTP)
