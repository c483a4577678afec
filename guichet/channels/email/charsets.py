"""Charsets in real-world mail: declared labels that lie, labels Python does not know, bytes
with no label at all. Used by the parser to decode headers and bodies without ever raising."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from functools import lru_cache

from charset_normalizer import from_bytes

# Encodings charset_normalizer may choose from when a declared charset cannot be trusted, in order
# of preference when several fit equally (French mail first, then other scripts residents write).
DETECTION_CANDIDATES = (
    "cp1252", "iso8859_15", "mac_roman", "cp850", "cp1250", "iso8859_2", "cp1251", "koi8_r",
    "cp1253", "cp1254", "cp1255", "cp1256", "utf_16", "gb18030", "big5", "shift_jis", "euc_jp",
    "euc_kr",
)  # fmt: skip

DETECTION_SAMPLE = 64 * 1024

# Labels that name no charset at all, and Python codecs that are no mail charset (they would
# read backslashes as escapes or refuse most input).
UNKNOWN_CHARSETS = frozenset({"unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined"})

NOT_MAIL_CODECS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"}
)

# Labels mail clients write that Python's codec registry does not know.
CHARSET_ALIASES = {"x-mac-roman": "mac_roman", "windows-874": "cp874", "latin-9": "iso8859_15"}

# Single-byte charsets often declared by clients that actually wrote UTF-8.
WESTERN_SINGLE_BYTE = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})


def decode_word(encoding: str, text: str) -> bytes | None:
    data = text.encode("utf-8", "surrogateescape")
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True)
    data = b"".join(data.split())
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def truncated_base64(text: str) -> bytes:
    """The bytes of base64 cut short: the dangling character dropped, the padding restored."""
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", text.encode("ascii", "ignore"))
    data = data[: len(data) - 1] if len(data) % 4 == 1 else data
    return binascii.a2b_base64(data + b"=" * (-len(data) % 4))


@lru_cache(maxsize=256)
def text_codec(charset: str) -> str | None:
    """Python's name for a text encoding label, None when unknown or not a text encoding."""
    if charset in UNKNOWN_CHARSETS:
        return None
    try:
        name = codecs.lookup(CHARSET_ALIASES.get(charset, charset)).name
        "a".encode(name)  # LookupError for bytes-to-bytes codecs such as base64
    except (LookupError, ValueError):
        return None
    return None if name in NOT_MAIL_CODECS else name


def decode_declared(data: bytes, codec: str) -> str:
    if codec == "iso8859-1":
        # Clients that say latin-1 write windows-1252 (the € sign, curly quotes), as browsers know.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    return data.decode(codec)


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect_charset(data: bytes) -> str | None:
    """charset_normalizer's best guess, ties broken by DETECTION_CANDIDATES' order."""
    matches = list(from_bytes(data[:DETECTION_SAMPLE], cp_isolation=list(DETECTION_CANDIDATES)))
    if not matches:
        return None
    least_chaos = min(match.chaos for match in matches)
    fitting = {
        encoding
        for match in matches
        if match.chaos <= least_chaos + 0.01
        for encoding in match.could_be_from_charset
    }
    return next((name for name in DETECTION_CANDIDATES if name in fitting), None)


def charset_label(codec: str) -> str:
    name = codecs.lookup(codec).name
    if name.startswith("cp125"):
        return "windows-" + name[2:]
    return name.replace("iso8859", "iso-8859").replace("_", "-")
