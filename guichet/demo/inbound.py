"""Demo messages shaped as each channel hands them to the pipeline.

Email is written as real RFC 5322 bytes and read by the email channel's own parser; portal forms
and tracking-page replies go through the portal's builders; SMS gateways, the telephony
integration and the town's app post to the API, whose message shape is reproduced here.
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from django.utils import timezone

from guichet.cases.models import Case
from guichet.channels.base import InboundMessage
from guichet.channels.email.parser import parse_email
from guichet.channels.portal.inbound import (
    PortalReply,
    PortalRequest,
    build_reply_message,
    build_request_message,
)
from guichet.conversations.models import Channel, Message
from guichet.demo.planning import Person

API_ID_PREFIXES: dict[str, str] = {Channel.SMS: "SM", Channel.PHONE: "call-", Channel.API: "app-"}


def reply_subject(subject: str) -> str:
    """A reply's subject, as mail clients write it (one "Re:", not one per exchange)."""
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}"


def e164(number: str) -> str:
    """+33... as SMS gateways send it, from a French number written 06 12 34 56 78."""
    digits = number.replace(" ", "")
    return f"+33{digits[1:]}"


class MessageFactory:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _hex(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def _message_id(self, person: Person, when: datetime) -> str:
        domain = person.email.rpartition("@")[2] or "example.org"
        return f"{timezone.localtime(when):%Y%m%d%H%M%S}.{self._hex(48)}@mail.{domain}"

    def email(
        self,
        person: Person,
        recipient: str,
        subject: str,
        text: str,
        when: datetime,
        replying_to: Message | None = None,
    ) -> InboundMessage:
        """An email from `person`, answering `replying_to` (reply headers) when given."""
        message = EmailMessage()
        message["From"] = formataddr((person.name, person.email))
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = format_datetime(timezone.localtime(when))
        message["Message-ID"] = f"<{self._message_id(person, when)}>"
        if replying_to is not None:
            references = [*replying_to.references.split(), replying_to.email_message_id]
            message["In-Reply-To"] = f"<{replying_to.email_message_id}>"
            message["References"] = " ".join(f"<{ref}>" for ref in references)
        message.set_content(text)
        return parse_email(message.as_bytes(policy=SMTP))

    def email_answer(
        self,
        recipient: str,
        person: Person,
        case: Case,
        last: Message | None,
        text: str,
        when: datetime,
    ) -> InboundMessage:
        """A citizen answers by email: usually with the reply button, sometimes as a new
        message quoting the reference in the subject."""
        # A follow-up's subject quotes the closed request's reference first, and the pipeline
        # follows the first reference it finds: those citizens use the reply button.
        if last is not None and (case.follows_id or self.rng.random() < 0.75):
            return self.email(person, recipient, reply_subject(last.subject), text, when, last)
        subject = (
            f"RE: {last.subject.removeprefix('Re: ')}"
            if last is not None
            else f"{case.subject} [{case.reference}]"
        )
        return self.email(person, recipient, subject, text, when)

    def portal_request(
        self,
        person: Person,
        subject: str,
        text: str,
        when: datetime,
        *,
        phone: str = "",
        topic: str = "",
    ) -> InboundMessage:
        request = PortalRequest(
            subject=subject,
            text=text,
            name=person.name,
            email=person.email,
            phone=phone,
            topic_slug=topic,
        )
        return build_request_message(request, nonce=self._hex(128), received_at=when)

    def portal_reply(self, person: Person, case: Case, text: str, when: datetime) -> InboundMessage:
        """A message written on the case's tracking page."""
        reply = PortalReply(
            case_id=case.pk,
            case_reference=case.reference,
            subject=reply_subject(case.subject),
            text=text,
            sender_address=person.email,
            sender_name=person.name,
        )
        return build_reply_message(reply, nonce=self._hex(128), received_at=when)

    def api_message(
        self,
        channel: str,
        sender: str,
        name: str,
        subject: str,
        text: str,
        when: datetime,
        *,
        topic: str = "",
        extra: tuple[str, ...] = (),
    ) -> InboundMessage:
        """What an SMS gateway, the telephony integration or the town's app posts to the API."""
        external_id = f"{API_ID_PREFIXES[channel]}{self._hex(128)}"
        body = {
            "channel": channel,
            "external_id": external_id,
            "sender": sender,
            "name": name,
            "subject": subject,
            "text": text,
            "topic": topic,
        }
        return InboundMessage(
            channel=channel,
            external_id=external_id,
            sender_address=sender,
            sender_name=name,
            subject=subject,
            text=text,
            received_at=when,
            extra_contacts=extra,
            topic_hint=topic,
            raw=json.dumps(body, ensure_ascii=False).encode(),
            raw_filename="request.json",
        )
