"""Real-world email, as bytes, to one `InboundMessage`.

Mail from the public is written by every client ever shipped, forwarded by gateways that rewrite it
and sometimes truncated on the way. `parse_email` never gives up on a message that has headers: it
recovers what it can and lists each workaround in `InboundMessage.problems`, so that an agent or an
administrator can see why a character looks odd. Only input that is not an email at all raises
`EmailParseError`.

Why the `compat32` policy: the MIME structure is split by the stdlib parser with `policy.compat32`,
which keeps header values as the raw strings they were. `policy.default` parses every header it is
asked for into objects, which costs about ten times more (measured 1.3 ms against 0.13 ms for a
small multipart message, before any header is read) and raises on some malformed values (an
unparseable Date, for one). Headers are therefore decoded here, once each: RFC 2047 encoded words
with a charset fallback chain, raw 8-bit bytes, addresses with `email.utils.getaddresses`, and, when
that finds no usable address, `policy.default`'s stricter address parser as a second opinion.

Decoding stays bounded by the input: each part is decoded once, and base64, quoted-printable and
uuencode only shrink their input, so a message never expands beyond its own size.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from io import BytesIO

from guichet.channels.base import InboundAttachment, InboundMessage
from guichet.channels.email.charsets import (
    WESTERN_SINGLE_BYTE,
)
from guichet.channels.email.charsets import (
    charset_label as _charset_label,
)
from guichet.channels.email.charsets import (
    decode_declared as _decode_declared,
)
from guichet.channels.email.charsets import (
    decode_word as _decode_word,
)
from guichet.channels.email.charsets import (
    detect_charset as _detect_charset,
)
from guichet.channels.email.charsets import (
    is_utf8 as _is_utf8,
)
from guichet.channels.email.charsets import (
    text_codec as _text_codec,
)
from guichet.channels.email.charsets import (
    truncated_base64 as _truncated_base64,
)
from guichet.channels.email.dsn import parse_delivery_report
from guichet.channels.email.quotes import looks_like_reply, split_reply
from guichet.core.html import html_to_text, sanitize_html

CHANNEL = "email"
RAW_FILENAME = "message.eml"

# Lengths of the fields that receive these values (conversations.Message, Attachment).
MAX_SUBJECT_LENGTH = 300
MAX_MESSAGE_ID_LENGTH = 300
MAX_NAME_LENGTH = 200
MAX_ADDRESS_LENGTH = 320
MAX_FILENAME_LENGTH = 255
MAX_CONTENT_TYPE_LENGTH = 120
# A thread needs its root and its latest messages; some clients send thousands of references.
MAX_REFERENCES = 100
# Beyond these, a message is built to hurt the parser rather than to be read.
MAX_DEPTH = 20
MAX_PARTS = 500

FORWARD_SEPARATOR = "---------- Message transféré ----------"
FORWARD_HEADERS = (("De", "from"), ("Date", "date"), ("Objet", "subject"), ("À", "to"))

AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
AUTOMATIC_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})
# Subjects of out-of-office replies, used only together with X-Auto-Response-Suppress.
AUTO_REPLY_SUBJECT = re.compile(
    r"\s*(réponse automatique|automatic reply|auto[- ]?reply|out of (the )?office|"
    r"absen(ce|t) du bureau|message d'absence)",
    re.IGNORECASE,
)


DEFECT_DESCRIPTIONS = {
    "CloseBoundaryNotFoundDefect": "closing MIME boundary missing",
    "StartBoundaryNotFoundDefect": "MIME boundary never found, body read as text",
    "NoBoundaryInMultipartDefect": "multipart without boundary, body read as text",
    "MultipartInvariantViolationDefect": "multipart without parts",
    "MissingHeaderBodySeparatorDefect": "header block not ended by a blank line",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation line",
    "MisplacedEnvelopeHeaderDefect": "misplaced 'From ' envelope line",
    "InvalidMultipartContentTransferEncodingDefect": "invalid transfer encoding on a multipart",
    "InvalidBase64PaddingDefect": "invalid base64 padding",
    "InvalidBase64CharactersDefect": "invalid characters in base64",
    "InvalidBase64LengthDefect": "truncated base64",
}

EXTENSIONS = {
    "application/ms-tnef": ".dat",
    "application/octet-stream": ".bin",
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "message/delivery-status": ".txt",
    "message/rfc822": ".eml",
    "text/calendar": ".ics",
    "text/html": ".html",
    "text/plain": ".txt",
    "text/rfc822-headers": ".txt",
}

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLDING = re.compile(r"\r?\n(?=[ \t])")
_BRACKETED_ID = re.compile(r"<([^<>]*)>")
_WHITESPACE = re.compile(r"\s+")
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"\x00-\x1f\x7f]+@[^@\s<>()\[\],;:\"\x00-\x1f\x7f]+")
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9!#$&^_.+-]+")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_:.-]+)", re.IGNORECASE)
_KNOWN_FIELD = re.compile(
    rb"^(from|to|subject|date|message-id|received|return-path|mime-version|content-type)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)
_MIME_TYPES = mimetypes.MimeTypes()  # the built-in table only, the same on every machine


class EmailParseError(ValueError):
    """The input is not an email at all (empty, or no header field)."""


def parse_email(raw: bytes) -> InboundMessage:
    """The `InboundMessage` for one RFC 5322 message; see the module docstring."""
    return _EmailParser(bytes(raw)).parse()


@dataclass
class _Segment:
    """One piece of body in reading order: its plain-text and its HTML renderings, when known."""

    text: str | None
    html: str | None

    def as_text(self) -> str:
        if self.text is not None:
            return self.text
        return html_to_text(self.html or "")


class _Headers:
    """The header fields of one message or part, read once, decoded on demand."""

    def __init__(self, message: Message, parser: _EmailParser) -> None:
        self._parser = parser
        self._raw: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self._raw.setdefault(name.strip().lower(), []).append(str(value))
        self._decoded: dict[str, list[str]] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._raw

    def all(self, name: str) -> list[str]:
        """Every value of the field, unfolded, 8-bit bytes decoded (encoded words left as is)."""
        if name not in self._decoded:
            self._decoded[name] = [self._unfold(name, value) for value in self._raw.get(name, [])]
        return self._decoded[name]

    def first(self, name: str) -> str:
        values = self.all(name)
        return values[0] if values else ""

    def text(self, name: str) -> str:
        """The first value as readable text: encoded words decoded, whitespace folded."""
        return _fold(self._parser.decode_words(self.first(name), f"{_title(name)} header"))

    def is_ascii(self, *names: str) -> bool:
        return all(value.isascii() for name in names for value in self._raw.get(name, []))

    def _unfold(self, name: str, value: str) -> str:
        value = _FOLDING.sub("", value).replace("\r", " ").replace("\n", " ")
        value = _CONTROL_CHARS.sub(" ", value)
        if value.isascii():
            return value
        # The parser kept non-ASCII header bytes as surrogate escapes: UTF-8 is allowed (RFC 6532),
        # anything else is a client that did not encode its header.
        try:
            data = value.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:
            data = value.encode("utf-8", "surrogateescape")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self._parser.problem(
                f"non-ASCII bytes in {_title(name)} header, decoded as windows-1252"
            )
            return data.decode("cp1252", "replace")


class _EmailParser:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.problems: list[str] = []
        self.attachments: list[InboundAttachment] = []
        self.part_count = 0

    def problem(self, description: str) -> None:
        if description not in self.problems:
            self.problems.append(description)

    # --- the message -----------------------------------------------------------------------

    def parse(self) -> InboundMessage:
        message = self._split_mime()
        headers = _Headers(message, self)

        sender_name, sender_address = self._sender(headers)
        subject = headers.text("subject")
        if len(subject) > MAX_SUBJECT_LENGTH:
            self.problem(f"subject of {len(subject)} characters truncated to {MAX_SUBJECT_LENGTH}")
            subject = subject[:MAX_SUBJECT_LENGTH]
        message_ids = self._message_ids(headers.first("message-id"), "Message-ID")
        message_id = message_ids[0] if message_ids else ""
        if not message_id:
            self.problem("no Message-ID, identified by a hash of the raw bytes")
        references = self._message_ids(" ".join(headers.all("references")), "References")
        if len(references) > MAX_REFERENCES:
            self.problem(
                f"References header lists {len(references)} messages, kept the first and the "
                f"last {MAX_REFERENCES - 1}"
            )
            references = [references[0], *references[-(MAX_REFERENCES - 1) :]]

        segments = self.walk(message, 0)
        text = "\n\n".join(t for t in (s.as_text().strip() for s in segments) if t)
        body_html = ""
        if any(segment.html is not None for segment in segments):
            body_html = sanitize_html("\n".join(_segment_html(s) for s in segments))

        in_reply_to = tuple(self._message_ids(headers.first("in-reply-to"), "In-Reply-To"))
        text = _scrub(text)
        quoted = ""
        if looks_like_reply(subject, in_reply_to, tuple(references)):
            text, quoted = split_reply(text)
        return InboundMessage(
            channel=CHANNEL,
            external_id=message_id or "sha256:" + hashlib.sha256(self.raw).hexdigest(),
            sender_address=sender_address,
            sender_name=_scrub(sender_name),
            subject=_scrub(subject),
            text=text,
            quoted_text=quoted,
            html=_scrub(body_html),
            received_at=self._date(headers),
            attachments=tuple(self.attachments),
            recipients=self._recipients(headers),
            reply_to=tuple(
                dict.fromkeys(
                    a for _, a in self._addresses(headers.all("reply-to"), "Reply-To header")
                )
            ),
            email_message_id=message_id,
            in_reply_to=in_reply_to,
            references=tuple(references),
            auto_submitted=self._is_automatic(headers, message, sender_address),
            delivery_report=parse_delivery_report(message),
            raw=self.raw,
            raw_filename=RAW_FILENAME,
            problems=tuple(_scrub(p) for p in self.problems),
        )

    def _split_mime(self) -> Message:
        data = self.raw
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        stripped = data.lstrip(b"\r\n\t ")
        if not stripped:
            raise EmailParseError("not an email: the input is empty")
        if len(stripped) != len(self.raw):
            self.problem("byte order mark or blank lines before the headers, skipped")
        message = self._parse_bytes(stripped)
        if message.keys():
            return message
        # Garbage before the headers (a stray line from an export tool): start at the first
        # well-known field, if there is one near the top.
        found = _KNOWN_FIELD.search(stripped, 0, 8192)
        if found and found.start() > 0:
            message = self._parse_bytes(stripped[found.start() :])
            if message.keys():
                self.problem("unreadable lines before the headers, skipped")
                return message
        raise EmailParseError("not an email: no header field found")

    def _parse_bytes(self, data: bytes) -> Message:
        try:
            return BytesParser(policy=policy.compat32).parsebytes(data)
        except Exception as exc:  # the stdlib parser on hostile nesting (RecursionError...)
            self.problem(f"MIME structure unreadable ({type(exc).__name__}), body kept as text")
            return BytesParser(policy=policy.compat32).parsebytes(data, headersonly=True)

    # --- headers ---------------------------------------------------------------------------

    def decode_words(self, value: str, where: str) -> str:
        """`value` with its RFC 2047 encoded words decoded (adjacent words joined)."""
        if "=?" not in value:
            return value
        pieces: list[str | tuple[str, bytes]] = []
        position = 0
        for match in _ENCODED_WORD.finditer(value):
            between = value[position : match.start()]
            after_word = bool(pieces) and isinstance(pieces[-1], tuple)
            if between and not (after_word and between.isspace()):
                pieces.append(between)
            position = match.end()
            charset = match.group(1).split("*", 1)[0].lower()
            data = _decode_word(match.group(2), match.group(3))
            if data is None:
                self.problem(f"undecodable encoded word in {where}, kept as is")
                pieces.append(match.group(0))
                continue
            previous = pieces[-1] if pieces else None
            if isinstance(previous, tuple) and previous[0] == charset:
                # Clients split multi-byte characters across words: join the bytes first.
                pieces[-1] = (charset, previous[1] + data)
            else:
                pieces.append((charset, data))
        pieces.append(value[position:])
        return "".join(
            piece if isinstance(piece, str) else self.decode_bytes(piece[1], piece[0], where)
            for piece in pieces
        )

    def _addresses(self, values: Iterable[str], where: str) -> list[tuple[str, str]]:
        """(display name, lower-cased address) of each usable address in the field values."""
        found: list[tuple[str, str]] = []
        for value in values:
            pairs = _usable(getaddresses([value]))
            if not pairs and "=?" in value:
                # The whole field encoded, address included (seen from broken webmails).
                pairs = _usable(getaddresses([self.decode_words(value, where)]))
            if not pairs and "@" in value:
                pairs = _usable(_strict_addresses(value))
            found.extend(pairs)
        return [(self._display_name(name, address, where), address) for name, address in found]

    def _display_name(self, name: str, address: str, where: str) -> str:
        name = _fold(self.decode_words(name, where)).strip("\"' ")
        if name.lower() == address:
            return ""
        return name[:MAX_NAME_LENGTH]

    def _sender(self, headers: _Headers) -> tuple[str, str]:
        """(name, address) from From, else from Reply-To, Sender or Return-Path."""
        for name in ("from", "reply-to", "sender", "return-path"):
            addresses = self._addresses(headers.all(name), f"{_title(name)} header")
            if addresses:
                if name != "from":
                    label = "From header missing" if "from" not in headers else "From unusable"
                    self.problem(f"{label}, sender taken from {_title(name)}")
                return addresses[0]
        self.problem("no usable sender address")
        return "", ""

    def _recipients(self, headers: _Headers) -> tuple[str, ...]:
        recipients: dict[str, None] = {}
        for name in ("to", "cc", "delivered-to", "x-original-to"):
            for _, address in self._addresses(headers.all(name), f"{_title(name)} header"):
                recipients.setdefault(address)
        return tuple(recipients)

    def _message_ids(self, value: str, where: str) -> list[str]:
        """Message ids without brackets or whitespace, in order, each once."""
        candidates = _BRACKETED_ID.findall(value) or value.replace(",", " ").split()
        ids: dict[str, None] = {}
        for candidate in candidates:
            message_id = "".join(candidate.split()).strip("<>")
            if len(message_id) > MAX_MESSAGE_ID_LENGTH:
                self.problem(f"{where} longer than {MAX_MESSAGE_ID_LENGTH} characters ignored")
            elif message_id:
                ids.setdefault(message_id)
        return list(ids)

    def _date(self, headers: _Headers) -> datetime | None:
        value = headers.first("date").strip()
        if not value:
            return None
        try:
            received = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            self.problem("unreadable Date header ignored")
            return None
        return received if received.tzinfo else received.replace(tzinfo=UTC)

    def _is_automatic(self, headers: _Headers, message: Message, sender: str) -> bool:
        """RFC 3834 and the habits of autoresponders, list servers and bounce senders."""
        auto_submitted = headers.first("auto-submitted").split(";", 1)[0].strip().lower()
        if auto_submitted and auto_submitted != "no":
            return True
        if headers.first("precedence").strip().lower() in AUTOMATIC_PRECEDENCE:
            return True
        for name in ("x-autoreply", "x-autorespond"):
            if name in headers and headers.first(name).strip().lower() not in ("no", "false"):
                return True
        if "list-id" in headers or "list-unsubscribe" in headers:
            return True
        if _content_type(message) == "multipart/report":
            return True
        if _is_daemon(headers.all("from")) or sender.partition("@")[0] in AUTOMATIC_LOCAL_PARTS:
            return True
        if any(_WHITESPACE.sub("", value) == "<>" for value in headers.all("return-path")):
            return True
        # Outlook sets X-Auto-Response-Suppress on ordinary mail too: alone it proves nothing.
        suppress = headers.first("x-auto-response-suppress").lower()
        return ("oof" in suppress or "all" in suppress) and bool(
            AUTO_REPLY_SUBJECT.match(headers.text("subject"))
        )

    # --- bodies and attachments ------------------------------------------------------------

    def walk(self, part: Message, depth: int) -> list[_Segment]:
        """The body segments of `part` in reading order; attachments are collected on the way."""
        self.part_count += 1
        if self.part_count > MAX_PARTS:
            self.problem(f"more than {MAX_PARTS} MIME parts, the rest ignored")
            return []
        if depth > MAX_DEPTH:
            self.problem(f"MIME parts nested deeper than {MAX_DEPTH} levels ignored")
            return []
        content_type = _content_type(part)
        segments = self._walk_content(part, content_type, depth)
        # After the walk: decoding a part adds its own defects (bad base64) to the parse ones.
        self._note_defects(part, content_type)
        return segments

    def _walk_content(self, part: Message, content_type: str, depth: int) -> list[_Segment]:
        if part.is_multipart():  # compat32: the payload is then the list of sub-parts
            payload = part.get_payload()
            children = [child for child in payload if isinstance(child, Message)]
            if content_type in ("message/rfc822", "message/global") and children:
                return self._forwarded(children[0], depth)
            if content_type.startswith("message/"):  # delivery-status and friends
                self._attach(_Headers(part, self), self._message_blocks(children, content_type))
                return []
            options = [self.walk(child, depth + 1) for child in children]
            if content_type == "multipart/alternative":
                return _alternative(options)
            return [segment for option in options for segment in option]
        if content_type.startswith("multipart/"):
            # The boundary is missing or never appears: the body is all there is.
            return [_Segment(self._body_text(part, "text/plain"), None)]
        return self._leaf(part, content_type)

    def _leaf(self, part: Message, content_type: str) -> list[_Segment]:
        headers = _Headers(part, self)
        view = _params_view(part, headers)
        disposition = view.get_content_disposition() or ""
        filename = self._filename(view)
        is_text = content_type in ("text/plain", "text/html")
        if is_text and disposition != "attachment" and not filename:
            text = self._body_text(part, content_type, view)
            if content_type == "text/html":
                return [_Segment(None, text)]
            return [_Segment(text, None)]
        self._attach(headers, self._payload(part), filename, disposition)
        return []

    def _forwarded(self, inner: Message, depth: int) -> list[_Segment]:
        headers = _Headers(inner, self)
        lines = [FORWARD_SEPARATOR]
        lines += [f"{label} : {headers.text(name)}" for label, name in FORWARD_HEADERS]
        separator = "\n".join(line for line in lines if not line.endswith(" : "))
        return [_Segment(separator, None), *self.walk(inner, depth + 1)]

    def _body_text(self, part: Message, content_type: str, view: Message | None = None) -> str:
        view = view or _params_view(part, _Headers(part, self))
        data = self._payload(part)
        charset = _param(view, "charset")
        if not charset and content_type == "text/html":
            meta = _META_CHARSET.search(data[:4096])
            charset = meta.group(1).decode("ascii") if meta else ""
        text = self.decode_bytes(data, charset, f"{content_type} part", detect=True)
        text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        text = _CONTROL_CHARS.sub("", text)
        if content_type == "text/plain" and _param(view, "format").lower() == "flowed":
            text = _unflow(text, delete_space=_param(view, "delsp").lower() == "yes")
        return text

    def _payload(self, part: Message) -> bytes:
        """The decoded bytes of a leaf part (transfer encoding undone), b"" when beyond repair."""
        known_defects = len(part.defects)
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:  # a decoder choking on a corrupt part
            self.problem(f"{_content_type(part)} part undecodable ({type(exc).__name__})")
            return b""
        new_defects = part.defects[known_defects:]
        if any(type(defect).__name__ == "InvalidBase64LengthDefect" for defect in new_defects):
            # The stdlib hands back the base64 text itself; decode what the cut left whole.
            try:
                encoded = part.get_payload()
            except Exception:  # the text form decodes with the declared charset, which may fail
                encoded = ""
            return _truncated_base64(encoded) if isinstance(encoded, str) else b""
        return data if isinstance(data, bytes) else b""

    def _filename(self, view: Message) -> str:
        try:
            filename = view.get_filename() or ""
        except Exception:  # RFC 2231 parameters the stdlib cannot collapse
            self.problem("unreadable attachment file name")
            return ""
        # NFC: macOS writes decomposed accents (e + U+0301), which search and display mishandle.
        filename = unicodedata.normalize("NFC", _fold(self.decode_words(filename, "file name")))
        filename = _CONTROL_CHARS.sub("", filename.replace("\\", "/").rpartition("/")[2]).strip()
        if len(filename) > MAX_FILENAME_LENGTH:
            stem, dot, extension = filename.rpartition(".")
            keep = MAX_FILENAME_LENGTH - len(dot + extension)
            if dot and keep > 0:
                filename = stem[:keep] + dot + extension
            else:
                filename = filename[:MAX_FILENAME_LENGTH]
        return filename

    def _attach(
        self, headers: _Headers, content: bytes, filename: str = "", disposition: str = ""
    ) -> None:
        declared = headers.first("content-type").split(";", 1)[0].strip().lower()
        if not (_CONTENT_TYPE.fullmatch(declared) and len(declared) <= MAX_CONTENT_TYPE_LENGTH):
            guessed = _MIME_TYPES.guess_type(filename)[0] if filename else None
            declared = guessed or ("text/plain" if not declared else "application/octet-stream")
        if not filename:
            extension = EXTENSIONS.get(declared) or _MIME_TYPES.guess_extension(declared) or ".bin"
            filename = f"attachment-{len(self.attachments) + 1}{extension}"
        content_id = _WHITESPACE.sub("", headers.first("content-id")).strip("<>")
        content_id = content_id[:MAX_MESSAGE_ID_LENGTH]
        self.attachments.append(
            InboundAttachment(
                filename=_scrub(filename),
                content_type=declared,
                content=content,
                is_inline=bool(content_id) and disposition != "attachment",
                content_id=content_id,
            )
        )

    def _message_blocks(self, blocks: list[Message], content_type: str) -> bytes:
        """The body of a message/delivery-status part: its header blocks, as they were."""
        output = BytesIO()
        for block in blocks:
            try:
                BytesGenerator(output, mangle_from_=False, policy=policy.compat32).flatten(block)
            except Exception:  # a block the generator cannot write back; the others still count
                self.problem(f"unreadable block in {content_type} part skipped")
        return output.getvalue()

    def _note_defects(self, part: Message, content_type: str) -> None:
        for defect in part.defects:
            kind = type(defect).__name__
            description = DEFECT_DESCRIPTIONS.get(kind, kind)
            self.problem(f"{description} ({content_type} part)")

    # --- charsets --------------------------------------------------------------------------

    def decode_bytes(self, data: bytes, declared: str, where: str, *, detect: bool = False) -> str:
        """Text from bytes: declared charset, else UTF-8, else detection, else windows-1252.

        Never raises; each fallback is recorded in `problems`.
        """
        declared = declared.strip().strip("\"'").lower()
        codec = _text_codec(declared) if declared else None
        if codec is not None:
            if codec in WESTERN_SINGLE_BYTE and not data.isascii() and _is_utf8(data):
                self.problem(
                    f"charset {declared!r} declared but {where} is UTF-8, decoded as utf-8"
                )
                return data.decode("utf-8")
            try:
                return _decode_declared(data, codec)
            except ValueError:  # UnicodeDecodeError, or a codec such as idna refusing the input
                reason = f"charset {declared!r} does not match {where}"
        elif declared:
            reason = f"charset {declared!r} unknown in {where}"
        elif data.isascii():
            return data.decode("ascii")
        else:
            reason = f"no charset declared in {where}"
        if _is_utf8(data):
            self.problem(f"{reason}, decoded as utf-8")
            return data.decode("utf-8")
        if detect:
            detected = _detect_charset(data)
            if detected is not None:
                self.problem(f"{reason}, decoded as {_charset_label(detected)} (detected)")
                return data.decode(detected, "replace")
        self.problem(f"{reason}, decoded as windows-1252")
        return data.decode("cp1252", "replace")


# --- helpers without state ---------------------------------------------------------------------


def _fold(value: str) -> str:
    return " ".join(_CONTROL_CHARS.sub(" ", value).split())


def _scrub(value: str) -> str:
    """Text any database accepts: no NUL, no lone surrogate."""
    if value.isascii():
        return value.replace("\x00", "")
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _title(header: str) -> str:
    return "-".join(word.capitalize() for word in header.split("-"))


def _is_daemon(from_values: list[str]) -> bool:
    """A null sender (`From: <>`) or a mail system's own (MAILER-DAEMON, postmaster)."""
    for value in from_values:
        if not value.strip() or "<>" in _WHITESPACE.sub("", value):
            return True
        for _, address in getaddresses([value]):
            if address.strip().partition("@")[0].lower() in AUTOMATIC_LOCAL_PARTS:
                return True
    return False


