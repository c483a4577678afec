"""Every API error is JSON `{"detail": "..."}` with the right 4xx status, never a 500 page.

Domain exceptions raised by actions (a case that is not visible, a reply that cannot be sent, an
Idempotency-Key reused for another request) are mapped to HTTP statuses here, in one place, so that
routers simply call actions and let the errors travel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from guichet.cases.actions import CaseAccessDenied, CaseActionError
from guichet.cases.lifecycle import TransitionNotAllowed
from guichet.citizens.actions import CitizenAccessDenied
from guichet.intake.pipeline import IdempotencyConflict

if TYPE_CHECKING:
    from ninja import NinjaAPI

AUTHENTICATE_HEADER = 'Bearer realm="guichet"'
AUTHENTICATION_REQUIRED = (
    "Authentication required: send an API token as 'Authorization: Bearer <token>'"
    " (desk sessions may use the read and reply endpoints)."
)


class InvalidToken(AuthenticationError):
    """An Authorization header was sent but does not carry a valid, active API token."""

    def __init__(self, message: str) -> None:
        super().__init__(401, message)


class InvalidInput(Exception):
    """Input that passed the schema but not a check that needs the database (e.g. an unknown topic).

    Rendered like a schema validation error: 422 with the field and a readable message."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class NotFound(Http404):
    """A record that does not exist for the caller; same answer whether it exists elsewhere or not."""


def _field_path(loc: Sequence[Any]) -> str:
    """`("body", "payload", "attachments", 0, "filename")` -> `attachments[0].filename`.

    The first item is where the value came from (body, query, path, header); for a body, the second
    is the name of the view's parameter, which means nothing to the client."""
    items = list(loc)
    source = items.pop(0) if items else ""
    if source == "body" and len(items) > 1 and isinstance(items[0], str):
        items.pop(0)
    path = ""
    for item in items:
        if isinstance(item, int):
            path += f"[{item}]"
        else:
            path += f".{item}" if path else str(item)
    return path or str(source) or "request"


def _message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    # Pydantic prefixes the messages of our own validators; the prefix tells the client nothing.
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def validation_payload(errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
    items = [
        {"field": _field_path(error.get("loc", ())), "message": _message(error)} for error in errors
    ]
    detail = (
        "; ".join(f"{item['field']}: {item['message']}" for item in items) or "Invalid request."
    )
    return {"detail": detail, "errors": items}


def register_exception_handlers(api: NinjaAPI) -> None:
    # Handlers take `exc: Any`: django-ninja's handler type does not narrow to the registered class.
    def respond(request: HttpRequest, status: int, data: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, data, status=status)

    def detail(
        status: int, text: str | Callable[[Any], str]
    ) -> Callable[[HttpRequest, Any], HttpResponse]:
        def handler(request: HttpRequest, exc: Any) -> HttpResponse:
            return respond(request, status, {"detail": text(exc) if callable(text) else text})

        return handler

    def validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, 422, validation_payload(exc.errors))

    def invalid_input(request: HttpRequest, exc: Any) -> HttpResponse:
        item = {"field": exc.field, "message": exc.message}
        return respond(request, 422, {"detail": f"{exc.field}: {exc.message}", "errors": [item]})

    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        if isinstance(exc, InvalidToken):
            text, challenge = exc.message, f'{AUTHENTICATE_HEADER}, error="invalid_token"'
        else:
            text, challenge = AUTHENTICATION_REQUIRED, AUTHENTICATE_HEADER
        response = respond(request, 401, {"detail": text})
        response["WWW-Authenticate"] = challenge
        return response

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return respond(request, exc.status_code, {"detail": exc.message})

    api.add_exception_handler(ValidationError, validation_error)
    api.add_exception_handler(InvalidInput, invalid_input)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, detail(404, lambda exc: str(exc) or "Not found."))
    api.add_exception_handler(CaseAccessDenied, detail(404, "No such case."))
    api.add_exception_handler(CitizenAccessDenied, detail(404, "No such citizen."))
    api.add_exception_handler(CaseActionError, detail(422, str))
    api.add_exception_handler(
        TransitionNotAllowed, detail(422, "This status change is not possible now.")
    )
    api.add_exception_handler(
        IdempotencyConflict,
        detail(
            409,
            lambda exc: (
                f"The Idempotency-Key '{exc}' was already used for a different request;"
                " use a new key for a new message."
            ),
        ),
    )
    api.add_exception_handler(
        RequestDataTooBig,
        detail(
            413,
            lambda exc: (
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes,"
                " the limit of this server."
            ),
        ),
    )
