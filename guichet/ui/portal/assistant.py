"""The portal's self-service assistant: questions answered from the knowledge base, never a dead
end.

The exchange lives in the citizen's session (no account). Each answer names its source article,
readable on the portal; an ambiguous question gets a choice of topics; a question the knowledge
base cannot answer, or the citizen's wish, leads to "talk to an agent": a request made through the
portal channel and the real inbound pipeline, with the whole exchange in its text and attached as a
file, routed like any request, and the citizen lands on its tracking page. Every form works
without JavaScript; with htmx, new turns are appended to a live region.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from guichet.channels.base import InboundAttachment
from guichet.channels.portal.inbound import PortalRequest, build_request_message
from guichet.core.text import fold
from guichet.knowledge.assistant import ANSWER, CLARIFY, HANDOVER, QUESTION_MAX_CHARS, reply_to
from guichet.knowledge.queries import portal_article
from guichet.knowledge.search import index_for
from guichet.organizations.models import Organization, Topic
from guichet.ui.portal.forms import RequestForm, new_nonce
from guichet.ui.portal.views import (
    _brand,
    _confirmation,
    _not_found,
    _organization,
    _receive_submission,
    _received_redirect,
    _tracking_redirect,
)

SESSION_KEY = "guichet.assistant.%d"
MAX_TURNS = 40
SUBJECT_CHARS = 120
TRANSCRIPT_FILENAME = "echange-assistant.txt"
# "I want to talk to someone", however it is put.
_HUMAN = re.compile(
    r"\b(parler|discuter|joindre|contacter|avoir)\b.{0,30}\b(agent|conseill\w*|humain|personne|"
    r"quelqu.un)\b|^\s*(un )?(agent|conseill\w*|humain)\s*[.!?]*\s*$",
)


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=gettext_lazy("Your question"),
        max_length=QUESTION_MAX_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy("Write your question."),
            "max_length": gettext_lazy(
                "Your question is %(show_value)d characters long; %(limit_value)d at most."
            ),
        },
    )
    topic = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)


class HandoverForm(RequestForm):
    """The request form's name and contact fields (same checks), and an optional last word."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("topic", "subject", "attachments"):
            del self.fields[name]
        message = self.fields["message"]
        message.required = False
        message.label = _("Anything to add? (optional)")
        self.order_fields(["nonce", "name", "email", "phone", "message"])


# ---------------------------------------------------------------------------------------------
# The exchange, kept in the session


def _turns(request: HttpRequest, organization: Organization) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = request.session.get(SESSION_KEY % organization.pk, [])
    return turns


def _save(request: HttpRequest, organization: Organization, turns: list[dict[str, Any]]) -> None:
    request.session[SESSION_KEY % organization.pk] = turns[-MAX_TURNS:]


def asks_for_a_human(question: str) -> bool:
    return bool(_HUMAN.search(fold(question.lower())))


def _assistant_turn(organization: Organization, question: str, topic: str) -> dict[str, Any]:
    """The assistant's turn, with every key the template reads."""
    turn: dict[str, Any] = {
        "who": "assistant",
        "outcome": HANDOVER,
        "asked": False,
        "text": "",
        "generated": False,
        "kind": "",
        "pk": 0,
        "title": "",
        "attribution": "",
        "topic_slug": "",
        "sources": [],
        "choices": [],
        "question": question,
    }
    if asks_for_a_human(question):
        turn["asked"] = True
        return turn
    reply = reply_to(index_for(organization.pk), organization.pk, question, label=topic)
    turn["outcome"] = reply.outcome
    if reply.outcome == ANSWER:
        turn.update(
            text=reply.text,
            generated=reply.generated,
            kind=reply.source_kind,
            pk=reply.source_pk,
            title=reply.source_title,
            attribution=reply.attribution,
            topic_slug=reply.topic_slug,
            sources=[list(s) for s in reply.sources],
        )
    elif reply.outcome == CLARIFY:
        turn["choices"] = list(reply.choices)
    return turn


