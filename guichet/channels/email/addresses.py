"""Reply addresses that carry a signed case token: `mairie+c123-k3j5h7g2m4@villebois.fr`.

Replies from the desk go out with such a Reply-To, so the citizen's answer names its case even when
their mail client drops the reply headers and they change the subject. The token is an HMAC of the
organization and the case under SECRET_KEY: it cannot be guessed or moved to another case, and it
only ever opens a case of the organization that receives the message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from django.conf import settings

_TOKEN = re.compile(r"^[^@+]+\+c(\d{1,18})-([a-z2-7]{10})@", re.IGNORECASE)


def _signature(organization_id: int, case_id: int) -> str:
    message = f"case-reply:{organization_id}:{case_id}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:10]


def reply_address(base_address: str, organization_id: int, case_id: int) -> str:
    """`base_address` with the case token as a sub-address."""
    local, _, domain = base_address.partition("@")
    local = local.split("+", 1)[0]
    return f"{local}+c{case_id}-{_signature(organization_id, case_id)}@{domain}"


def case_id_from_addresses(addresses: tuple[str, ...], organization_id: int) -> int | None:
    """The case named by a valid token in one of the recipient addresses, if any."""
    for address in addresses:
        match = _TOKEN.match(address)
        if match is None:
            continue
        case_id = int(match.group(1))
        expected = _signature(organization_id, case_id)
        if hmac.compare_digest(expected, match.group(2).lower()):
            return case_id
    return None
