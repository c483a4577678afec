"""The citizen portal: choose an organization, make a request, follow it with a private link.

Nothing here needs an account. A case is reached only through its tracking token (a secret in the
link given to the citizen), and only under its own organization's address. Submissions are handed
to the inbound pipeline like any channel's messages; the views never write models themselves.
"""

from __future__ import annotations

import dataclasses
import mimetypes
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core import signing
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from guichet.cases.lifecycle import Status
from guichet.cases.models import Case
from guichet.channels.base import InboundMessage
from guichet.channels.portal.inbound import (
    PortalReply,
    PortalRequest,
    build_reply_message,
    build_request_message,
    fingerprint,
)
from guichet.citizens.models import ContactKind, ContactPoint
from guichet.conversations.models import Attachment, Direction, Message
from guichet.intake.models import InboundRecord
from guichet.intake.pipeline import Reception, receive
from guichet.organizations.models import Organization, Topic
from guichet.sla.policies import announced_delay
from guichet.ui.portal.forms import ReplyForm, RequestForm, new_nonce
from guichet.ui.portal.statuses import PUBLIC_STATUSES, public_status

# The "received, will be processed shortly" page is reached with a signed record id.
RECEIVED_SALT = "guichet.portal.received"
RECEIVED_MAX_AGE = timedelta(days=7)
# Logos are served from the media storage, which is never public: only these types, as images.
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"})
# Downloads and logos are never interpreted as a page by the browser.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

View = Callable[..., HttpResponseBase]


# Tracking links never reach another site as a referrer. Not "no-referrer": with it, browsers send
# "Origin: null" on the page's own form posts (reply, language), which CSRF protection refuses.
PRIVATE_REFERRER_POLICY = "same-origin"


