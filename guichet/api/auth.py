"""Who is calling: an integration with an API token, or an agent signed in to the desk.

Both become a `Principal`, which is where every read starts: a token acts for its whole
organization; a desk user sees what `visible_to(user)` allows them, exactly as on the desk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth
from ninja.utils import check_csrf

from guichet.api.errors import InvalidToken
from guichet.cases.models import Case
from guichet.citizens.models import Citizen
from guichet.conversations.models import Message
from guichet.organizations.models import ApiToken, User

# How often `ApiToken.last_used_at` is written: enough to spot unused tokens, not a write per call.
LAST_USED_PRECISION = timedelta(minutes=1)
# A plausible token: the prefix, key id and secret are URL-safe characters. Anything else is refused
# before it reaches the database.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")


@dataclass(frozen=True)
class Principal:
    """The caller of an API endpoint."""

    token: ApiToken | None = None
    user: User | None = None

    @property
    def is_token(self) -> bool:
        return self.token is not None

    @property
    def label(self) -> str:
        """How the caller appears on case timelines and in the audit journal."""
        if self.token is not None:
            return self.token.name
        return str(self.user) if self.user is not None else ""

    def cases(self) -> QuerySet[Case]:
        if self.token is not None:
            return Case.objects.filter(organization_id=self.token.organization_id)
        return Case.objects.visible_to(self.user)

    def citizens(self) -> QuerySet[Citizen]:
        if self.token is not None:
            return Citizen.objects.filter(organization_id=self.token.organization_id)
        return Citizen.objects.visible_to(self.user)

    def messages(self) -> QuerySet[Message]:
        if self.token is not None:
            return Message.objects.filter(organization_id=self.token.organization_id)
        return Message.objects.visible_to(self.user)


def principal_of(request: HttpRequest) -> Principal:
    principal = getattr(request, "auth", None)
    if not isinstance(principal, Principal):  # pragma: no cover — every operation is authenticated
        raise InvalidToken("Authentication required.")
    return principal


def token_of(request: HttpRequest) -> ApiToken:
    """The API token of a token-only endpoint."""
    token = principal_of(request).token
    if token is None:  # pragma: no cover — token-only endpoints accept no other authentication
        raise InvalidToken("This endpoint needs an API token.")
    return token


def touch_token(token: ApiToken) -> None:
    """Record that the token was used, at most once per `LAST_USED_PRECISION`."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer gch_…`. A request that sends an Authorization header is judged on it
    alone: a malformed, unknown or revoked token is a 401, even if a desk session is open."""

    def __call__(self, request: HttpRequest) -> Principal | None:
        header = request.headers.get(self.header)
        if header is None:
            return None
        scheme, _sep, value = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme or not value.strip():
            raise InvalidToken("The Authorization header must read 'Bearer <token>'.")
        return self.authenticate(request, value.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        found = ApiToken.authenticate(token) if _TOKEN_SHAPE.match(token) else None
        if found is None:
            raise InvalidToken("Unknown or revoked API token.")
        touch_token(found)
        return Principal(token=found)


class DeskSessionAuth(SessionAuth):
    """An agent signed in to the desk (session cookie). Unsafe methods need the CSRF token
    (`X-CSRFToken` header), exactly as the desk's own forms do."""

    def __call__(self, request: HttpRequest) -> Principal | None:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise HttpError(
                403,
                "CSRF check failed: send the value of the csrftoken cookie in the X-CSRFToken header.",
            )
        return Principal(user=user)


token_auth = ApiTokenAuth()
session_auth = DeskSessionAuth()
# Endpoints that agents may also use from the desk (reads and replies).
TOKEN_OR_SESSION = [token_auth, session_auth]
# Endpoints for integrations only (posting inbound messages, the delivery outbox).
TOKEN_ONLY = [token_auth]
