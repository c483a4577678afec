"""The portal's landing page, organization pages and logos."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.factories import OrganizationFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50


@pytest.mark.django_db
def test_landing_lists_organizations_and_links_discreetly_to_the_desk(client, town, other_town):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert [o.slug for o in response.context["organizations"]] == ["montval", "villebois"]
    assert '<a href="/portail/villebois/">Ville de Villebois</a>' in html
    assert '<a href="/portail/montval/">Commune de Montval</a>' in html
    assert f'<a href="{reverse("desk:login")}">Staff sign-in</a>' in html
    assert html.count("<h1>") == 1


@pytest.mark.django_db
def test_landing_with_one_organization_goes_to_its_portal(client, town):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/portail/villebois/"


@pytest.mark.django_db
def test_landing_without_organization_says_so(client, db):
    response = client.get("/")

    assert response.status_code == 200
    assert "No administration is open on this site yet." in response.content.decode()


@pytest.mark.django_db
def test_organization_portal_home(client, town):
    town.portal_intro = "Bienvenue sur le portail.\n\nLa mairie vous répond <vite>."
    town.save()

    response = client.get("/portail/villebois/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Ville de Villebois</h1>" in html
    assert "<p>Bienvenue sur le portail.</p>" in html
    assert "La mairie vous répond &lt;vite&gt;." in html
    assert 'href="/portail/villebois/demande/"' in html
    assert "How it works" in html
    assert "usually within 5 working days" in html
    assert "Following your request" in html
    assert response.context["brand_organization"] == town


@pytest.mark.django_db
def test_unknown_organization_is_a_404_page(client, town):
    response = client.get("/portail/nulle-part/")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_logo_is_served_as_an_image_in_a_sandbox(client, town):
    town.logo.save("villebois.png", ContentFile(PNG))

    page = client.get("/portail/villebois/")
    response = client.get("/portail/villebois/logo/")

    assert '<img src="/portail/villebois/logo/" alt="" height="40">' in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_missing_or_unexpected_logo_is_a_404(client, db):
    OrganizationFactory(slug="sans-logo")
    html_logo = OrganizationFactory(slug="logo-html")
    html_logo.logo.save("piege.html", ContentFile(b"<script>alert(1)</script>"))

    assert client.get("/portail/sans-logo/logo/").status_code == 404
    assert client.get("/portail/logo-html/logo/").status_code == 404
