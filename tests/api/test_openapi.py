"""The OpenAPI document and the interactive documentation are served."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_openapi_document_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Guichet API"
    assert document["info"]["version"] == "1"
    assert {path: sorted(methods) for path, methods in document["paths"].items()} == {
        "/api/v1/messages": ["post"],
        "/api/v1/cases": ["get"],
        "/api/v1/cases/{reference}": ["get"],
        "/api/v1/cases/{reference}/replies": ["post"],
        "/api/v1/citizens/{citizen_id}": ["get"],
        "/api/v1/outbox": ["get"],
        "/api/v1/outbox/{message_id}/receipt": ["post"],
    }
    assert document["paths"]["/api/v1/messages"]["post"]["operationId"] == "post_message"
    assert document["components"]["securitySchemes"]["ApiTokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert document["paths"]["/api/v1/messages"]["post"]["security"] == [{"ApiTokenAuth": []}]
    channel = document["components"]["schemas"]["MessageIn"]["properties"]["channel"]
    assert "portal" not in channel["enum"]
    assert "sms" in channel["enum"]


@pytest.mark.django_db
def test_interactive_documentation_is_served(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"/api/v1/openapi.json" in response.content
