"""The REST API, `/api/v1/`: django-ninja, typed schemas, OpenAPI document at `/api/v1/openapi.json`
and interactive documentation at `/api/v1/docs`. See docs/api.md."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.operation import Operation

from guichet.api.errors import register_exception_handlers
from guichet.api.routers import cases, citizens, messages, outbox
from guichet.api.schemas import API_NAMESPACE

DESCRIPTION = """\
Guichet's REST API for integrations (SMS gateways, WhatsApp providers, telephony, chat, business
applications) and for the desk.

Authenticate with an API token (`Authorization: Bearer <token>`, created with
`guichet apitoken create NAME`); a token acts for its whole organization. Agents signed in to the
desk may also call the read and reply endpoints with their session (and the CSRF token for POST).

Errors are JSON `{"detail": "..."}` with a 4xx status; validation errors (422) also list
`errors: [{field, message}]`.
"""


class GuichetAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Operation ids are the view names (`list_cases`), stable and readable in generated
        clients, instead of the module path."""
        return operation.view_func.__name__


api = GuichetAPI(
    title="Guichet API",
    version="1",
    description=DESCRIPTION,
    urls_namespace=API_NAMESPACE,
    openapi_url="/openapi.json",
    docs_url="/docs",
)
register_exception_handlers(api)
api.add_router("", messages.router)
api.add_router("", cases.router)
api.add_router("", citizens.router)
api.add_router("", outbox.router)
