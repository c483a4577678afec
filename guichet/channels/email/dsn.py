"""Delivery status notifications (RFC 3464 bounces): which message of ours failed, and why.

A bounce is not a request from a citizen: the pipeline applies it to the outbound message it
reports on (delivery status and error on the agent's timeline) instead of opening a case.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from guichet.channels.base import DeliveryReport

_ID = re.compile(r"<([^<>\s]+)>")
_FIELD_SEP = re.compile(r"\r?\n\s*\r?\n")


def _content_type(part: Message) -> str:
    return (part.get_content_type() or "").lower()


def _fields(block: str) -> dict[str, str]:
    headers = HeaderParser(policy=compat32).parsestr(block)
    return {key.lower(): " ".join(str(value).split()) for key, value in headers.items()}


def _status_blocks(part: Message) -> list[dict[str, str]]:
    payload = part.get_payload()
    if isinstance(payload, list):  # compat32 parses delivery-status as a list of header blocks
        return [
            {k.lower(): " ".join(str(v).split()) for k, v in block.items()}
            for block in payload
            if isinstance(block, Message)
        ]
    text = payload if isinstance(payload, str) else ""
    return [_fields(block) for block in _FIELD_SEP.split(text) if block.strip()]


def _original_message_id(report: Message) -> str:
    for part in report.walk():
        content_type = _content_type(part)
        if content_type in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found = _ID.search(str(inner.get("Message-ID", "")))
                if found:
                    return found.group(1)
        elif content_type == "text/rfc822-headers":
            data = part.get_payload(decode=True)
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
            headers = HeaderParser(policy=compat32).parsestr(text)
            found = _ID.search(str(headers.get("Message-ID", "")))
            if found:
                return found.group(1)
    return ""


def parse_delivery_report(message: Message) -> DeliveryReport | None:
    """The report of a multipart/report DSN, or None when `message` is not one."""
    if _content_type(message) != "multipart/report":
        return None
    status_part = next(
        (
            p
            for p in message.walk()
            if _content_type(p) in ("message/delivery-status", "message/global-delivery-status")
        ),
        None,
    )
    if status_part is None:
        return None
    recipients = [block for block in _status_blocks(status_part) if "action" in block]
    if not recipients:
        return None
    # A report may list several recipients; the worst outcome is the one to show.
    order = {"failed": 0, "delayed": 1, "relayed": 2, "expanded": 3, "delivered": 4}
    worst = min(recipients, key=lambda block: order.get(block.get("action", "").lower(), 5))
    recipient = worst.get("final-recipient", "").split(";", 1)[-1].strip()
    return DeliveryReport(
        action=worst.get("action", "").lower()[:20],
        status=worst.get("status", "")[:20],
        recipient=recipient[:320],
        diagnostic=worst.get("diagnostic-code", "").split(";", 1)[-1].strip()[:1000],
        original_message_id=_original_message_id(message)[:300],
    )