def private_page(view: View) -> View:
    """Pages reached with a tracking token: never cached, never indexed, never sent as referrer
    to another site."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = PRIVATE_REFERRER_POLICY
        return response

    return wrapped


def _brand(request: HttpRequest, organization: Organization | None) -> None:
    """The organization whose name, logo and colour the page wears (context processor)."""
    request.organization = organization  # type: ignore[attr-defined]


def _organization(slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug).first()


def _not_found(
    request: HttpRequest, organization: Organization | None, *, invalid_link: bool = False
) -> HttpResponse:
    _brand(request, organization)
    return render(
        request,
        "portal/not_found.html",
        {"organization": organization, "invalid_link": invalid_link},
        status=404,
    )


def _public_topics(organization: Organization) -> list[Topic]:
    return list(
        Topic.objects.filter(organization=organization, is_active=True, is_public=True).order_by(
            "name"
        )
    )


def _tracking_redirect(case: Case) -> HttpResponse:
    return redirect("portal:tracking", org_slug=case.organization.slug, token=case.tracking_token)


def _received_redirect(organization: Organization, reception: Reception) -> HttpResponse:
    signed = signing.dumps(reception.record.pk, salt=RECEIVED_SALT)
    return redirect("portal:received", org_slug=organization.slug, signed=signed)


def _receive_submission(organization: Organization, inbound: InboundMessage) -> Reception:
    """Hand a submission to the pipeline. The same form sent twice (double click, resent page) is
    recognised by its nonce and processed once; a form sent again with other content (the citizen
    went back and edited it) is a new message and gets a fresh identifier."""
    digest = fingerprint(inbound)
    reception = receive(organization, inbound, fingerprint=digest)
    if reception.duplicate and reception.record.request_fingerprint != digest:
        inbound = dataclasses.replace(inbound, external_id=new_nonce())
        reception = receive(organization, inbound, fingerprint=digest)
    return reception


# ---------------------------------------------------------------------------------------------
# Landing and organization pages


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    organizations = list(Organization.objects.order_by("name").only("pk", "name", "slug"))
    if len(organizations) == 1:
        return redirect("portal:organization", org_slug=organizations[0].slug)
    _brand(request, None)
    return render(request, "portal/home.html", {"organizations": organizations})


@require_safe
def organization_home(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = _organization(org_slug)
    if organization is None:
        return _not_found(request, None)
    _brand(request, organization)
    return render(request, "portal/organization.html", {"organization": organization})


@require_safe
def logo(request: HttpRequest, org_slug: str) -> HttpResponseBase:
    organization = _organization(org_slug)
    if organization is None or not organization.logo:
        return _not_found(request, organization)
    content_type, _encoding = mimetypes.guess_type(organization.logo.name)
    if content_type not in LOGO_TYPES:
        return _not_found(request, organization)
    try:
        handle = organization.logo.open("rb")
    except OSError:
        return _not_found(request, organization)
    response = FileResponse(handle, content_type=content_type)
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "public, max-age=3600"
    return response


# ---------------------------------------------------------------------------------------------
# Making a request


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_form(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = _organization(org_slug)
    if organization is None:
        return _not_found(request, None)
    _brand(request, organization)
    topics = _public_topics(organization)
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, topics=topics)
        if form.is_valid():
            data = form.cleaned_data
            inbound = build_request_message(
                PortalRequest(
                    subject=data["subject"],
                    text=data["message"],
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    topic_slug=data["topic"],
                    attachments=form.inbound_attachments,
                ),
                nonce=data["nonce"],
            )
            reception = _receive_submission(organization, inbound)
            case = reception.case
            if case is None:
                return _received_redirect(organization, reception)
            messages.success(request, _confirmation(case, data["email"], reception.duplicate))
            return _tracking_redirect(case)
    else:
        form = RequestForm(initial={"nonce": new_nonce()}, topics=topics)
    return render(
        request,
        "portal/request_form.html",
        {"organization": organization, "form": form, "topics": topics},
    )


def _confirmation(case: Case, email: str, duplicate: bool) -> str:
    if duplicate:
        return _(
            "This form had already been sent: here is your request %(reference)s. Keep the link to "
            "this page: it is private and lets you follow your request."
        ) % {"reference": case.reference}
    if email:
        return _(
            "Your request has been sent. Its reference is %(reference)s. We have sent an "
            "acknowledgement to %(email)s. Keep the link to this page: it is private and lets you "
            "follow your request."
        ) % {"reference": case.reference, "email": email}
    return _(
        "Your request has been sent. Its reference is %(reference)s. Keep the link to this page "
        "(add it to your bookmarks): it is private and lets you follow your request."
    ) % {"reference": case.reference}


@private_page
@require_safe
def received(request: HttpRequest, org_slug: str, signed: str) -> HttpResponse:
    """A submission was kept but could not be processed at once: it will be, nothing is lost."""
    organization = _organization(org_slug)
    if organization is None:
        return _not_found(request, None, invalid_link=True)
    try:
        record_id = signing.loads(signed, salt=RECEIVED_SALT, max_age=RECEIVED_MAX_AGE)
    except signing.BadSignature:
        return _not_found(request, organization, invalid_link=True)
    record = (
        InboundRecord.objects.filter(organization=organization, pk=record_id)
        .select_related("case__organization")
        .first()
    )
    if record is None:
        return _not_found(request, organization, invalid_link=True)
    if record.case is not None:
        # Processed since: the citizen who got this signed link follows their request.
        return _tracking_redirect(record.case)
    _brand(request, organization)
    return render(request, "portal/received.html", {"organization": organization, "record": record})


# ---------------------------------------------------------------------------------------------
# Following a request


def _case_for(organization: Organization | None, token: str) -> Case | None:
    """The case behind a tracking link. The token is looked up alone (a unique index); the
    organization is compared afterwards, so a wrong address and an unknown token look the same."""
    case = (
        Case.objects.select_related("organization", "citizen", "topic", "department", "follows")
        .filter(tracking_token=token)
        .first()
    )
    if case is None or organization is None or case.organization_id != organization.pk:
        return None
    return case


def reply_address(case: Case) -> str:
    """Where the citizen is identified when writing from the tracking page: their email address,
    or else their phone number."""
    points = list(
        ContactPoint.objects.filter(
            citizen_id=case.citizen_id, kind__in=[ContactKind.EMAIL, ContactKind.PHONE]
        )
        .order_by("-last_seen_at", "-pk")
        .values_list("kind", "value")
    )
    for wanted in (ContactKind.EMAIL, ContactKind.PHONE):
        for kind, value in points:
            if kind == wanted:
                return value
    return ""


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def tracking(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    organization = _organization(org_slug)
    case = _case_for(organization, token)
    if case is None:
        return _not_found(request, organization, invalid_link=True)
    _brand(request, organization)
    sender = reply_address(case)
    if request.method == "POST" and sender:
        form = ReplyForm(request.POST, request.FILES)
        if form.is_valid():
            inbound = build_reply_message(
                PortalReply(
                    case_id=case.pk,
                    case_reference=case.reference,
                    subject=case.subject,
                    text=form.cleaned_data["message"],
                    sender_address=sender,
                    sender_name=case.citizen.display_name,
                    attachments=form.inbound_attachments,
                ),
                nonce=form.cleaned_data["nonce"],
            )
            reception = _receive_submission(case.organization, inbound)
            target = reception.case
            if target is None:
                return _received_redirect(case.organization, reception)
            if target.pk != case.pk:
                messages.success(
                    request,
                    _(
                        "Your request %(old)s was closed, so your message opened a new request: "
                        "%(new)s. Keep the link to this page: it is the private link of your new "
                        "request."
                    )
                    % {"old": case.reference, "new": target.reference},
                )
            elif reception.duplicate:
                messages.success(request, _("This message had already been sent."))
            else:
                messages.success(request, _("Your message has been sent."))
            return _tracking_redirect(target)
    else:
        form = ReplyForm(initial={"nonce": new_nonce()})
    exchange = list(
        Message.objects.filter(case=case)
        .public()
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    return render(
        request,
        "portal/tracking.html",
        {
            "organization": organization,
            "case": case,
            "status": public_status(case.status),
            "announced_due": announced_delay(case)[1] if case.is_active else "",
            "statuses": PUBLIC_STATUSES,
            "exchange": exchange,
            "form": form,
            "can_reply": bool(sender),
            "is_closed": case.status == Status.CLOSED,
            "is_resolved": case.status == Status.RESOLVED,
            "follow_ups": list(
                case.follow_ups.order_by("created_at").values_list("reference", flat=True)
            ),
        },
    )


@private_page
@require_safe
def attachment(
    request: HttpRequest, org_slug: str, token: str, attachment_id: int
) -> HttpResponseBase:
    """A file of the public exchange, only with the case's tracking link."""
    organization = _organization(org_slug)
    case = _case_for(organization, token)
    if case is None:
        return _not_found(request, organization, invalid_link=True)
    item = (
        Attachment.objects.filter(
            pk=attachment_id, organization_id=case.organization_id, message__case=case
        )
        .exclude(message__direction=Direction.NOTE)
        .first()
    )
    if item is None or not item.is_available:
        return _not_found(request, organization)
    try:
        handle = item.file.open("rb")
    except OSError:
        return _not_found(request, organization)
    response = FileResponse(
        handle, as_attachment=True, filename=item.filename, content_type=item.content_type
    )
    response["Content-Security-Policy"] = SANDBOX_CSP
    return response
