"""Webhooks of email service providers, served by django-anymail's own views.

Mounted under `/webhooks/email/` (see docs/email-providers.md):

| URL | what the provider posts there |
|---|---|
| `<provider>/` | inbound mail (Brevo and Mailjet parse, SendGrid inbound parse, Postmark, Mailgun) |
| `mailgun/mime/` | Mailgun inbound mail as raw MIME (Mailgun sends raw MIME to a URL containing "mime") |
| `<provider>/tracking/` | delivery events of the mail Guichet sent (bounces, rejections) |

Anymail's view checks the shared secret (HTTP basic auth, `ANYMAIL["WEBHOOK_SECRET"]`, plus the
signature where the provider signs, as Mailgun does), parses the provider's payload and sends
anymail's signal, whose receivers in `providers.py` hand the message to the intake pipeline.
Around it, this module decides the answers, so that nothing is lost and a provider is never told
to retry what no retry can fix:

| situation | answer | why |
|---|---|---|
| stored (or already stored: a retry) | 200 | the pipeline is idempotent on the Message-ID |
| addressed to no organization | 200 | kept in `inbound/unrouted/` and logged; no retry can route it |
| bytes that are not an email | 200 | kept aside (a held record, or `inbound/unrouted/`) |
| missing or wrong secret | 401 (403 for a wrong signature) | nothing read, nothing stored |
| payload the provider's parser cannot read | 400 | the body is kept in `inbound/unrouted/`, the problem logged |
| body above DATA_UPLOAD_MAX_MEMORY_SIZE | 413 | cannot be read |
| webhooks or this provider not configured | 503 | the provider keeps the message and retries |
| database, storage or provider API unavailable | 503 | same: a retry will succeed, and creates nothing twice |

A 500 is never answered: an unexpected error is logged with its traceback and answered 503, so
that the provider keeps the message until the problem is fixed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.utils import get_anymail_setting, get_request_basic_auth
from anymail.webhooks.brevo import BrevoInboundWebhookView, BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView, MailgunTrackingWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView, MailjetTrackingWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView, PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView, SendGridTrackingWebhookView
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from guichet.channels.email.providers import TrackingNotReady, connect_signals, keep_unrouted

logger = logging.getLogger(__name__)

# Provider slug in the URL -> (inbound view, tracking view), anymail's own.
PROVIDERS: dict[str, tuple[type[Any], type[Any]]] = {
    "brevo": (BrevoInboundWebhookView, BrevoTrackingWebhookView),
    "mailjet": (MailjetInboundWebhookView, MailjetTrackingWebhookView),
    "sendgrid": (SendGridInboundWebhookView, SendGridTrackingWebhookView),
    "postmark": (PostmarkInboundWebhookView, PostmarkTrackingWebhookView),
    "mailgun": (MailgunInboundWebhookView, MailgunTrackingWebhookView),
}
# Seconds after which a provider should try again, with a 503.
RETRY_AFTER = 300

# The receivers must exist wherever these views can be reached (ChannelsConfig.ready connects
# them too, for workers that send mail without loading URLs); connecting twice changes nothing.
connect_signals()


class UnreadablePayload(Exception):
    """The provider's parser could not read the request (not the provider's format, or a
    webhook configured on the wrong URL)."""


class _ReadablePayload:
    """Mixed into anymail's view: tells a payload that cannot be read (4xx) from a failure that
    a retry may fix (5xx), which anymail's view does not distinguish."""

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            events: list[Any] = super().parse_events(request)  # type: ignore[misc]
        except (OSError, DatabaseError, RequestDataTooBig):
            # The provider's API (Brevo serves attachments separately) or our side: retryable.
            raise
        except Exception as exc:
            raise UnreadablePayload(f"{type(exc).__name__}: {exc}") from exc
        return events


def webhook_secrets() -> list[str]:
    """The configured `user:password` secrets (several while rotating)."""
    secrets = get_anymail_setting("webhook_secret", default=[])
    if isinstance(secrets, str):
        return [secrets] if secrets else []
    return [str(secret) for secret in secrets if secret]


def _basic_auth_ok(request: HttpRequest) -> bool:
    given = get_request_basic_auth(request)
    return given is not None and any(
        constant_time_compare(given, secret) for secret in webhook_secrets()
    )


def _answer(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Guichet email webhooks"'
    elif status == 503:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def provider_webhook(view_class: type[Any], provider: str) -> Callable[[HttpRequest], HttpResponse]:
    """The Django view serving anymail's `view_class` with the answers of the module docstring."""
    guarded = type(f"Guichet{view_class.__name__}", (_ReadablePayload, view_class), {})
    kind = "tracking" if "Tracking" in view_class.__name__ else "inbound"

    @csrf_exempt
    @login_not_required
    def webhook(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not webhook_secrets():
            logger.error(
                "%s %s webhook called, but webhooks are disabled: set "
                "GUICHET_ANYMAIL_WEBHOOK_SECRET (see docs/email-providers.md)",
                provider,
                kind,
            )
            return _answer(503, "Email provider webhooks are not enabled on this server.")
        try:
            body = request.body  # read now: kept if the payload turns out unreadable
        except RequestDataTooBig:
            return _answer(413, "The request body is larger than this server accepts.")
        try:
            view = guarded()
        except ImproperlyConfigured as exc:
            logger.error("%s %s webhook is not configured: %s", provider, kind, exc)
            return _answer(503, f"The {provider} webhook is not configured on this server.")
        view.setup(request, **kwargs)
        try:
            response: HttpResponse = view.dispatch(request, **kwargs)
        except AnymailWebhookValidationFailure:
            if _basic_auth_ok(request):
                return _answer(403, "The request signature is not valid.")
            return _answer(401, "Missing or wrong credentials for this webhook.")
        except UnreadablePayload as exc:
            digest = hashlib.sha256(body).hexdigest()
            try:
                name = keep_unrouted(
                    body,
                    provider=provider,
                    reason=f"{kind} payload unreadable: {exc}",
                    extension=".json" if request.content_type == "application/json" else ".bin",
                )
            except OSError:
                logger.exception("%s %s webhook: unreadable payload not kept", provider, kind)
                return _answer(503, "Temporary failure; please try again later.")
            logger.error(
                "%s %s webhook: unreadable payload kept as %s: %s", provider, kind, name, exc
            )
            return _answer(
                400,
                f"This is not a {provider} {kind} payload that Guichet can read ({exc}). "
                f"It was kept for an administrator (sha256 {digest}).",
            )
        except TrackingNotReady:
            return _answer(503, "The message is still being sent; please try again later.")
        except (OSError, DatabaseError) as exc:
            logger.warning("%s %s webhook: temporary failure: %s", provider, kind, exc)
            return _answer(503, "Temporary failure; please try again later.")
        except Exception:
            logger.exception("%s %s webhook: unexpected failure", provider, kind)
            return _answer(503, "Unexpected failure; please try again later.")
        return response

    return webhook


app_name = "email_webhooks"

urlpatterns: list[URLPattern] = []
for _slug, (_inbound_view, _tracking_view) in PROVIDERS.items():
    urlpatterns += [
        path(f"{_slug}/", provider_webhook(_inbound_view, _slug), name=f"{_slug}_inbound"),
        path(
            f"{_slug}/tracking/",
            provider_webhook(_tracking_view, _slug),
            name=f"{_slug}_tracking",
        ),
    ]
urlpatterns.append(
    path(
        "mailgun/mime/",
        provider_webhook(MailgunInboundWebhookView, "mailgun"),
        name="mailgun_inbound_mime",
    )
)
