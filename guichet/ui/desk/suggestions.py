"""The case page's "Suggestions" panel: reply templates and articles for the latest message.

The panel is an htmx fragment loaded after the page (the search never slows the case page down).
"Insert" posts the agent's current draft with the chosen suggestion and gets the reply box back
with the suggestion added at the end, ready to edit; nothing is sent.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from guichet.cases.actions import CaseAccessDenied, access_case
from guichet.cases.models import Case
from guichet.knowledge.queries import Suggestion, suggestions_for
from guichet.knowledge.search import ARTICLE, FAQ, TEMPLATE
from guichet.ui.desk.access import DeskRequest, desk_view, render_not_found
from guichet.ui.desk.forms import ReplyForm


class _ReplyText(forms.Form):
    """The reply form's text field alone, rendered exactly as on the case page."""

    text = ReplyForm.base_fields["text"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Focus returns to the reply box after the insertion (htmx honours autofocus on swap).
        self.fields["text"].widget.attrs["autofocus"] = True


class InsertForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in (TEMPLATE, ARTICLE, FAQ)])
    pk = forms.IntegerField(min_value=1)


def _visible_case(request: DeskRequest, reference: str) -> Case | None:
    try:
        return access_case(request.user, reference)
    except CaseAccessDenied:
        return None


def _suggestions(request: DeskRequest, case: Case) -> Any:
    def article_link(kind: str, pk: int) -> str:
        return request.build_absolute_uri(
            reverse("portal:assistant_article", args=[case.organization.slug, pk])
        )

    return suggestions_for(case, request.user, article_link=article_link)


@require_GET
@desk_view
def case_suggestions(request: DeskRequest, reference: str) -> HttpResponse:
    case = _visible_case(request, reference)
    if case is None:
        return render_not_found(request)
    found = _suggestions(request, case)
    return render(
        request,
        "desk/_suggestions.html",
        {"case": case, "templates": found.templates, "articles": found.articles},
    )


@require_POST
@desk_view
def case_suggestion_insert(request: DeskRequest, reference: str) -> HttpResponse:
    case = _visible_case(request, reference)
    if case is None:
        return render_not_found(request)
    if not request.htmx:
        # Without JavaScript the suggestion's text is shown in the panel, to copy.
        return redirect(reverse("desk:case", args=[case.reference]) + "#suggestions")
    form = InsertForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    found = _suggestions(request, case)
    chosen: Suggestion | None = next(
        (
            s
            for s in [*found.templates, *found.articles]
            if s.kind == form.cleaned_data["kind"] and s.pk == form.cleaned_data["pk"]
        ),
        None,
    )
    if chosen is None:
        return HttpResponse(status=404)
    draft = request.POST.get("reply-text", "").rstrip()
    text = f"{draft}\n\n{chosen.text}" if draft else chosen.text
    return render(
        request,
        "desk/_suggestion_reply_text.html",
        {"form": _ReplyText(prefix="reply", initial={"text": text})},
    )
