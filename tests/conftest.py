"""Shared fixtures: a small town with two departments and people in each role, and a second town
that nobody from the first may ever see."""

from __future__ import annotations

import pytest
from django.utils import translation

from guichet.channels.base import InboundMessage
from guichet.organizations.models import Role
from tests.browser import axe, browser  # noqa: F401 — shared browser fixtures
from tests.factories import DepartmentFactory, OrganizationFactory, TopicFactory, make_member

# Knowledge fixtures: every test searches with a lexical index in its own directory.
pytest_plugins = ["tests.knowledge.fixtures"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_messages():
    """Assertions on messages are written against the English source strings. Requests still
    negotiate their language (French by default: see tests/ui/test_i18n.py and tests/e2e)."""
    with translation.override("en"):
        yield


@pytest.fixture
def town(db):
    organization = OrganizationFactory(
        name="Ville de Villebois",
        slug="villebois",
        reference_prefix="VIL",
        email_address="mairie@villebois.fr",
    )
    reception = DepartmentFactory(organization=organization, name="Accueil", slug="accueil")
    civil = DepartmentFactory(
        organization=organization,
        name="État civil",
        slug="etat-civil",
        email_address="etat-civil@villebois.fr",
    )
    roads = DepartmentFactory(organization=organization, name="Voirie", slug="voirie")
    organization.default_department = reception
    organization.save()
    TopicFactory(
        organization=organization,
        department=civil,
        name="Acte de naissance",
        slug="acte-naissance",
        keywords="acte de naissance\nextrait de naissance\nnaissance",
    )
    TopicFactory(
        organization=organization,
        department=roads,
        name="Nid-de-poule",
        slug="nid-de-poule",
        keywords="nid de poule\nchaussée\ntrottoir\nvoirie",
    )
    return organization


@pytest.fixture
def departments(town):
    return {d.slug: d for d in town.departments.all()}


@pytest.fixture
def civil_agent(town, departments):
    return make_member(town, departments=[departments["etat-civil"]], username="claire")


@pytest.fixture
def roads_agent(town, departments):
    return make_member(town, departments=[departments["voirie"]], username="marc")


@pytest.fixture
def supervisor(town):
    return make_member(town, role=Role.SUPERVISOR, username="sophie")


@pytest.fixture
def administrator(town):
    return make_member(town, role=Role.ADMINISTRATOR, username="alain", is_staff=True)


@pytest.fixture
def other_town(db):
    organization = OrganizationFactory(
        name="Commune de Montval",
        slug="montval",
        reference_prefix="MTV",
        email_address="mairie@montval.fr",
    )
    hall = DepartmentFactory(organization=organization, name="Accueil", slug="accueil")
    organization.default_department = hall
    organization.save()
    return organization


@pytest.fixture
def other_agent(other_town):
    return make_member(other_town, departments=list(other_town.departments.all()), username="oscar")


@pytest.fixture
def email_inbound():
    def build(**overrides):
        values = {
            "channel": "email",
            "external_id": "msg-1@example.org",
            "email_message_id": "msg-1@example.org",
            "sender_address": "jeanne.dupont@example.org",
            "sender_name": "Jeanne Dupont",
            "subject": "Demande d'acte de naissance",
            "text": "Bonjour, je voudrais un extrait d'acte de naissance. Cordialement.",
            "recipients": ("mairie@villebois.fr",),
            "raw": b"From: jeanne.dupont@example.org\r\n\r\nBonjour",
            "raw_filename": "message.eml",
        }
        values.update(overrides)
        return InboundMessage(**values)

    return build
