"""Fixtures for the REST API: tokens for both towns and small helpers to call the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from guichet.organizations.models import ApiToken


@pytest.fixture
def town_token(town):
    _token, plain = ApiToken.issue(town, "Passerelle SMS")
    return plain


@pytest.fixture
def other_token(other_town):
    _token, plain = ApiToken.issue(other_town, "Montval integration")
    return plain


def bearer(plain: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


@pytest.fixture
def api(client: Client):
    """`api.post(path, body, token=..., **headers)` / `api.get(...)` with JSON bodies."""

    class Api:
        def post(self, path, body, *, token=None, **extra):
            headers = {"HTTP_ACCEPT_LANGUAGE": "en", **(bearer(token) if token else {})}
            data = body if isinstance(body, bytes | str) else json.dumps(body)
            return client.post(path, data=data, content_type="application/json", **headers, **extra)

        def get(self, path, *, token=None, **extra):
            headers = {"HTTP_ACCEPT_LANGUAGE": "en", **(bearer(token) if token else {})}
            return client.get(path, **headers, **extra)

    return Api()


@pytest.fixture
def message_body():
    """A valid body for POST /api/v1/messages, with overrides."""

    def build(**overrides):
        body = {
            "channel": "api",
            "external_id": "crm-1001",
            "sender": "jeanne.dupont@example.org",
            "name": "Jeanne Dupont",
            "subject": "Acte de naissance",
            "text": "Bonjour, je voudrais un extrait d'acte de naissance pour mon fils.",
        }
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not None}

    return build