# ---------------------------------------------------------------------------------------------
# Pages


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def assistant(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = _organization(org_slug)
    if organization is None:
        return _not_found(request, None)
    _brand(request, organization)
    turns = _turns(request, organization)
    form = QuestionForm()
    status = 200
    if request.method == "POST":
        form = QuestionForm(request.POST)
        if form.is_valid():
            question = form.cleaned_data["question"]
            topic = form.cleaned_data["topic"]
            asked = {"who": "citizen", "text": question, "topic": topic}
            new_turns = [asked, _assistant_turn(organization, question, topic)]
            for number, turn in enumerate(new_turns, start=len(turns) + 1):
                turn["n"] = number
            _save(request, organization, [*turns, *new_turns])
            if getattr(request, "htmx", False):
                return render(
                    request,
                    "portal/_assistant_turns.html",
                    {"organization": organization, "turns": new_turns},
                )
            return redirect(
                reverse("portal:assistant", args=[organization.slug]) + f"#turn-{len(turns) + 2}"
            )
        status = 400
    return render(
        request,
        "portal/assistant.html",
        {"organization": organization, "turns": turns, "form": form},
        status=status,
    )


@require_POST
def assistant_restart(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = _organization(org_slug)
    if organization is None:
        return _not_found(request, None)
    request.session.pop(SESSION_KEY % organization.pk, None)
    return redirect("portal:assistant", org_slug=organization.slug)


def transcript(turns: list[dict[str, Any]], article_url: Any) -> str:
    """The exchange as plain text, for the agent."""
    lines: list[str] = []
    for turn in turns:
        if turn["who"] == "citizen":
            lines.append(_("Citizen: %(text)s") % {"text": turn["text"]})
        elif turn["outcome"] == ANSWER:
            lines.append(_("Assistant: %(text)s") % {"text": turn["text"]})
            lines.append(
                _("  (source: %(title)s — %(url)s)")
                % {"title": turn["title"], "url": article_url(turn) if turn["kind"] else ""}
            )
        elif turn["outcome"] == CLARIFY:
            lines.append(
                _("Assistant: asked which topic was meant: %(choices)s")
                % {"choices": ", ".join(turn["choices"])}
            )
        else:
            lines.append(_("Assistant: offered to pass the question to an agent."))
    return "\n".join(lines)


def handover_text(message: str, turns: list[dict[str, Any]], article_url: Any) -> str:
    """The request an agent reads: the citizen's own words (their message, then the questions
    they asked the assistant) and the articles it showed. The assistant's passages stay out of the
    text — the whole exchange is attached — so that the request is classified and routed on what
    the citizen wrote, not on the wording of the articles."""
    parts = [message] if message else []
    questions = [t["text"] for t in turns if t["who"] == "citizen"]
    if questions:
        parts.append(
            _("Questions asked to the online assistant:")
            + "\n"
            + "\n".join(f"- {question}" for question in questions)
        )
    shown = [t for t in turns if t["who"] != "citizen" and t.get("outcome") == ANSWER]
    if shown:
        parts.append(
            _("Articles the assistant showed:")
            + "\n"
            + "\n".join(
                f"- {t['title']} — {article_url(t) if t['kind'] else ''}".rstrip(" —")
                for t in shown
            )
        )
    if turns:
        parts.append(
            _("The whole exchange is attached (%(filename)s).") % {"filename": TRANSCRIPT_FILENAME}
        )
    return "\n\n".join(parts) or _("The citizen asked to talk to an agent.")


def _topic_hint(organization: Organization, turns: list[dict[str, Any]]) -> str:
    """The topic of the last article the assistant answered with, when the portal offers it."""
    slugs = [t["topic_slug"] for t in turns if t.get("topic_slug")]
    if not slugs:
        return ""
    exists = Topic.objects.filter(
        organization=organization, slug=slugs[-1], is_active=True, is_public=True
    ).exists()
    return slugs[-1] if exists else ""


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def assistant_handover(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = _organization(org_slug)
    if organization is None:
        return _not_found(request, None)
    _brand(request, organization)
    turns = _turns(request, organization)
    if request.method == "POST":
        form = HandoverForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data

            def article_url(turn: dict[str, Any]) -> str:
                return request.build_absolute_uri(
                    reverse("portal:assistant_article", args=[organization.slug, turn["pk"]])
                )

            exchange = transcript(turns, article_url)
            questions = [t["text"] for t in turns if t["who"] == "citizen"]
            text = handover_text(data["message"], turns, article_url)
            subject = (questions[0] if questions else _("Question to an agent"))[:SUBJECT_CHARS]
            inbound = build_request_message(
                PortalRequest(
                    subject=subject,
                    text=text,
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    topic_slug=_topic_hint(organization, turns),
                    attachments=(
                        (
                            InboundAttachment(
                                TRANSCRIPT_FILENAME, "text/plain", exchange.encode("utf-8")
                            ),
                        )
                        if exchange
                        else ()
                    ),
                ),
                nonce=data["nonce"],
            )
            reception = _receive_submission(organization, inbound)
            request.session.pop(SESSION_KEY % organization.pk, None)
            case = reception.case
            if case is None:
                return _received_redirect(organization, reception)
            messages.success(request, _confirmation(case, data["email"], reception.duplicate))
            return _tracking_redirect(case)
    else:
        form = HandoverForm(initial={"nonce": new_nonce()})
    return render(
        request,
        "portal/assistant_handover.html",
        {"organization": organization, "form": form, "turns": turns},
        status=400 if form.errors else 200,
    )


@require_safe
def assistant_article(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    organization = _organization(org_slug)
    if organization is None:
        return _not_found(request, None)
    article = portal_article(organization.pk, pk)
    if article is None:
        return _not_found(request, organization)
    _brand(request, organization)
    return render(
        request, "portal/assistant_article.html", {"organization": organization, "article": article}
    )
