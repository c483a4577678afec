"""The one typed contract between channels and the rest of Guichet.

A channel adapter turns what it receives into an `InboundMessage` (handed to
`guichet.intake.pipeline.receive`) and delivers an `OutboundMessage`, answering a `DeliveryReceipt`.
The rest of the system never sees a provider payload.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes
    is_inline: bool = False
    content_id: str = ""


@dataclass(frozen=True)
class DeliveryReport:
    """What a bounce (RFC 3464) says about a message Guichet sent."""

    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    recipient: str
    diagnostic: str
    original_message_id: str

    @property
    def is_failure(self) -> bool:
        return self.action == "failed"


@dataclass(frozen=True)
class InboundMessage:
    """A message from the public, as any channel hands it over."""

    channel: str
    external_id: str
    sender_address: str
    sender_name: str = ""
    subject: str = ""
    text: str = ""
    # For replies: what the client quoted below the new text, and the signature (kept, shown folded).
    quoted_text: str = ""
    html: str = ""
    received_at: datetime | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    # Other contact points the citizen gave (e.g. a phone number typed in the portal form).
    extra_contacts: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    # Where the sender asked answers to go (email Reply-To), lower-cased addresses.
    reply_to: tuple[str, ...] = ()
    email_message_id: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    # Automatic senders (out-of-office, bounces, lists) are threaded but never acknowledged.
    auto_submitted: bool = False
    # Topic chosen by the citizen (slug), if the channel offers a choice.
    topic_hint: str = ""
    # Set only by trusted adapters that already know the case (the portal's tracking page).
    case_id: int | None = None
    # The department the channel belongs to (a mailbox configured for one department): used to
    # route when the topic says nothing.
    department_id: int | None = None
    # Set when the message is a delivery status notification about a message Guichet sent.
    delivery_report: DeliveryReport | None = None
    # The original bytes as received (an .eml, a JSON body), kept on the raw record.
    raw: bytes = b""
    raw_filename: str = "payload.bin"
    # Problems the adapter met and worked around (wrong charset, broken MIME part...).
    problems: tuple[str, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        """JSON-serialisable content (without bytes) stored on the raw record, for retries."""
        data = dataclasses.asdict(self)
        data.pop("raw")
        data["attachments"] = [
            {k: v for k, v in attachment.items() if k != "content"}
            for attachment in data["attachments"]
        ]
        data["received_at"] = self.received_at.isoformat() if self.received_at else None
        return data

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> InboundMessage:
        """Rebuild from `to_payload()` (attachment contents live in storage, not here)."""
        data = dict(payload)
        data["attachments"] = ()
        received = data.get("received_at")
        data["received_at"] = datetime.fromisoformat(received) if received else None
        report = data.get("delivery_report")
        data["delivery_report"] = DeliveryReport(**report) if report else None
        for key in (
            "extra_contacts",
            "recipients",
            "reply_to",
            "in_reply_to",
            "references",
            "problems",
        ):
            data[key] = tuple(data.get(key) or ())
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutboundMessage:
    """A reply or acknowledgement to deliver to one citizen on one channel."""

    message_id: int
    organization_name: str
    channel: str
    recipient_address: str
    recipient_name: str
    subject: str
    text: str
    from_address: str
    reply_to: str = ""
    email_message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    case_reference: str = ""
    tracking_url: str = ""
    # Acknowledgements and notices written by Guichet itself (RFC 3834 Auto-Submitted).
    is_automatic: bool = False
    attachments: tuple[OutboundAttachment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DeliveryReceipt:
    status: str  # a conversations.models.DeliveryStatus value
    provider_id: str = ""
    error: str = ""


class ChannelAdapter(Protocol):
    """What every channel adapter offers the rest of the system."""

    channel: ClassVar[str]
    # True when Guichet delivers the message itself; False when an integration picks it up.
    delivers_itself: ClassVar[bool]

    def send(self, outbound: OutboundMessage) -> DeliveryReceipt: ...


class ChannelRegistry:
    def __init__(self) -> None:
        self._adapters: dict[str, ChannelAdapter] = {}
        self._fallback: ChannelAdapter | None = None

    def register(self, adapter: ChannelAdapter, *, fallback: bool = False) -> None:
        if fallback:
            self._fallback = adapter
        else:
            self._adapters[adapter.channel] = adapter

    def get(self, channel: str) -> ChannelAdapter:
        adapter = self._adapters.get(channel, self._fallback)
        if adapter is None:
            raise LookupError(f"no adapter for channel {channel!r}")
        return adapter


registry = ChannelRegistry()
