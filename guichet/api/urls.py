"""`/api/`: version 1 of the REST API, and a JSON answer for anything else under `/api/`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from django.views.decorators.csrf import csrf_exempt

from guichet.api.api import api

View = Callable[..., HttpResponse]


def _json_method_not_allowed(view: View) -> View:
    """django-ninja answers a wrong method with a plain-text 405; the API answers JSON everywhere."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            replacement = JsonResponse(
                {"detail": f"Method {request.method} not allowed here; allowed: {allowed}."},
                status=405,
            )
            replacement["Allow"] = allowed
            return replacement
        return response

    return wrapper


def _with_json_errors(
    patterns: list[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    return [
        URLPattern(p.pattern, _json_method_not_allowed(p.callback), p.default_args, p.name)
        if isinstance(p, URLPattern)
        else p
        for p in patterns
    ]


@csrf_exempt
def not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    return JsonResponse(
        {"detail": f"No API endpoint at {request.path}; see /api/v1/docs."}, status=404
    )


_patterns, _app_name, _namespace = api.urls

urlpatterns = [
    path("v1/", (_with_json_errors(_patterns), _app_name, _namespace)),
    re_path(r"^(?P<unmatched>.*)$", not_found),
]