def _usable(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    usable = []
    for name, address in pairs:
        address = address.strip().lower()
        encoded = "=?" in address  # an encoded word holding the address, not an address
        if len(address) <= MAX_ADDRESS_LENGTH and _ADDRESS.fullmatch(address) and not encoded:
            usable.append((name, address))
    return usable


def _strict_addresses(value: str) -> list[tuple[str, str]]:
    """The addresses `policy.default`'s RFC 5322 parser finds where getaddresses found none."""
    try:
        header = policy.default.header_factory("to", value)
        return [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
    except Exception:  # the strict parser has its own failure modes on garbage
        return []


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a header object the stdlib cannot split
        return "application/octet-stream"


def _param(view: Message, name: str) -> str:
    try:
        value = view.get_param(name)
    except Exception:  # parameters beyond repair read as absent
        return ""
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        return str(value[2])
    return str(value) if value else ""


def _params_view(part: Message, headers: _Headers) -> Message:
    """`part`, or a copy of its MIME headers decoded to text when they hold raw 8-bit bytes.

    compat32 reads such headers as unknown-8bit and mangles a UTF-8 file name; a fresh Message
    holding the decoded values gives the stdlib parameter parsing clean text to work on.
    """
    if headers.is_ascii("content-type", "content-disposition"):
        return part
    view = Message()
    for name in ("content-type", "content-disposition"):
        if name in headers:
            view[name] = headers.first(name)
    return view


def _alternative(options: list[list[_Segment]]) -> list[_Segment]:
    """One segment from the representations of a multipart/alternative.

    Text comes from the first option with a text/plain part, HTML from the last (richest) option
    with an HTML part. An empty plain part ("view this message in a browser") yields to the HTML.
    """
    text_option = next((o for o in options if any(s.text is not None for s in o)), None)
    html_option = next((o for o in reversed(options) if any(s.html is not None for s in o)), None)
    if text_option is None and html_option is None:
        return []
    text = None
    if text_option is not None:
        text = "\n\n".join(t for t in (s.as_text().strip() for s in text_option) if t)
    body_html = None
    if html_option is not None:
        body_html = "\n".join(_segment_html(s) for s in html_option)
        if not (text or "").strip():
            text = None
    return [_Segment(text, body_html)]


def _segment_html(segment: _Segment) -> str:
    if segment.html is not None:
        return segment.html
    escaped = html.escape(segment.text or "")
    return f'<div style="white-space: pre-wrap">{escaped}</div>'


def _unflow(text: str, *, delete_space: bool) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676), quote levels kept apart."""
    lines: list[str] = []
    current: str | None = None
    current_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffing
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delete_space:
            content = content[:-1]
        if current is not None and depth == current_depth:
            current += content
        else:
            if current is not None:
                lines.append(_quoted(current, current_depth))
            current, current_depth = content, depth
        if not flowed:
            lines.append(_quoted(current, current_depth))
            current = None
    if current is not None:
        lines.append(_quoted(current, current_depth))
    return "\n".join(lines)


def _quoted(content: str, depth: int) -> str:
    return ">" * depth + " " + content if depth else content
